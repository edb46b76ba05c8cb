package stopper

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// debugRegOffset is offsetof(struct user, u_debugreg) on x86-64, the
// PTRACE_PEEKUSER/POKEUSER address of DR0 (sys/user.h).
const debugRegOffset = 848

func (s *stopped) DebugRegister(n int) (uint64, error) {
	if n < 0 || n > 7 {
		return 0, fmt.Errorf("debug register %d: %w", n, unix.EINVAL)
	}
	// PTRACE_PEEKUSER stores the word at data (the raw system call; the
	// C library's wrapper returns it instead).
	var v uint64
	if err := ptracePtr(unix.PTRACE_PEEKUSR, s.tid, uintptr(debugRegOffset+8*n), unsafe.Pointer(&v)); err != nil {
		return 0, fmt.Errorf("debug register %d of %d: %w", n, s.tid, err)
	}
	return v, nil
}

func (s *stopped) SetDebugRegister(n int, v uint64) error {
	if n < 0 || n > 7 {
		return fmt.Errorf("set debug register %d: %w", n, unix.EINVAL)
	}
	if err := ptrace(unix.PTRACE_POKEUSR, s.tid, uintptr(debugRegOffset+8*n), uintptr(v)); err != nil {
		return fmt.Errorf("set debug register %d of %d to %#x: %w", n, s.tid, v, err)
	}
	return nil
}
