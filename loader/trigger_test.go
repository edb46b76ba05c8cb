package loader_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

const nrOpenat = 257

// procState returns the state letter of /proc/PID/stat (R, S, T, ...).
func procState(t *testing.T, pid int) byte {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// "pid (comm) S ...": the comm may hold anything but ends at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		t.Fatalf("cannot parse /proc/%d/stat: %q", pid, s)
	}
	return s[i+2]
}

// waitStopped waits until process pid is in a job-control stop (state T).
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for procState(t, pid) != 'T' {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not stop (state %c)", pid, procState(t, pid))
		}
		time.Sleep(time.Millisecond)
	}
}

func cont(t *testing.T, pid int) {
	t.Helper()
	if err := unix.Kill(pid, unix.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

// takeOpen takes the pending trigger of tid and checks that it reports
// openat(AT_FDCWD, path, O_RDONLY) returning a value for which retOK holds.
func takeOpen(t *testing.T, l *loader.Loader, tid, tgid int, path string, retOK func(int64) bool) *core.Event {
	t.Helper()
	ev, ok := l.TakeTrigger(tid)
	if !ok {
		t.Fatalf("thread %d stopped with no trigger pending", tid)
	}
	s := &ev.Syscall
	if ev.Type != core.EventSyscallExit || !ev.Sync || !ev.Triggered || ev.Tid != tid || ev.Tgid != tgid || ev.Time == 0 {
		t.Errorf("trigger event %+v: want a synchronous triggered syscall exit of %d/%d with a time", ev, tid, tgid)
	}
	if s.Nr != nrOpenat || s.Path != path || !retOK(s.Ret) {
		t.Errorf("trigger event: nr %d path %q ret %d; want openat of %q", s.Nr, s.Path, s.Ret, path)
	}
	if int32(s.Args[0]) != unix.AT_FDCWD || s.Args[1] == 0 || s.Args[2]&unix.O_ACCMODE != unix.O_RDONLY {
		t.Errorf("trigger event args %#x, want AT_FDCWD, a pointer, O_RDONLY", s.Args)
	}
	if ev2, ok := l.TakeTrigger(tid); ok {
		t.Errorf("trigger taken twice: %+v", ev2)
	}
	return ev
}

// expectLine reads the next line of p and checks it is "path result" with
// the result want (or, for want == nil, any).
func expectLine(t *testing.T, p *progs.Proc, path string, want *int64) {
	t.Helper()
	line := p.ReadLine(t)
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != path {
		t.Fatalf("opener said %q, want the result of opening %s", line, path)
	}
	got, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("opener said %q", line)
	}
	if want != nil && got != *want {
		t.Errorf("opener: %s gave %d, the trigger saw %d", path, got, *want)
	}
}

func isFd(r int64) bool { return r >= 0 }

// A trigger on openat with a path prefix stops a process that nothing
// ptraces (a job-control stop, state T) right after each matching call,
// and only then; the pending trigger describes the call; after SIGCONT the
// process runs on to the next match. Only the per-syscall tracepoints are
// attached, not the raw_syscalls programs, and nothing goes through the
// ring buffer.
//
// Per-syscall tracepoints are found through tracefs; where it is not
// mounted the loader mounts it, as the second run checks.
func TestTriggerStop(t *testing.T) {
	t.Run("tracefs mounted", testTriggerStop)
	t.Run("tracefs unmounted", func(t *testing.T) {
		needRoot(t)
		unmountTracefs(t)
		testTriggerStop(t)
		if !slices.Contains(tracefsMounts(t), "/sys/kernel/tracing") {
			t.Errorf("tracefs mounts after the trigger: %q, want /sys/kernel/tracing", tracefsMounts(t))
		}
	})
}

// tracefsMounts returns the mount points of tracefs.
func tracefsMounts(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var r []string
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if f := strings.Fields(pre); ok && len(f) >= 5 && strings.HasPrefix(post, "tracefs ") {
			r = append(r, f[4])
		}
	}
	return r
}

// unmountTracefs detaches every tracefs mount, as on a host that never
// mounted it. (A lazy unmount: it cannot fail for a busy mount.)
func unmountTracefs(t *testing.T) {
	t.Helper()
	for _, dir := range tracefsMounts(t) {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Fatalf("unmounting tracefs at %s: %v", dir, err)
		}
	}
	if m := tracefsMounts(t); len(m) != 0 {
		t.Fatalf("tracefs still mounted at %q", m)
	}
}

func testTriggerStop(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "opener")
	p := progs.Start(t, nil, bin, "2", "100", "/etc/passwd", "/etc/hosts")

	if ev, ok := l.TakeTrigger(p.Pid); ok {
		t.Errorf("pending trigger before any was set: %+v", ev)
	}
	trig := core.Trigger{Nr: nrOpenat, PathPrefix: "/etc/host"}
	if err := l.SetWatch(p.Pid, core.Watch{Triggers: []core.Trigger{trig}}); err != nil {
		t.Fatal(err)
	}
	if sys, jctl := l.Attached(); sys || jctl {
		t.Errorf("raw programs attached for a trigger: syscalls %v, jctl %v", sys, jctl)
	}
	if ev, ok := l.TakeTrigger(p.Pid); ok {
		t.Errorf("pending trigger before the program ran: %+v", ev)
	}
	p.Go(t)
	for range 2 {
		expectLine(t, p, "/etc/passwd", nil) // no stop there
		waitStopped(t, p.Pid)
		ev := takeOpen(t, l, p.Pid, p.Pid, "/etc/hosts", isFd)
		cont(t, p.Pid)
		expectLine(t, p, "/etc/hosts", &ev.Syscall.Ret)
	}
	if line := p.ReadLine(t); line != "done" {
		t.Errorf("opener said %q, want done", line)
	}
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Errorf("opener exited with %v", st)
	}
	s, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := loader.TriggerStats{Fired: 2, Taken: 2}
	if s.Triggers != want {
		t.Errorf("trigger stats %+v, want %+v", s.Triggers, want)
	}
	flush(t, l)
	if evs := c.of(p.Pid); len(evs) != 0 {
		t.Errorf("a triggers-only watch delivered events:\n%s", dump(evs))
	}
	if _, ok := l.TakeTrigger(p.Pid); ok {
		t.Error("pending trigger of a reaped process")
	}
}

// The return-value comparison: RetLt 0 with the prefix stops only at
// the failing open under the prefix, not at a successful one under it nor
// at a failing one elsewhere.
func TestTriggerRetOp(t *testing.T) {
	l, _ := start(t, nil)
	bin := progs.Build(t, "opener")
	missing := "/etc/hosts.utrace-test-missing"
	p := progs.Start(t, nil, bin, "1", "0", "/etc/hosts", missing, "/etc/passwd", "/nonexistent/utrace-test")
	trig := core.Trigger{Nr: nrOpenat, PathPrefix: "/etc/host", Op: core.RetLt, Value: 0}
	if err := l.SetWatch(p.Pid, core.Watch{Triggers: []core.Trigger{trig}}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	expectLine(t, p, "/etc/hosts", nil)
	waitStopped(t, p.Pid)
	ev := takeOpen(t, l, p.Pid, p.Pid, missing, func(r int64) bool { return r == -int64(unix.ENOENT) })
	cont(t, p.Pid)
	expectLine(t, p, missing, &ev.Syscall.Ret)
	expectLine(t, p, "/etc/passwd", nil)
	enoent := -int64(unix.ENOENT)
	expectLine(t, p, "/nonexistent/utrace-test", &enoent)
	if line := p.ReadLine(t); line != "done" {
		t.Errorf("opener said %q, want done", line)
	}
	p.Wait(t)
	if s, err := l.Stats(); err != nil || s.Triggers.Fired != 1 {
		t.Errorf("trigger stats %+v (%v), want 1 fired", s.Triggers, err)
	}
}

// With passive syscall events too, a call that fires a trigger has its
// entry record but not its exit record (the triggered report replaces it);
// the other calls have both.
func TestTriggerSuppressesPassiveExit(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "opener")
	p := progs.Start(t, nil, bin, "1", "0", "/etc/passwd", "/etc/hosts", "/etc/group")
	w := core.Watch{
		Events:   core.EventSyscall,
		Syscalls: syscallSet(nrOpenat),
		Capture:  true,
		Triggers: []core.Trigger{{Nr: nrOpenat, PathPrefix: "/etc/host"}},
	}
	if err := l.SetWatch(p.Pid, w); err != nil {
		t.Fatal(err)
	}
	if sys, _ := l.Attached(); !sys {
		t.Error("raw syscall programs not attached for passive syscall events")
	}
	p.Go(t)
	expectLine(t, p, "/etc/passwd", nil)
	waitStopped(t, p.Pid)
	ev := takeOpen(t, l, p.Pid, p.Pid, "/etc/hosts", isFd)
	cont(t, p.Pid)
	expectLine(t, p, "/etc/hosts", &ev.Syscall.Ret)
	expectLine(t, p, "/etc/group", nil)
	p.Wait(t)
	flush(t, l)

	var got []string
	for _, e := range c.of(p.Pid) {
		got = append(got, fmt.Sprintf("%v %s", e.Type, pathOf(&e)))
	}
	want := []string{
		"syscall_entry /etc/passwd", "syscall_exit /etc/passwd",
		"syscall_entry /etc/hosts", // its exit is the triggered report
		"syscall_entry /etc/group", "syscall_exit /etc/group",
	}
	if !equal(got, want) {
		t.Errorf("passive events:\n%s\nwant:\n%s", join(got), join(want))
	}
}

// The per-syscall tracepoints are attached for the numbers some thread has
// a trigger on, the entry one only for calls with a path argument, and
// detached when no thread has one any more: by SetWatch, or when the
// threads are reaped.
func TestTriggerHooksLazy(t *testing.T) {
	l, _ := start(t, nil)
	bin := progs.Build(t, "opener")
	hooks := func() string { return fmt.Sprint(l.TriggerHooks()) }
	if h := hooks(); h != "[]" {
		t.Fatalf("hooks after Load: %s", h)
	}
	a := progs.Start(t, nil, bin, "0", "0")
	b := progs.Start(t, nil, bin, "0", "0")
	openat := core.Trigger{Nr: nrOpenat}
	getppid := core.Trigger{Nr: nrGetppid, Op: core.RetGe, Value: 0}

	if err := l.SetWatch(a.Pid, core.Watch{Triggers: []core.Trigger{openat, getppid}}); err != nil {
		t.Fatal(err)
	}
	if h, want := hooks(), "[{110 getppid false} {257 openat true}]"; h != want {
		t.Errorf("hooks %s, want %s", h, want)
	}
	if err := l.SetWatch(b.Pid, core.Watch{Triggers: []core.Trigger{openat}}); err != nil {
		t.Fatal(err)
	}
	if err := l.SetWatch(a.Pid, core.Watch{Events: core.EventExec}); err != nil {
		t.Fatal(err)
	}
	if h, want := hooks(), "[{257 openat true}]"; h != want {
		t.Errorf("hooks with b's trigger left: %s, want %s", h, want)
	}
	if f, err := l.Flags(a.Pid); err != nil || len(f.Triggers) != 0 || f.Events != core.EventExec {
		t.Errorf("a's flags %+v (%v), want EXEC and no triggers", f, err)
	}
	if f, err := l.Flags(b.Pid); err != nil || !slices.Equal(f.Triggers, []core.Trigger{openat}) {
		t.Errorf("b's flags %+v (%v), want its trigger", f, err)
	}
	if sys, _ := l.Attached(); sys {
		t.Error("raw syscall programs attached for triggers")
	}

	// b is reaped: its REAP record detaches the hooks.
	b.Go(t)
	b.Wait(t)
	waitUntil(t, "trigger hooks detached after reap", func() bool { return hooks() == "[]" })

	// And a watch that drops its triggers detaches them at once.
	if err := l.SetWatch(a.Pid, core.Watch{Triggers: []core.Trigger{openat}}); err != nil {
		t.Fatal(err)
	}
	if err := l.SetWatch(a.Pid, core.Watch{}); err != nil {
		t.Fatal(err)
	}
	if h := hooks(); h != "[]" {
		t.Errorf("hooks after the last trigger went: %s", h)
	}
}

// A followed process's child inherits its triggers at fork and stops on
// them; the hooks stay attached until both are reaped.
func TestTriggerFollow(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "opener")
	p := progs.Start(t, nil, bin, "-f", "1", "0", "/etc/passwd", "/etc/hosts")
	trigs := []core.Trigger{{Nr: nrOpenat, PathPrefix: "/etc/hosts", Op: core.RetGe, Value: 0}}
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventClone, Follow: true, Triggers: trigs}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	ev := c.waitFor(t, "CLONE", func(ev *core.Event) bool { return ev.Type == core.EventClone && ev.Tid == p.Pid })
	child := ev.Clone.Child
	expectLine(t, p, "/etc/passwd", nil)
	waitStopped(t, child)
	if f, err := l.Flags(child); err != nil || !slices.Equal(f.Triggers, trigs) || !f.Follow {
		t.Errorf("child's flags %+v (%v), want the parent's triggers", f, err)
	}
	if _, ok := l.TakeTrigger(p.Pid); ok {
		t.Error("the parent has a pending trigger")
	}
	tev := takeOpen(t, l, child, child, "/etc/hosts", isFd)
	cont(t, child)
	expectLine(t, p, "/etc/hosts", &tev.Syscall.Ret)
	if line := p.ReadLine(t); line != "done" {
		t.Errorf("opener said %q", line)
	}
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Errorf("opener exited with %v", st)
	}
	waitUntil(t, "trigger hooks detached after both were reaped", func() bool { return len(l.TriggerHooks()) == 0 })
}

// Triggers the kernel side cannot hold are refused with ErrInvalid, and
// nothing is left attached or set; eight fit.
func TestTriggerLimits(t *testing.T) {
	l, _ := start(t, nil)
	bin := progs.Build(t, "opener")
	p := progs.Start(t, nil, bin, "0", "0")

	var eight []core.Trigger
	for i := range loader.MaxTriggers {
		eight = append(eight, core.Trigger{Nr: nrOpenat, PathPrefix: "/x" + strings.Repeat("y", i), Op: core.RetOp(i % 7), Value: int64(i)})
	}
	long := "/" + strings.Repeat("a", loader.MaxPathPrefix)
	const nrSysctl = 156 // not implemented: no tracepoint
	bad := []struct {
		name  string
		trigs []core.Trigger
	}{
		{"nine triggers", append(slices.Clone(eight), core.Trigger{Nr: nrGetppid})},
		{"long prefix", []core.Trigger{{Nr: nrOpenat, PathPrefix: long}}},
		{"NUL in prefix", []core.Trigger{{Nr: nrOpenat, PathPrefix: "/etc\x00"}}},
		{"prefix without a path argument", []core.Trigger{{Nr: nrGetppid, PathPrefix: "/"}}},
		{"number out of range", []core.Trigger{{Nr: core.SyscallLimit}}},
		{"bad op", []core.Trigger{{Nr: nrGetppid, Op: core.RetGe + 1}}},
		{"no tracepoint", []core.Trigger{{Nr: nrSysctl}}},
	}
	for _, b := range bad {
		err := l.SetWatch(p.Pid, core.Watch{Events: core.EventExec, Triggers: b.trigs})
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s: SetWatch gave %v, want ErrInvalid", b.name, err)
		} else {
			t.Logf("%s: %v", b.name, err)
		}
		if h := l.TriggerHooks(); len(h) != 0 {
			t.Errorf("%s: hooks %v left attached", b.name, h)
		}
		if f, err := l.Flags(p.Pid); err != nil || f.Events != 0 || len(f.Triggers) != 0 {
			t.Errorf("%s: flags %+v (%v) set", b.name, f, err)
		}
	}
	if err := l.SetWatch(p.Pid, core.Watch{Triggers: eight}); err != nil {
		t.Fatal(err)
	}
	if f, err := l.Flags(p.Pid); err != nil || !slices.Equal(f.Triggers, eight) {
		t.Errorf("flags %+v (%v), want the eight triggers", f, err)
	}
	maxLen := []core.Trigger{{Nr: nrOpenat, PathPrefix: long[:loader.MaxPathPrefix]}}
	if err := l.SetWatch(p.Pid, core.Watch{Triggers: maxLen}); err != nil {
		t.Errorf("a prefix of %d bytes: %v", loader.MaxPathPrefix, err)
	}
	if _, ok := l.TakeTrigger(0); ok {
		t.Error("TakeTrigger(0) found something")
	}
	if _, ok := l.TakeTrigger(1 << 30); ok {
		t.Error("TakeTrigger of a thread that does not exist found something")
	}
}

// TakeTrigger with nothing pending: what the stopper pays for a SIGSTOP
// that is not a trigger's (the pidfd is cached).
func BenchmarkTakeTriggerMiss(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	l, err := loader.Load(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	bin := progs.Build(b, "opener")
	p := progs.Start(b, nil, bin, "0", "0")
	if err := l.SetWatch(p.Pid, core.Watch{Triggers: []core.Trigger{{Nr: nrOpenat}}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := l.TakeTrigger(p.Pid); ok {
			b.Fatal("pending")
		}
	}
}
