package loader_test

import (
	"syscall"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// perThread splits events by thread, keeping their order.
func perThread(evs []core.Event) map[int][]string {
	m := map[int][]string{}
	for i := range evs {
		m[evs[i].Tid] = append(m[evs[i].Tid], describe(&evs[i]))
	}
	return m
}

func checkThread(t *testing.T, got map[int][]string, tid int, want ...core.Event) {
	t.Helper()
	w := describeAll(want)
	if !equal(got[tid], w) {
		t.Errorf("thread %d events:\n%s\nwant:\n%s", tid, join(got[tid]), join(w))
	}
}

// fork + exec + exit with a known code gives CLONE in the parent, then in
// the child EXEC (filename), EXIT and DEATH (code, group_dead) and REAP, in
// that order.
func TestProcessLifecycle(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "forkexec")
	const code = 7
	lifecycle := core.EventClone | core.EventExec | core.EventExit | core.EventDeath | core.EventReap

	p := progs.Start(t, nil, bin, "7")
	if err := l.SetWatch(p.Pid, core.Watch{Events: lifecycle, Follow: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Fatalf("forkexec exited with %v", st)
	}
	c.waitFor(t, "REAP of the parent", func(ev *core.Event) bool {
		return ev.Type == core.EventReap && ev.Tid == p.Pid
	})
	clone := c.waitFor(t, "CLONE", func(ev *core.Event) bool { return ev.Type == core.EventClone })
	child := clone.Clone.Child
	c.waitFor(t, "REAP of the child", func(ev *core.Event) bool {
		return ev.Type == core.EventReap && ev.Tid == child
	})
	flush(t, l)

	got := perThread(c.snapshot())
	if len(got) != 2 {
		t.Errorf("events from %d threads, want 2 (%d, %d):\n%s", len(got), p.Pid, child, dump(c.snapshot()))
	}
	status := code << 8
	checkThread(t, got, p.Pid,
		core.Event{Type: core.EventClone, Tid: p.Pid, Tgid: p.Pid,
			Clone: core.Clone{Child: child, Flags: uint64(syscall.SIGCHLD)}},
		core.Event{Type: core.EventExit, Tid: p.Pid, Tgid: p.Pid, Exit: core.Exit{GroupDead: true}},
		core.Event{Type: core.EventDeath, Tid: p.Pid, Tgid: p.Pid, Exit: core.Exit{GroupDead: true}},
		core.Event{Type: core.EventReap, Tid: p.Pid, Tgid: p.Pid},
	)
	checkThread(t, got, child,
		core.Event{Type: core.EventExec, Tid: child, Tgid: child, Exec: core.Exec{Filename: bin, OldTid: child}},
		core.Event{Type: core.EventExit, Tid: child, Tgid: child, Exit: core.Exit{Code: status, OrigCode: status, GroupDead: true}},
		core.Event{Type: core.EventDeath, Tid: child, Tgid: child, Exit: core.Exit{Code: status, OrigCode: status, GroupDead: true}},
		core.Event{Type: core.EventReap, Tid: child, Tgid: child},
	)
	// Time stamps are monotonic within a thread.
	var last = map[int]uint64{}
	for _, ev := range c.snapshot() {
		if ev.Time < last[ev.Tid] {
			t.Errorf("time goes back on thread %d: %s", ev.Tid, describe(&ev))
		}
		last[ev.Tid] = ev.Time
	}
}

// Threads report CLONE with Thread set and CLONE_VM etc., and their own
// EXIT/DEATH without group_dead, except the last.
func TestProcessThreads(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "threads")

	p := progs.Start(t, nil, bin, "2", "1")
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventClone | core.EventDeath, Follow: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	p.Wait(t)
	flush(t, l)

	evs := c.of(p.Pid)
	var threads []int
	const threadFlags = 0x10000 | 0x100 | 0x200 | 0x400 | 0x800 // THREAD VM FS FILES SIGHAND
	for _, ev := range evs {
		if ev.Type == core.EventClone {
			if ev.Tid != p.Pid || !ev.Clone.Thread || ev.Clone.Flags != threadFlags {
				t.Errorf("unexpected %s (want flags %#x)", describe(&ev), threadFlags)
			}
			threads = append(threads, ev.Clone.Child)
		}
	}
	if len(threads) != 2 {
		t.Fatalf("%d thread CLONEs, want 2:\n%s", len(threads), dump(evs))
	}
	got := perThread(evs)
	for _, tid := range threads {
		checkThread(t, got, tid, core.Event{Type: core.EventDeath, Tid: tid, Tgid: p.Pid})
	}
	main := got[p.Pid]
	if n := len(main); n == 0 || main[n-1] != describe(&core.Event{Type: core.EventDeath, Tid: p.Pid, Tgid: p.Pid, Exit: core.Exit{GroupDead: true}}) {
		t.Errorf("main thread events end with no group death:\n%s", join(main))
	}
}

// A non-leader thread that execs takes over the process id: EXEC reports
// the new tid with the old one, and the thread's later events (here the
// exit of its execve) come under the new tid.
func TestNonLeaderExec(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "threxec")

	p := progs.Start(t, nil, bin)
	w := core.Watch{Events: core.EventClone | core.EventExec | core.EventSyscallExit, Follow: true, Syscalls: syscallSet(nrExecve)}
	if err := l.SetWatch(p.Pid, w); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Fatalf("threxec exited with %v", st)
	}
	flush(t, l)

	evs := c.of(p.Pid)
	if len(evs) == 0 || evs[0].Type != core.EventClone {
		t.Fatalf("no CLONE first:\n%s", dump(evs))
	}
	thread := evs[0].Clone.Child
	want := []string{
		describe(&core.Event{Type: core.EventClone, Tid: p.Pid, Tgid: p.Pid,
			Clone: core.Clone{Child: thread, Thread: true, Flags: 0x10000 | 0x100 | 0x200 | 0x400 | 0x800}}),
		describe(&core.Event{Type: core.EventExec, Tid: p.Pid, Tgid: p.Pid, Exec: core.Exec{Filename: bin, OldTid: thread}}),
		describe(&core.Event{Type: core.EventSyscallExit, Tid: p.Pid, Tgid: p.Pid, Syscall: core.Syscall{Nr: nrExecve}}),
	}
	if got := describeAll(evs); !equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", join(got), join(want))
	}
	waitUntil(t, "detach after reap", func() bool { sys, _ := l.Attached(); return !sys })
}
