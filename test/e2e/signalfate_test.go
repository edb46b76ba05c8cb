package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// A signal an engine intercepts synchronously and leaves to its
// disposition kills the program as it kills it untraced and under strace:
// a SIGSEGV that inspect dumps the state at dies of SIGSEGV (the shell
// prints 139), and a SIGUSR1 a signals rule does not name terminates with
// SIGUSR1 (138), not with the representative signals (SIGQUIT, SIGTERM)
// that carry out an engine's changed action.
func TestSignalFateUnderSyncEngines(t *testing.T) {
	needRoot(t)
	segv := captureWorkload(t, "segv", "nocore").argv[0] + " segv nocore"
	for _, c := range []struct {
		name, engine, script, want string
	}{
		{"inspect-segv", "inspect:signal=SIGSEGV", segv + "; echo rc=$?", "rc=139"},
		{"rules-usr1", "signals:rules=SIGUSR2=ignore", "sh -c 'kill -USR1 $$'; echo rc=$?", "rc=138"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := execTool(t, "strace", dir, []string{"-f", "-o", "/dev/null", "sh", "-c", c.script})
			u := execTool(t, bin, dir, []string{"run", "-e", c.engine, "-o", "/dev/null", "--", "sh", "-c", c.script})
			if s.stdout != c.want+"\n" {
				t.Fatalf("strace: %v", s)
			}
			if u.stdout != s.stdout {
				t.Errorf("stdout %q, strace's %q\n%v", u.stdout, s.stdout, u)
			}
		})
	}
}

// A SIGUSR1 a signals rule holds is delivered, after the hold, with the
// siginfo it was sent with: the handler sees the sending child's pid and
// SI_USER, as it does untraced and under strace, not the tracer's tgkill;
// the same for a signal a rule rewrites.
func TestHeldSignalKeepsSender(t *testing.T) {
	needRoot(t)
	prog := progs.Build(t, "crash")
	dir := t.TempDir()
	check := func(r tracedRun) {
		t.Helper()
		var child, pid, uid, code int
		if _, err := fmt.Sscanf(r.stdout, "child %d\nsi_pid=%d si_uid=%d si_code=%d\n", &child, &pid, &uid, &code); err != nil || r.code != 0 {
			t.Fatalf("%v (%v)", r, err)
		}
		if pid != child || uid != os.Getuid() || code != 0 {
			t.Errorf("%s: the handler saw si_pid=%d si_uid=%d si_code=%d, want the child's %d, uid %d, SI_USER (0)",
				r.tool, pid, uid, code, child, os.Getuid())
		}
	}
	check(execTool(t, "strace", dir, []string{"-f", "-o", "/dev/null", prog, "usr1"}))
	u := execTool(t, bin, dir, []string{"run", "-e", "signals:rules=SIGUSR1=hold,hold=50ms,log=true", "--", prog, "usr1"})
	check(u)
	if !strings.Contains(u.stderr, "held") {
		t.Errorf("the rule did not hold the signal:\n%v", u)
	}
	// A SIGUSR2 rewritten to SIGUSR1 keeps its sender too (ptrace alone
	// would make it the tracer's SI_USER); untraced, the program would die
	// of the SIGUSR2.
	r := execTool(t, bin, dir, []string{"run", "-e", "signals:rules=SIGUSR2=SIGUSR1,log=true", "--", prog, "usr1", "12"})
	check(r)
	if !strings.Contains(r.stderr, "rewritten to SIGUSR1") {
		t.Errorf("the rule did not rewrite the signal:\n%v", r)
	}
}

// The signals engine's log prints each delivery as strace's --- line does,
// si_code by name with the fields it carries (si_pid and si_uid for a
// kill, si_status and the times for a SIGCHLD, si_addr for a fault), from
// the passive records and from synchronous reports (with a rule) alike.
// Compared with strace's lines on the same program, normalised only for
// pids and times; sorted, since the log shows a SIGCHLD the program
// ignores at its sending, strace at its delivery.
func TestSignalsLogDecodesSiginfo(t *testing.T) {
	needRoot(t)
	prog := progs.Build(t, "crash")
	norm := regexp.MustCompile(`(si_pid=|si_utime=|si_stime=)\d+`)
	lines := func(log string) []string {
		var out []string
		for _, l := range strings.Split(log, "\n") {
			i := strings.Index(l, "--- SIG")
			if i < 0 {
				continue
			}
			l, _, _ = strings.Cut(l[i:], " --- (")
			out = append(out, norm.ReplaceAllString(strings.TrimSuffix(l, " ---"), "${1}N"))
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct{ name, engine, mode, stdin string }{
		{"kill-sigchld", "signals", "usr1", ""},
		{"kill-sync", "signals:rules=SIGUSR1=deliver", "usr1", ""},
		{"fault", "signals", "segv", "g"},
		{"fault-sync", "signals:rules=SIGSEGV=deliver", "segv", "g"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			slog, ulog := filepath.Join(dir, "strace.log"), filepath.Join(dir, "utrace.log")
			for _, argv := range [][]string{
				{"strace", "-f", "-o", slog, prog, c.mode},
				{bin, "run", "-e", c.engine, "-o", ulog, "--", prog, c.mode},
			} {
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Stdin = strings.NewReader(c.stdin)
				runWithin(t, cmd)
			}
			s, _ := os.ReadFile(slog)
			u, _ := os.ReadFile(ulog)
			sl, ul := lines(string(s)), lines(string(u))
			if len(sl) == 0 || !slices.Equal(sl, ul) {
				t.Errorf("signal lines differ\nstrace:\n%s\nutrace-bpf:\n%s", strings.Join(sl, "\n"), strings.Join(ul, "\n"))
			}
		})
	}
}

// Nothing of run's launcher (a Go program until its execve) appears in
// any log: no signal of its runtime (SIGURG, its preemption signal), no
// system call before the program's execve, with the syscalls and signals
// engines passive and synchronous, on a machine kept busy so that the
// launcher's runtime would preempt its threads if it could.
func TestNoLauncherInLogs(t *testing.T) {
	needRoot(t)
	var stop atomic.Bool
	defer stop.Store(true)
	for range 2 {
		go func() {
			for !stop.Load() {
			}
		}()
	}
	for _, engines := range [][]string{
		{"-e", "syscalls", "-e", "signals"},
		{"-e", "syscalls", "-e", "signals:rules=SIGURG=deliver"},
		{"-e", "syscalls", "-e", "inspect:syscall=write,count=0"},
	} {
		for i := range 10 {
			log := filepath.Join(t.TempDir(), "log")
			r := run(t, "", append(append([]string{"run", "-o", log}, engines...), "--", "/bin/true")...)
			b, err := os.ReadFile(log)
			if err != nil || r.code != 0 {
				t.Fatalf("%v %v", r, err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			if _, call, _ := strings.Cut(first, " "); !strings.HasPrefix(strings.TrimSpace(call), "execve(") ||
				strings.Contains(string(b), "SIGURG") || strings.Contains(string(b), "inspect at") {
				t.Fatalf("%q, run %d: the log shows the launcher:\n%s", engines, i, b)
			}
		}
	}
}
