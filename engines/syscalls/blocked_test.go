package syscalls

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

// lockedBuffer is an output's writer that a test may read meanwhile.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the log has want, flushing it.
func waitFor(t *testing.T, out *pipeline.Output, log *lockedBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after 2s:\n%s", want, log.String())
		}
		time.Sleep(10 * time.Millisecond)
		out.Flush()
	}
}

// A real process blocked in read(0) when the engine attaches is shown in
// it at once; the call's exit prints the resumed line; blocked again for
// a while, it is shown again by the engine's looks. (The exit is a report
// made here: the kernel side is not loaded.)
func TestBlockedCallShown(t *testing.T) {
	cat := exec.Command("cat")
	stdin, err := cat.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cat.Wait() })
	pid := cat.Process.Pid
	var c blockedCall
	for deadline := time.Now().Add(5 * time.Second); ; {
		var ok bool
		if c, ok = currentCall(pid, pid); ok && c.nr == unix.SYS_READ {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
			t.Fatalf("cat does not block in read: %q", b)
		}
		time.Sleep(time.Millisecond)
	}

	typ, err := pipeline.Lookup("syscalls")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := typ.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	out := pipeline.NewOutput(&log, nil, false)
	t.Cleanup(func() { out.Close() })
	stage, err := typ.New("syscalls", opts, out)
	if err != nil {
		t.Fatal(err)
	}
	tr := core.NewTracer(core.Config{Lookup: func(int) (core.ThreadInfo, error) { return core.ThreadInfo{Tgid: pid}, nil }})
	if err := stage.Attach(tr, pid, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, out, &log, "read(0,  <unfinished ...>\n")

	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	tr.Deliver(&core.Event{Type: core.EventSyscallExit, Tid: pid, Tgid: pid, Time: uint64(ts.Nano()),
		Syscall: core.Syscall{Nr: unix.SYS_READ, Args: c.args, Ret: 6}})
	resumed := "<... read resumed>0x" + strconv.FormatUint(c.args[1], 16) + ", " + strconv.FormatUint(c.args[2], 10) + ")"
	waitFor(t, out, &log, resumed)
	if !strings.Contains(log.String(), fmt.Sprintf("%-39s = 6\n", resumed)) {
		t.Errorf("resumed line not as strace prints it:\n%s", log.String())
	}
	// cat is in its next read (the report said the last one returned):
	// two looks find it there.
	waitFor(t, out, &log, "read(0,  <unfinished ...>\n"+resumed)
	before := strings.Count(log.String(), "<unfinished ...>")
	deadline := time.Now().Add(2 * time.Second)
	for strings.Count(log.String(), "<unfinished ...>") == before {
		if time.Now().After(deadline) {
			t.Fatalf("the next blocked read is not shown:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
		out.Flush()
	}
	stage.Summary(&bytes.Buffer{})
}
