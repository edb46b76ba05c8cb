package core

import (
	"context"
	"fmt"
)

// Engine is one tracing engine attached to one thread, the handle for every
// other call (the seed's struct utrace_attached_engine). A detached Engine
// stays a valid value; every call on it then returns ErrDetached.
type Engine struct {
	th   *thread
	ops  any
	data any

	// Guarded by th.mu.
	events     Events
	sync       Events      // events the engine needs reported while the thread is stopped
	syscalls   *SyscallSet // nil: all
	count      bool
	histograms bool
	exitOnly   bool // syscall entries only for calls that never return
	// passiveOnly are the events the engine takes only from the passive
	// source (SetPassiveOnly).
	passiveOnly Events
	capture     bool // syscall events with the memory their arguments point at
	enterTimes  bool // passive syscall exits with the time of the call's entry
	fdPaths     FdPaths
	triggers    []Trigger
	wantsStop   bool // the engine's last word was Stop (sticky, the seed's ENGINE_STOP)
	// stopSeen: a callback of the engine returned Stop since its last
	// Control(Stop); false means the engine still awaits its report.
	stopSeen bool
	step     Action // SingleStep or BlockStep asked for while stopped
	detached bool
}

// Ops returns the ops value given to Attach.
func (e *Engine) Ops() any { return e.ops }

// Data returns the data value given to Attach.
func (e *Engine) Data() any { return e.data }

// Tid returns the thread the engine is attached to. It changes when a
// non-leader thread execs and takes over the leader's tid.
func (e *Engine) Tid() int { return e.th.id() }

// Tgid returns the process of the thread.
func (e *Engine) Tgid() int { return e.th.tgid }

// Tracer returns the tracer the engine belongs to, for attaching to children
// from ReportClone.
func (e *Engine) Tracer() *Tracer { return e.th.t }

// Events returns the engine's event mask.
func (e *Engine) Events() Events {
	e.th.mu.Lock()
	defer e.th.mu.Unlock()
	return e.events
}

// SetEvents chooses which events the engine gets reports for
// (utrace_set_events). Every bit needs the matching reporter interface on
// ops, else ErrInvalid.
//
// It returns ErrDetached for a detached engine; ErrAlready when the change
// cannot be promised because the thread is dying: newly setting EventDeath
// or EventQuiesce on a dying thread, clearing EventDeath while the DEATH
// report runs, clearing EventReap while the REAP report runs. It returns
// ErrInProgress when the thread is not stopped and a callback to this engine
// may be running, which may be one the new mask excludes (see Barrier); if
// the thread was stopped, no excluded callback is made after SetEvents
// returns.
func (e *Engine) SetEvents(mask Events) error {
	if mask&^EventAll != 0 {
		return fmt.Errorf("set events %#x: %w", uint32(mask), ErrInvalid)
	}
	if missing := missingReporter(e.ops, mask); missing != 0 {
		return fmt.Errorf("set events %v: %T has no reporter for %v: %w", mask, e.ops, missing, ErrInvalid)
	}
	th := e.th
	th.mu.Lock()
	if e.detached {
		th.mu.Unlock()
		return ErrDetached
	}
	old := e.events
	if th.dying && ((mask&^old)&deathEvents != 0 ||
		(th.death && (old&^mask)&deathEvents != 0) ||
		(th.reap && (old&^mask)&EventReap != 0)) {
		th.mu.Unlock()
		return ErrAlready
	}
	e.events = mask
	var err error
	if !th.stopped && th.reporting == e {
		err = ErrInProgress
	}
	th.mu.Unlock()
	if perr := th.push(); perr != nil {
		return fmt.Errorf("set events %v on %d: %w", mask, th.id(), perr)
	}
	return err
}

// SetSync chooses which of the engine's events must be reported
// synchronously: with the thread held stopped while every engine's callback
// runs, so that actions take effect precisely (aborting a system call,
// changing a signal, stopping before the next instruction). Other events are
// reported passively, from the eBPF source, while the thread runs on, and a
// passive callback that returns Stop, Report, Interrupt or a step escalates:
// the thread is stopped and a synchronous EventQuiesce report follows.
// EventQuiesce is always synchronous; EventDeath and EventReap are always
// passive.
//
// The tier is per thread: when any engine needs an event synchronously, all
// engines on the thread get it synchronously (but see SetPassiveOnly), and
// none gets it twice.
func (e *Engine) SetSync(mask Events) error {
	if mask&^EventAll != 0 {
		return fmt.Errorf("set sync %#x: %w", uint32(mask), ErrInvalid)
	}
	return e.update(func() { e.sync = mask })
}

// SetPassiveOnly says the engine takes the events in mask (other than
// system calls) only as passive reports, even when another engine on the
// thread needs them synchronously: after the fact, and as the kernel
// finally did them. A log wants that: a signal the passive source reports
// is one the thread really got, after every synchronous engine had its say
// (a breakpoint's SIGTRAP that a debugger engine swallows never is), and
// in order with the thread's other passive reports. The engine still gets
// each event once.
func (e *Engine) SetPassiveOnly(mask Events) error {
	if mask&^EventAll != 0 || mask&(EventSyscall|EventQuiesce) != 0 {
		return fmt.Errorf("set passive only %#x: %w", uint32(mask), ErrInvalid)
	}
	return e.update(func() { e.passiveOnly = mask })
}

// SetSyscallFilter limits the engine's syscall reports to the numbers in
// set; nil means every system call. The filter is evaluated in the kernel
// when every engine on the thread that wants syscall events has one.
func (e *Engine) SetSyscallFilter(set *SyscallSet) error {
	if set != nil {
		cp := *set
		set = &cp
	}
	return e.update(func() { e.syscalls = set })
}

// SetTriggers installs the engine's triggers (see Trigger), replacing any it
// had. Reports of triggered calls go to ReportSyscallExit, which the engine
// must implement; EventSyscallExit need not be in its events.
func (e *Engine) SetTriggers(ts []Trigger) error {
	if len(ts) > 0 && !implements[SyscallExitReporter](e.ops) {
		return fmt.Errorf("set triggers: %T has no ReportSyscallExit: %w", e.ops, ErrInvalid)
	}
	for _, t := range ts {
		if t.Nr < 0 || t.Nr >= SyscallLimit || t.Op > RetGe {
			return fmt.Errorf("set triggers: %+v: %w", t, ErrInvalid)
		}
	}
	ts = append([]Trigger(nil), ts...)
	return e.update(func() { e.triggers = ts })
}

// triggersOn reports whether one of e's triggers watches system call nr.
// Called with th.mu held or from the thread's report.
func (e *Engine) triggersOn(nr int) bool {
	for _, t := range e.triggers {
		if t.Nr == nr {
			return true
		}
	}
	return false
}

// SetExitEntriesOnly says the engine needs passive syscall-entry reports
// only for exit and exit_group, which have no exit report: its exit
// reports carry the number and arguments of every other call, and with
// SetCapture the memory captured at its entry. When every engine on the
// thread that wants entries says so, the others are not reported at all,
// which halves the traffic of a full syscall log.
func (e *Engine) SetExitEntriesOnly(on bool) error {
	return e.update(func() { e.exitOnly = on })
}

// SetCapture asks for the memory that system calls' arguments point at,
// copied by the kernel side when the kernel uses it (Syscall.Regions):
// inputs at the call's entry, outputs at its exit. It costs a copy per
// call, for the threads of engines that ask.
func (e *Engine) SetCapture(on bool) error {
	return e.update(func() { e.capture = on })
}

// SetEnterTimes asks for Syscall.EnterTime in passive syscall exits (with
// SetCapture): the call's duration, strace's -T and -r. It costs a clock
// read per call, which on some machines is a third of the kernel side's
// cost, so it is not on by default.
func (e *Engine) SetEnterTimes(on bool) error {
	return e.update(func() { e.enterTimes = on })
}

// SetFdPaths asks, with SetCapture, for what the descriptors of the
// thread's calls are open on (Syscall.Regions flagged RegionFdPath): the
// descriptors a call is given at its entry, those it creates at its exit.
// It costs a walk of the file's path for each, on those calls only.
func (e *Engine) SetFdPaths(level FdPaths) error {
	return e.update(func() { e.fdPaths = level })
}

// SetCounting turns in-kernel syscall aggregation on or off for the thread
// (see Tracer.SyscallStats). It costs no per-event traffic.
func (e *Engine) SetCounting(on bool) error {
	return e.update(func() { e.count = on })
}

// SetHistograms asks, with SetCounting, for the durations of the thread's
// counted calls in the kernel's per-syscall histograms (see
// Tracer.SyscallHistogram). It costs an atomic add per call.
func (e *Engine) SetHistograms(on bool) error {
	return e.update(func() { e.histograms = on })
}

func (e *Engine) update(change func()) error {
	th := e.th
	th.mu.Lock()
	if e.detached {
		th.mu.Unlock()
		return ErrDetached
	}
	change()
	th.mu.Unlock()
	return th.push()
}

// Control tells the thread what to do (utrace_control). action is one resume
// action; signal or syscall bits are ErrInvalid.
//
//   - Stop: keep the thread stopped until this engine resumes it. Returns nil
//     if it is already stopped, else ErrInProgress: a QUIESCE report (or a
//     synchronous event's) follows soon, whose callback can return Stop.
//   - Resume: undo this engine's Stop. The thread runs when no engine holds
//     it stopped.
//   - Report: like Resume, and a QUIESCE report comes soon (before the
//     thread runs again if it is stopped).
//   - Interrupt: like Report, but the report is a ReportSignal with
//     SignalReport, and a blocking system call is interrupted.
//   - SingleStep, BlockStep: resume for one instruction or block; the
//     thread must be stopped (else ErrAgain). A QUIESCE report follows.
//   - Detach: the engine gets no more callbacks. ErrInProgress when a
//     callback may still be running (see Barrier).
//
// On a dying thread only Detach is allowed (else ErrDetached); it returns
// ErrAlready while the DEATH report may be running, ErrDetached once the
// thread is being reaped.
func (e *Engine) Control(action Action) error {
	if action > Detach {
		return fmt.Errorf("control %v: %w", action, ErrInvalid)
	}
	th := e.th
	th.mu.Lock()
	if e.detached {
		th.mu.Unlock()
		return ErrDetached
	}
	if th.dying {
		if action != Detach || th.reap {
			th.mu.Unlock()
			return ErrDetached
		}
		if th.death {
			th.mu.Unlock()
			return ErrAlready
		}
	}
	stopped := th.stopped
	stp := th.t.cfg.Stopper
	e.wantsStop = false
	var err error
	askStop := false
	switch action {
	case Stop:
		if stp == nil {
			th.mu.Unlock()
			return fmt.Errorf("control stop: %w", ErrNoStopper)
		}
		e.wantsStop = true
		e.stopSeen = stopped
		if !stopped {
			askStop = true
			err = ErrInProgress
		}
	case Detach:
		last := th.remove(e)
		if !stopped && th.reporting == e {
			err = ErrInProgress
		}
		if last && !stopped {
			th.mu.Unlock()
			th.t.forget(th)
			th.push()
			return err
		}
	case Report, Interrupt:
		if stp == nil {
			th.mu.Unlock()
			return fmt.Errorf("control %v: %w", action, ErrNoStopper)
		}
		if action == Report {
			th.wantReport = true
		} else {
			th.wantInterrupt = true
		}
		askStop = !stopped && !th.syncing
	case SingleStep, BlockStep:
		if !stopped {
			th.mu.Unlock()
			return fmt.Errorf("control %v: %w", action, ErrAgain)
		}
		e.step = action
	}
	resumeWith, resume := th.release()
	last := len(th.engines) == 0
	tid := th.id()
	th.mu.Unlock()

	if askStop {
		if serr := stp.Stop(tid); serr != nil {
			return fmt.Errorf("control %v on %d: %w", action, tid, serr)
		}
	}
	if resume {
		if rerr := stp.Resume(tid, resumeWith); rerr != nil {
			return fmt.Errorf("control %v: resume %d: %w", action, tid, rerr)
		}
	}
	if last {
		th.t.forget(th)
	}
	if action == Detach {
		th.push()
	}
	return err
}

// Barrier waits until no callback to this engine is running on its thread
// (utrace_barrier), and the reporting pass it belongs to has finished, so
// the thread's state reflects what the engine returned: after a callback
// returned Stop, Barrier returns once the thread counts as stopped. It
// accepts a detached engine: it waits for a callback that was running when
// Control(Detach) returned ErrInProgress, then returns ErrDetached. It
// returns nil for an attached engine, or ctx's error if ctx ends first.
// Calling it from a callback on the same thread never returns before ctx
// ends.
func (e *Engine) Barrier(ctx context.Context) error {
	th := e.th
	for {
		th.mu.Lock()
		if th.stopped || th.reporting != e && !th.passing {
			detached := e.detached
			th.mu.Unlock()
			if detached {
				return ErrDetached
			}
			return nil
		}
		if th.idle == nil {
			th.idle = make(chan struct{})
		}
		idle := th.idle
		th.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Examine calls fn with the registers and memory of the thread, which this
// engine must hold: from inside one of its synchronous callbacks, or after
// its Stop took effect (utrace_prepare_examine/utrace_finish_examine). It
// returns ErrInvalid when the engine does not hold the thread stopped,
// ErrAgain when the thread is not stopped yet or ran during the
// examination (discard what fn saw), ErrDetached for a dead thread.
// Memory shows the program's own bytes where an engine put a breakpoint
// (Tracer.Shadow).
func (e *Engine) Examine(fn func(Stopped) error) error {
	th := e.th
	th.mu.Lock()
	inCallback := th.reporting == e && th.syncing
	switch {
	case e.detached || th.dying:
		th.mu.Unlock()
		return ErrDetached
	case !inCallback && !e.wantsStop:
		th.mu.Unlock()
		return fmt.Errorf("examine %d: engine does not hold it stopped: %w", th.id(), ErrInvalid)
	case !inCallback && !th.stopped:
		th.mu.Unlock()
		return fmt.Errorf("examine %d: %w", th.id(), ErrAgain)
	}
	tid, tgid := th.id(), th.tgid
	stp := th.t.cfg.Stopper
	th.mu.Unlock()
	if stp == nil {
		return ErrNoStopper
	}
	return stp.Examine(tid, th.t.shadowed(tgid, fn))
}
