package core

// Register set notes for Stopped.Regset (the NT_* numbers of elf.h that
// PTRACE_GETREGSET takes).
const (
	NoteFPRegs  = 2     // NT_PRFPREG: the 512-byte FXSAVE area (x87, SSE)
	NoteXState  = 0x202 // NT_X86_XSTATE: the XSAVE area in standard format (x87, SSE, AVX, ...)
	SiginfoSize = 128   // the size of the kernel's siginfo_t
)

// archStopped is the x86-64 state of a stopped thread beyond its general
// registers: what a debugger needs for the floating point and vector
// registers, hardware breakpoints and watchpoints, and the signal the
// thread stopped with.
type archStopped interface {
	// Regset reads register set note (NoteFPRegs, NoteXState) into p with
	// PTRACE_GETREGSET and returns how many bytes the kernel filled.
	Regset(note int, p []byte) (int, error)
	// SetRegset writes register set note from p (PTRACE_SETREGSET).
	SetRegset(note int, p []byte) error
	// DebugRegister reads debug register n: 0-3 the addresses, 6 the
	// status (DR6), 7 the control (DR7). The kernel keeps them per
	// thread, and a new thread starts with none.
	DebugRegister(n int) (uint64, error)
	// SetDebugRegister writes debug register n; the kernel refuses an
	// address outside user space or a control value it cannot honour.
	SetDebugRegister(n int, v uint64) error
	// Siginfo returns the siginfo_t of the signal the thread stopped with
	// (PTRACE_GETSIGINFO), SiginfoSize bytes as the kernel lays them out.
	// A thread not stopped for a signal has none (an error).
	Siginfo() ([]byte, error)
}
