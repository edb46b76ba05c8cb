package sysent

// The arm64 values of the open flags whose numbers differ between
// architectures (arch/arm64/include/uapi/asm/fcntl.h, as on 32-bit arm).
const (
	oDirectory = 0o40000
	oNofollow  = 0o100000
	oDirect    = 0o200000
	oLargefile = 0o400000
)

// archMmapFlags are the arm64-only mmap flags: none (MAP_32BIT and
// MAP_ABOVE4G are x86's).
var archMmapFlags xlat

// archPtraceReqs are the ptrace requests strace names on arm64
// (arch/arm64/include/uapi/asm/ptrace.h and the 32-bit arm ones arm64
// accepts; strace's xlat/ptrace_cmds.in).
var archPtraceReqs = xlat{
	{12, "PTRACE_GETREGS"}, {13, "PTRACE_SETREGS"}, {14, "PTRACE_GETFPREGS"}, {15, "PTRACE_SETFPREGS"},
	{0x16, "PTRACE_GET_THREAD_AREA"}, {0x17, "PTRACE_SET_SYSCALL"}, {0x1b, "PTRACE_GETVFPREGS"},
	{0x1c, "PTRACE_SETVFPREGS"}, {0x1d, "PTRACE_GETHBPREGS"}, {0x1e, "PTRACE_SETHBPREGS"},
	{0x1f, "PTRACE_SYSEMU"}, {0x20, "PTRACE_SYSEMU_SINGLESTEP"}, {0x21, "PTRACE_PEEKMTETAGS"},
	{0x22, "PTRACE_POKEMTETAGS"},
}
