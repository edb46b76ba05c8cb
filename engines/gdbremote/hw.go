package gdbremote

import (
	"fmt"
	"slices"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Hardware breakpoints and watchpoints (Z1-Z4) are the architecture's
// debug registers. The kernel keeps them per thread and a new thread
// starts with none, so the engine holds one set of slots for the process
// and writes it into every thread before it runs (a thread created
// meanwhile gets it at its first report). A slot that fires raises
// SIGTRAP with si_code TRAP_HWBKPT; the architecture says which slot it
// was, and the engine reports it to gdb.
//
// archDebugRegs programs them; where it is nil the server offers none:
// Z1-Z4 get the empty reply, gdb's answer for a packet not supported.

// debugRegs is an architecture's hardware breakpoints and watchpoints.
type debugRegs interface {
	// slots is how many points can be set at once.
	slots() int
	// point is the kind of point gdb's Z type asks for and the length it
	// watches, given the packet's kind; ok is false when the
	// architecture has none of that type.
	point(typ byte, kind uint64) (k hwKind, size uint64, ok bool)
	// write programs slots (those with refs > 0 in use) into a thread.
	write(st core.Stopped, slots []hwSlot) error
	// hit returns which of slots fired in a thread that stopped with
	// TRAP_HWBKPT (or ended a step), resetting what says so; -1 if none.
	hit(st core.Stopped, slots []hwSlot) (int, error)
}

// hwKind is what a point watches.
type hwKind uint8

const (
	hwExec   hwKind = iota // an instruction breakpoint (Z1)
	hwWrite                // a write watchpoint (Z2)
	hwRead                 // a read watchpoint (Z3)
	hwAccess               // an access watchpoint, reads and writes (Z4)
)

// trapHWBkpt is the si_code of a debug register's SIGTRAP.
const trapHWBkpt = 4

// hwSlot is one point in use.
type hwSlot struct {
	kind hwKind
	addr uint64
	size int
	refs int // gdb may insert the same point twice
}

// hwPoint answers Z1-Z4 and z1-z4 (typ the digit): a slot per point. The
// address must be aligned to the length, which must be 1, 2, 4 or 8.
func (s *session) hwPoint(insert bool, typ byte, addr uint64, kind uint64) string {
	if archDebugRegs == nil {
		return ""
	}
	k, size, ok := archDebugRegs.point(typ, kind)
	if !ok {
		return ""
	}
	if size != 1 && size != 2 && size != 4 && size != 8 || addr%size != 0 {
		return errBadPacket
	}
	g := s.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hw == nil {
		g.hw = make([]hwSlot, archDebugRegs.slots())
	}
	free := -1
	for i := range g.hw {
		sl := &g.hw[i]
		if sl.refs > 0 && sl.kind == k && sl.addr == addr && sl.size == int(size) {
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
		return errState // all in use
	}
	g.hw[free] = hwSlot{kind: k, addr: addr, size: int(size), refs: 1}
	g.hwGen++
	return "OK"
}

// clearHW forgets every point (gdb detached, or the program exec'd).
// Called with g.mu held.
func (g *stub) clearHW() {
	clear(g.hw)
	g.hwGen++
}

// syncDebugRegs writes the process's slots into t's debug registers if
// they changed since; t must be held (or in a callback of ours).
func (g *stub) syncDebugRegs(t *thread) error {
	g.mu.Lock()
	gen, slots := g.hwGen, slices.Clone(g.hw)
	done := t.hwGen == gen || archDebugRegs == nil
	g.mu.Unlock()
	if done {
		return nil
	}
	err := t.e.Examine(func(st core.Stopped) error { return archDebugRegs.write(st, slots) })
	if err != nil {
		return fmt.Errorf("debug registers of thread %d: %w", t.e.Tid(), err)
	}
	g.mu.Lock()
	t.hwGen = gen
	g.mu.Unlock()
	return nil
}

// hwHit looks at a thread in a callback of ours: the slot that fired, if
// it is one in use, with what it watches.
func (g *stub) hwHit(e *core.Engine) (hwSlot, bool) {
	g.mu.Lock()
	slots := slices.Clone(g.hw)
	g.mu.Unlock()
	if archDebugRegs == nil {
		return hwSlot{}, false
	}
	i := -1
	err := e.Examine(func(st core.Stopped) error {
		var err error
		i, err = archDebugRegs.hit(st, slots)
		return err
	})
	if err != nil {
		g.Out.Warn("%s: thread %d: %v", g.Name(), e.Tid(), err)
		return hwSlot{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if i < 0 || i >= len(g.hw) || g.hw[i].refs == 0 {
		return hwSlot{}, false
	}
	return g.hw[i], true
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
	case hwWrite:
		return fmt.Sprintf("watch:%016x;", sl.addr)
	case hwRead:
		return fmt.Sprintf("rwatch:%016x;", sl.addr)
	case hwAccess:
		return fmt.Sprintf("awatch:%016x;", sl.addr)
	}
	if s.hwbreak {
		return "hwbreak:;"
	}
	return ""
}
