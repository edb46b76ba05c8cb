package stopper_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"golang.org/x/sys/unix"
)

// launched starts stopee through Stopper.Launch with pipes for its
// standard input and output.
func launched(t *testing.T, stp *stopper.Stopper, set *core.SyscallSet, args ...string) (*stopper.Process, *os.File, *bufio.Reader) {
	t.Helper()
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	p, err := stp.Launch(append([]string{stopee(t)}, args...), stopper.LaunchOptions{
		Syscalls: set, Stdin: inR, Stdout: outW, Stderr: os.Stderr})
	inR.Close()
	outW.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inW.Close(); outR.Close() })
	return p, inW, bufio.NewReader(outR)
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	l, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (%q)", err, l)
	}
	return l[:len(l)-1]
}

// A launched program under the seccomp filter stops only for the calls
// engines asked for: unlink is aborted with EPERM at its seccomp stop,
// getpid's result rewritten at the exit stop that follows, and no other
// system call is reported.
func TestLaunchWithSeccompFilter(t *testing.T) {
	for _, mode := range []string{"unlink", "getpid"} {
		t.Run(mode, func(t *testing.T) {
			tr, stp := newTracer(t)
			path := filepath.Join(t.TempDir(), "keep")
			os.WriteFile(path, nil, 0o644)
			var set core.SyscallSet
			set.Add(sysUnlink)
			set.Add(unix.SYS_GETPID)
			p, in, out := launched(t, stp, &set, mode, path)
			var mu sync.Mutex
			var seen []string
			eng := &syscallEngine{
				entry: func(e *core.Engine, ev *core.Event) core.Action {
					mu.Lock()
					seen = append(seen, fmt.Sprintf("entry %d", ev.Syscall.Nr))
					mu.Unlock()
					if ev.Syscall.Nr == sysUnlink {
						ev.Syscall.Ret = -int64(unix.EPERM)
						return core.Resume | core.SyscallAbort
					}
					return core.Resume
				},
				exit: func(e *core.Engine, ev *core.Event) core.Action {
					mu.Lock()
					seen = append(seen, fmt.Sprintf("exit %d", ev.Syscall.Nr))
					mu.Unlock()
					if ev.Syscall.Nr == unix.SYS_GETPID {
						ev.Syscall.Ret = 4242
					}
					return core.Resume
				},
			}
			attach(t, tr, p.Pid, eng, core.EventSyscall, core.EventSyscall)
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			if l := readLine(t, out); l[:5] != "ready" {
				t.Fatalf("program: %q", l)
			}
			in.Write([]byte{'\n'})
			want := map[string]string{"unlink": "unlink=-1 errno=1", "getpid": "getpid=4242"}[mode]
			if l := readLine(t, out); l != want {
				t.Errorf("program: %q, want %q", l, want)
			}
			ws, err := p.Wait()
			if err != nil || !ws.Exited() || ws.ExitStatus() != 0 {
				t.Errorf("wait: %v %v", ws, err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("file: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			// The "ready" line calls getpid first.
			nr := map[string]int{"unlink": sysUnlink, "getpid": unix.SYS_GETPID}[mode]
			// The skipped unlink's exit has number -1, as core.Syscall
			// says of a call a tracer skipped.
			exitNr := map[string]int{"unlink": -1, "getpid": unix.SYS_GETPID}[mode]
			if exp := fmt.Sprintf("[entry %d exit %d entry %d exit %d]", unix.SYS_GETPID, unix.SYS_GETPID, nr, exitNr); fmt.Sprint(seen) != exp {
				t.Errorf("reports %v, want %s", seen, exp)
			}
		})
	}
}

// Without a filter, a launched program is traced like an attached one and
// its exit status comes back through Wait.
func TestLaunchExitStatus(t *testing.T) {
	tr, stp := newTracer(t)
	p, in, out := launched(t, stp, nil, "raise-usr1")
	attach(t, tr, p.Pid, &signalEngine{rule: func(*core.Engine, *core.Event, int) core.Action {
		return core.Resume | core.SignalDeliver
	}}, core.EventSignalAll, core.EventSignalAll)
	p.Start()
	readLine(t, out)
	in.Write([]byte{'\n'})
	ws, err := p.Wait()
	if err != nil || !ws.Signaled() || ws.Signal() != unix.SIGUSR1 {
		t.Errorf("wait: %v %v, want killed by SIGUSR1", ws, err)
	}
}

// The launcher's handshake leaves nothing behind in the filter: the
// program's own read, write and close of descriptors 3 and 4, the ones
// the handshake used, stop like any other listed call.
func TestLaunchFilterHasNoHandshakeHoles(t *testing.T) {
	tr, stp := newTracer(t)
	var set core.SyscallSet
	set.Add(unix.SYS_CLOSE)
	p, err := stp.Launch([]string{"/bin/sh", "-c", "exec 3</dev/null 4</dev/null; exec 3<&- 4<&-"},
		stopper.LaunchOptions{Syscalls: &set, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	closed := map[uint64]bool{}
	eng := &syscallEngine{entry: func(e *core.Engine, ev *core.Event) core.Action {
		mu.Lock()
		closed[ev.Syscall.Args[0]] = true
		mu.Unlock()
		return core.Resume
	}}
	attach(t, tr, p.Pid, eng, core.EventSyscall, core.EventSyscall)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if ws, err := p.Wait(); err != nil || !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("wait: %v %v", ws, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !closed[3] || !closed[4] {
		t.Errorf("close stops for descriptors %v; want 3 and 4 among them", closed)
	}
}

// Nothing of the launcher reaches the engines: with every system call
// stopping (no filter), the first call reported is the program's execve,
// not the launcher's handshake (its write, read and close calls).
func TestLaunchReportsFromExecve(t *testing.T) {
	tr, stp := newTracer(t)
	p, in, out := launched(t, stp, nil, "getpid")
	var mu sync.Mutex
	var seen []int
	eng := &syscallEngine{
		entry: func(e *core.Engine, ev *core.Event) core.Action {
			mu.Lock()
			seen = append(seen, ev.Syscall.Nr)
			mu.Unlock()
			return core.Resume
		},
		exit: func(*core.Engine, *core.Event) core.Action { return core.Resume },
	}
	attach(t, tr, p.Pid, eng, core.EventSyscallEntry, core.EventSyscallEntry)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	readLine(t, out) // ready
	in.Write([]byte{'\n'})
	readLine(t, out)
	in.Close()
	p.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != unix.SYS_EXECVE {
		t.Fatalf("system calls reported %v, want the program's from its execve (%d) on", seen, unix.SYS_EXECVE)
	}
}
