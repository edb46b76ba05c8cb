package stopper

import (
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// stopped is core.Stopped for a thread in a ptrace stop, used on the
// ptrace thread during Examine.
type stopped struct {
	tid int
	t   *task // holds the /proc/TID/mem descriptor
}

func (s *stopped) Tid() int { return s.tid }

func (s *stopped) Registers() (*core.Registers, error) {
	var r core.Registers
	if err := getRegs(s.tid, &r); err != nil {
		return nil, fmt.Errorf("registers of %d: %w", s.tid, err)
	}
	return &r, nil
}

func (s *stopped) SetRegisters(r *core.Registers) error {
	if err := setRegs(s.tid, r); err != nil {
		return fmt.Errorf("set registers of %d: %w", s.tid, err)
	}
	return nil
}

func (s *stopped) Regset(note int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	if err := ptracePtr(unix.PTRACE_GETREGSET, s.tid, uintptr(note), unsafe.Pointer(&iov)); err != nil {
		return 0, fmt.Errorf("regset %#x of %d: %w", note, s.tid, err)
	}
	// The kernel says how much it filled in the iovec's length.
	return int(iov.Len), nil
}

func (s *stopped) SetRegset(note int, p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("set regset %#x of %d: empty", note, s.tid)
	}
	if err := regset(unix.PTRACE_SETREGSET, s.tid, note, unsafe.Pointer(&p[0]), uintptr(len(p))); err != nil {
		return fmt.Errorf("set regset %#x of %d: %w", note, s.tid, err)
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

// ReadMemory and WriteMemory go through /proc/TID/mem, which a ptracer may
// use on every mapping, read-only text included (the kernel forces the
// access as for PTRACE_POKETEXT). The file is opened raw, not as an
// os.File: a stop's examination is on the path of every synchronous
// report, and the runtime's poller bookkeeping would double its system
// calls. Like io.ReaderAt, they return n < len(p) only with an error.
func (s *stopped) ReadMemory(addr uintptr, p []byte) (int, error) {
	return s.transfer(addr, p, unix.Pread)
}

func (s *stopped) WriteMemory(addr uintptr, p []byte) (int, error) {
	return s.transfer(addr, p, unix.Pwrite)
}

func (s *stopped) transfer(addr uintptr, p []byte, op func(int, []byte, int64) (int, error)) (int, error) {
	fd, err := s.file()
	if err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		m, err := op(fd, p[n:], int64(addr)+int64(n))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return n, &os.PathError{Op: "access", Path: s.path(), Err: err}
		case m == 0:
			return n, io.ErrUnexpectedEOF
		}
		n += m
	}
	return n, nil
}

func (s *stopped) path() string { return procfs.Process(s.tid).Path("mem") }

// file returns the thread's /proc/TID/mem, opened at the first access and
// kept by the task (see task.mem): an examination at every stop (the
// stepper's) would otherwise pay an open and a close each time.
func (s *stopped) file() (int, error) {
	if s.t.mem == 0 {
		fd, err := unix.Open(s.path(), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: s.path(), Err: err}
		}
		s.t.mem = fd + 1
	}
	return s.t.mem - 1, nil
}

// closeMem closes the task's /proc/TID/mem. The file stands for the
// address space the thread had when it was opened, so it goes at an exec
// as well as when the stopper lets go of the thread.
func (t *task) closeMem() {
	if t.mem != 0 {
		unix.Close(t.mem - 1)
		t.mem = 0
	}
}
