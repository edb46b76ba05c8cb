package stopper

import (
	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// dispositions reads which signals the process ignores and catches from
// /proc/TID/status (SigIgn, SigCgt): bit n-1 stands for signal n. ptrace
// reports a signal before the kernel acts on its disposition, so this is
// what the signal is about to do.
func dispositions(tid int) (ignored, caught uint64, err error) {
	s, err := procfs.Process(tid).Status()
	if err != nil {
		return 0, 0, err
	}
	if ignored, err = s.Mask("SigIgn"); err != nil {
		return 0, 0, err
	}
	if caught, err = s.Mask("SigCgt"); err != nil {
		return 0, 0, err
	}
	return ignored, caught, nil
}

// classify says which utrace signal event a delivery of sig is, as the
// seed's utrace_get_signal does from the sigaction: handler, ignored, or
// the default action (core dump, ignore, stop, terminate).
func classify(sig int, ignored, caught uint64) core.Events {
	bit := uint64(1) << (sig - 1)
	switch {
	case caught&bit != 0:
		return core.EventSignal
	case ignored&bit != 0:
		return core.EventSignalIgn
	}
	switch unix.Signal(sig) {
	case unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE,
		unix.SIGSEGV, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGSYS:
		return core.EventSignalCore
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGCONT:
		return core.EventSignalIgn
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return core.EventSignalStop
	}
	return core.EventSignalTerm
}

// ownAction is the signal action each classification stands for: what the
// disposition does with the signal (core.signalResult, the first engine's
// view). An ignored signal is dropped either way; a stop's representative
// is SIGSTOP.
var ownAction = map[core.Events]core.Action{
	core.EventSignal:     core.SignalDeliver,
	core.EventSignalTerm: core.SignalTerm,
	core.EventSignalCore: core.SignalCore,
}

// isStopSignal reports whether sig's default action is a job-control stop;
// a PTRACE_EVENT_STOP with one of these is a group-stop.
func isStopSignal(sig unix.Signal) bool {
	switch sig {
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return true
	}
	return false
}

// deliverAs turns the engines' signal action into the signal to hand the
// thread when it resumes from a signal-delivery-stop, the way the seed
// expresses an action by "a representative signal whose default action
// does it". ptrace cannot change a disposition, so TERM and CORE are
// carried out with signals whose default cannot be caught or is a core dump
// only when the program does not catch them; see the package doc. An
// action that is the signal's own (ev, its classification: a SIGSEGV left
// to dump core) delivers the signal itself, so that the program dies of
// what it would have died of untraced.
func deliverAs(action core.Action, ev core.Events, signo int, caught uint64) int {
	uncaught := func(s unix.Signal) bool { return caught&(1<<(uint(s)-1)) == 0 }
	if own, ok := ownAction[ev]; ok && own == action.SignalAction() {
		return signo
	}
	switch action.SignalAction() {
	case core.SignalIgn:
		return 0
	case core.SignalTerm:
		if uncaught(unix.SIGTERM) {
			return int(unix.SIGTERM)
		}
		return int(unix.SIGKILL)
	case core.SignalCore:
		for _, s := range []unix.Signal{unix.SIGQUIT, unix.SIGABRT, unix.SIGSEGV} {
			if uncaught(s) {
				return int(s)
			}
		}
		return int(unix.SIGKILL)
	case core.SignalStop, core.SignalTSTP:
		return int(unix.SIGSTOP)
	}
	return signo
}
