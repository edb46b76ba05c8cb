package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// inspect with then=stop at a SIGSEGV leaves the process stopped and
// detached, in run and attach alike: real gdb attaches with gdb -p and
// prints the backtrace of the faulting function, and the process, once
// continued, dies of the SIGSEGV it would have died of untraced (139).
func TestInspectThenStopForGDB(t *testing.T) {
	needGDB(t)
	prog := buildDebug(t, "crash")
	const engine = "inspect:signal=SIGSEGV,then=stop"

	runStopped := func(t *testing.T, engine, frame string) {
		cmd := exec.Command(bin, "run", "-e", engine, "-o", "/dev/null", "--", prog, "segv")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		errb := &syncBuffer{}
		cmd.Stderr = errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatalf("reading the program's pid: %v\n%s", err, errb.String())
		}
		pid := readPid(t, line)
		stdin.Write([]byte{'g'})
		gdbBacktrace(t, pid, frame)
		syscall.Kill(pid, syscall.SIGCONT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("run did not end after SIGCONT\n%s", errb.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 139 {
			t.Errorf("run exited %d, want 139 (SIGSEGV)\n%s", code, errb.String())
		}
	}
	t.Run("run", func(t *testing.T) { runStopped(t, engine, "crash_here") })
	// At a system call, in a program run launches: no seccomp filter is
	// left behind to fail its calls once gdb has it.
	t.Run("run-syscall", func(t *testing.T) { runStopped(t, "inspect:syscall=write,then=stop", "main") })

	t.Run("attach", func(t *testing.T) {
		p := progs.Start(t, nil, prog, "segv")
		pid := readPid(t, p.ReadLine(t))
		_, errb := attachSync(t, pid, engine)
		p.Go(t)
		gdbBacktrace(t, pid, "crash_here")
		syscall.Kill(pid, syscall.SIGCONT)
		ws := p.Wait(t)
		if !ws.Signaled() || ws.Signal() != syscall.SIGSEGV {
			t.Errorf("wait status %#x, want killed by SIGSEGV\n%s", ws, errb.String())
		}
	})
}

// inspect at a SIGSEGV of an attached process, resuming: the process dies
// of the SIGSEGV (the faulting instruction does not run again forever).
func TestInspectSegvAttached(t *testing.T) {
	needRoot(t)
	p := progs.Start(t, nil, progs.Build(t, "crash"), "segv")
	pid := readPid(t, p.ReadLine(t))
	tracer, errb := attachSync(t, pid, "inspect:signal=SIGSEGV")
	p.Go(t)
	done := make(chan syscall.WaitStatus, 1)
	go func() { done <- p.Wait(t) }()
	select {
	case ws := <-done:
		if !ws.Signaled() || ws.Signal() != syscall.SIGSEGV {
			t.Errorf("wait status %#x, want killed by SIGSEGV\n%s", ws, errb.String())
		}
	case <-time.After(30 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the program did not die of its SIGSEGV\n%s", errb.String())
	}
	tracer.Process.Signal(syscall.SIGINT) // the log is complete once it ends
	tracer.Wait()
	if !strings.Contains(errb.String(), "inspect at signal") {
		t.Errorf("inspect did not fire:\n%s", errb.String())
	}
}

// readPid parses crash's "pid N" line.
func readPid(t *testing.T, line string) int {
	t.Helper()
	var pid int
	if _, err := fmt.Sscanf(line, "pid %d", &pid); err != nil {
		t.Fatalf("want the program's pid line, got %q (%v)", line, err)
	}
	return pid
}

// gdbBacktrace waits until pid is stopped with no tracer, runs gdb -p on
// it and checks that the backtrace goes through frame, and that the
// process is still stopped after gdb detached.
func gdbBacktrace(t *testing.T, pid int, frame string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !(strings.HasPrefix(statusFieldInt(pid, "State"), "T") && statusFieldInt(pid, "TracerPid") == "0") {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not left stopped and detached: State %q, TracerPid %q", pid,
				statusFieldInt(pid, "State"), statusFieldInt(pid, "TracerPid"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	out, err := exec.Command("gdb", "-p", fmt.Sprint(pid), "-batch", "-ex", "bt").CombinedOutput()
	if err != nil || !strings.Contains(string(out), " "+frame+" (") {
		t.Fatalf("gdb -p %d: %v; want a backtrace through %s:\n%s", pid, err, frame, out)
	}
	if st := statusFieldInt(pid, "State"); !strings.HasPrefix(st, "T") {
		t.Errorf("after gdb detached: State %q, want still stopped", st)
	}
}
