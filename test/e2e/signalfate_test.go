package e2e

import (
	"testing"
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
