// Package testenv is what the end-to-end, reliability and stopper tests
// share: the privilege rule, building the utrace-bpf binary, a tracer wired
// to both real backends, and reading /proc.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// NeedRoot skips a test that needs root (BPF, ptrace) when not root, but
// only outside CI: in CI a missing privilege is a failure.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "" {
			t.Skip("needs root (BPF and ptrace)")
		}
		t.Fatal("needs root (BPF and ptrace), and CI is set")
	}
}

// BuildUtrace builds cmd/utrace-bpf into dir and returns its path. root is
// the repository root relative to the calling test's directory.
func BuildUtrace(dir, root string) (string, error) {
	bin := filepath.Join(dir, "utrace-bpf")
	out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd/utrace-bpf")).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building utrace-bpf: %v\n%s", err, out)
	}
	return bin, nil
}

// Backends returns a tracer wired to both real backends, started, and
// closed at the end of the test.
func Backends(t testing.TB, opts *loader.Options) (*core.Tracer, *loader.Loader, *stopper.Stopper) {
	t.Helper()
	NeedRoot(t)
	ldr, err := loader.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	stp := stopper.New()
	tr := core.NewTracer(core.Config{Source: ldr, Stopper: stp})
	if ts, ok := any(ldr).(core.TriggerSource); ok {
		stp.UseTriggers(ts)
	}
	stp.Start(tr)
	if err := ldr.Start(func(ev *core.Event) { tr.Deliver(ev) }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stp.Close()
		ldr.Close()
	})
	return tr, ldr, stp
}

// WaitTraced waits for a program the test started and a stopper traces.
// exec.Cmd.Wait would take a ptrace stop's status for the exit (any wait in
// the tracer's process sees its tracees' stops), so it first waits on a
// pidfd, which becomes readable only at exit.
func WaitTraced(t testing.TB, p *progs.Proc) {
	t.Helper()
	fd, err := unix.PidfdOpen(p.Pid, 0)
	if err == nil {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(fds, 30000)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n == 0 {
				t.Fatalf("pid %d did not exit: %v", p.Pid, err)
			}
			break
		}
		unix.Close(fd)
	}
	p.Wait(t)
}

// StatusField reads one field of /proc/PID/status ("" if there is none).
func StatusField(pid int, field string) string {
	s, _ := procfs.Process(pid).Status()
	v, _ := s.Field(field)
	return v
}

// State is the one-letter state in /proc/PID/stat ("" if gone).
func State(pid int) string {
	s, err := procfs.Process(pid).Stat()
	if err != nil {
		return ""
	}
	return string(s.State)
}
