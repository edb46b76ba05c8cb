package gdbremote

import "golang.org/x/sys/unix"

// breakpointInsn is the instruction a software breakpoint writes: brk #0,
// little endian, the one gdb's aarch64 target uses. gdb asks for it with
// Z0,ADDR,4.
var breakpointInsn = []byte{0x00, 0x00, 0x20, 0xd4}

// trapPCAdjust is how far past the breakpoint the PC is when its trap is
// reported: a brk leaves the PC on the instruction.
const trapPCAdjust = 0

// swBreakCode is the si_code of the SIGTRAP a breakpoint instruction
// raises: TRAP_BRKPT (the kernel's brk handler, for an EL0 brk).
const swBreakCode = 1

// vforkCalls are the calls that make a vfork child: arm64 has no vfork
// call, its C library makes one with clone.
var vforkCalls = []int{unix.SYS_CLONE, unix.SYS_CLONE3}
