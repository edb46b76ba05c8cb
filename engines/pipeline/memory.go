package pipeline

import (
	"bytes"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// ReadString reads a NUL-terminated string of at most max bytes at addr in
// the memory of a thread the engine holds (inside a synchronous callback).
func ReadString(e *core.Engine, addr uint64, max int) (string, error) {
	var out string
	err := e.Examine(func(s core.Stopped) error {
		buf := make([]byte, 256)
		var acc []byte
		for len(acc) < max {
			n, err := s.ReadMemory(uintptr(addr)+uintptr(len(acc)), buf)
			if n == 0 && err != nil {
				return err
			}
			if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
				acc = append(acc, buf[:i]...)
				break
			}
			acc = append(acc, buf[:n]...)
		}
		if len(acc) > max {
			acc = acc[:max]
		}
		out = string(acc)
		return nil
	})
	return out, err
}

// SyscallPath returns the path argument of a syscall event: the one the
// kernel captured for passive events, read from memory for synchronous
// ones. ok is false for calls without a path argument.
func SyscallPath(e *core.Engine, ev *core.Event) (string, bool) {
	idx, ok := sysabi.PathArg(ev.Syscall.Nr)
	if !ok {
		return "", false
	}
	if ev.Syscall.Path != "" || !ev.Sync {
		return ev.Syscall.Path, true
	}
	p, err := ReadString(e, ev.Syscall.Args[idx], 4096)
	if err != nil {
		return "", false
	}
	ev.Syscall.Path = p
	return p, true
}
