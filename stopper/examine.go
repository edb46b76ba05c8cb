package stopper

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// stopped is core.Stopped for a thread in a ptrace stop, used on the
// ptrace thread during Examine.
type stopped struct {
	tid int
	mem *os.File
}

func (s *stopped) Tid() int { return s.tid }

func (s *stopped) Registers() (*unix.PtraceRegs, error) {
	var r unix.PtraceRegs
	if err := getRegs(s.tid, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *stopped) SetRegisters(r *unix.PtraceRegs) error { return setRegs(s.tid, r) }

// ReadMemory and WriteMemory go through /proc/TID/mem, which a ptracer may
// use on every mapping, read-only text included (the kernel forces the
// access as for PTRACE_POKETEXT).
func (s *stopped) ReadMemory(addr uintptr, p []byte) (int, error) {
	f, err := s.file()
	if err != nil {
		return 0, err
	}
	return f.ReadAt(p, int64(addr))
}

func (s *stopped) WriteMemory(addr uintptr, p []byte) (int, error) {
	f, err := s.file()
	if err != nil {
		return 0, err
	}
	return f.WriteAt(p, int64(addr))
}

func (s *stopped) file() (*os.File, error) {
	if s.mem == nil {
		f, err := os.OpenFile("/proc/"+strconv.Itoa(s.tid)+"/mem", os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		s.mem = f
	}
	return s.mem, nil
}

func (s *stopped) close() {
	if s.mem != nil {
		s.mem.Close()
	}
}
