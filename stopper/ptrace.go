package stopper

import (
	"unsafe"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// Requests and constants x/sys/unix lacks, from include/uapi/linux/ptrace.h.
const (
	ptraceSeize             = 0x4206
	ptraceInterrupt         = 0x4207
	ptraceListen            = 0x4208
	ptraceGetSyscallInfo    = 0x420e
	ptraceEventStop         = 128
	ptraceSyscallInfoEntry  = 1
	ptraceSyscallInfoExit   = 2
	ptraceSyscallInfoSeccmp = 3

	// seizeOptions: syscall stops marked with 0x80, every event that lets
	// the stopper follow the thread (children are attached before they
	// run), and no PTRACE_O_EXITKILL: the tracer dying must not kill what
	// it traces, unless it runs under the launch filter (seize).
	seizeOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEEXEC |
		unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
		unix.PTRACE_O_TRACEEXIT | unix.PTRACE_O_TRACESECCOMP
)

func ptrace(req, tid int, addr, data uintptr) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// ptracePtr is ptrace for a request whose data is the address of memory
// the kernel reads or writes. The pointer stays a pointer until the
// system call itself: a uintptr made of it earlier is an address the Go
// runtime does not know, and the variable may move (a goroutine's stack
// is copied when it grows) before the kernel writes there. (A race-enabled
// build, whose frames are larger, made PTRACE_GETEVENTMSG's child pid read
// as 0.)
func ptracePtr(req, tid int, addr uintptr, data unsafe.Pointer) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, uintptr(data), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// seize attaches to tid. A program under the launch's seccomp filter is
// killed if the tracer dies (PTRACE_O_EXITKILL, which its children
// inherit): without a tracer, every call the filter lists would fail with
// ENOSYS, and the program would run on broken. strace's --seccomp-bpf
// implies --kill-on-exit for the same reason.
func seize(tid int, filtered bool) error {
	opts := uintptr(seizeOptions)
	if filtered {
		opts |= unix.PTRACE_O_EXITKILL
	}
	return ptrace(ptraceSeize, tid, 0, opts)
}

func interrupt(tid int) error { return ptrace(ptraceInterrupt, tid, 0, 0) }

func restart(req, tid, sig int) error { return ptrace(req, tid, 0, uintptr(sig)) }

func eventMsg(tid int) (uint64, error) {
	var msg uint64
	err := ptracePtr(unix.PTRACE_GETEVENTMSG, tid, 0, unsafe.Pointer(&msg))
	return msg, err
}

// siginfo is the kernel's siginfo_t with the fields the stopper reads:
// si_signo, si_errno, si_code, si_pid (user signals, SIGCHLD and waitid)
// and si_status (SIGCHLD and waitid).
type siginfo struct {
	Signo  int32
	Errno  int32
	Code   int32
	_      int32
	Pid    int32
	Uid    uint32
	Status int32
	_      [108]byte
}

// kernel returns the struct kernel_siginfo part of si, as core.Signal.Info
// holds it.
func (si *siginfo) kernel() (b [48]byte) {
	return *(*[48]byte)(unsafe.Pointer(si))
}

func getSiginfo(tid int) (siginfo, error) {
	var si siginfo
	err := ptracePtr(unix.PTRACE_GETSIGINFO, tid, 0, unsafe.Pointer(&si))
	return si, err
}

// setSiginfo replaces the siginfo of the signal a thread in a
// signal-delivery-stop is about to receive. The kernel keeps it when the
// thread is restarted with the same signal number as si.Signo; restarted
// with another, it makes up a siginfo from the tracer (SI_USER).
func setSiginfo(tid int, si *siginfo) error {
	return ptracePtr(unix.PTRACE_SETSIGINFO, tid, 0, unsafe.Pointer(si))
}

// syscallInfo is struct ptrace_syscall_info (PTRACE_GET_SYSCALL_INFO); the
// union holds the entry or exit view depending on Op.
type syscallInfo struct {
	Op     uint8
	_      [3]uint8
	Arch   uint32
	IP     uint64
	SP     uint64
	Nr     uint64    // entry: nr; exit: rval
	Args   [6]uint64 // entry: args; exit: Args[0]&0xff is is_error
	RetDat uint32
	_      uint32
}

func getSyscallInfo(tid int) (syscallInfo, error) {
	var si syscallInfo
	err := ptracePtr(ptraceGetSyscallInfo, tid, unsafe.Sizeof(si), unsafe.Pointer(&si))
	return si, err
}

// getRegs and setRegs move the general registers with the register-set
// requests, which every architecture has (arm64 has no PTRACE_GETREGS).
func getRegs(tid int, r *core.Registers) error {
	return regset(unix.PTRACE_GETREGSET, tid, core.NotePRStatus, unsafe.Pointer(r.Raw()), unsafe.Sizeof(*r.Raw()))
}

func setRegs(tid int, r *core.Registers) error {
	return regset(unix.PTRACE_SETREGSET, tid, core.NotePRStatus, unsafe.Pointer(r.Raw()), unsafe.Sizeof(*r.Raw()))
}

// regset moves register set note of tid from or to the n bytes at p.
func regset(req, tid, note int, p unsafe.Pointer, n uintptr) error {
	iov := unix.Iovec{Base: (*byte)(p)}
	iov.SetLen(int(n))
	return ptracePtr(req, tid, uintptr(note), unsafe.Pointer(&iov))
}

// What peek saw.
const (
	peekNothing = iota
	peekStop
	peekExit
)

// peek reports whether tid has a stop or an exit to collect, without
// collecting it (waitid with WNOWAIT).
func peek(tid int) (int, error) {
	var si siginfo
	_, _, errno := unix.Syscall6(unix.SYS_WAITID, unix.P_PID, uintptr(tid), uintptr(unsafe.Pointer(&si)),
		unix.WEXITED|unix.WSTOPPED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, 0, 0)
	if errno != 0 {
		return peekNothing, errno
	}
	switch {
	case si.Pid == 0:
		return peekNothing, nil
	case si.Code == cldExited || si.Code == cldKilled || si.Code == cldDumped:
		return peekExit, nil
	}
	return peekStop, nil
}

// si_code values of SIGCHLD (include/uapi/asm-generic/siginfo.h).
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3
)
