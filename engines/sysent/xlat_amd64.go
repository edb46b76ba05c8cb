package sysent

// The x86-64 values of the open flags whose numbers differ between
// architectures (arch/x86 uses asm-generic/fcntl.h's).
const (
	oDirect    = 0o40000
	oLargefile = 0o100000
	oDirectory = 0o200000
	oNofollow  = 0o400000
)

// archMmapFlags are the x86-64-only mmap flags, printed after
// MAP_ANONYMOUS as strace does.
var archMmapFlags = xlat{{0x40, "MAP_32BIT"}, {0x80, "MAP_ABOVE4G"}}

// archPtraceReqs are the x86-64 ptrace requests (arch/x86/include/uapi/asm/ptrace-abi.h).
var archPtraceReqs = xlat{
	{12, "PTRACE_GETREGS"}, {13, "PTRACE_SETREGS"}, {14, "PTRACE_GETFPREGS"}, {15, "PTRACE_SETFPREGS"},
	{18, "PTRACE_GETFPXREGS"}, {19, "PTRACE_SETFPXREGS"}, {30, "PTRACE_ARCH_PRCTL"}, {31, "PTRACE_SYSEMU"},
	{32, "PTRACE_SYSEMU_SINGLESTEP"}, {33, "PTRACE_SINGLEBLOCK"},
}
