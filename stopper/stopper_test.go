package stopper_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
	"golang.org/x/sys/unix"
)

// syscallEngine runs entry and exit for the syscall numbers it is given.
type syscallEngine struct {
	entry func(e *core.Engine, ev *core.Event) core.Action
	exit  func(e *core.Engine, ev *core.Event) core.Action
}

func (s *syscallEngine) ReportSyscallEntry(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if s.entry != nil {
		return s.entry(e, ev)
	}
	return core.Resume
}

func (s *syscallEngine) ReportSyscallExit(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if s.exit != nil {
		return s.exit(e, ev)
	}
	return core.Resume
}

// Stop at openat of a given path and read the registers: the syscall number
// and the path read from the argument's memory match.
func TestStopAtOpenatReadsRegistersAndMemory(t *testing.T) {
	tr, _ := newTracer(t)
	path := filepath.Join(t.TempDir(), "probe-file")
	p := start(t, "open", path)
	p.expect("ready")
	var mu sync.Mutex
	var seen []string
	eng := &syscallEngine{entry: func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr != unix.SYS_OPENAT {
			return core.Resume
		}
		err := e.Examine(func(s core.Stopped) error {
			regs, err := s.Registers()
			if err != nil {
				return err
			}
			// At a syscall-entry stop the thread's PC is just past
			// the instruction that entered the kernel.
			insn := make([]byte, len(core.SyscallInstruction))
			if _, err := s.ReadMemory(uintptr(regs.PC())-uintptr(len(insn)), insn); err != nil {
				return err
			}
			if !bytes.Equal(insn, core.SyscallInstruction) {
				t.Errorf("at pc %#x: % x, not the syscall instruction", regs.PC(), insn)
			}
			buf := make([]byte, 256)
			n, err := s.ReadMemory(uintptr(ev.Syscall.Args[1]), buf)
			if err != nil && n == 0 {
				return err
			}
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%d %s", ev.Syscall.Nr, buf[:bytes.IndexByte(buf, 0)]))
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Errorf("examine: %v", err)
		}
		return core.Resume
	}}
	runOpen(t, tr, p, eng)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != fmt.Sprintf("%d %s", unix.SYS_OPENAT, path) {
		t.Errorf("seen %q", seen)
	}
}

// Abort unlink with EPERM: the file still exists and the program saw EPERM.
func TestAbortUnlinkWithEPERM(t *testing.T) {
	tr, _ := newTracer(t)
	path := filepath.Join(t.TempDir(), "keep-me")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, "unlink", path)
	p.expect("ready")
	eng := &syscallEngine{entry: func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr == sysUnlink {
			ev.Syscall.Ret = -int64(unix.EPERM)
			return core.Resume | core.SyscallAbort
		}
		return core.Resume
	}}
	attach(t, tr, p.pid, eng, core.EventSyscallEntry, core.EventSyscallEntry)
	p.proceed()
	if l := p.line(); l != fmt.Sprintf("unlink=-1 errno=%d", unix.EPERM) {
		t.Errorf("program: %q", l)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("file gone: %v", err)
	}
	p.exit()
}

// Rewrite getpid's return value: the program prints the new value.
func TestRewriteGetpidReturn(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "getpid")
	p.expect("ready")
	eng := &syscallEngine{exit: func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr == unix.SYS_GETPID {
			ev.Syscall.Ret = 4242
		}
		return core.Resume
	}}
	attach(t, tr, p.pid, eng, core.EventSyscallExit, core.EventSyscallExit)
	p.proceed()
	if l := p.line(); l != "getpid=4242" {
		t.Errorf("program: %q", l)
	}
	p.exit()
}

// signalEngine answers signal reports with rule(signo).
type signalEngine struct {
	mu   sync.Mutex
	seen []int
	rule func(e *core.Engine, ev *core.Event, n int) core.Action
}

func (s *signalEngine) ReportSignal(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	s.mu.Lock()
	s.seen = append(s.seen, ev.Signal.Signo)
	n := len(s.seen)
	s.mu.Unlock()
	return s.rule(e, ev, n)
}

func (s *signalEngine) signals() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.seen...)
}

// A program that raises SIGUSR1 with no handler survives when an engine
// ignores it.
func TestIgnoreSignal(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "raise-usr1")
	p.expect("ready")
	eng := &signalEngine{rule: func(e *core.Engine, ev *core.Event, n int) core.Action {
		if ev.Signal.Signo == int(unix.SIGUSR1) {
			if ev.Type != core.EventSignalTerm {
				t.Errorf("SIGUSR1 without handler classified %v", ev.Type)
			}
			return core.Resume | core.SignalIgn
		}
		return core.Resume
	}}
	attach(t, tr, p.pid, eng, core.EventSignalAll, core.EventSignalAll)
	p.proceed()
	if l := p.line(); l != "alive" {
		t.Errorf("program: %q", l)
	}
	if s := p.exit(); s != "exit 0" {
		t.Errorf("exit: %s", s)
	}
}

// SIGTERM rewritten to SIGUSR1 reaches the program's SIGUSR1 handler.
func TestRewriteSignal(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "term-to-usr1")
	p.expect("ready")
	eng := &signalEngine{rule: func(e *core.Engine, ev *core.Event, n int) core.Action {
		if ev.Signal.Signo == int(unix.SIGTERM) {
			ev.Signal.Signo = int(unix.SIGUSR1)
			return core.Resume | core.SignalDeliver
		}
		return core.Resume | core.SignalDeliver
	}}
	attach(t, tr, p.pid, eng, core.EventSignalAll, core.EventSignalAll)
	p.proceed()
	if l := p.line(); l != "usr1=1" {
		t.Errorf("program: %q", l)
	}
	if s := p.exit(); s != "exit 0" {
		t.Errorf("exit: %s", s)
	}
}

// HOLD delivers the signal after the engine lets go.
func TestHoldSignalUntilResume(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "hold")
	p.expect("ready")
	held := make(chan struct{})
	eng := &signalEngine{rule: func(e *core.Engine, ev *core.Event, n int) core.Action {
		if ev.Signal.Signo == int(unix.SIGUSR1) && n == 1 {
			close(held)
			return core.Stop | core.SignalDeliver | core.SignalHold
		}
		return core.Resume | core.SignalDeliver
	}}
	e := attach(t, tr, p.pid, eng, core.EventSignalAll, core.EventSignalAll)
	p.proceed()
	<-held
	eventually(t, "the program held stopped", func() bool { return procState(p.pid) == "t" })
	select {
	case l := <-p.lines:
		t.Fatalf("program ran on while held: %q", l)
	case <-time.After(50 * time.Millisecond):
	}
	if err := e.Control(core.Resume); err != nil {
		t.Fatal(err)
	}
	if l := p.line(); l != "usr1=1" {
		t.Errorf("program: %q", l)
	}
	if got := eng.signals(); len(got) != 2 || got[1] != int(unix.SIGUSR1) {
		t.Errorf("signals seen %v, want SIGUSR1 twice", got)
	}
	p.exit()
}

// quiesceEngine holds the thread at every QUIESCE report and hands the
// instruction pointer to the test.
type quiesceEngine struct {
	pcs  chan uint64
	hold bool
}

func (q *quiesceEngine) ReportQuiesce(e *core.Engine, a core.Action, event core.Events) core.Action {
	if event != 0 {
		return core.Resume
	}
	var pc uint64
	e.Examine(func(s core.Stopped) error {
		regs, err := s.Registers()
		if err == nil {
			pc = regs.PC()
		}
		return err
	})
	q.pcs <- pc
	if q.hold {
		return core.Stop
	}
	return core.Resume
}

// Single-step 1000 instructions of a known loop: 1000 reports, each with an
// instruction pointer inside the loop.
func TestSingleStepKnownLoop(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "spin")
	var lo, hi uint64
	if _, err := fmt.Sscanf(p.expect("spin"), "spin %v %v", &lo, &hi); err != nil {
		t.Fatal(err)
	}
	p.expect("ready")
	p.proceed()
	q := &quiesceEngine{pcs: make(chan uint64, 1), hold: true}
	e := attach(t, tr, p.pid, q, core.EventQuiesce, 0)
	// The program may not have reached the loop yet: stop it until it is
	// inside.
	for try := 0; ; try++ {
		if err := e.Control(core.Stop); !errors.Is(err, core.ErrInProgress) {
			t.Fatalf("stop: %v", err)
		}
		first := <-q.pcs
		if first >= lo && first < hi {
			break
		}
		if try == 20 {
			t.Fatalf("stopped at %#x, outside spin [%#x,%#x)", first, lo, hi)
		}
		e.Barrier(context.Background())
		e.Control(core.Resume)
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 1000 {
		// The report that sent the address has to finish before the
		// thread counts as stopped again.
		if err := e.Barrier(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := e.Control(core.SingleStep); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		select {
		case pc := <-q.pcs:
			if pc < lo || pc >= hi {
				t.Fatalf("step %d at %#x, outside spin [%#x,%#x)", i, pc, lo, hi)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no report after step %d", i)
		}
	}
	e.Control(core.Detach)
}

type nopQuiesce struct{}

func (nopQuiesce) ReportQuiesce(e *core.Engine, a core.Action, ev core.Events) core.Action {
	return core.Stop
}

// Control(STOP) on a busy-looping thread: it stops (state t) and resumes on
// RESUME; STOP from one engine and RESUME from another keep it stopped.
// When nobody needs it any more the stopper lets go: TracerPid is 0 and
// strace can attach.
func TestControlStopBusyThreadThenLetGo(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "busy")
	p.expect("ready")
	p.proceed()
	a := attach(t, tr, p.pid, nopQuiesce{}, core.EventQuiesce, 0)
	b := attach(t, tr, p.pid, &syscallEngine{}, 0, 0)
	if err := a.Control(core.Stop); !errors.Is(err, core.ErrInProgress) {
		t.Fatalf("stop: %v", err)
	}
	eventually(t, "state t", func() bool { return procState(p.pid) == "t" })
	if err := b.Control(core.Resume); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if s := procState(p.pid); s != "t" {
		t.Fatalf("another engine's resume released a's stop: state %s", s)
	}
	if err := a.Control(core.Resume); err != nil {
		t.Fatal(err)
	}
	eventually(t, "running again", func() bool { return procState(p.pid) == "R" })
	a.Control(core.Detach)
	b.Control(core.Detach)
	eventually(t, "TracerPid 0", func() bool { return status(p.pid, "TracerPid") == "0" })
	out, _ := exec.Command("timeout", "-s", "INT", "0.5", "strace", "-p", strconv.Itoa(p.pid)).CombinedOutput()
	if !strings.Contains(string(out), "attached") {
		t.Errorf("strace could not attach after the stopper let go:\n%s", out)
	}
}

func procState(pid int) string { return testenv.State(pid) }

// Seed utrace_finish_examine: an examination that raced with the thread
// waking up (here SIGKILL, which nothing delays) reports ErrAgain, so the
// engine knows to discard what it read.
func TestExamineRacesWakeUp(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "busy")
	p.expect("ready")
	p.proceed()
	q := &quiesceEngine{pcs: make(chan uint64, 1), hold: true}
	e := attach(t, tr, p.pid, q, core.EventQuiesce, 0)
	e.Control(core.Stop)
	<-q.pcs // the QUIESCE report holds it
	e.Barrier(context.Background())
	ran := false
	err := e.Examine(func(s core.Stopped) error {
		ran = true
		if _, err := s.Registers(); err != nil {
			return err
		}
		// fn runs on the ptrace thread: the dying thread's next stop
		// waits for it, so only give the kill time to wake it.
		unix.Kill(p.pid, unix.SIGKILL)
		time.Sleep(100 * time.Millisecond)
		return nil
	})
	if !ran || !errors.Is(err, core.ErrAgain) {
		t.Errorf("examine across a SIGKILL: ran %v, %v; want ErrAgain after running", ran, err)
	}
}
