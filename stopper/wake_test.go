package stopper_test

import (
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// A request from another goroutine wakes the ptrace thread out of its
// blocking wait for stops at once: the doorbell, not the 10 ms backstop.
func TestRequestsWakeWaitingThread(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "sleep")
	p.expect("ready")
	e := attach(t, tr, p.pid, nopQuiesce{}, core.EventQuiesce, core.EventExec)
	var worst time.Duration
	const n = 200
	slow := 0
	for i := 0; i < n; i++ {
		time.Sleep(200 * time.Microsecond) // let the ptrace thread block again
		start := time.Now()
		ev := core.EventExec
		if i%2 == 0 {
			ev |= core.EventClone
		}
		if err := e.SetSync(ev); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		worst = max(worst, d)
		if d > 5*time.Millisecond {
			slow++
		}
	}
	t.Logf("%d requests: worst %v, %d over 5 ms", n, worst, slow)
	if slow > n/50 {
		t.Errorf("%d of %d requests waited over 5 ms for the ptrace thread", slow, n)
	}
}

// busyEngine blocks in a passive exec report until released, and rewrites
// getpid's return value synchronously.
type busyEngine struct {
	syscallEngine
	inside, release chan struct{}
}

func (b *busyEngine) ReportExec(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	close(b.inside)
	<-b.release
	return core.Resume
}

// A synchronous stop that comes while a passive report of the same thread
// is running is reported on a goroutine of its own, after the passive one:
// the ptrace thread stays free meanwhile (a request made then is served),
// and the stop's action still applies.
func TestSyncStopWhilePassiveReportRuns(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "getpid")
	p.expect("ready")
	b := &busyEngine{inside: make(chan struct{}), release: make(chan struct{})}
	b.exit = func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr == unix.SYS_GETPID {
			ev.Syscall.Ret = 4242
		}
		return core.Resume
	}
	e := attach(t, tr, p.pid, b, core.EventSyscallExit|core.EventExec, core.EventSyscallExit)
	passive := &core.Event{Type: core.EventExec, Tid: p.pid, Tgid: p.pid, Exec: core.Exec{Filename: "/x"}}
	delivered := make(chan struct{})
	go func() { tr.Deliver(passive); close(delivered) }()
	<-b.inside
	p.proceed()
	eventually(t, "the getpid exit stop", func() bool { return procState(p.pid) == "t" })
	if err := e.SetSync(core.EventSyscallExit | core.EventClone); err != nil {
		t.Fatalf("a request while the stop waits for the passive report: %v", err)
	}
	close(b.release)
	<-delivered
	if l := p.line(); l != "getpid=4242" {
		t.Errorf("program: %q", l)
	}
	p.exit()
}
