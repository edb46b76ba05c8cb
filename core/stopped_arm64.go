package core

// Register sets of arm64 beyond NT_PRSTATUS and NT_PRFPREG.
const (
	NoteArmTLS        = 0x401 // NT_ARM_TLS: tpidr_el0
	NoteArmHWBreak    = 0x402 // NT_ARM_HW_BREAK: the hardware breakpoint registers
	NoteArmHWWatch    = 0x403 // NT_ARM_HW_WATCH: the hardware watchpoint registers
	NoteArmSystemCall = 0x404 // NT_ARM_SYSTEM_CALL: the system call number the kernel will run
)

// archStopped is empty on arm64: its debug state is reached through
// register sets (NoteArmHWBreak, NoteArmHWWatch).
type archStopped interface{}
