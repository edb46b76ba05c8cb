package stopper

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// debugRegOffset is offsetof(struct user, u_debugreg) on x86-64, the
// PTRACE_PEEKUSER/POKEUSER address of DR0 (sys/user.h).
const debugRegOffset = 848

func (s *stopped) Regset(note int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	if err := ptracePtr(unix.PTRACE_GETREGSET, s.tid, uintptr(note), unsafe.Pointer(&iov)); err != nil {
		return 0, fmt.Errorf("regset %#x of %d: %w", note, s.tid, err)
	}
	return int(iov.Len), nil
}

func (s *stopped) SetRegset(note int, p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("set regset %#x of %d: empty", note, s.tid)
	}
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	if err := ptracePtr(unix.PTRACE_SETREGSET, s.tid, uintptr(note), unsafe.Pointer(&iov)); err != nil {
		return fmt.Errorf("set regset %#x of %d: %w", note, s.tid, err)
	}
	return nil
}

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

func (s *stopped) Siginfo() ([]byte, error) {
	b := make([]byte, core.SiginfoSize)
	if err := ptracePtr(unix.PTRACE_GETSIGINFO, s.tid, 0, unsafe.Pointer(&b[0])); err != nil {
		return nil, fmt.Errorf("siginfo of %d: %w", s.tid, err)
	}
	return b, nil
}
