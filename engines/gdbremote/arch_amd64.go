package gdbremote

import "golang.org/x/sys/unix"

// breakpointInsn is the instruction a software breakpoint writes: int3.
// gdb asks for it with Z0,ADDR,1.
var breakpointInsn = []byte{0xcc}

// trapPCAdjust is how far past the breakpoint the PC is when its trap is
// reported: an int3 trap leaves rip after the one-byte instruction.
const trapPCAdjust = 1

// swBreakCode is the si_code of the SIGTRAP a breakpoint instruction
// raises: SI_KERNEL, as the kernel sends it for int3 (do_int3_user), not
// TRAP_BRKPT.
const swBreakCode = 0x80

// vforkCalls are the calls that make a vfork child.
var vforkCalls = []int{unix.SYS_VFORK, unix.SYS_CLONE, unix.SYS_CLONE3}
