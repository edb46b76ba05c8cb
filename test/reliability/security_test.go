package reliability

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The kernel's rules on set-user-ID executables apply to a process traced
// synchronously: no engine can make such an execve gain privileges the
// kernel would not grant. A copy of id(1), set-user-ID root, run as nobody
// with no_new_privs under a synchronous engine, stays nobody; run without
// no_new_privs under the same (privileged) tracer it becomes root, as the
// kernel allows a privileged tracer.
func TestSetuidExecUnderTracing(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not installed")
	}
	// Not t.TempDir: nobody must be able to reach the file.
	dir, err := os.MkdirTemp("", "setuid")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	id := filepath.Join(dir, "id")
	b, err := os.ReadFile("/usr/bin/id")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(id, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(id, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	// Does this filesystem honour set-user-ID at all?
	plain, _ := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", id, "-u").Output()
	if strings.TrimSpace(string(plain)) != "0" {
		t.Skipf("set-user-ID not honoured here (nosuid?): id -u = %q", plain)
	}
	for _, c := range []struct {
		nnp  bool
		want string
	}{{true, "65534"}, {false, "0"}} {
		args := []string{"run", "-e", "signals:rules=SIGUSR2=ignore", "-e", "proctree", "-o", "/dev/null", "--",
			"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
		if c.nnp {
			args = append(args, "--no-new-privs")
		}
		out, err := exec.Command(bin, append(args, id, "-u")...).Output()
		if err != nil {
			t.Fatalf("nnp=%v: %v %s", c.nnp, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("no_new_privs=%v: euid after the set-user-ID exec %q, want %q", c.nnp, got, c.want)
		}
	}
}
