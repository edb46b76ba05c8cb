package core

import "golang.org/x/sys/unix"

// Registers are a stopped thread's general registers, as the kernel's
// NT_PRSTATUS register set holds them (struct user_regs_struct on x86-64,
// struct user_pt_regs on arm64). Engines use the accessors, which mean
// the same on every architecture; code that must know the layout (a
// debugger's register file) lives in an architecture's own files and uses
// Raw.
type Registers struct{ raw unix.PtraceRegs }

// Raw is the register set in the running architecture's layout.
func (r *Registers) Raw() *unix.PtraceRegs { return &r.raw }

// NamedRegister is one general register, by the name the architecture's
// manuals and debuggers give it.
type NamedRegister struct {
	Name  string
	Value uint64
}

// Register set notes (the NT_* numbers of elf.h that PTRACE_GETREGSET
// takes) that every architecture has.
const (
	NotePRStatus = 1 // NT_PRSTATUS: the general registers (Registers)
	NoteFPRegs   = 2 // NT_PRFPREG: x86-64's 512-byte FXSAVE area, arm64's user_fpsimd_state
	SiginfoSize  = 128
)
