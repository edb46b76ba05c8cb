package gdbremote

import "github.com/utrace-bpf/utrace-bpf/core"

// On x86-64 hardware breakpoints and watchpoints (Z1, Z2, Z4) are the
// debug registers: four address slots DR0-DR3, the control DR7 saying
// what each watches, and the status DR6 saying which one fired. A read
// watchpoint (Z3) is not supported, as under gdbserver: x86 watches reads
// only together with writes, and gdb makes rwatch an access watchpoint
// (Z4) that it reports only when the value did not change.

var archDebugRegs debugRegs = x86DebugRegs{}

type x86DebugRegs struct{}

func (x86DebugRegs) slots() int { return 4 }

// point: the kind of Z1 is not a length, and an instruction breakpoint
// watches one byte.
func (x86DebugRegs) point(typ byte, kind uint64) (hwKind, uint64, bool) {
	switch typ {
	case '1':
		return hwExec, 1, true
	case '2':
		return hwWrite, kind, true
	case '4':
		return hwAccess, kind, true
	}
	return 0, 0, false
}

// The kinds of slot, DR7's R/W bits.
const (
	drExec   = 0 // an instruction breakpoint
	drWrite  = 1
	drAccess = 3 // reads and writes
)

// dr7 is the control value for the slots: each used slot locally enabled
// with its kind and length.
func dr7(slots []hwSlot) uint64 {
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
		rw := uint64(drExec)
		switch s.kind {
		case hwWrite:
			rw = drWrite
		case hwAccess:
			rw = drAccess
		}
		v |= 1<<(2*i) | rw<<(16+4*i) | size<<(18+4*i)
	}
	return v
}

func (x86DebugRegs) write(st core.Stopped, slots []hwSlot) error {
	// DR7 off first: the kernel checks each enabled slot's address and
	// length when DR7 is written.
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
	return st.SetDebugRegister(7, dr7(slots))
}

// hit reads DR6 and clears it when a slot fired.
func (x86DebugRegs) hit(st core.Stopped, slots []hwSlot) (int, error) {
	dr6, err := st.DebugRegister(6)
	if err != nil || dr6&0xf == 0 {
		return -1, err
	}
	if err := st.SetDebugRegister(6, 0); err != nil {
		return -1, err
	}
	for i, sl := range slots {
		if dr6&(1<<i) != 0 && sl.refs > 0 {
			return i, nil
		}
	}
	return -1, nil
}
