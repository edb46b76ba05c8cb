package core

import "golang.org/x/sys/unix"

// Deliver reports one event to the engines of its thread and returns the
// action they chose together. Backends call it: the passive source for each
// record it reads (the returned action is then informational; a Stop or
// other request that needs the thread stopped has already been passed to the
// Stopper), the stopper for each synchronous stop (it must act on the
// returned action: keep the thread stopped for Stop, otherwise resume it
// with the resume action, applying the signal or syscall action and the
// changes callbacks made to ev).
//
// Events of one thread are reported one at a time, in the order Deliver is
// called; each engine's callback sees the action chosen by the engines before
// it, in attach order. Events of threads without engines are counted (see
// Unclaimed) and return Resume.
func (t *Tracer) Deliver(ev *Event) Action {
	act, _ := t.deliver(ev, false)
	return act
}

// TryDeliver is Deliver for a caller that must not wait for another
// goroutine: the stopper, which reports on its ptrace thread, while a
// passive report of the same thread may be running on another goroutine
// and calling into the stopper (which would then wait for the ptrace thread
// in turn). When the thread's reports are busy, or the event needs
// bookkeeping that locks other threads (a non-leader exec, a thread whose
// CLONE report was lost), it reports nothing and returns false; the caller
// then delivers with Deliver from a goroutine of its own.
func (t *Tracer) TryDeliver(ev *Event) (Action, bool) {
	return t.deliver(ev, true)
}

func (t *Tracer) deliver(ev *Event, try bool) (Action, bool) {
	if ev.Type == EventExec && ev.Exec.OldTid != 0 && ev.Exec.OldTid != ev.Tid {
		if try {
			return 0, false
		}
		t.takeover(ev)
	}
	th := t.thread(ev.Tid)
	if th == nil {
		if try {
			return 0, false
		}
		th = t.adoptThread(ev)
	}
	if th == nil {
		t.unclaimed.Add(1)
		return Resume, true
	}
	if !try {
		th.dispatch.Lock()
	} else if !th.dispatch.TryLock() {
		return 0, false
	}
	defer th.dispatch.Unlock()
	return th.deliver(ev), true
}

// deliver reports ev to th's engines; th.dispatch is held.
func (th *thread) deliver(ev *Event) Action {
	t := th.t
	switch ev.Type {
	case EventDeath:
		th.reportDeath(ev)
		return Resume
	case EventReap:
		th.reportReap(ev)
		return Resume
	}
	if ev.Type != EventClone || ev.Clone.Child == 0 {
		return th.reportEvent(ev)
	}
	info := ThreadInfo{Tgid: ev.Clone.Child}
	if ev.Clone.Thread {
		info.Tgid = ev.Tgid
	}
	t.mu.Lock()
	t.cloning[ev.Clone.Child] = info
	t.mu.Unlock()
	act := th.reportEvent(ev)
	t.mu.Lock()
	delete(t.cloning, ev.Clone.Child)
	t.mu.Unlock()
	t.disownChild(th, ev)
	return act
}

// adoptThread handles an event of a thread the tracer does not know, in a
// process it follows: the kernel made the thread inherit its creator's
// watch, but the CLONE report that would have let the engines attach to it
// was lost (a full ring buffer). The CLONE is reported now, by a followed
// thread of the same process, so the engines can attach late rather than
// never. Returns the thread if some engine attached.
func (t *Tracer) adoptThread(ev *Event) *thread {
	if ev.Tgid == 0 || ev.Tgid == ev.Tid || ev.Type == EventReap {
		return nil // not a thread of a known process, or nothing left to report
	}
	t.mu.Lock()
	var parent *thread
	for _, th := range t.threads {
		if th.tgid == ev.Tgid {
			th.mu.Lock()
			follows := th.pushed.Follow
			th.mu.Unlock()
			if follows {
				parent = th
				break
			}
		}
	}
	t.mu.Unlock()
	if parent == nil {
		return nil
	}
	t.lostClones.Add(1)
	clone := &Event{Type: EventClone, Tid: parent.id(), Tgid: ev.Tgid, Time: ev.Time,
		Clone: Clone{Child: ev.Tid, Thread: true}}
	t.Deliver(clone)
	return t.thread(ev.Tid)
}

// takeover moves the engines of a non-leader thread that exec'd to the
// leader's tid, which the kernel gave it (de_thread). The old leader's
// engines, if any, see it reaped: its task is gone.
func (t *Tracer) takeover(ev *Event) {
	t.mu.Lock()
	th := t.threads[ev.Exec.OldTid]
	leader := t.threads[ev.Tid]
	if leader != nil {
		delete(t.threads, ev.Tid)
	}
	if th != nil {
		delete(t.threads, ev.Exec.OldTid)
		th.tid.Store(int64(ev.Tid))
		t.threads[ev.Tid] = th
	}
	t.mu.Unlock()
	if leader != nil && leader != th {
		leader.dispatch.Lock()
		leader.reportReap(&Event{Type: EventReap, Tid: ev.Tid, Tgid: ev.Tgid, Time: ev.Time})
		leader.dispatch.Unlock()
	}
}

// disownChild undoes what a clone did for a child that no engine attached
// to in its ReportClone: the kernel made it inherit the parent's watch (and
// ptrace may have attached to it) so that it would be seen from its first
// instruction, in case an engine wanted it.
func (t *Tracer) disownChild(parent *thread, ev *Event) {
	child := ev.Clone.Child
	if child == 0 || t.thread(child) != nil {
		return
	}
	parent.mu.Lock()
	inherited := parent.pushed.Follow
	parent.mu.Unlock()
	if src := t.cfg.Source; inherited && src != nil {
		src.SetWatch(child, Watch{})
	}
	if stp := t.cfg.Stopper; ev.Sync && stp != nil {
		stp.SetSync(child, 0)
	}
}

// pass is the state of one reporting pass (the seed's struct utrace_report).
type pass struct {
	action   Action // most constrained resume action returned so far
	shown    Action // what the next callback sees: action, or Stop while an engine holds a sticky stop
	result   Action // signal or syscall action so far
	detaches bool
}

// chain says which upper action bits a callback's return passes on.
type chain uint8

const (
	chainNone    chain = iota
	chainSignal        // signal action and hold flag pass from engine to engine
	chainSyscall       // the last engine's syscall action wins
)

// report makes one reporting pass over the engines for ev (the seed's
// REPORT macro: start_callback and finish_callback for each engine).
func (th *thread) reportEvent(ev *Event) Action {
	th.mu.Lock()
	if th.fromOtherTier(ev) {
		th.mu.Unlock()
		return Resume | SyscallRun
	}
	engines := th.engines
	syncSet := th.pushedSync
	th.passing = true
	th.syncing = ev.Sync
	plainStop := ev.Type == EventQuiesce
	interrupt := false
	if ev.Sync {
		th.stopped = false
		if plainStop {
			// This is the report Report or Interrupt asked for.
			interrupt = th.wantInterrupt
			th.wantReport, th.wantInterrupt = false, false
		}
	}
	th.mu.Unlock()

	p := pass{action: Resume, shown: Resume}
	kind := chainNone
	switch {
	case ev.Type&EventSignalAll != 0:
		p.result, kind = signalResult(ev), chainSignal
	case interrupt:
		p.result, kind = SignalReport, chainSignal
	case ev.Type == EventSyscallEntry:
		p.result, kind = SyscallRun, chainSyscall
	}

	for _, e := range engines {
		th.mu.Lock()
		if e.detached {
			th.mu.Unlock()
			continue
		}
		want := e.events
		if !takesFrom(e, ev, syncSet) {
			want &^= ev.Type
		}
		th.reporting = e
		sticky := e.wantsStop
		th.mu.Unlock()

		// A synchronous event is preceded by a QUIESCE report to the
		// engines that asked for it; signal events make it part of their
		// own report, as the seed's utrace_get_signal does.
		if ev.Sync && !plainStop && kind != chainSignal && want&EventQuiesce != 0 {
			ret := e.ops.(QuiesceReporter).ReportQuiesce(e, p.shown, ev.Type)
			if th.finish(e, &p, ret, chainNone) {
				continue
			}
			th.mu.Lock()
			want = e.events
			th.reporting = e
			sticky = e.wantsStop
			th.mu.Unlock()
		}
		if sticky {
			// The engine's sticky stop shows in what it and the engines
			// after it see; whether the thread stops is decided at the
			// end, by who still wants it stopped then.
			p.shown = Stop
		}

		ret, called := th.call(e, &p, ev, want, interrupt)
		if !called {
			th.mu.Lock()
			th.callbackDone()
			th.mu.Unlock()
			continue
		}
		th.finish(e, &p, ret, kind)
	}
	return th.finishReport(ev, &p)
}

// call makes e's callback for ev, if e wants it; reports whether it did.
func (th *thread) call(e *Engine, p *pass, ev *Event, want Events, interrupt bool) (Action, bool) {
	if ev.Type == EventQuiesce || ev.Type&EventSignalAll != 0 {
		wantsEvent := ev.Type != EventQuiesce && want&ev.Type != 0
		if !wantsEvent && !(ev.Sync && want&EventQuiesce != 0) {
			return 0, false
		}
		if sr, ok := e.ops.(SignalReporter); ok && (wantsEvent || interrupt || ev.Type != EventQuiesce) {
			return sr.ReportSignal(e, p.result|p.shown, ev), true
		}
		event := ev.Type
		if event == EventQuiesce {
			event = 0
		}
		return p.result | e.ops.(QuiesceReporter).ReportQuiesce(e, p.shown, event), true
	}
	if want&ev.Type == 0 && !(ev.Triggered && e.triggersOn(ev.Syscall.Nr)) {
		return 0, false
	}
	switch ev.Type {
	case EventSyscallEntry, EventSyscallExit:
		// The exit of a call an engine skipped has no number (-1): it
		// passes every filter, as the engines that kept its entry
		// must see how it ended.
		if e.syscalls != nil && ev.Syscall.Nr != -1 && !e.syscalls.Has(ev.Syscall.Nr) && !(ev.Triggered && e.triggersOn(ev.Syscall.Nr)) {
			return 0, false
		}
		if ev.Type == EventSyscallEntry {
			return e.ops.(SyscallEntryReporter).ReportSyscallEntry(e, p.result|p.shown, ev), true
		}
		return e.ops.(SyscallExitReporter).ReportSyscallExit(e, p.shown, ev), true
	case EventClone:
		return e.ops.(CloneReporter).ReportClone(e, p.shown, ev), true
	case EventExec:
		if ev.Exec.Ret < 0 {
			if f, ok := e.ops.(FailedExecReporter); !ok || !f.ReportsFailedExecs() {
				return 0, false
			}
		}
		return e.ops.(ExecReporter).ReportExec(e, p.shown, ev), true
	case EventExit:
		return e.ops.(ExitReporter).ReportExit(e, p.shown, ev), true
	case EventJctl:
		return e.ops.(JctlReporter).ReportJctl(e, p.shown, ev), true
	}
	return 0, false
}

// finish applies one callback's return to the pass (the seed's
// finish_callback); reports whether the engine detached.
func (th *thread) finish(e *Engine, p *pass, ret Action, kind chain) (detached bool) {
	th.mu.Lock()
	defer th.mu.Unlock()
	th.callbackDone()
	switch kind {
	case chainSignal:
		p.result = ret & (SignalMask | SignalHold)
	case chainSyscall:
		p.result = ret & SyscallMask
	}
	a := ret.ResumeAction()
	if a == Detach || e.detached {
		th.remove(e)
		p.detaches = true
		return true
	}
	if a > Detach {
		a = Resume
	}
	if a < p.action {
		p.action = a
	}
	if a < p.shown {
		p.shown = a
	}
	// Only Stop is sticky: it holds until this engine says otherwise.
	e.wantsStop = a == Stop
	e.stopSeen = e.wantsStop
	return false
}

// finishReport turns the pass into the thread's next step (the seed's
// finish_report and finish_resume_report).
func (th *thread) finishReport(ev *Event, p *pass) Action {
	th.mu.Lock()
	th.syncing = false
	final := p.action
	late := false
	for _, e := range th.engines {
		if e.wantsStop {
			final = Stop
			// Control(Stop) came while this pass ran, after the engine's
			// callback: it is promised a report, which follows at once.
			late = late || !e.stopSeen
		}
	}
	askStop := false
	if ev.Sync {
		switch {
		case late:
			final = Report
		case ev.Type == EventQuiesce && (final == Report || final == Interrupt):
			// A plain stop asking for another plain stop would loop.
			final = Resume
		}
		switch final {
		case Stop:
			th.stopped = true
		case Report:
			th.wantReport = true
		case Interrupt:
			th.wantInterrupt = true
		}
	} else if final < Resume && th.t.cfg.Stopper != nil {
		// Escalate: the thread ran on, so what the engines asked for
		// happens at a QUIESCE report once the stopper has stopped it.
		// A step is asked for again in that report.
		switch final {
		case Interrupt:
			th.wantInterrupt = true
		case Report, SingleStep, BlockStep:
			th.wantReport = true
		}
		askStop = true
	}
	last := len(th.engines) == 0
	tid := th.id()
	th.endPass()
	th.mu.Unlock()

	if askStop {
		th.t.cfg.Stopper.Stop(tid)
	}
	if last {
		th.t.forget(th)
	}
	if p.detaches {
		th.push()
	}
	return p.result | final
}

// signalResult is the signal action the signal's disposition would take,
// which the first engine sees (utrace_get_signal's classification).
func signalResult(ev *Event) Action {
	switch ev.Type {
	case EventSignalIgn:
		return SignalIgn
	case EventSignalTerm:
		return SignalTerm
	case EventSignalCore:
		return SignalCore
	case EventSignalStop:
		if ev.Signal.Signo == int(unix.SIGSTOP) {
			return SignalStop
		}
		return SignalTSTP
	}
	return SignalDeliver
}

// reportDeath makes the DEATH reports. The thread will not run again; only
// Detach means anything in the return values.
func (th *thread) reportDeath(ev *Event) {
	th.mu.Lock()
	th.dying, th.death = true, true
	th.stopped, th.wantReport, th.wantInterrupt = false, false, false
	engines := th.engines
	th.mu.Unlock()

	for _, e := range engines {
		th.mu.Lock()
		if e.detached || e.events&EventDeath == 0 {
			th.mu.Unlock()
			continue
		}
		th.reporting = e
		th.mu.Unlock()
		ret := e.ops.(DeathReporter).ReportDeath(e, ev)
		th.mu.Lock()
		th.callbackDone()
		if ret.ResumeAction() == Detach {
			th.remove(e)
		}
		th.mu.Unlock()
	}

	th.mu.Lock()
	th.death = false
	last := len(th.engines) == 0
	th.mu.Unlock()
	if last {
		th.t.forget(th)
	}
}

// reapLostDeath is the exit code reported in a DEATH the tracer makes up
// because the kernel's record of the death was lost before the reap.
const reapLostDeath = -1

// reportReap makes the REAP reports and detaches every engine. A DEATH
// report comes first if it has not been made: REAP is always last and DEATH
// always just before it for engines attached before the thread died.
func (th *thread) reportReap(ev *Event) {
	th.mu.Lock()
	needDeath := false
	if !th.dying {
		for _, e := range th.engines {
			needDeath = needDeath || e.events&EventDeath != 0
		}
	}
	th.mu.Unlock()
	if needDeath {
		th.reportDeath(&Event{Type: EventDeath, Tid: ev.Tid, Tgid: ev.Tgid, Time: ev.Time,
			Exit: Exit{Code: reapLostDeath, OrigCode: reapLostDeath}})
	}

	th.mu.Lock()
	th.dying, th.reap = true, true
	engines := th.engines
	th.mu.Unlock()
	for _, e := range engines {
		th.mu.Lock()
		if e.detached {
			th.mu.Unlock()
			continue
		}
		wants := e.events&EventReap != 0
		if wants {
			th.reporting = e
		}
		th.mu.Unlock()
		if wants {
			e.ops.(ReapReporter).ReportReap(e, ev)
		}
		th.mu.Lock()
		if wants {
			th.callbackDone()
		}
		th.remove(e)
		th.mu.Unlock()
	}
	th.t.forget(th)
}
