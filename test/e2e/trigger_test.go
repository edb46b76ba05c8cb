package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
)

// opens records the triggered openat reports, reading the path from the
// stopped thread's memory.
type opens struct {
	mu   sync.Mutex
	seen []string
}

func (o *opens) ReportSyscallExit(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if !ev.Triggered || !ev.Sync {
		return core.Resume
	}
	var path string
	err := e.Examine(func(s core.Stopped) error {
		buf := make([]byte, 64)
		n, _ := s.ReadMemory(uintptr(ev.Syscall.Args[1]), buf)
		path = string(buf[:max(0, bytes.IndexByte(buf[:n], 0))])
		return nil
	})
	o.mu.Lock()
	o.seen = append(o.seen, fmt.Sprintf("%d %s %s %v", ev.Syscall.Nr, ev.Syscall.Path, path, err))
	o.mu.Unlock()
	if ev.Syscall.Path == "/etc/hostname" {
		ev.Syscall.Ret = -int64(unix.EACCES) // the program sees the changed result
	}
	return core.Resume
}

// A BPF-triggered stop on openat in an attached process that also makes
// many getppid calls: every matching openat is reported synchronously (the
// thread's memory can be read, its result changed), the others and the
// getppid calls are not stopped at all.
func TestTriggeredStops(t *testing.T) {
	tr, ldr, _ := backends(t)
	p := progs.Start(t, nil, progs.Build(t, "opener"), "3", "100000", "/etc/hostname", "/etc/passwd")
	o := &opens{}
	e, err := tr.Attach(p.Pid, core.AttachCreate, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetTriggers([]core.Trigger{{Nr: unix.SYS_OPENAT, PathPrefix: "/etc/host"}}); err != nil {
		t.Fatal(err)
	}
	if tp := statusFieldInt(p.Pid, "TracerPid"); tp == "0" {
		t.Fatalf("a thread with triggers must be seized (TracerPid %s)", tp)
	}
	p.Go(t)
	var out []string
	for {
		l := p.ReadLine(t)
		if l == "done" {
			break
		}
		out = append(out, l)
	}
	waitTraced(t, p)
	// The triggered call ran (its fd stays open: the program, told it
	// failed, never closes it), so /etc/passwd gets a higher fd each time.
	want := regexp.MustCompile(`^/etc/hostname -13,/etc/passwd \d+,/etc/hostname -13,/etc/passwd \d+,/etc/hostname -13,/etc/passwd \d+$`)
	if !want.MatchString(strings.Join(out, ",")) {
		t.Errorf("program saw %q", out)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) != 3 {
		t.Fatalf("triggered reports %q, want 3", o.seen)
	}
	for _, s := range o.seen {
		if s != fmt.Sprintf("%d /etc/hostname /etc/hostname <nil>", unix.SYS_OPENAT) {
			t.Errorf("report %q", s)
		}
	}
	st, _ := ldr.Stats()
	if st.Triggers.Fired != 3 || st.Triggers.Taken != 3 {
		t.Errorf("trigger stats %+v", st.Triggers)
	}
}

func statusFieldInt(pid int, field string) string {
	return statusField(fmt.Sprint(pid), field)
}

// inject with after=true in attach mode: only the matching openat stops
// (through a kernel trigger), and the program sees the injected error.
func TestInjectAfterAttached(t *testing.T) {
	needRoot(t)
	p := progs.Start(t, nil, progs.Build(t, "opener"), "2", "1000", "/etc/hostname", "/etc/passwd")
	tracer, errb := attachSync(t, p.Pid, "inject:syscall=openat,path=/etc/hostname,error=ENOENT,after=true")
	p.Go(t)
	var out []string
	for l := p.ReadLine(t); l != "done"; l = p.ReadLine(t) {
		out = append(out, l)
	}
	waitTraced(t, p)
	tracer.Process.Signal(os.Interrupt)
	tracer.Wait()
	if len(out) != 4 || out[0] != "/etc/hostname -2" || out[2] != "/etc/hostname -2" || !strings.HasPrefix(out[1], "/etc/passwd ") {
		t.Errorf("program saw %q", out)
	}
	if !strings.Contains(errb.String(), "inject: 2 matching calls, 2 injected") {
		t.Errorf("summary: %s", errb.String())
	}
}

// inspect with then=stop leaves the process stopped and detached, so a
// debugger can take over: state T, no tracer; SIGCONT lets it go on.
func TestInspectLeavesStoppedForDebugger(t *testing.T) {
	needRoot(t)
	p := progs.Start(t, nil, progs.Build(t, "opener"), "1", "10", "/etc/hostname")
	tracer, errb := attachSync(t, p.Pid, "inspect:syscall=openat,path=/etc/hostname,then=stop")
	p.Go(t)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !(testenv.State(p.Pid) == "T" && statusFieldInt(p.Pid, "TracerPid") == "0") {
		time.Sleep(10 * time.Millisecond)
	}
	if st, tp := testenv.State(p.Pid), statusFieldInt(p.Pid, "TracerPid"); st != "T" || tp != "0" {
		t.Fatalf("state %s, TracerPid %s; want a stopped, untraced process\n%s", st, tp, errb.String())
	}
	out, _ := exec.Command("timeout", "-s", "INT", "0.5", "strace", "-p", fmt.Sprint(p.Pid)).CombinedOutput()
	if !strings.Contains(string(out), "attached") {
		t.Errorf("a debugger could not attach: %s", out)
	}
	syscall.Kill(p.Pid, syscall.SIGCONT)
	if l := p.ReadLine(t); !strings.HasPrefix(l, "/etc/hostname ") {
		t.Errorf("program: %q", l)
	}
	tracer.Process.Signal(os.Interrupt)
	tracer.Wait()
	if !strings.Contains(errb.String(), "left stopped for a debugger: gdb -p") {
		t.Errorf("inspect output: %s", errb.String())
	}
}

// attachSync runs utrace-bpf attach with one engine that needs the
// synchronous tier, and returns once it says the process is attached (every
// engine set up; the stopper seized it early on, which is not enough: the
// program could run before the last engine is ready). The tracer is killed
// at the end of the test if still running.
func attachSync(t *testing.T, pid int, engine string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	tracer := exec.Command(bin, "attach", "-p", fmt.Sprint(pid), "-e", engine)
	errb := &syncBuffer{}
	tracer.Stderr = errb
	if err := tracer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tracer.Process.Kill(); tracer.Wait() })
	attached := fmt.Sprintf("process %d attached", pid)
	for i := 0; i < 1000 && !strings.Contains(errb.String(), attached); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if statusFieldInt(pid, "TracerPid") == "0" {
		t.Fatalf("not seized after attach: %s", errb.String())
	}
	return tracer, errb
}
