package loader_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// follower is an engine that follows a process into its children: it logs
// its callbacks and attaches itself to every child it sees cloned.
type follower struct {
	mu  sync.Mutex
	log []string
	err error
}

const followerEvents = core.EventClone | core.EventExec | core.EventSyscallExit | core.EventDeath | core.EventReap

func (f *follower) add(format string, args ...any) {
	f.mu.Lock()
	f.log = append(f.log, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *follower) has(entry string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.log {
		if l == entry {
			return true
		}
	}
	return false
}

func (f *follower) ReportClone(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	f.add("%d clone %d", ev.Tid, ev.Clone.Child)
	child, err := e.Tracer().Attach(ev.Clone.Child, core.AttachCreate, f, nil)
	if err == nil {
		err = child.SetEvents(followerEvents)
	}
	if err == nil {
		err = child.SetSyscallFilter(syscallSet(nrExecve))
	}
	if err != nil {
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
	}
	return core.Resume
}

func (f *follower) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	f.add("%d exec %s", ev.Tid, ev.Exec.Filename)
	return core.Resume
}

func (f *follower) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	f.add("%d syscall_exit %d = %d", ev.Tid, ev.Syscall.Nr, ev.Syscall.Ret)
	return core.Resume
}

func (f *follower) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	f.add("%d death %#x", ev.Tid, ev.Exit.Code)
	return core.Resume
}

func (f *follower) ReportReap(e *core.Engine, ev *core.Event) {
	f.add("%d reap", ev.Tid)
}

// counter is an engine that only counts in the kernel.
type counter struct{}

// The loader is core's passive source: Attach to a real thread and
// SetEvents give real callbacks, through the kernel, for the thread and
// the children an engine attaches to from ReportClone; counting engines
// read the kernel's aggregates through the tracer.
func TestCoreWiring(t *testing.T) {
	l, err := loaderFor(t)
	if err != nil {
		t.Fatal(err)
	}
	tr := core.NewTracer(core.Config{Source: l})
	if err := l.Start(func(ev *core.Event) { tr.Deliver(ev) }); err != nil {
		t.Fatal(err)
	}
	bin := progs.Build(t, "forkexec")

	p := progs.Start(t, nil, bin, "3", "wait")
	f := &follower{}
	e, err := tr.Attach(p.Pid, core.AttachCreate, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetEvents(followerEvents); err != nil {
		t.Fatal(err)
	}
	if err := e.SetSyscallFilter(syscallSet(nrExecve)); err != nil {
		t.Fatal(err)
	}
	ce, err := tr.Attach(p.Pid, core.AttachCreate, counter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ce.SetCounting(true); err != nil {
		t.Fatal(err)
	}
	p.Go(t)

	waitLog := func(entry string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !f.has(entry) {
			if time.Now().After(deadline) {
				f.mu.Lock()
				t.Fatalf("no callback %q; got %q (err %v)", entry, f.log, f.err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The child waits for stdin to close, so it is alive while the
	// engine attaches to it.
	var child int
	deadline := time.Now().Add(10 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		f.mu.Lock()
		for _, entry := range f.log {
			fmt.Sscanf(entry, fmt.Sprintf("%d clone %%d", p.Pid), &child)
		}
		f.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	if child == 0 {
		t.Fatalf("no clone callback: %q", f.log)
	}
	waitLog(fmt.Sprintf("%d exec %s", child, bin))
	waitLog(fmt.Sprintf("%d syscall_exit %d = 0", child, nrExecve))

	p.CloseStdin()
	p.WaitExited(t)
	// The counting engine's aggregates, read through the tracer while the
	// parent is a zombie (they go when it is reaped): one fork (clone, 56)
	// and one waitpid (wait4, 61) since counting began.
	stats, err := tr.SyscallStats(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if stats[56].Calls != 1 || stats[61].Calls != 1 {
		t.Errorf("parent's syscall stats %v, want one clone (56) and one wait4 (61)", stats)
	}
	p.Wait(t)
	waitLog(fmt.Sprintf("%d death %#x", child, 3<<8))
	waitLog(fmt.Sprintf("%d reap", child))
	waitLog(fmt.Sprintf("%d death 0x0", p.Pid))
	if f.err != nil {
		t.Errorf("attaching to the child: %v", f.err)
	}
}

// loaderFor loads a Loader closed at the end of the test.
func loaderFor(t *testing.T) (*loader.Loader, error) {
	t.Helper()
	needRoot(t)
	l, err := loader.Load(nil)
	if err == nil {
		t.Cleanup(func() { l.Close() })
	}
	return l, err
}
