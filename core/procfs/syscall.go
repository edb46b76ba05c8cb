package procfs

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// Syscall is a syscall file (proc_pid_syscall(5)): what a blocked task is
// doing. It is for a task that is stopped or asleep; of a running one it
// says only that.
type Syscall struct {
	Running bool      // the task is running: nothing else is known
	Nr      int       // the system call it is blocked in; -1 when Running or blocked outside one
	Args    [6]uint64 // the call's arguments (when Nr >= 0)
	SP, PC  uint64    // its stack pointer and program counter (when not Running)
}

// Reads reports whether the task is blocked in read(fd, ...): how a
// program that waits for its go on a pipe is known to be waiting.
func (s Syscall) Reads(fd int) bool { return s.Nr == unix.SYS_READ && s.Args[0] == uint64(fd) }

// Syscall reads the task's syscall file.
func (d Dir) Syscall() (Syscall, error) {
	var b [256]byte
	path := d.Path("syscall")
	text, err := read(path, b[:])
	if err != nil {
		return Syscall{}, err
	}
	s, err := parseSyscall(text)
	if err != nil {
		return Syscall{}, malformed(path, err)
	}
	return s, nil
}

// parseSyscall parses "running", "-1 sp pc" or "nr arg0 ... arg5 sp pc",
// the numbers but nr in hexadecimal with 0x.
func parseSyscall(b []byte) (Syscall, error) {
	var s Syscall
	var f [9][]byte
	n := 0
	for rest := b; ; n++ {
		var field []byte
		if field, rest = nextField(rest); len(field) == 0 {
			break
		}
		if n == len(f) {
			return s, fmt.Errorf("more than %d fields", len(f))
		}
		f[n] = field
	}
	if n == 1 && string(f[0]) == "running" {
		s.Running, s.Nr = true, -1
		return s, nil
	}
	if n == 0 {
		return s, fmt.Errorf("empty")
	}
	var err error
	if s.Nr, err = strconv.Atoi(string(f[0])); err != nil {
		return s, fmt.Errorf("number: %w", err)
	}
	words := f[1:n]
	switch {
	case s.Nr < 0 && n == 3:
	case s.Nr >= 0 && n == 9:
		for i := range s.Args {
			if s.Args[i], err = strconv.ParseUint(string(words[i]), 0, 64); err != nil {
				return s, fmt.Errorf("argument %d: %w", i, err)
			}
		}
		words = words[len(s.Args):]
	default:
		return s, fmt.Errorf("%d fields for call %d", n, s.Nr)
	}
	if s.SP, err = strconv.ParseUint(string(words[0]), 0, 64); err != nil {
		return s, fmt.Errorf("sp: %w", err)
	}
	if s.PC, err = strconv.ParseUint(string(words[1]), 0, 64); err != nil {
		return s, fmt.Errorf("pc: %w", err)
	}
	return s, nil
}
