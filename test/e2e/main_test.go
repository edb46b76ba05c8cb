// Package e2e tests the utrace-bpf command end to end: the real binary,
// real BPF programs, real ptrace, real processes.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/testenv"
)

var bin string // the utrace-bpf binary under test

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "utrace-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bin, err = testenv.BuildUtrace(dir, "../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needRoot(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t)
}

// result is what a utrace-bpf run printed and how it ended.
type result struct {
	stdout, stderr string
	code           int
}

// run runs utrace-bpf with args, feeding stdin, within a minute.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	stdout, stderr := runWithin(t, cmd)
	return result{stdout, stderr, cmd.ProcessState.ExitCode()}
}

// runWithin runs cmd, its output captured, and fails the test if it has
// not ended within a minute.
func runWithin(t *testing.T, cmd *exec.Cmd) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %q: timed out\nstderr:\n%s", cmd.Path, cmd.Args[1:], errb.String())
	}
	return out.String(), errb.String()
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}
