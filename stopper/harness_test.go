package stopper_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) { t.Helper(); testenv.NeedRoot(t) }

var (
	buildOnce sync.Once
	stopeeBin string
	buildErr  error
)

// stopee builds test/progs/c/stopee.c once per test binary.
func stopee(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stopee")
		if err != nil {
			buildErr = err
			return
		}
		stopeeBin, buildErr = progs.BuildIn(dir, "stopee")
	})
	if buildErr != nil {
		t.Fatalf("build stopee: %v", buildErr)
	}
	return stopeeBin
}

// proc is a running stopee.
type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	pid   int
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(stopee(t), args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 16), pid: cmd.Process.Pid}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		// Wait on a pidfd first: cmd.Wait would take the stopper's ptrace
		// stops (the dying thread's exit stop) for the exit, and the
		// thread would wait in that stop forever.
		if fd, err := unix.PidfdOpen(cmd.Process.Pid, 0); err == nil {
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 10000)
			unix.Close(fd)
		}
		cmd.Wait()
	})
	return p
}

// line returns the next line the program printed.
func (p *proc) line() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "<eof>"
		}
		return l
	case <-time.After(10 * time.Second):
		p.t.Fatal("timeout waiting for the program")
		return ""
	}
}

func (p *proc) expect(prefix string) string {
	p.t.Helper()
	l := p.line()
	if !strings.HasPrefix(l, prefix) {
		p.t.Fatalf("program said %q, want %q...", l, prefix)
	}
	return l
}

// proceed lets the program past its "ready" line.
func (p *proc) proceed() {
	p.t.Helper()
	if _, err := p.stdin.Write([]byte{'\n'}); err != nil {
		p.t.Fatal(err)
	}
}

// exit waits for the program and returns its wait status description.
//
// Any wait in the tracer's process sees the ptrace stops of its tracees, so
// exec.Cmd.Wait must not run while the stopper may still stop the program:
// it would take a stop's status for the exit. Peek (WNOWAIT) until the
// program has really exited, then reap it.
func (p *proc) exit() string {
	p.t.Helper()
	done := make(chan error, 1)
	go func() {
		for {
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
			if err != nil && err != unix.EINTR {
				done <- err
				return
			}
			if code := siginfoCode(&info); code >= 1 && code <= 3 { // CLD_EXITED, _KILLED, _DUMPED
				done <- p.cmd.Wait()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			return err.Error()
		}
		return "exit 0"
	case <-time.After(10 * time.Second):
		p.t.Fatal("timeout waiting for exit")
		return ""
	}
}

// siginfoCode is si_code, the third int of siginfo_t.
func siginfoCode(info *unix.Siginfo) int32 {
	return (*[4]int32)(unsafe.Pointer(info))[2]
}

// newTracer returns a tracer whose only backend is a started stopper.
func newTracer(t *testing.T) (*core.Tracer, *stopper.Stopper) {
	needRoot(t)
	stp := stopper.New()
	tr := core.NewTracer(core.Config{Stopper: stp})
	stp.Start(tr)
	t.Cleanup(func() { stp.Close() })
	return tr, stp
}

func attach(t *testing.T, tr *core.Tracer, tid int, ops any, events, sync core.Events) *core.Engine {
	t.Helper()
	e, err := tr.Attach(tid, core.AttachCreate, ops, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetEvents(events); err != nil {
		t.Fatal(err)
	}
	if err := e.SetSync(sync); err != nil {
		t.Fatal(err)
	}
	return e
}

func status(pid int, field string) string { return testenv.StatusField(pid, field) }

// eventually polls cond for up to 5 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// sysUnlink is the call the C library's unlink makes: unlink where the
// ABI has it, unlinkat where it has not (arm64).
var sysUnlink = func() int {
	if nr, ok := sysabi.Number("unlink"); ok {
		return nr
	}
	nr, _ := sysabi.Number("unlinkat")
	return nr
}()

// runOpen attaches eng for synchronous syscall entries to p, the "open"
// program waiting at its "ready" line, lets it make its openat and checks
// that the call failed (the path does not exist) and the program ended.
func runOpen(t *testing.T, tr *core.Tracer, p *proc, eng any) {
	t.Helper()
	attach(t, tr, p.pid, eng, core.EventSyscallEntry, core.EventSyscallEntry)
	p.proceed()
	if l := p.line(); l != "openat=-1" {
		t.Errorf("program: %q", l)
	}
	p.exit()
}
