package stopper_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// A register write the kernel refuses reaches the engine that made it as
// an error, and changes nothing: the registers read back as they were and
// the thread goes on to make its call.
func TestRegisterWriteRefused(t *testing.T) {
	tr, _ := newTracer(t)
	path := filepath.Join(t.TempDir(), "probe-file")
	p := start(t, "open", path)
	p.expect("ready")
	var mu sync.Mutex
	var writeErr error
	var before, after []core.NamedRegister
	eng := &syscallEngine{entry: func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr != unix.SYS_OPENAT {
			return core.Resume
		}
		err := e.Examine(func(s core.Stopped) error {
			regs, err := s.Registers()
			if err != nil {
				return err
			}
			orig := regs.Named()
			badRegister(regs)
			werr := s.SetRegisters(regs)
			again, err := s.Registers()
			if err != nil {
				return err
			}
			mu.Lock()
			writeErr, before, after = werr, orig, again.Named()
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Errorf("examine: %v", err)
		}
		return core.Resume
	}}
	runOpen(t, tr, p, eng)
	mu.Lock()
	defer mu.Unlock()
	if !errors.Is(writeErr, refusedErrno) {
		t.Errorf("refused register write returned %v, want %v", writeErr, refusedErrno)
	}
	if before == nil || len(before) != len(after) {
		t.Fatalf("registers before %v, after %v", before, after)
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("refused write changed %s: %#x, now %#x", before[i].Name, before[i].Value, after[i].Value)
		}
	}
}
