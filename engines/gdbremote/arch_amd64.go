package gdbremote

// breakpointInsn is the instruction a software breakpoint writes: int3.
var breakpointInsn = []byte{0xcc}

// trapPCAdjust is how far past the breakpoint the PC is when its trap is
// reported: an int3 trap leaves rip after the one-byte instruction.
const trapPCAdjust = 1
