package core

import "strconv"

// PC is the program counter.
func (r *Registers) PC() uint64 { return r.raw.Pc }

// SetPC moves the program counter.
func (r *Registers) SetPC(pc uint64) { r.raw.Pc = pc }

// SP is the stack pointer.
func (r *Registers) SP() uint64 { return r.raw.Sp }

// FramePointer is x29, the head of the chain of AAPCS64 frame records
// when code keeps them: at x29 the caller's x29, above it the saved x30
// (the return address).
func (r *Registers) FramePointer() uint64 { return r.raw.Regs[29] }

// Named lists the registers in the order a register dump shows them: the
// program counter and stack pointer, then x0-x30 (x0-x5 the system call's
// arguments, x8 its number as the caller set it), then pstate.
func (r *Registers) Named() []NamedRegister {
	x := &r.raw
	named := []NamedRegister{{"pc", x.Pc}, {"sp", x.Sp}}
	for i, v := range x.Regs {
		named = append(named, NamedRegister{"x" + strconv.Itoa(i), v})
	}
	return append(named, NamedRegister{"pstate", x.Pstate})
}

// SyscallInstruction is the encoding of the instruction that enters the
// kernel (svc #0, little endian): a thread about to run it makes a system
// call next.
var SyscallInstruction = []byte{0x01, 0x00, 0x00, 0xd4}
