package gdbremote

// On arm64 the server offers no hardware breakpoints or watchpoints: the
// NT_ARM_HW_BREAK and NT_ARM_HW_WATCH register sets are not programmed,
// and Z1-Z4 get the empty reply. gdb's software breakpoints (Z0) work; a
// watchpoint needs "set can-use-hw-watchpoints 0" in gdb, which then
// watches by single-stepping.
var archDebugRegs debugRegs
