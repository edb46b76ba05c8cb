package core

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// thread is the tracer's state for one traced thread: the seed's struct
// utrace. Two locks: dispatch serializes the thread's reports (events of one
// thread reach engines in order) and is held while callbacks run; mu guards
// the fields and is never held across a callback or a backend call, so
// callbacks and other goroutines can call Engine methods at any time.
type thread struct {
	t    *Tracer
	tid  atomic.Int64 // changes when a non-leader execve takes over the leader's tid
	tgid int

	dispatch sync.Mutex

	mu      sync.Mutex
	engines []*Engine // attach order; replaced, never modified in place
	// reporting is the engine whose callback is running, for ErrInProgress
	// and Barrier; idle is closed and replaced whenever a callback ends.
	reporting *Engine
	idle      chan struct{}
	passing   bool // a reporting pass is running
	syncing   bool // the report running now is synchronous
	stopped   bool // held in a synchronous stop after the last report
	// wantReport and wantInterrupt record a Report or Interrupt request not yet
	// served by a report.
	wantReport, wantInterrupt bool
	dying                     bool // DEATH seen (or attached to a zombie): no user code runs again
	death                     bool // DEATH callbacks are running
	reap                      bool // REAP seen: engines are being detached for good
	pushed                    Watch
	pushedSync                Events
	syncSys                   *SyscallSet // the synchronous system calls; nil: all of them
}

func newThread(t *Tracer, tid int, info ThreadInfo) *thread {
	th := &thread{t: t, tgid: info.Tgid, dying: info.Dead}
	th.tid.Store(int64(tid))
	return th
}

func (th *thread) id() int { return int(th.tid.Load()) }

// match returns the first attached engine matching flags, ops and data, as
// the seed's matching_engine does. Called with th.mu held.
func (th *thread) match(flags AttachFlags, ops, data any) *Engine {
	for _, e := range th.engines {
		if flags&AttachMatchOps != 0 && !same(e.ops, ops) {
			continue
		}
		if flags&AttachMatchData != 0 && !same(e.data, data) {
			continue
		}
		return e
	}
	return nil
}

// remove takes e off the engine list and marks it detached. Called with
// th.mu held; reports whether it was the last engine.
func (th *thread) remove(e *Engine) (last bool) {
	if e.detached {
		return len(th.engines) == 0
	}
	e.detached = true
	e.wantsStop = false
	list := make([]*Engine, 0, len(th.engines))
	for _, x := range th.engines {
		if x != e {
			list = append(list, x)
		}
	}
	th.engines = list
	return len(list) == 0
}

// callbackDone ends the callback in progress. Called with th.mu held.
func (th *thread) callbackDone() {
	th.reporting = nil
	th.wake()
}

// endPass ends a reporting pass. Called with th.mu held.
func (th *thread) endPass() {
	th.passing = false
	th.wake()
}

// wake wakes Barrier callers. Called with th.mu held.
func (th *thread) wake() {
	if th.idle != nil {
		close(th.idle)
		th.idle = nil
	}
}

// needs computes what the backends must do for the thread now: the passive
// watch and the synchronous events. Called with th.mu held.
func (th *thread) needs() (Watch, Events, *SyscallSet) {
	reqs := make([]Needs, len(th.engines))
	for i, e := range th.engines {
		reqs[i] = Needs{Watch: Watch{Events: e.events, Syscalls: e.syscalls, Count: e.count, Histograms: e.histograms, ExitEntriesOnly: e.exitOnly,
			Capture: e.capture, EnterTimes: e.enterTimes, FdPaths: e.fdPaths, Triggers: e.triggers}, Sync: e.sync, PassiveOnly: e.passiveOnly}
	}
	return PlanWatch(reqs)
}

// Needs is what one engine asks of a thread: the watch it wants (its event
// mask, syscall filter, counting, capture, enter times and triggers, as
// its Set* calls chose) and how it takes the events. PlanWatch folds the
// needs of a thread's engines into the one Watch the passive backend is
// given; an engine's own Follow and CountSyscalls are not read, PlanWatch
// derives them (Follow from EventClone, CountSyscalls from the counting
// engines' filters).
type Needs struct {
	Watch
	Sync        Events // SetSync: the subset of Events reported synchronously
	PassiveOnly Events // SetPassiveOnly
	// HandsOver: the engine may detach a thread for another tracer (a
	// debugger) to take. It changes no watch: a program run launches then
	// gets no seccomp filter, whose calls would fail with ENOSYS under a
	// tracer that does not expect them (gdb), or under none.
	HandsOver bool
}

// PlanWatch returns what the backends must do for a thread whose engines
// have these needs, in attach order: the passive watch, the synchronous
// events and, when only some system calls are synchronous, their set. It
// is how the tracer computes every thread's watch, and how a source that
// selects threads by itself (target rules) learns the watch to give them.
func PlanWatch(engines []Needs) (Watch, Events, *SyscallSet) {
	var all, syncEv, passiveWanted Events
	var w Watch
	var filter, syncSet SyscallSet
	filtered, syncFiltered := true, true
	exitOnly, wantEntries := true, false
	var countSet SyscallSet
	countAll := false
	var passiveOnly Events
	for _, e := range engines {
		all |= e.Events
		syncEv |= e.Events & e.Sync
		passiveWanted |= e.Events &^ e.Sync
		passiveOnly |= e.Events & e.PassiveOnly
		if e.Count {
			w.Count = true
			w.Histograms = w.Histograms || e.Histograms
			if e.Syscalls == nil {
				countAll = true
			} else {
				countSet.union(e.Syscalls)
			}
		}
		if e.Capture && e.Events&EventSyscall != 0 {
			w.Capture = true
			if e.EnterTimes {
				w.EnterTimes = true
			}
			w.FdPaths = max(w.FdPaths, e.FdPaths)
		}
		for _, t := range e.Triggers {
			if !slices.Contains(w.Triggers, t) {
				w.Triggers = append(w.Triggers, t)
			}
		}
		if e.Events&EventSyscallEntry != 0 {
			wantEntries = true
			exitOnly = exitOnly && e.ExitEntriesOnly
		}
		if e.Events&EventSyscall != 0 {
			if e.Syscalls == nil {
				filtered = false
			} else {
				filter.union(e.Syscalls)
			}
		}
		if e.Events&e.Sync&EventSyscall != 0 {
			if e.Syscalls == nil {
				syncFiltered = false
			} else {
				syncSet.union(e.Syscalls)
			}
		}
	}
	// QUIESCE exists only in synchronous stops, DEATH and REAP only as
	// passive reports (no ptrace stop is left to catch them).
	syncEv &^= EventDeath | EventReap
	if all&EventQuiesce != 0 || len(w.Triggers) > 0 {
		// QUIESCE keeps the thread seized without syscall stops: the
		// kernel's SIGSTOP of a trigger must meet a tracer.
		syncEv |= EventQuiesce
	}
	// A thread reporting synchronously reports its clones synchronously
	// too: the engines then attach to the child while it waits at its
	// first stop, so it never runs a moment without them (and a launched
	// program's seccomp filter never meets a child with no tracer).
	if syncEv != 0 && all&EventClone != 0 {
		syncEv |= EventClone
	}
	var syncSys *SyscallSet
	// Events some engine takes passively only stay in the passive watch
	// even when others need them synchronously (see takesFrom).
	w.Events = (all &^ syncEv &^ EventQuiesce) | passiveOnly
	if syncEv&EventSyscall != 0 && syncFiltered {
		// Only some system calls are synchronous: the others stay
		// passive for the engines that want them passively, and each
		// call is taken from one tier (see fromOtherTier).
		syncSys = &syncSet
		w.Events |= passiveWanted & EventSyscall
	}
	w.Follow = all&EventClone != 0
	w.ExitEntriesOnly = wantEntries && exitOnly && w.Events&EventSyscallEntry != 0
	if w.Count && !countAll {
		w.CountSyscalls = &countSet
	}
	if filtered && w.Events&EventSyscall != 0 {
		w.Syscalls = &filter
	}
	return w, syncEv, syncSys
}

// takesFrom reports whether engine e takes event ev from the tier it came
// from: an engine that takes ev's type passively only (SetPassiveOnly)
// skips synchronous reports of it, and the others skip the passive ones
// while the thread reports that type synchronously. sync is the thread's
// synchronous set as pushed. (System calls are sorted out per number, by
// fromOtherTier.)
func takesFrom(e *Engine, ev *Event, sync Events) bool {
	if ev.Type&(EventSyscall|EventQuiesce) != 0 {
		return true
	}
	if e.passiveOnly&ev.Type != 0 {
		return !ev.Sync
	}
	return ev.Sync || sync&ev.Type == 0
}

// fromOtherTier reports whether ev is a syscall event that belongs to the
// other tier: the synchronous one for the numbers some engine needs
// synchronously, the passive one for the rest. The stopper reports every
// system call when it cannot filter them (PTRACE_SYSCALL), and the eBPF
// source reports the synchronous ones too; each goes to the engines once.
// Called with th.mu held.
func (th *thread) fromOtherTier(ev *Event) bool {
	if ev.Type&EventSyscall == 0 || ev.Triggered {
		return false
	}
	sync := th.pushedSync&ev.Type != 0 && (th.syncSys == nil || th.syncSys.Has(ev.Syscall.Nr))
	if ev.Syscall.Nr < 0 {
		// The exit of a skipped call: only a synchronous engine skips
		// one, and the stopper reports its exit whenever the thread's
		// exits are synchronous at all.
		sync = th.pushedSync&ev.Type != 0
	}
	return sync != ev.Sync
}

// push tells the backends what changed since the last push. It must be
// called without th.mu held: backends may take time (map updates, ptrace
// attach) and must not be entered with our locks held.
func (th *thread) push() error {
	th.mu.Lock()
	if th.reap {
		// The task is gone; its BPF storage died with it and ptrace let go.
		th.mu.Unlock()
		return nil
	}
	w, syncEv, syncSys := th.needs()
	wChanged := !sameWatch(w, th.pushed)
	sChanged := syncEv != th.pushedSync
	th.pushed, th.pushedSync, th.syncSys = w, syncEv, syncSys
	tid := th.id()
	th.mu.Unlock()

	var err error
	if src := th.t.cfg.Source; wChanged && src != nil {
		err = src.SetWatch(tid, w)
		if errors.Is(err, unix.ESRCH) {
			// Gone already (an engine attached from a passive CLONE
			// report after the child died): its events, inherited in
			// the kernel, are still on their way; there is nothing to set.
			err = nil
		}
	}
	if stp := th.t.cfg.Stopper; sChanged && stp != nil {
		if serr := stp.SetSync(tid, syncEv); err == nil {
			err = serr
		}
	}
	return err
}

func sameWatch(a, b Watch) bool {
	if a.Events != b.Events || a.Follow != b.Follow || a.Count != b.Count || a.Histograms != b.Histograms || a.ExitEntriesOnly != b.ExitEntriesOnly ||
		a.Capture != b.Capture || a.EnterTimes != b.EnterTimes || a.FdPaths != b.FdPaths ||
		!slices.Equal(a.Triggers, b.Triggers) {
		return false
	}
	return sameSet(a.Syscalls, b.Syscalls) && sameSet(a.CountSyscalls, b.CountSyscalls)
}

func sameSet(a, b *SyscallSet) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// release resumes a thread held stopped once no engine wants it stopped,
// with the most constrained action the engines asked for. Called with th.mu
// held; returns the action to pass to Stopper.Resume, or false to stay.
func (th *thread) release() (Action, bool) {
	if !th.stopped {
		return 0, false
	}
	act := Resume
	for _, e := range th.engines {
		if e.wantsStop {
			return 0, false
		}
		if e.step != 0 && e.step < act {
			act = e.step
		}
		e.step = 0
	}
	switch {
	case th.wantReport && Report < act:
		act = Report
	case th.wantInterrupt && Interrupt < act:
		act = Interrupt
	}
	th.stopped = false
	return act, true
}
