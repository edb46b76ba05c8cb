package e2e

import (
	"fmt"
	"os"
	"strings"
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
// SI_USER, as it does untraced and under strace, not the tracer's tgkill.
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
}
