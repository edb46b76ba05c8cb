package stopper_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// follower attaches itself to every new thread and process, and counts the
// synchronous reports it gets per thread.
type follower struct {
	t      *testing.T
	events core.Events
	mu     sync.Mutex
	log    []string
	calls  map[int]int // getppid entries by tid
}

func (f *follower) add(s string) {
	f.mu.Lock()
	f.log = append(f.log, s)
	f.mu.Unlock()
}

func (f *follower) ReportClone(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	f.add(fmt.Sprintf("clone thread=%v", ev.Clone.Thread))
	c, err := e.Tracer().Attach(ev.Clone.Child, core.AttachCreate, f, nil)
	if err == nil {
		err = c.SetEvents(f.events)
	}
	if err == nil {
		err = c.SetSync(f.events)
	}
	if err != nil {
		f.t.Errorf("attach child %d: %v", ev.Clone.Child, err)
	}
	return core.Resume
}

func (f *follower) ReportSyscallEntry(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if ev.Syscall.Nr == unix.SYS_GETPPID {
		f.mu.Lock()
		f.calls[ev.Tid]++
		f.mu.Unlock()
	}
	return core.Resume
}

func (f *follower) ReportExec(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	f.add(fmt.Sprintf("exec %s old=%v tid=%v", ev.Exec.Filename, ev.Exec.OldTid == ev.Tid, e.Tid() == ev.Tid))
	return core.Resume
}

func newFollower(t *testing.T, events core.Events) *follower {
	return &follower{t: t, events: events, calls: map[int]int{}}
}

// Every thread of a multi-threaded process is followed from its first
// instruction: 3 threads × 100 getppid give 100 synchronous reports each.
func TestFollowThreads(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "threads", "3")
	p.expect("ready")
	f := newFollower(t, core.EventClone|core.EventSyscallEntry)
	attach(t, tr, p.pid, f, f.events, f.events)
	p.proceed()
	if l := p.line(); l != "threads done" {
		t.Fatalf("program: %q", l)
	}
	p.exit()
	f.mu.Lock()
	defer f.mu.Unlock()
	var counts []int
	for tid, n := range f.calls {
		if tid != p.pid {
			counts = append(counts, n)
		}
	}
	sort.Ints(counts)
	if fmt.Sprint(counts) != "[100 100 100]" {
		t.Errorf("getppid reports per thread %v, want [100 100 100]", counts)
	}
	if len(f.log) != 3 || f.log[0] != "clone thread=true" {
		t.Errorf("clone reports %q", f.log)
	}
}

// A forked child is followed through its exec.
func TestFollowForkExec(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "fork-exec")
	p.expect("ready")
	f := newFollower(t, core.EventClone|core.EventExec)
	attach(t, tr, p.pid, f, f.events, f.events)
	p.proceed()
	if l := p.line(); l != "child status=0" {
		t.Fatalf("program: %q", l)
	}
	p.exit()
	f.mu.Lock()
	defer f.mu.Unlock()
	want := "[clone thread=false exec /usr/bin/true old=true tid=true]"
	if got := fmt.Sprint(f.log); got != want {
		t.Errorf("reports %s, want %s", got, want)
	}
}

// A non-leader thread's execve takes over the leader's tid; its engine
// moves along and the exec is reported with the old tid.
func TestNonLeaderExec(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "thread-exec")
	p.expect("ready")
	f := newFollower(t, core.EventClone|core.EventExec)
	attach(t, tr, p.pid, f, f.events, f.events)
	p.proceed()
	p.expect("ready")
	p.proceed()
	if l, want := p.line(), fmt.Sprintf("getpid=%d", p.pid); l != want {
		t.Fatalf("program: %q, want %q", l, want)
	}
	p.exit()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.log) != 2 || f.log[0] != "clone thread=true" ||
		f.log[1] != fmt.Sprintf("exec %s old=false tid=true", stopee(t)) {
		t.Errorf("reports %q", f.log)
	}
}
