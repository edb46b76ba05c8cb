// Package progs builds and runs the small C programs in its c/ directory,
// which tests and benchmarks trace. Every program first waits for a byte
// on its standard input (see c/progs.h), so that a test can set up a watch
// on the process before it runs the code under test. (The sources live in
// c/ because the go tool refuses C files in a package without cgo.)
package progs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// Dir is the directory holding the C sources.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "c")
}

// PrebuiltEnv names the environment variable that, when set, holds the
// directory of prebuilt programs: BuildIn and Build then return
// $UTRACE_PROGS_DIR/name instead of compiling, and fail if it is missing.
// It serves machines without gcc, such as the kernel matrix's VMs
// (test/kernels), which build every c/*.c ahead of time with gcc -static
// and the flags of BuildIn.
const PrebuiltEnv = "UTRACE_PROGS_DIR"

// BuildIn compiles name.c into dir with gcc and returns the binary's path
// (or returns the prebuilt one: see PrebuiltEnv).
func BuildIn(dir, name string) (string, error) {
	if pre := os.Getenv(PrebuiltEnv); pre != "" {
		path := filepath.Join(pre, name)
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("prebuilt program %s (%s is set): %w", name, PrebuiltEnv, err)
		}
		return path, nil
	}
	src := filepath.Join(Dir(), name+".c")
	out := filepath.Join(dir, name)
	cmd := exec.Command("gcc", "-O2", "-Wall", "-Werror", "-pthread", "-o", out, src)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %v\n%s", src, err, msg)
	}
	return out, nil
}

// Build compiles name.c into a temporary directory of t and returns the
// binary's path (or returns the prebuilt one: see PrebuiltEnv).
func Build(t testing.TB, name string) string {
	t.Helper()
	path, err := BuildIn(t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Proc is a started test program, waiting for its go byte.
type Proc struct {
	Cmd   *exec.Cmd
	Pid   int
	stdin io.WriteCloser
	out   *bufio.Reader
}

// Start starts the program at path with args and returns it blocked before
// its workload. The process is killed at the end of the test if still
// running. attr, if not nil, is used as its SysProcAttr.
func Start(t testing.TB, attr *syscall.SysProcAttr, path string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(path, args...)}
	p.Cmd.Stderr = os.Stderr
	p.Cmd.SysProcAttr = attr
	stdout, err := p.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(stdout)
	if p.stdin, err = p.Cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	p.Pid = p.Cmd.Process.Pid
	t.Cleanup(func() {
		if p.Cmd.ProcessState == nil {
			p.Cmd.Process.Kill()
			p.Cmd.Wait()
		}
	})
	p.waitBlocked(t)
	return p
}

// waitBlocked waits until the program's main thread blocks reading its
// standard input: then it has finished starting up (the dynamic loader's
// system calls are behind it) and waits for its go byte.
func (p *Proc) waitBlocked(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	dir := procfs.Process(p.Pid)
	for {
		sc, err := dir.Syscall()
		if err == nil && sc.Reads(0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not block reading stdin (%+v, %v)", p.Pid, sc, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// Go lets the program run its workload.
func (p *Proc) Go(t testing.TB) {
	t.Helper()
	if _, err := p.stdin.Write([]byte{'g'}); err != nil {
		t.Fatalf("releasing pid %d: %v", p.Pid, err)
	}
}

// ReadLine reads a line the program wrote on its standard output.
func (p *Proc) ReadLine(t testing.TB) string {
	t.Helper()
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := p.out.ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("reading output of pid %d: %v", p.Pid, r.err)
		}
		return strings.TrimSuffix(r.line, "\n")
	case <-time.After(lineTimeout):
		// A program that says nothing for this long is stuck: say how its
		// threads are, rather than hang the test binary until its timeout.
		t.Fatalf("pid %d said nothing for %v; its threads: %s", p.Pid, lineTimeout, threadStates(p.Pid))
		return ""
	}
}

// lineTimeout bounds the wait for a test program's next line.
const lineTimeout = 60 * time.Second

// threadStates lists the state and tracer of each thread of pid.
func threadStates(pid int) string {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range ents {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, e.Name()))
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "[%s", e.Name())
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "State:") || strings.HasPrefix(l, "TracerPid:") {
				fmt.Fprintf(&b, " %s", strings.Join(strings.Fields(l), " "))
			}
		}
		b.WriteString("] ")
	}
	return b.String()
}

// CloseStdin closes the program's standard input, which ends programs
// that wait for EOF.
func (p *Proc) CloseStdin() error { return p.stdin.Close() }

// WaitExited waits until the program has exited without reaping it: it
// stays a zombie, with its kernel state (BPF task storage included), until
// Wait.
func (p *Proc) WaitExited(t testing.TB) {
	t.Helper()
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("waitid %d: %v", p.Pid, err)
		}
		return
	}
}

// Wait waits for the program to exit (reaping it) and returns its wait
// status.
func (p *Proc) Wait(t testing.TB) syscall.WaitStatus {
	t.Helper()
	p.stdin.Close()
	err := p.Cmd.Wait()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("waiting for pid %d: %v", p.Pid, err)
	}
	return p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
}
