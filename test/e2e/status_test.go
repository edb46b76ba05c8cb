package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// status run by another user than root says that it needs root, while a
// root instance runs, instead of saying that none does.
func TestStatusAsNonRootNeedsRoot(t *testing.T) {
	needRoot(t)
	waiter := progs.Build(t, "waiter")
	inst := exec.Command(bin, "run", "-e", "counter", "--", waiter, "1")
	stdin, _ := inst.StdinPipe()
	var errb bytes.Buffer
	inst.Stderr = &errb
	if err := inst.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		inst.Process.Signal(syscall.SIGTERM)
		stdin.Close()
		inst.Wait()
	}()
	listed := func() bool {
		out, _ := exec.Command(bin, "status", "--json").Output()
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var st struct {
				Pid int `json:"pid"`
			}
			if dec.Decode(&st) != nil {
				return false
			}
			if st.Pid == inst.Process.Pid {
				return true
			}
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !listed(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("root's status does not list the running instance %d\n%s", inst.Process.Pid, errb.String())
		}
	}

	// A copy of the binary that user nobody may run.
	dir, err := os.MkdirTemp("", "utrace-status")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	nbin := filepath.Join(dir, "utrace-bpf")
	if err := os.WriteFile(nbin, b, 0o755); err != nil || os.Chmod(dir, 0o755) != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"status", "--json"}} {
		var cmd *exec.Cmd
		if setpriv, err := exec.LookPath("setpriv"); err == nil {
			cmd = exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", nbin}, args...)...)
		} else {
			cmd = exec.Command("su", "nobody", "-s", "/bin/sh", "-c", nbin+" "+strings.Join(args, " "))
		}
		stdout, stderr := runWithin(t, cmd)
		code := cmd.ProcessState.ExitCode()
		if code != 2 || !strings.Contains(stderr, "needs root") || !strings.Contains(stderr, "sudo utrace-bpf status") ||
			strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stdout != "" {
			t.Errorf("%q as nobody: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
	}
}
