package reliability

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/testenv"
)

// target is a load program started by the test, waiting for its go byte.
type target struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startTarget(t *testing.T, args ...string) *target {
	t.Helper()
	cmd := exec.Command(loadBin, args...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &target{cmd, stdin, bufio.NewReader(stdout)}
}

func (g *target) pid() string { return itoa(g.cmd.Process.Pid) }

// finish lets it run and returns its output and exit error.
func (g *target) finish(t *testing.T) (string, error) {
	t.Helper()
	g.stdin.Write([]byte("g"))
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		io.Copy(&out, g.out)
		done <- g.cmd.Wait()
	}()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(60 * time.Second):
		t.Fatal("traced program did not finish")
		return "", nil
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// startTracer runs utrace-bpf with args and waits until it has attached
// (its status socket lists the pid).
func startTracer(t *testing.T, pid string, args ...string) *exec.Cmd {
	t.Helper()
	tr := exec.Command(bin, args...)
	tr.Stderr = io.Discard
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Process.Kill(); tr.Wait() })
	sock := filepath.Join("/run/utrace-bpf", itoa(tr.Process.Pid)+".sock")
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(sock); err == nil {
			out, _ := exec.Command(bin, "status", "--json").Output()
			if strings.Contains(string(out), `"tid":`+pid+`,`) {
				return tr
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("utrace-bpf %v never attached to %s", args, pid)
	return nil
}

// kill -9 of utrace-bpf while it traces an attached process passively,
// synchronously, or while an engine holds it stopped: the process runs to
// completion with the right output.
func TestTracerKilled(t *testing.T) {
	needRoot(t)
	cases := []struct {
		name   string
		engine string
		want   string
	}{
		{"passive", "syscalls", "usr1=1000 usr2=1000"},
		{"synchronous", "signals:rules=SIGUSR1=ignore,log=false", "usr1="},
		// SIGUSR1 held for a minute: the tracer dies while holding the
		// thread, and the pushed-back signal is still delivered.
		{"holding", "signals:rules=SIGUSR1=hold,hold=60s", "usr1="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := startTarget(t, "raise", "1000")
			tr := startTracer(t, g.pid(), "attach", "-p", g.pid(), "-e", c.engine, "-o", "/dev/null")
			result := make(chan string, 1)
			go func() {
				out, err := g.finish(t)
				if err != nil {
					out += " error: " + err.Error()
				}
				result <- out
			}()
			time.Sleep(100 * time.Millisecond)
			if c.name == "holding" {
				select {
				case out := <-result:
					t.Fatalf("program finished while held: %q", out)
				default:
				}
				if st := procState(g.pid()); st != "t" {
					t.Errorf("held program in state %q, want t", st)
				}
			}
			tr.Process.Signal(syscall.SIGKILL)
			tr.Wait()
			out := <-result
			if !strings.Contains(out, c.want) || !strings.Contains(out, "done") {
				t.Errorf("program after the tracer's death: %q", out)
			}
			if c.name == "passive" && !strings.Contains(out, "usr1=1000 usr2=1000") {
				t.Errorf("signals lost: %q", out)
			}
		})
	}
}

// kill -9 of utrace-bpf run: the launched program is not killed with it;
// it runs to completion (ptrace detaches, the BPF programs go with their
// file descriptors). This is the chosen, documented behaviour.
func TestRunTracerKilled(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	mark, started := filepath.Join(dir, "done"), filepath.Join(dir, "started")
	run := exec.Command(bin, "run", "-e", "syscalls", "-e", "signals:rules=SIGUSR2=ignore", "-o", "/dev/null", "--",
		"sh", "-c", "touch "+started+"; sleep 0.5; echo finished > "+mark)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(started); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	run.Process.Signal(syscall.SIGKILL)
	run.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(mark); err == nil && string(b) == "finished\n" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("the launched program did not finish after utrace-bpf was killed")
}

// A program run under the seccomp filter (a synchronous syscall engine)
// dies with a killed utrace-bpf, as under strace --seccomp-bpf: without a
// tracer, every call the filter lists would fail with ENOSYS, and the
// program would run on broken (here a shell loop whose sleeps can no
// longer load their libraries).
func TestRunTracerKilledUnderSeccomp(t *testing.T) {
	needRoot(t)
	started := filepath.Join(t.TempDir(), "started")
	run := exec.Command(bin, "run", "-e", "inject:syscall=openat,path=/nonexistent-prefix,error=ENOENT", "--",
		"sh", "-c", "echo $$ > "+started+"; while :; do sleep 0.1; done")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for i := 0; i < 500 && pid == 0; i++ {
		b, _ := os.ReadFile(started)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the program did not start")
	}
	run.Process.Signal(syscall.SIGKILL)
	run.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := procState(strconv.Itoa(pid)); s == "" || s == "Z" || s == "X" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Error("the launched program ran on after utrace-bpf was killed, under a filter with no tracer")
}

func procState(pid string) string {
	n, _ := strconv.Atoi(pid)
	return testenv.State(n)
}

// kill -9 of utrace-bpf run with each synchronous engine in turn: the
// program never sees an ENOSYS it did not cause. Under the seccomp filter
// (inject: chosen system calls stop) it is killed with the tracer; with
// engines that need no filter (signals rules, which stop at signals;
// gdbremote, which stops where gdb asks) it runs on to completion,
// untraced, every call working. The program is a shell loop that opens a
// file each round and records any failure.
func TestRunTracerKilledEachSyncEngine(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		name, engine string
		killed       bool // the documented fate: killed with the tracer, or runs on
	}{
		{"inject", "inject:syscall=openat,path=/nonexistent-prefix,error=ENOENT", true},
		{"signals", "signals:rules=SIGUSR2=ignore", false},
		{"gdbremote", "gdbremote:listen=unix:SOCK,hold=false", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			started, errs, mark := filepath.Join(dir, "started"), filepath.Join(dir, "errs"), filepath.Join(dir, "done")
			engine := strings.ReplaceAll(c.engine, "SOCK", filepath.Join(dir, "gdb.sock"))
			script := "echo $$ > " + started + "; i=0; while [ $i -lt 30 ]; do " +
				"cat /etc/hostname > /dev/null 2>> " + errs + " || echo failed >> " + errs + "; " +
				"sleep 0.05; i=$((i+1)); done; echo finished > " + mark
			run := exec.Command(bin, "run", "-e", engine, "-o", "/dev/null", "--", "sh", "-c", script)
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			var pid int
			for i := 0; i < 500 && pid == 0; i++ {
				b, _ := os.ReadFile(started)
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				time.Sleep(10 * time.Millisecond)
			}
			if pid == 0 {
				run.Process.Kill()
				run.Wait()
				t.Fatal("the program did not start")
			}
			time.Sleep(200 * time.Millisecond) // a few rounds traced
			run.Process.Signal(syscall.SIGKILL)
			run.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for {
				s := procState(strconv.Itoa(pid))
				if s == "" || s == "Z" || s == "X" {
					break
				}
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("the program (state %q) neither finished nor died", s)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_, err := os.Stat(mark)
			if finished := err == nil; finished == c.killed {
				t.Errorf("program finished: %v; documented: killed with the tracer %v", finished, c.killed)
			}
			if b, _ := os.ReadFile(errs); len(b) != 0 {
				t.Errorf("the program saw failures it did not cause:\n%s", b)
			}
		})
	}
}
