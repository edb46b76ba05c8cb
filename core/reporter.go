package core

// The report interfaces, one per seed report_* callback. An engine's ops
// value implements those it needs; SetEvents refuses an event bit whose
// reporter is missing. Every callback gets the engine handle, the action
// chosen so far by the engines called before it (and, for signal and syscall
// entry reports, the signal or syscall action so far), and the event; it
// returns the action it wants. Callbacks may call any Engine or Tracer method
// except Barrier on their own engine.
//
// Callbacks of one thread are made one at a time, in event order; callbacks
// of different threads may run in parallel. A callback must not block on
// anything the traced thread does: to make the thread wait, return Stop and
// resume it later with Engine.Control.

// QuiesceReporter gets EventQuiesce: the thread is stopped and may be
// examined. It is called before every synchronous event's own report with
// that event's bit, and with event 0 when the thread stopped for no event of
// its own (because of Stop, Report or Interrupt).
type QuiesceReporter interface {
	ReportQuiesce(e *Engine, action Action, event Events) Action
}

// SignalReporter gets the EventSignal* events. action holds the signal
// action the previous engine chose (initially what the signal's disposition
// would do), which this callback may change along with ev.Signal.Signo.
// After Report or Interrupt the action is SignalReport, and a callback may
// return SignalDeliver with ev.Signal.Signo set to inject a signal.
type SignalReporter interface {
	ReportSignal(e *Engine, action Action, ev *Event) Action
}

// CloneReporter gets EventClone in the parent, before the child runs. It may
// attach to ev.Clone.Child.
type CloneReporter interface {
	ReportClone(e *Engine, action Action, ev *Event) Action
}

// JctlReporter gets EventJctl.
type JctlReporter interface {
	ReportJctl(e *Engine, action Action, ev *Event) Action
}

// ExecReporter gets EventExec after a successful execve.
type ExecReporter interface {
	ReportExec(e *Engine, action Action, ev *Event) Action
}

// FailedExecReporter is implemented by the ops of an ExecReporter that
// also wants the execs that failed: EventExec reports with Exec.Ret < 0,
// made passively when the call returns, with the attempted path and
// arguments. Engines without it never see those reports, so for them
// EventExec keeps the seed's meaning.
type FailedExecReporter interface {
	ExecReporter
	ReportsFailedExecs() bool
}

// SyscallEntryReporter gets EventSyscallEntry. The syscall action returned
// replaces the previous engine's: the last engine decides between
// SyscallRun and SyscallAbort.
type SyscallEntryReporter interface {
	ReportSyscallEntry(e *Engine, action Action, ev *Event) Action
}

// SyscallExitReporter gets EventSyscallExit.
type SyscallExitReporter interface {
	ReportSyscallExit(e *Engine, action Action, ev *Event) Action
}

// ExitReporter gets EventExit: the thread is exiting and cannot be stopped
// from doing so, but its state is still live.
type ExitReporter interface {
	ReportExit(e *Engine, action Action, ev *Event) Action
}

// DeathReporter gets EventDeath. Only Detach is meaningful in the return
// value; a dead thread does not resume.
type DeathReporter interface {
	ReportDeath(e *Engine, ev *Event) Action
}

// ReapReporter gets EventReap, the last event of a thread. The engine is
// detached when it returns.
type ReapReporter interface {
	ReportReap(e *Engine, ev *Event)
}

// missingReporter returns the first event in mask whose reporter ops lacks.
func missingReporter(ops any, mask Events) Events {
	checks := []struct {
		bits Events
		ok   bool
	}{
		{EventQuiesce, implements[QuiesceReporter](ops)},
		{EventReap, implements[ReapReporter](ops)},
		{EventClone, implements[CloneReporter](ops)},
		{EventExec, implements[ExecReporter](ops)},
		{EventExit, implements[ExitReporter](ops)},
		{EventDeath, implements[DeathReporter](ops)},
		{EventSyscallEntry, implements[SyscallEntryReporter](ops)},
		{EventSyscallExit, implements[SyscallExitReporter](ops)},
		{EventSignalAll, implements[SignalReporter](ops)},
		{EventJctl, implements[JctlReporter](ops)},
	}
	for _, c := range checks {
		if mask&c.bits != 0 && !c.ok {
			return mask & c.bits
		}
	}
	return 0
}

func implements[T any](ops any) bool {
	_, ok := ops.(T)
	return ok
}
