package stopper_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// A thread asked for syscall exits while it waits inside a call reports
// that call's exit with the call's number, read from the registers: its
// entry was never seen. (Seizing the thread interrupts its sleep, which
// the kernel goes on with as restart_syscall.)
func TestSyscallExitWithoutEntry(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "sleep", "1")
	p.expect("ready")
	p.proceed()
	eventually(t, "the program sleeps", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", p.pid))
		return strings.HasPrefix(string(b), fmt.Sprintf("%d ", unix.SYS_CLOCK_NANOSLEEP))
	})
	var mu sync.Mutex
	var nrs []int
	eng := &syscallEngine{exit: func(e *core.Engine, ev *core.Event) core.Action {
		mu.Lock()
		nrs = append(nrs, ev.Syscall.Nr)
		mu.Unlock()
		return core.Resume
	}}
	attach(t, tr, p.pid, eng, core.EventSyscallExit, core.EventSyscallExit)
	if l := p.line(); l != "done" {
		t.Errorf("program: %q", l)
	}
	p.exit()
	mu.Lock()
	defer mu.Unlock()
	if len(nrs) == 0 || nrs[0] != unix.SYS_CLOCK_NANOSLEEP && nrs[0] != unix.SYS_RESTART_SYSCALL {
		t.Errorf("exits of %v, want clock_nanosleep (%d) or restart_syscall (%d) first",
			nrs, unix.SYS_CLOCK_NANOSLEEP, unix.SYS_RESTART_SYSCALL)
	}
}
