package core

// NoteXState is x86-64's register set NT_X86_XSTATE: the XSAVE area in
// standard format (x87, SSE, AVX, ...).
const NoteXState = 0x202

// archStopped is the x86-64 state of a stopped thread that no other
// architecture has: the debug registers, which hold hardware breakpoints
// and watchpoints.
type archStopped interface {
	// DebugRegister reads debug register n: 0-3 the addresses, 6 the
	// status (DR6), 7 the control (DR7). The kernel keeps them per
	// thread, and a new thread starts with none.
	DebugRegister(n int) (uint64, error)
	// SetDebugRegister writes debug register n; the kernel refuses an
	// address outside user space or a control value it cannot honour.
	SetDebugRegister(n int, v uint64) error
}
