package gdbremote

import (
	"fmt"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Hardware breakpoints and watchpoints (Z1, Z2, Z4) are the x86 debug
// registers: four address slots DR0-DR3, the control DR7 saying what each
// watches, and the status DR6 saying which one fired. The kernel keeps
// them per thread and a new thread starts with none, so the engine holds
// one set for the process and writes it into every thread before it runs
// (a thread created meanwhile gets it at its first report). A slot that
// fires raises SIGTRAP with si_code TRAP_HWBKPT; the engine reads and
// clears DR6 then and reports the slot to gdb.

// The kinds of slot, DR7's R/W bits.
const (
	drExec   = 0 // an instruction breakpoint
	drWrite  = 1
	drAccess = 3 // reads and writes
)

// trapHWBkpt is the si_code of a debug register's SIGTRAP.
const trapHWBkpt = 4

// hwSlot is one debug register in use.
type hwSlot struct {
	kind uint8
	addr uint64
	size int
	refs int // gdb may insert the same point twice
}

// dr7 is the control value for the slots: each used slot locally enabled
// with its kind and length.
func dr7(slots *[4]hwSlot) uint64 {
	var v uint64
	for i, s := range slots {
		if s.refs == 0 {
			continue
		}
		var size uint64
		switch s.size {
		case 2:
			size = 1
		case 4:
			size = 3
		case 8:
			size = 2
		}
		v |= 1<<(2*i) | uint64(s.kind)<<(16+4*i) | size<<(18+4*i)
	}
	return v
}

// hwPoint answers Z1-Z4 and z1-z4 (typ the digit): a slot per point. A
// read watchpoint (Z3) is not supported, as under gdbserver: x86 watches
// reads only together with writes, and gdb makes rwatch an access
// watchpoint (Z4) that it reports only when the value did not change. The address must be aligned to the
// length, which must be 1, 2, 4 or 8 (1 for Z1).
func (s *session) hwPoint(insert bool, typ byte, addr uint64, size uint64) string {
	var kind uint8
	switch typ {
	case '1':
		kind, size = drExec, 1
	case '2':
		kind = drWrite
	case '4':
		kind = drAccess
	default:
		return ""
	}
	if size != 1 && size != 2 && size != 4 && size != 8 || addr%size != 0 {
		return errBadPacket
	}
	g := s.g
	g.mu.Lock()
	defer g.mu.Unlock()
	free := -1
	for i := range g.hw {
		sl := &g.hw[i]
		if sl.refs > 0 && sl.kind == kind && sl.addr == addr && sl.size == int(size) {
			if insert {
				sl.refs++
			} else {
				sl.refs--
			}
			g.hwGen++
			return "OK"
		}
		if sl.refs == 0 && free < 0 {
			free = i
		}
	}
	if !insert {
		return "OK"
	}
	if free < 0 {
		return errState // all four in use
	}
	g.hw[free] = hwSlot{kind: kind, addr: addr, size: int(size), refs: 1}
	g.hwGen++
	return "OK"
}

// clearHW forgets every point (gdb detached, or the program exec'd).
// Called with g.mu held.
func (g *stub) clearHW() {
	g.hw = [4]hwSlot{}
	g.hwGen++
}

// syncDebugRegs writes the process's slots into t's debug registers if
// they changed since; t must be held (or in a callback of ours).
func (g *stub) syncDebugRegs(t *thread) error {
	g.mu.Lock()
	gen, slots := g.hwGen, g.hw
	done := t.hwGen == gen
	g.mu.Unlock()
	if done {
		return nil
	}
	err := t.e.Examine(func(st core.Stopped) error {
		// DR7 off first: the kernel checks each enabled slot's
		// address and length when DR7 is written.
		if err := st.SetDebugRegister(7, 0); err != nil {
			return err
		}
		for i, sl := range slots {
			if sl.refs == 0 {
				continue
			}
			if err := st.SetDebugRegister(i, sl.addr); err != nil {
				return err
			}
		}
		return st.SetDebugRegister(7, dr7(&slots))
	})
	if err != nil {
		return fmt.Errorf("debug registers of thread %d: %w", t.e.Tid(), err)
	}
	g.mu.Lock()
	t.hwGen = gen
	g.mu.Unlock()
	return nil
}

// hwHit reads and clears DR6 of a thread in a callback of ours: the slot
// that fired, if it is one in use, with what it watches.
func (g *stub) hwHit(e *core.Engine) (hwSlot, bool) {
	var dr6 uint64
	err := e.Examine(func(st core.Stopped) error {
		var err error
		if dr6, err = st.DebugRegister(6); err != nil || dr6&0xf == 0 {
			return err
		}
		return st.SetDebugRegister(6, 0)
	})
	if err != nil {
		g.Out.Warn("%s: thread %d: %v", g.Name(), e.Tid(), err)
		return hwSlot{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, sl := range g.hw {
		if dr6&(1<<i) != 0 && sl.refs > 0 {
			return sl, true
		}
	}
	return hwSlot{}, false
}

// usesHW reports whether any slot is in use. Called with g.mu held.
func (g *stub) usesHW() bool {
	for _, sl := range g.hw {
		if sl.refs > 0 {
			return true
		}
	}
	return false
}

// hwStopReply is the stop reply's part for a slot that fired.
func (s *session) hwStopReply(sl hwSlot) string {
	switch sl.kind {
	case drWrite:
		return fmt.Sprintf("watch:%016x;", sl.addr)
	case drAccess:
		return fmt.Sprintf("awatch:%016x;", sl.addr)
	}
	if s.hwbreak {
		return "hwbreak:;"
	}
	return ""
}
