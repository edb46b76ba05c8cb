package loader_test

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// A process nobody watches that a target rule selects at its exec is
// watched from the exit of its execve on (then the dynamic loader's
// brk), its EXEC report names the rule, and with Follow its children
// inherit the watch. A process no rule selects reports nothing.
func TestTargetsSelectAtExec(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "forkexec")
	w := core.Watch{Events: core.EventClone | core.EventExec | core.EventDeath | core.EventSyscallExit, Follow: true}
	rules := []loader.Target{
		{Comm: "nomatch", UID: -1, GID: -1},
		{Comm: "fork?x*", UID: os.Getuid(), GID: -1, Ppid: os.Getpid(), Follow: true},
	}
	if err := l.SetTargets(rules, w); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("/bin/true").Run(); err != nil {
		t.Fatal(err)
	}
	p := progs.Start(t, nil, bin, "7")
	p.Go(t)
	p.Wait(t)
	death := c.waitFor(t, "the child's DEATH", func(ev *core.Event) bool {
		return ev.Type == core.EventDeath && ev.Tgid != p.Pid
	})
	flush(t, l)

	evs := c.snapshot()
	var first *core.Event
	for i := range evs {
		ev := &evs[i]
		if ev.Tgid != p.Pid && ev.Tgid != death.Tgid {
			t.Errorf("event of a process no rule selects: %s", describe(ev))
		}
		if ev.Tgid == p.Pid && first == nil {
			first = ev
		}
	}
	if first == nil || first.Type != core.EventExec || first.Exec.Target != 2 {
		t.Fatalf("the selected process's first report is not its EXEC with Target 2:\n%s", dump(evs))
	}
	x := first.Exec
	if !x.Facts || x.Comm != "forkexec" || x.Ppid != os.Getpid() || x.UID != os.Getuid() || !slices.Equal(x.Args, []string{bin, "7"}) {
		t.Errorf("EXEC facts: %+v", x)
	}
	var sys []int
	for _, ev := range c.of(p.Pid) {
		if ev.Type == core.EventSyscallExit {
			sys = append(sys, ev.Syscall.Nr)
		}
	}
	if len(sys) < 2 || sys[0] != unix.SYS_EXECVE || sys[1] != unix.SYS_BRK {
		t.Errorf("system calls from the exec on begin %v, want execve's exit (%d), then the dynamic loader's brk (%d)",
			sys[:min(len(sys), 5)], unix.SYS_EXECVE, unix.SYS_BRK)
	}
	// The child inherited the watch (Follow): its exec and exit, with facts.
	var childExec *core.Event
	for _, ev := range c.of(death.Tgid) {
		if ev.Type == core.EventExec {
			childExec = &ev
		}
	}
	if childExec == nil || childExec.Exec.Target != 0 || !slices.Equal(childExec.Exec.Args, []string{bin, "exit", "7"}) ||
		childExec.Exec.Ppid != p.Pid {
		t.Errorf("the child's EXEC: %+v", childExec)
	}
	if e := death.Exit; e.Code != 7<<8 || !e.Facts || e.Ppid != p.Pid || e.Comm != "forkexec" || e.Start == 0 || e.Start > death.Time {
		t.Errorf("the child's DEATH: %+v at %d", e, death.Time)
	}

	// Disarmed, the rules select nothing.
	if err := l.SetTargets(nil, core.Watch{}); err != nil {
		t.Fatal(err)
	}
	q := progs.Start(t, nil, bin, "1")
	q.Go(t)
	q.Wait(t)
	flush(t, l)
	if evs := c.of(q.Pid); len(evs) != 0 {
		t.Errorf("disarmed rules selected pid %d:\n%s", q.Pid, dump(evs))
	}
}

// A failed exec of a watched thread is reported, with Options.FailedExecs,
// as an EXEC with the call's -errno, path and arguments.
func TestFailedExec(t *testing.T) {
	l, c := start(t, &loader.Options{FailedExecs: true})
	w := core.Watch{Events: core.EventClone | core.EventExec | core.EventDeath, Follow: true}
	if err := l.SetTargets([]loader.Target{{Exe: "/bin/sh", UID: -1, GID: -1, Ppid: os.Getpid(), Follow: true}}, w); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("/bin/sh", "-c", "/nonexistent/prog a 'b c' 2>/dev/null; exit 0")
	if err := sh.Run(); err != nil {
		t.Fatal(err)
	}
	failed := c.waitFor(t, "the failed EXEC", func(ev *core.Event) bool {
		return ev.Type == core.EventExec && ev.Exec.Ret < 0
	})
	x := failed.Exec
	if x.Ret != -int64(unix.ENOENT) || x.Filename != "/nonexistent/prog" || !slices.Equal(x.Args, []string{"/nonexistent/prog", "a", "b c"}) ||
		x.Comm != "sh" || !x.Facts {
		t.Errorf("failed EXEC: %+v", x)
	}
}

// Rules the kernel cannot evaluate are refused with core.ErrInvalid.
func TestTargetsInvalid(t *testing.T) {
	l, _ := start(t, nil)
	for _, r := range []loader.Target{
		{Comm: "[ab]*", UID: -1, GID: -1},
		{Exe: string(make([]byte, 200)), UID: -1, GID: -1},
	} {
		if err := l.SetTargets([]loader.Target{r}, core.Watch{Events: core.EventExec}); err == nil {
			t.Errorf("SetTargets(%+v) succeeded", r)
		}
	}
	many := make([]loader.Target, 33)
	if err := l.SetTargets(many, core.Watch{Events: core.EventExec}); err == nil {
		t.Error("33 rules were accepted")
	}
}

// globCases are patterns and names, with whether they match: the same in
// Go (loader.Glob) and in the kernel (bpf/targets.h).
var globCases = []struct {
	pattern, name string
	match         bool
}{
	{"true", "true", true},
	{"true", "truex", false},
	{"tr*", "true", true},
	{"*ue", "true", true},
	{"t?ue", "true", true},
	{"t?e", "true", false},
	{"*r*e*", "true", true},
	{"*x*", "true", false},
	{"a*b*c", "aXbYbZc", true},
	{"a*b*c", "aXbYbZ", false},
	{"**", "x", true},
	{"*-srv", "my-srv-srv", true},
}

func TestGlob(t *testing.T) {
	for _, c := range globCases {
		if got := loader.Glob(c.pattern, c.name); got != c.match {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.name, got, c.match)
		}
	}
}

// The kernel matches comm patterns as loader.Glob does: a program exec'd
// by each name (a symlink to /bin/true; the comm is the file name's last
// element) is selected exactly when the pattern matches it.
func TestTargetsGlobInKernel(t *testing.T) {
	l, c := start(t, nil)
	dir := t.TempDir()
	for _, gc := range globCases {
		link := dir + "/" + gc.name
		if err := os.Symlink("/bin/true", link); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := l.SetTargets([]loader.Target{{Comm: gc.pattern, UID: -1, GID: -1, Ppid: os.Getpid()}},
			core.Watch{Events: core.EventExec}); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(link)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		flush(t, l)
		selected := len(c.of(cmd.Process.Pid)) > 0
		if selected != gc.match {
			t.Errorf("comm pattern %q, exec of %q: selected %v, want %v", gc.pattern, gc.name, selected, gc.match)
		}
	}
}

// A cgroup rule selects the processes in the cgroup or below it, by the
// cgroup's id and depth.
func TestTargetsCgroup(t *testing.T) {
	l, c := start(t, nil)
	mnt := core.Cgroup2Mount()
	if mnt == "" {
		t.Skip("no cgroup v2 hierarchy mounted")
	}
	name := fmt.Sprintf("/utrace-bpf-test-%d", os.Getpid())
	if err := os.MkdirAll(mnt+name+"/inner", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(mnt + name + "/inner")
		os.Remove(mnt + name)
	})
	if p := core.CgroupPath(mustCgroupID(t, name+"/inner")); p != name+"/inner" {
		t.Errorf("CgroupPath(CgroupID(%q)) = %q", name+"/inner", p)
	}
	if err := l.SetTargets([]loader.Target{{Cgroup: name, UID: -1, GID: -1}}, core.Watch{Events: core.EventExec}); err != nil {
		t.Fatal(err)
	}
	// The shell moves itself into the inner cgroup, then execs: selected.
	// Another /bin/true, in the test's own cgroup, is not.
	in := exec.Command("/bin/sh", "-c", "echo $$ > "+mnt+name+"/inner/cgroup.procs && exec /bin/true")
	if err := in.Run(); err != nil {
		t.Fatal(err)
	}
	out := exec.Command("/bin/true")
	if err := out.Run(); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
	evs := c.of(in.Process.Pid)
	if len(evs) != 1 || evs[0].Exec.Filename != "/bin/true" || core.CgroupPath(evs[0].Exec.Cgroup) != name+"/inner" {
		t.Errorf("the process in %s/inner reported:\n%s", name, dump(evs))
	}
	if evs := c.of(out.Process.Pid); len(evs) != 0 {
		t.Errorf("a process outside %s was selected:\n%s", name, dump(evs))
	}
	if err := l.SetTargets([]loader.Target{{Cgroup: name + "/nonexistent", UID: -1, GID: -1}}, core.Watch{Events: core.EventExec}); err == nil {
		t.Error("a rule on a cgroup that does not exist was armed")
	}
}

func mustCgroupID(t *testing.T, p string) uint64 {
	t.Helper()
	id, _, err := core.CgroupID(p)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A template that counts gives a selected process fresh counts at its
// exec, with the template's filter: the calls of the new image from its
// execve's exit on, counted in the kernel.
func TestTargetsCount(t *testing.T) {
	l, _ := start(t, nil)
	bin := progs.Build(t, "syscalls")
	w := core.Watch{Events: core.EventDeath, Count: true, CountSyscalls: syscallSet(nrGetppid, nrClose)}
	if err := l.SetTargets([]loader.Target{{Comm: "syscalls", UID: -1, GID: -1, Ppid: os.Getpid()}}, w); err != nil {
		t.Fatal(err)
	}
	p := progs.Start(t, nil, bin, "700", "30")
	p.Go(t)
	p.WaitExited(t)
	st, err := l.SyscallStats(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	// The dynamic loader closes the files it mapped: those closes succeed.
	if st[nrGetppid].Calls != 700 || st[nrClose].Calls < 30 || st[nrClose].Errors != 30 || len(st) != 2 {
		t.Errorf("counts of the selected process: %+v, want 700 getppid, 30 failed closes (and the loader's) and nothing else", st)
	}
	p.Wait(t)
}
