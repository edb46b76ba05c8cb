package stopper_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// forkExits asks for syscall exits at a fork's CLONE report, and records
// the exits' numbers.
type forkExits struct {
	mu  sync.Mutex
	nrs []int
}

func (f *forkExits) ReportClone(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	e.SetEvents(core.EventClone | core.EventSyscallExit)
	e.SetSync(core.EventClone | core.EventSyscallExit)
	return core.Resume
}

func (f *forkExits) ReportSyscallExit(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	f.mu.Lock()
	f.nrs = append(f.nrs, ev.Syscall.Nr)
	f.mu.Unlock()
	return core.Resume
}

// A thread asked for syscall exits in the middle of a call (at its fork's
// event stop) reports that call's exit with the call's number, read from
// the registers: its entry was never seen.
func TestSyscallExitWithoutEntry(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "fork-exec")
	p.expect("ready")
	f := &forkExits{}
	attach(t, tr, p.pid, f, core.EventClone, core.EventClone)
	p.proceed()
	if l := p.line(); !strings.HasPrefix(l, "child status=0") {
		t.Errorf("program: %q", l)
	}
	p.exit()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.nrs) == 0 || f.nrs[0] != unix.SYS_CLONE && f.nrs[0] != unix.SYS_CLONE3 {
		t.Errorf("exits of %v, want clone's (%d or %d) first", f.nrs, unix.SYS_CLONE, unix.SYS_CLONE3)
	}
}
