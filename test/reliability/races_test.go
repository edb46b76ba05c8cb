package reliability

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
	"golang.org/x/sys/unix"
)

// 100,000 signals at a traced process with handlers, half of them ignored
// by an engine: the process's own counts are exactly sent minus ignored.
func TestSignalStorm(t *testing.T) {
	needRoot(t)
	n := scale(50000, 500000)
	cmd := exec.Command(bin, "run", "-e", "signals:rules=SIGUSR1=ignore,log=false", "-o", "/dev/null", "--",
		loadBin, "raise", strconv.Itoa(n))
	cmd.Stdin = strings.NewReader("g")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "usr1=0 usr2=" + strconv.Itoa(n) + "\ndone\n"; string(out) != want {
		t.Errorf("program counted %q, want %q", out, want)
	}
}

// stopRacer is an engine that asks every new thread to stop the moment it
// appears and lets it go at the stop: the stop request races with threads
// that exit at once.
type stopRacer struct {
	stops, deaths atomic.Int64
}

func (s *stopRacer) ReportClone(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	c, err := e.Tracer().Attach(ev.Clone.Child, core.AttachCreate, s, nil)
	if err == nil && c.SetEvents(core.EventClone|core.EventQuiesce|core.EventDeath) == nil {
		c.Control(core.Stop)
	}
	return core.Resume
}

func (s *stopRacer) ReportQuiesce(e *core.Engine, a core.Action, ev core.Events) core.Action {
	if ev == 0 {
		s.stops.Add(1)
	}
	return core.Resume
}

func (s *stopRacer) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	if ev.Tid != ev.Tgid {
		s.deaths.Add(1)
	}
	return core.Detach
}

// Threads that exit while a stop is requested: nothing hangs, each thread
// dies and is reported once.
func TestStopRacesThreadExit(t *testing.T) {
	tr, ldr, _ := backends(t, nil)
	n := scale(300, 3000)
	p := progs.Start(t, nil, loadBin, "churn", strconv.Itoa(n))
	s := &stopRacer{}
	e, err := tr.Attach(p.Pid, core.AttachCreate, s, nil)
	if err != nil || e.SetEvents(core.EventClone|core.EventQuiesce|core.EventDeath) != nil {
		t.Fatal(err)
	}
	p.Go(t)
	done := make(chan string, 1)
	go func() { done <- p.ReadLine(t) }()
	select {
	case l := <-done:
		if l != "done" {
			t.Fatalf("program: %q", l)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("hung: %d stops, %d deaths", s.stops.Load(), s.deaths.Load())
	}
	ldr.Flush()
	time.Sleep(50 * time.Millisecond)
	ldr.Flush()
	if d := s.deaths.Load(); d != int64(n) {
		t.Errorf("%d thread deaths reported, want %d (%d stops)", d, n, s.stops.Load())
	}
	waitTraced(t, p)
}

// blocker blocks in its synchronous getppid entry callback until released.
type blocker struct {
	inside  chan struct{}
	release chan struct{}
	calls   atomic.Int64
	once    sync.Once
}

func (b *blocker) ReportSyscallEntry(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if ev.Syscall.Nr != unix.SYS_GETPPID {
		return core.Resume
	}
	b.calls.Add(1)
	b.once.Do(func() {
		close(b.inside)
		<-b.release
	})
	return core.Resume
}

// Control(DETACH) while the engine's callback runs returns in-progress;
// Barrier then waits for the callback, and no callback follows.
func TestDetachDuringCallbackThenBarrier(t *testing.T) {
	tr, _, _ := backends(t, nil)
	p := progs.Start(t, nil, loadBin, "threads", "1", "1000")
	b := &blocker{inside: make(chan struct{}), release: make(chan struct{})}
	e, err := tr.Attach(p.Pid, core.AttachCreate, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The worker thread is the one making the calls; follow it.
	f := &follow{b: b}
	fe, _ := tr.Attach(p.Pid, core.AttachCreate, f, nil)
	fe.SetEvents(core.EventClone)
	e.SetEvents(core.EventSyscallEntry)
	e.SetSync(core.EventSyscallEntry)
	p.Go(t)
	<-b.inside
	worker := f.child.Load()
	if err := worker.Control(core.Detach); !errors.Is(err, core.ErrInProgress) {
		t.Errorf("detach during callback: %v", err)
	}
	barrier := make(chan error, 1)
	go func() { barrier <- worker.Barrier(context.Background()) }()
	select {
	case err := <-barrier:
		t.Fatalf("barrier returned during the callback: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	if err := <-barrier; err != core.ErrDetached {
		t.Errorf("barrier: %v", err)
	}
	if l := p.ReadLine(t); l != "done" {
		t.Fatalf("program: %q", l)
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("%d callbacks, want 1: none after the detach", n)
	}
	waitTraced(t, p)
}

// follow attaches the blocker to new threads.
type follow struct {
	b     *blocker
	child atomic.Pointer[core.Engine]
}

func (f *follow) ReportClone(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	c, err := e.Tracer().Attach(ev.Clone.Child, core.AttachCreate, f.b, nil)
	if err == nil {
		c.SetEvents(core.EventSyscallEntry)
		c.SetSync(core.EventSyscallEntry)
		f.child.Store(c)
	}
	return core.Resume
}

func waitTraced(t *testing.T, p *progs.Proc) { testenv.WaitTraced(t, p) }

// A tid reused by a new process is never reported with the old one's
// engines: after the old process is reaped, a new process made to get the
// same pid (ns_last_pid) makes calls, and the old engine sees none.
func TestTidReuse(t *testing.T) {
	tr, ldr, _ := backends(t, nil)
	p := progs.Start(t, nil, loadBin, "threads", "1", "10")
	c := newCounting()
	if err := c.attach(tr, p.Pid, core.EventSyscall|core.EventReap); err != nil {
		t.Fatal(err)
	}
	old := p.Pid
	p.Go(t)
	p.ReadLine(t)
	p.Wait(t)
	ldr.Flush()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c.mu.Lock()
		r := c.reaped
		c.mu.Unlock()
		if r == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
		ldr.Flush()
	}
	c.mu.Lock()
	before := c.entries[old]
	c.mu.Unlock()
	// Make the next pid the old one.
	if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(old-1)), 0o644); err != nil {
		t.Skipf("cannot steer pids: %v", err)
	}
	q := progs.Start(t, nil, loadBin, "threads", "1", "100")
	if q.Pid != old {
		t.Skipf("pid %d taken, got %d", old, q.Pid)
	}
	q.Go(t)
	q.ReadLine(t)
	q.Wait(t)
	ldr.Flush()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[old] != before {
		t.Errorf("the old engine saw %d calls of the new process %d", c.entries[old]-before, old)
	}
	for tid, n := range c.entries {
		if tid != old && n >= 100 {
			t.Errorf("the new process's thread %d reported to the old engine (%d calls)", tid, n)
		}
	}
}

// Bad input for attach: a process already traced by another debugger gets
// a clear error and exit 2, and nothing is left attached.
func TestAttachAlreadyTraced(t *testing.T) {
	needRoot(t)
	target := exec.Command("sleep", "30")
	target.Start()
	defer func() { target.Process.Kill(); target.Wait() }()
	pid := strconv.Itoa(target.Process.Pid)
	strace := exec.Command("strace", "-p", pid, "-o", "/dev/null")
	strace.Start()
	defer func() { strace.Process.Kill(); strace.Wait() }()
	for i := 0; i < 200 && statusField(pid, "TracerPid") == "0"; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	out, err := exec.Command(bin, "attach", "-p", pid, "-e", "signals:rules=SIGUSR1=ignore").CombinedOutput()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if code != 2 || len(lines) != 1 || !strings.Contains(string(out), "already traced by process") {
		t.Errorf("attach to a traced process: exit %d: %s", code, out)
	}
	if tp := statusField(pid, "TracerPid"); tp != strconv.Itoa(strace.Process.Pid) {
		t.Errorf("TracerPid %s, want strace's %d", tp, strace.Process.Pid)
	}
}

func statusField(pid, field string) string {
	n, _ := strconv.Atoi(pid)
	return testenv.StatusField(n, field)
}
