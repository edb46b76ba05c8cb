package sysent

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Errno names and messages, as strace prints them after "= -1".
//
// The names come from unix.ErrnoName and the messages from unix.Errno's
// Error, which mirror glibc's strerror; the exceptions below are where the
// Go tables and glibc (hence strace) disagree.

// errnoNameOverride holds names strace spells differently from x/sys.
var errnoNameOverride = map[unix.Errno]string{
	95:  "EOPNOTSUPP", // x/sys says ENOTSUP, the same number
	117: "EUCLEAN",    // x/sys says EFSCORRUPTED, an alias that glibc lacks
}

// errnoMsgOverride holds messages x/sys lacks.
var errnoMsgOverride = map[unix.Errno]string{
	133: "Memory page has hardware error", // EHWPOISON
}

// kernelErrnos are the kernel-internal codes (include/linux/errno.h) that
// can leak to a tracer but are not in libc. strace knows their names;
// libc has no message for them.
var kernelErrnos = map[unix.Errno]string{
	512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND",
	515: "ENOIOCTLCMD", 516: "ERESTART_RESTARTBLOCK", 517: "EPROBE_DEFER",
	518: "EOPENSTALE", 519: "ENOPARAM", 521: "EBADHANDLE", 522: "ENOTSYNC",
	523: "EBADCOOKIE", 524: "ENOTSUPP", 525: "ETOOSMALL", 526: "ESERVERFAULT",
	527: "EBADTYPE", 528: "EJUKEBOX", 529: "EIOCBQUEUED", 530: "ERECALLCONFLICT",
	531: "ENOGRACE",
}

// restartMsgs are the errors that mean "the call was interrupted and will
// be restarted": strace prints them as "= ? ERESTARTSYS (...)" because the
// task never sees them as a return value.
var restartMsgs = map[unix.Errno]string{
	512: "To be restarted if SA_RESTART is set",
	513: "To be restarted",
	514: "To be restarted if no handler",
	516: "Interrupted by signal",
}

// ErrnoName returns the symbolic name of errno e as strace prints it
// ("ENOENT", "ERESTARTSYS"), or "" if there is none.
func ErrnoName(e unix.Errno) string {
	if n, ok := errnoNameOverride[e]; ok {
		return n
	}
	if n, ok := kernelErrnos[e]; ok {
		return n
	}
	return unix.ErrnoName(e)
}

// ErrnoMessage returns glibc's strerror text for e, which is what strace
// shows in parentheses: "No such file or directory", "Unknown error 41".
func ErrnoMessage(e unix.Errno) string {
	return string(appendErrnoMessage(nil, e))
}

// appendErrnoMessage appends ErrnoMessage(e) without allocating.
func appendErrnoMessage(b []byte, e unix.Errno) []byte {
	if m, ok := errnoMsgOverride[e]; ok {
		return append(b, m...)
	}
	if m, ok := restartMsgs[e]; ok {
		return append(b, m...)
	}
	if _, ok := kernelErrnos[e]; !ok && e > 0 && e < 4096 {
		msg := e.Error()
		// x/sys falls back to "errno N" for numbers it has no text for.
		// Its texts are glibc's with the first letter lowered.
		if msg != "" && !strings.HasPrefix(msg, "errno ") {
			c := msg[0]
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			return append(append(b, c), msg[1:]...)
		}
	}
	b = append(b, "Unknown error "...)
	return strconv.AppendUint(b, uint64(e), 10)
}

// appendErrno appends " ENAME (Message)" (or " ERRNO_41 (...)" for a
// number without a name, as strace does).
func appendErrno(b []byte, e unix.Errno) []byte {
	b = append(b, ' ')
	if n := ErrnoName(e); n != "" {
		b = append(b, n...)
	} else {
		b = append(b, "ERRNO_"...)
		b = strconv.AppendUint(b, uint64(e), 10)
	}
	b = append(b, " ("...)
	b = appendErrnoMessage(b, e)
	return append(b, ')')
}

// signalNames is strace's signal table for the generic signal numbers
// (asm-generic/signal.h), which x86-64 and arm64 share. Signal 32 is the kernel's
// SIGRTMIN; 33 and up print as SIGRT_1, SIGRT_2, ...: strace numbers real
// time signals from the kernel's SIGRTMIN, not glibc's (which is 34).
var signalNames = [...]string{
	"SIG_0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
	"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS", "SIGRTMIN",
}

const sigRTMax = 64

// SignalName returns strace's name for signal sig: "SIGUSR1", "SIGRT_3",
// or the decimal number for 0 and out-of-range values.
func SignalName(sig int) string {
	return string(appendSignal(nil, int64(sig)))
}

func appendSignal(b []byte, sig int64) []byte {
	switch {
	case sig > 0 && sig < int64(len(signalNames)):
		return append(b, signalNames[sig]...)
	case sig >= int64(len(signalNames)) && sig <= sigRTMax:
		b = append(b, "SIGRT_"...)
		return strconv.AppendInt(b, sig-32, 10)
	}
	return strconv.AppendInt(b, sig, 10)
}
