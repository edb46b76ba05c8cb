package core

// PC is the instruction pointer, rip.
func (r *Registers) PC() uint64 { return r.raw.Rip }

// SetPC moves the instruction pointer.
func (r *Registers) SetPC(pc uint64) { r.raw.Rip = pc }

// SP is the stack pointer, rsp.
func (r *Registers) SP() uint64 { return r.raw.Rsp }

// FramePointer is rbp, the head of the frame chain when code keeps frame
// pointers: at rbp the caller's rbp, above it the return address.
func (r *Registers) FramePointer() uint64 { return r.raw.Rbp }

// Named lists the registers in the order a register dump shows them: the
// instruction and stack pointers, then the system call registers (the
// number in orig_rax, the arguments in the ABI's order), then the rest.
func (r *Registers) Named() []NamedRegister {
	x := &r.raw
	return []NamedRegister{{"rip", x.Rip}, {"rsp", x.Rsp}, {"rbp", x.Rbp}, {"rax", x.Rax}, {"orig_rax", x.Orig_rax},
		{"rdi", x.Rdi}, {"rsi", x.Rsi}, {"rdx", x.Rdx}, {"r10", x.R10}, {"r8", x.R8}, {"r9", x.R9},
		{"rbx", x.Rbx}, {"rcx", x.Rcx}, {"r11", x.R11}, {"r12", x.R12}, {"r13", x.R13}, {"r14", x.R14},
		{"r15", x.R15}, {"eflags", x.Eflags}, {"fs_base", x.Fs_base}}
}

// SyscallInstruction is the encoding of the instruction that enters the
// kernel (syscall): a thread about to run it makes a system call next.
var SyscallInstruction = []byte{0x0f, 0x05}
