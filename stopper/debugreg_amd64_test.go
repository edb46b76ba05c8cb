package stopper_test

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// At a system call stop the thread's x87/SSE state (FXSAVE and XSAVE
// areas), its debug registers and its siginfo are reachable, and a debug
// register written reads back.
func TestRegsetsDebugRegistersSiginfo(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "open", filepath.Join(t.TempDir(), "none"))
	p.expect("ready")
	var mu sync.Mutex
	var errs []string
	fail := func(f string, err error) {
		mu.Lock()
		errs = append(errs, f+": "+err.Error())
		mu.Unlock()
	}
	eng := &syscallEngine{entry: func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr != unix.SYS_OPENAT {
			return core.Resume
		}
		err := e.Examine(func(s core.Stopped) error {
			fx := make([]byte, 512)
			n, err := s.Regset(core.NoteFPRegs, fx)
			if err != nil {
				return err
			}
			if n != 512 || binary.LittleEndian.Uint32(fx[24:]) == 0 {
				t.Errorf("FXSAVE area: %d bytes, mxcsr %#x", n, binary.LittleEndian.Uint32(fx[24:]))
			}
			xs := make([]byte, 1<<14)
			n, err = s.Regset(core.NoteXState, xs)
			if err != nil {
				return err
			}
			if xcr0 := binary.LittleEndian.Uint64(xs[464:]); n < 576 || xcr0&3 != 3 {
				t.Errorf("XSAVE area: %d bytes, xcr0 %#x", n, xcr0)
			}
			if err := s.SetRegset(core.NoteFPRegs, fx); err != nil {
				return err
			}
			r, err := s.Registers()
			if err != nil {
				return err
			}
			if err := s.SetDebugRegister(0, r.SP()); err != nil {
				return err
			}
			if v, err := s.DebugRegister(0); err != nil || v != r.SP() {
				t.Errorf("DR0 = %#x, %v; want %#x", v, err, r.SP())
			}
			if err := s.SetDebugRegister(0, 0); err != nil {
				return err
			}
			if err := s.SetDebugRegister(0, 1<<63); err == nil {
				t.Errorf("DR0 took a kernel address")
			}
			if _, err := s.DebugRegister(8); err == nil {
				t.Errorf("DR8 read")
			}
			si, err := s.Siginfo()
			if err != nil {
				return err
			}
			if signo := binary.LittleEndian.Uint32(si); len(si) != core.SiginfoSize || signo != uint32(unix.SIGTRAP) {
				t.Errorf("siginfo: %d bytes, signo %d", len(si), signo)
			}
			return nil
		})
		if err != nil {
			fail("examine", err)
		}
		return core.Resume
	}}
	runOpen(t, tr, p, eng)
	mu.Lock()
	defer mu.Unlock()
	for _, e := range errs {
		t.Error(e)
	}
}

// A byte an engine shadowed reads as the program's own through Examine,
// keeps the engine's byte in memory when written, and Unshadow returns
// the byte written since.
func TestShadowedMemory(t *testing.T) {
	tr, _ := newTracer(t)
	p := start(t, "open", filepath.Join(t.TempDir(), "none"))
	p.expect("ready")
	var mu sync.Mutex
	var got []string
	eng := &syscallEngine{entry: func(e *core.Engine, ev *core.Event) core.Action {
		if ev.Syscall.Nr != unix.SYS_OPENAT {
			return core.Resume
		}
		note := func(f string, a ...any) {
			mu.Lock()
			got = append(got, fmt.Sprintf(f, a...))
			mu.Unlock()
		}
		addr := uintptr(ev.Syscall.Args[1]) // the path
		read := func(st core.Stopped) byte {
			var b [1]byte
			if _, err := st.ReadMemory(addr, b[:]); err != nil {
				note("read: %v", err)
			}
			return b[0]
		}
		e.Examine(func(st core.Stopped) error {
			orig := read(st)
			st.WriteMemory(addr, []byte{0xcc})
			e.Tracer().Shadow(e.Tgid(), uint64(addr), orig)
			return nil
		})
		e.Examine(func(st core.Stopped) error {
			note("shadowed %q", read(st))
			st.WriteMemory(addr, []byte{'Q'})
			note("written %q", read(st))
			return nil
		})
		orig, ok := e.Tracer().Unshadow(e.Tgid(), uint64(addr))
		e.Examine(func(st core.Stopped) error {
			note("memory %#x, unshadow %q %v", read(st), orig, ok)
			st.WriteMemory(addr, []byte{'/'})
			return nil
		})
		return core.Resume
	}}
	runOpen(t, tr, p, eng)
	mu.Lock()
	defer mu.Unlock()
	want := []string{`shadowed '/'`, `written 'Q'`, `memory 0xcc, unshadow 'Q' true`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
