package loader_test

import (
	"os"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

const (
	nrClose   = 3
	nrExecve  = 59
	nrGetppid = 110
)

// Three threads each making N getppid calls give exactly N entry and N exit
// events per thread, with the right number and return value. The threads
// start after the watch is set and inherit it (Follow).
func TestSyscallThreads(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "threads")
	const threads, n = 3, 2000

	p := progs.Start(t, nil, bin, "3", "2000")
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventSyscall, Follow: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Fatalf("threads exited with %v", st)
	}
	flush(t, l)

	type counts struct{ entry, exit int }
	per := map[int]*counts{}
	for _, ev := range c.of(p.Pid) {
		if ev.Syscall.Nr != nrGetppid {
			continue
		}
		k := per[ev.Tid]
		if k == nil {
			k = &counts{}
			per[ev.Tid] = k
		}
		switch ev.Type {
		case core.EventSyscallEntry:
			k.entry++
		case core.EventSyscallExit:
			k.exit++
			if ev.Syscall.Ret != int64(os.Getpid()) {
				t.Errorf("tid %d: getppid returned %d, want %d", ev.Tid, ev.Syscall.Ret, os.Getpid())
			}
		}
	}
	if len(per) != threads {
		t.Fatalf("getppid events from %d threads, want %d: %v", len(per), threads, per)
	}
	for tid, k := range per {
		if tid == p.Pid {
			t.Errorf("main thread %d made getppid calls", tid)
		}
		if k.entry != n || k.exit != n {
			t.Errorf("tid %d: %d entries, %d exits, want %d each", tid, k.entry, k.exit, n)
		}
	}
	s, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if lost := s.For(core.EventAll).Lost; lost != 0 {
		t.Errorf("%d records lost", lost)
	}
}

// A child of a followed process reports its own execve (entry with the
// path, exit with 0) under a syscall-number filter; an unrelated process
// running the same program at the same time produces no events.
func TestSyscallFollowExec(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "forkexec")

	p := progs.Start(t, nil, bin, "0")
	other := progs.Start(t, nil, bin, "0")
	w := core.Watch{Events: core.EventSyscall | core.EventClone, Follow: true, Syscalls: syscallSet(nrExecve), Capture: true}
	if err := l.SetWatch(p.Pid, w); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	other.Go(t)
	p.Wait(t)
	other.Wait(t)
	flush(t, l)

	evs := c.snapshot()
	var child int
	for _, ev := range evs {
		if ev.Type == core.EventClone && ev.Tid == p.Pid {
			child = ev.Clone.Child
		}
	}
	if child == 0 {
		t.Fatalf("no CLONE from %d:\n%s", p.Pid, dump(evs))
	}
	var want []string
	want = append(want,
		describe(&core.Event{Type: core.EventClone, Tid: p.Pid, Tgid: p.Pid, Clone: core.Clone{Child: child, Flags: 17}}),
		describe(&core.Event{Type: core.EventSyscallEntry, Tid: child, Tgid: child, Syscall: core.Syscall{Nr: nrExecve, Path: bin}}),
		// At exit the path is gone with the old image (and execve's
		// arguments with its registers): the entry's come along.
		describe(&core.Event{Type: core.EventSyscallExit, Tid: child, Tgid: child, Syscall: core.Syscall{Nr: nrExecve, Path: bin}}),
	)
	if got := describeAll(evs); !equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", join(got), join(want))
	}
}
