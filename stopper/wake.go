package stopper

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The ptrace thread waits for its tracees' stops in a blocking waitid, as a
// C tracer does: the kernel wakes it directly when a tracee stops, with no
// signal and no other thread in between. Two signal settings make that
// possible inside a Go program, whose runtime installs a handler for every
// signal:
//
//   - SIGCHLD gets SA_NOCLDSTOP. The kernel sends the tracer a SIGCHLD at
//     every ptrace stop unless the handler has that flag
//     (do_notify_parent_cldstop); with Go's handler installed each one
//     would wake some thread of the program for nothing. Exits still send
//     SIGCHLD, and the stopper listens for them.
//   - The doorbell signal loses SA_RESTART. Go's handler for it does
//     nothing (nobody is notified of it), but a blocking waitid it
//     interrupts returns EINTR instead of being restarted: the way other
//     goroutines wake the ptrace thread when they have work for it.
//
// Both are set once per process and kept. Should a program call
// signal.Ignore on either signal, the handler is no longer Go's and the
// stopper falls back to polling (see doorbellOK).

// doorbell is the signal sent to the ptrace thread to wake it: SIGRTMAX-2,
// which neither the Go runtime nor glibc uses.
const doorbell = unix.Signal(62)

// kernelSigaction is struct sigaction as rt_sigaction(2) takes it on
// x86-64 and arm64 (asm-generic's with sa_restorer, which both define).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	saNoCldStop = 0x1
	saRestart   = 0x10000000
	sigDfl      = 0
	sigIgn      = 1
)

func rtSigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), unsafe.Sizeof(act.mask), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// changeFlags sets and clears flags of sig's handler, keeping the handler.
// It reports false when the handler is not a function (SIG_DFL, SIG_IGN).
func changeFlags(sig unix.Signal, set, clear uint64) bool {
	var act kernelSigaction
	if rtSigaction(sig, nil, &act) != nil || act.handler == sigDfl || act.handler == sigIgn {
		return false
	}
	act.flags = act.flags&^clear | set
	return rtSigaction(sig, &act, nil) == nil
}

var (
	signalsOnce sync.Once
	signalsOK   bool
)

// setupSignals makes the settings above, once; it reports whether the
// ptrace thread may block in waitid.
func setupSignals() bool {
	signalsOnce.Do(func() {
		if !changeFlags(doorbell, 0, saRestart) {
			return
		}
		// Without the doorbell the stopper polls, and needs SIGCHLD for
		// stops too.
		signalsOK = changeFlags(unix.SIGCHLD, saNoCldStop, 0)
	})
	return signalsOK
}

// doorbellOK reports whether both handlers are still as setupSignals left
// them.
func doorbellOK() bool {
	var bell, chld kernelSigaction
	if rtSigaction(doorbell, nil, &bell) != nil || rtSigaction(unix.SIGCHLD, nil, &chld) != nil {
		return false
	}
	return bell.handler > sigIgn && bell.flags&saRestart == 0 && chld.handler > sigIgn && chld.flags&saNoCldStop != 0
}

// waitStop blocks until one of the calling thread's tracees is in a ptrace
// stop and collects it (waitid with __WNOTHREAD: the tracees of this thread
// only; without WEXITED: an exit, which may be one the program's own wait
// is due to collect, is left for sweep). It returns EINTR when the doorbell
// rang, ECHILD when the thread traces nothing.
func waitStop() (int, unix.WaitStatus, error) {
	var si siginfo
	_, _, errno := unix.Syscall6(unix.SYS_WAITID, unix.P_ALL, 0, uintptr(unsafe.Pointer(&si)),
		unix.WSTOPPED|unix.WALL|unix.WNOTHREAD, 0, 0)
	if errno != 0 {
		return 0, 0, errno
	}
	// For a ptrace stop si_status is the whole exit code (signal, 0x80
	// for syscall stops, event << 8), which wait4 would put in status
	// bits 8 and up.
	return int(si.Pid), unix.WaitStatus(uint32(si.Status)<<8 | 0x7f), nil
}
