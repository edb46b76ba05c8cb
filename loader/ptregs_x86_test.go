package loader

// x86PtRegsFields are the struct pt_regs fields x86-64's programs read
// (bpf/regs.h): the syscall arguments, the number and the stack pointer.
// The file is named for the architecture, not built for it only, so that
// the arm64 test of every architecture's object runs on any machine.
var x86PtRegsFields = []string{"di", "dx", "orig_ax", "r10", "r8", "r9", "si", "sp"}
