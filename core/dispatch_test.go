package core

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Seed DocBook "Events and Callbacks": engines are called in the order they
// attached, and each callback's action argument is the action chosen so far.
func TestDispatchAttachOrderAndActionSoFar(t *testing.T) {
	f := newFixture(t)
	ea, a := f.attach(tidMain, "a", EventSyscallEntry)
	_, b := f.attach(tidMain, "b", EventSyscallEntry)
	f.attach(tidMain, "c", EventSyscallEntry)
	ea.SetSync(EventSyscallEntry)
	a.ret[EventSyscallEntry] = SingleStep
	b.ret[EventSyscallEntry] = Report
	got := f.tr.Deliver(syscallEntry(tidMain, 39, true))
	want(t, "calls", f.log.take(), "a entry 39 resume; b entry 39 singlestep; c entry 39 report")
	if got != Report {
		t.Errorf("final %v, want report (the most constrained)", got)
	}
	// The stopper comes back with Report's QUIESCE, a plain stop.
	if got := f.tr.Deliver(plainStop(tidMain)); got != Resume {
		t.Errorf("after report: %v", got)
	}
}

// Seed enum utrace_resume_action: the smallest value prevails; BLOCKSTEP
// devolves to SINGLESTEP when another engine steps.
func TestFoldMostConstrained(t *testing.T) {
	for _, tc := range []struct{ a, b, want Action }{
		{Resume, Resume, Resume},
		{BlockStep, SingleStep, SingleStep},
		{BlockStep, Resume, BlockStep},
		{Interrupt, Report, Report},
		{Resume, Detach, Resume},
		{Detach, Detach, Resume},
		{Resume, 12, Resume}, // nonsense from an engine counts as Resume
	} {
		f := newFixture(t)
		_, a := f.attach(tidMain, "a", EventExec)
		_, b := f.attach(tidMain, "b", EventExec)
		a.ret[EventExec], b.ret[EventExec] = tc.a, tc.b
		got := f.tr.Deliver(&Event{Type: EventExec, Tid: tidMain, Sync: true})
		if got != tc.want {
			t.Errorf("%v with %v = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// Seed utrace_engine_ops: only UTRACE_STOP is sticky; the thread stays
// stopped until that engine returns something else or resumes it, and
// stays stopped while any engine keeps its STOP.
func TestStopIsStickyPerEngine(t *testing.T) {
	f := newFixture(t)
	ea, a := f.attach(tidMain, "a", EventSyscallEntry|EventSyscallExit)
	eb, _ := f.attach(tidMain, "b", EventSyscallEntry|EventSyscallExit)
	for _, e := range []*Engine{ea, eb} {
		e.SetSync(EventSyscall)
	}
	a.ret[EventSyscallEntry] = Stop
	if got := f.tr.Deliver(syscallEntry(tidMain, 1, true)); got != Stop {
		t.Fatalf("entry: %v, want stop", got)
	}
	want(t, "entry", f.log.take(), "a entry 1 resume; b entry 1 stop")
	// b's Resume does not release a's Stop.
	if err := eb.Control(Resume); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(f.stp.calls(), ";"), "resume") {
		t.Fatalf("resumed while a holds the stop: %v", f.stp.calls())
	}
	// Both hold: a lets go first, still stopped; then b lets go.
	if err := eb.Control(Stop); err != nil {
		t.Fatalf("stop on stopped thread: %v, want nil", err)
	}
	ea.Control(Resume)
	if strings.Contains(strings.Join(f.stp.calls(), ";"), "resume") {
		t.Fatal("resumed while b holds the stop")
	}
	eb.Control(Resume)
	if c := f.stp.calls(); c[len(c)-1] != "resume 100 resume" {
		t.Fatalf("stopper calls %v", c)
	}
	// A later report where a again says Stop, then in the next report
	// (which a does not take) the stop still holds.
	f.stp.reset()
	a.ret[EventSyscallExit] = Stop
	f.tr.Deliver(&Event{Type: EventSyscallExit, Tid: tidMain, Sync: true})
	f.log.take()
	ea.SetEvents(EventSyscallEntry)
	f.tr.Deliver(&Event{Type: EventSyscallExit, Tid: tidMain, Sync: true})
	if got := f.tr.Deliver(&Event{Type: EventSyscallExit, Tid: tidMain, Sync: true}); got != Stop {
		t.Errorf("a's stop not sticky: %v", got)
	}
	want(t, "b sees a's stop", f.log.take(), "b exit 0 stop; b exit 0 stop")
}

// Seed report_signal: the previous engine's return sets the signal action
// the next one sees; HOLD travels along.
func TestSignalActionsChain(t *testing.T) {
	f := newFixture(t)
	_, a := f.attach(tidMain, "a", EventSignalAll)
	_, b := f.attach(tidMain, "b", EventSignalAll)
	_, c := f.attach(tidMain, "c", EventSignalAll)
	a.ret[EventSignalTerm] = Resume | SignalIgn
	b.ret[EventSignalTerm] = Resume | SignalCore | SignalHold
	c.ret[EventSignalTerm] = Resume | SignalDeliver
	ev := signalEvent(tidMain, EventSignalTerm, int(unix.SIGTERM), true)
	got := f.tr.Deliver(ev)
	want(t, "chain", f.log.take(), "a signal 15 resume|signal_term; b signal 15 resume|signal_ign; c signal 15 resume|signal_core|hold")
	if got != Resume|SignalDeliver {
		t.Errorf("final %v", got)
	}
}

// Seed utrace_get_signal: the first engine sees what the disposition would
// do; SIGSTOP is STOP, the other stop signals TSTP.
func TestSignalInitialAction(t *testing.T) {
	for _, tc := range []struct {
		typ   Events
		signo unix.Signal
		want  Action
	}{
		{EventSignal, unix.SIGUSR1, SignalDeliver},
		{EventSignalIgn, unix.SIGCHLD, SignalIgn},
		{EventSignalTerm, unix.SIGTERM, SignalTerm},
		{EventSignalCore, unix.SIGSEGV, SignalCore},
		{EventSignalStop, unix.SIGSTOP, SignalStop},
		{EventSignalStop, unix.SIGTSTP, SignalTSTP},
	} {
		f := newFixture(t)
		f.attach(tidMain, "a", tc.typ)
		got := f.tr.Deliver(signalEvent(tidMain, tc.typ, int(tc.signo), false))
		if got != Resume|tc.want {
			t.Errorf("%v %v: %v", tc.typ, tc.signo, got)
		}
	}
}

// Seed report_syscall_entry: "The return value overrides the last engine's
// action for the system call."
func TestSyscallActionLastEngineWins(t *testing.T) {
	f := newFixture(t)
	ea, a := f.attach(tidMain, "a", EventSyscallEntry)
	_, b := f.attach(tidMain, "b", EventSyscallEntry)
	ea.SetSync(EventSyscallEntry)
	a.ret[EventSyscallEntry] = Resume | SyscallAbort
	b.ret[EventSyscallEntry] = Resume | SyscallRun
	if got := f.tr.Deliver(syscallEntry(tidMain, 87, true)); got.SyscallAction() != SyscallRun {
		t.Errorf("b's run did not override a's abort: %v", got)
	}
	want(t, "b sees abort", f.log.take(), "a entry 87 resume; b entry 87 resume|signal_ign")
	a.ret[EventSyscallEntry] = Resume | SyscallRun
	b.ret[EventSyscallEntry] = Resume | SyscallAbort
	if got := f.tr.Deliver(syscallEntry(tidMain, 87, true)); got.SyscallAction() != SyscallAbort {
		t.Errorf("abort lost: %v", got)
	}
}

// Seed start_callback: report_quiesce comes before each synchronous event's
// callback, with the event's bit, for engines that set QUIESCE; engines
// that did not ask for the event get only that.
func TestQuiesceBeforeSynchronousEvent(t *testing.T) {
	f := newFixture(t)
	ea, _ := f.attach(tidMain, "a", EventQuiesce|EventSyscallEntry)
	ea.SetSync(EventSyscallEntry)
	f.attach(tidMain, "b", EventQuiesce)
	f.tr.Deliver(syscallEntry(tidMain, 0, true))
	want(t, "sync", f.log.take(),
		"a quiesce(syscall_entry) resume; a entry 0 resume; b quiesce(syscall_entry) resume")
	// Passive events come without QUIESCE.
	ea.SetSync(0)
	f.tr.Deliver(syscallEntry(tidMain, 0, false))
	want(t, "passive", f.log.take(), "a entry 0 resume")
}

// Per-engine syscall filters: an engine is called only for its numbers.
func TestSyscallFilterPerEngine(t *testing.T) {
	f := newFixture(t)
	ea, _ := f.attach(tidMain, "a", EventSyscall)
	f.attach(tidMain, "b", EventSyscall)
	const mine, other = 2, 1 // abstract numbers: the fake backends know no ABI
	var s SyscallSet
	s.Add(mine)
	ea.SetSyscallFilter(&s)
	f.tr.Deliver(syscallEntry(tidMain, other, false))
	f.tr.Deliver(&Event{Type: EventSyscallExit, Tid: tidMain, Syscall: Syscall{Nr: mine}})
	want(t, "filtered", f.log.take(), "b entry 1 resume; a exit 2 resume; b exit 2 resume")
}

// Seed finish_callback: UTRACE_DETACH from a callback detaches that engine
// only; it gets no more callbacks and every later call is -ESRCH.
func TestDetachFromCallback(t *testing.T) {
	f := newFixture(t)
	ea, a := f.attach(tidMain, "a", EventExec|EventExit)
	f.attach(tidMain, "b", EventExec)
	a.ret[EventExec] = Detach
	f.tr.Deliver(&Event{Type: EventExec, Tid: tidMain, Exec: Exec{Filename: "/bin/true"}})
	f.tr.Deliver(&Event{Type: EventExit, Tid: tidMain})
	f.tr.Deliver(&Event{Type: EventExec, Tid: tidMain, Exec: Exec{Filename: "/bin/false"}})
	want(t, "calls", f.log.take(),
		"a exec /bin/true tid=100 resume; b exec /bin/true tid=100 resume; b exec /bin/false tid=100 resume")
	for name, err := range map[string]error{
		"SetEvents": ea.SetEvents(EventExec),
		"Control":   ea.Control(Resume),
		"SetSync":   ea.SetSync(0),
		"Examine":   ea.Examine(func(Stopped) error { return nil }),
	} {
		if err != ErrDetached {
			t.Errorf("%s on detached engine: %v", name, err)
		}
	}
	if w := f.src.watch(tidMain); w.Events != EventExec {
		t.Errorf("watch after a detached: %v", w.Events)
	}
}

// Clone: an engine attaches to the child from ReportClone (seed
// report_clone); a child nobody attached to is dropped from the inherited
// watch.
func TestCloneAttachChild(t *testing.T) {
	f := newFixture(t)
	_, a := f.attach(tidMain, "a", EventClone|EventSyscallEntry)
	a.hook = func(e *Engine, ev Events) {
		if ev != EventClone {
			return
		}
		child, err := e.Tracer().Attach(tidOther, AttachCreate, a, "child")
		if err != nil {
			t.Errorf("attach child: %v", err)
			return
		}
		child.SetEvents(EventSyscallEntry)
	}
	f.tr.Deliver(&Event{Type: EventClone, Tid: tidMain, Clone: Clone{Child: tidOther}})
	f.tr.Deliver(syscallEntry(tidOther, 12, false))
	want(t, "child", f.log.take(), "a clone 101 resume; a entry 12 resume")

	a.hook = nil
	f.src.SetWatch(102, Watch{Events: EventSyscall}) // the kernel's inheritance
	f.tr.Deliver(&Event{Type: EventClone, Tid: tidMain, Sync: true, Clone: Clone{Child: 102}})
	if w := f.src.watch(102); !sameWatch(w, Watch{}) {
		t.Errorf("unattached child keeps watch %+v", w)
	}
	if f.stp.sync[102] != 0 {
		t.Error("stopper keeps unattached child")
	}
	before := f.tr.Unclaimed()
	f.tr.Deliver(syscallEntry(102, 1, false))
	if f.tr.Unclaimed() != before+1 {
		t.Error("event of an unwatched thread not counted as unclaimed")
	}
}

// A non-leader execve takes over the leader's tid: the exec'ing thread's
// engines move with it, the old leader's engines see REAP.
func TestExecTidTakeover(t *testing.T) {
	f := newFixture(t)
	_, leader := f.attach(tidMain, "leader", EventReap|EventExec)
	leader.ret[EventExec] = Resume
	eo, _ := f.attach(tidOther, "thread", EventExec)
	f.tr.Deliver(&Event{Type: EventExec, Tid: tidMain, Exec: Exec{Filename: "/bin/sh", OldTid: tidOther}})
	want(t, "takeover", f.log.take(), "leader reap; thread exec /bin/sh tid=100 resume")
	if eo.Tid() != tidMain {
		t.Errorf("engine tid %d", eo.Tid())
	}
	if e, err := f.tr.Attach(tidMain, 0, nil, nil); e != eo || err != nil {
		t.Errorf("lookup after takeover: %v %v", e, err)
	}
	if _, err := f.tr.Attach(tidOther, 0, nil, nil); err != ErrNotFound {
		t.Errorf("old tid still traced: %v", err)
	}
}

// Every kind of event reaches its reporter.
func TestEveryReporter(t *testing.T) {
	f := newFixture(t)
	f.attach(tidMain, "a", EventAll&^EventQuiesce)
	for _, ev := range []*Event{
		{Type: EventJctl, Jctl: Jctl{Type: 5}},
		{Type: EventExit, Exit: Exit{Code: 256}},
		{Type: EventSignal, Signal: Signal{Signo: 10}},
		{Type: EventSyscallExit, Syscall: Syscall{Nr: unix.SYS_EXIT}},
	} {
		ev.Tid = tidMain
		f.tr.Deliver(ev)
	}
	want(t, "all", f.log.take(), "a jctl 5 resume; a thread-exit 256 resume; a signal 10 resume; a exit 60 resume")
}

// Design "Three tiers": an event reaches an engine through exactly one
// tier. When an engine needs only some system calls synchronously, those
// come from the stopper and the rest from the passive source; the copies
// the other tier reports are dropped.
func TestSyscallTierSplit(t *testing.T) {
	f := newFixture(t)
	ea, _ := f.attach(tidMain, "sync", EventSyscallEntry)
	var open SyscallSet
	open.Add(257)
	ea.SetSyscallFilter(&open)
	ea.SetSync(EventSyscallEntry)
	f.attach(tidMain, "log", EventSyscallEntry)
	if w := f.src.watch(tidMain); w.Events&EventSyscallEntry == 0 {
		t.Fatalf("syscall entries left the passive watch: %v", w.Events)
	}
	f.tr.Deliver(syscallEntry(tidMain, 257, true))  // the stopper's openat
	f.tr.Deliver(syscallEntry(tidMain, 257, false)) // the kernel's copy
	f.tr.Deliver(syscallEntry(tidMain, 39, true))   // PTRACE_SYSCALL stops every call
	f.tr.Deliver(syscallEntry(tidMain, 39, false))
	want(t, "one tier each", f.log.take(), "sync entry 257 resume; log entry 257 resume; log entry 39 resume")
	// Every call synchronous: the passive copies all go.
	ea.SetSyscallFilter(nil)
	if w := f.src.watch(tidMain); w.Events&EventSyscallEntry != 0 {
		t.Errorf("passive watch keeps entries: %v", w.Events)
	}
	f.tr.Deliver(syscallEntry(tidMain, 39, false))
	f.tr.Deliver(syscallEntry(tidMain, 39, true))
	want(t, "all sync", f.log.take(), "sync entry 39 resume; log entry 39 resume")
}

// Triggers: the union reaches the source, the thread is kept seized, and a
// triggered exit reaches the engine that set the trigger even without
// EventSyscallExit in its events, and engines that asked for exits.
func TestTriggers(t *testing.T) {
	f := newFixture(t)
	ea, r := f.attach(tidMain, "trig", 0)
	f.attach(tidMain, "log", EventSyscallExit)
	tr := []Trigger{{Nr: unix.SYS_OPENAT, PathPrefix: "/etc/", Op: RetGe, Value: 0}}
	if err := ea.SetTriggers(tr); err != nil {
		t.Fatal(err)
	}
	if w := f.src.watch(tidMain); len(w.Triggers) != 1 || w.Triggers[0] != tr[0] {
		t.Errorf("watch triggers %+v", w.Triggers)
	}
	if f.stp.sync[tidMain]&EventQuiesce == 0 {
		t.Errorf("thread with triggers not kept seized: %v", f.stp.sync[tidMain])
	}
	r.ret[EventSyscallExit] = Resume
	ev := &Event{Type: EventSyscallExit, Tid: tidMain, Sync: true, Triggered: true, Syscall: Syscall{Nr: unix.SYS_OPENAT, Ret: 3}}
	f.tr.Deliver(ev)
	want(t, "triggered", f.log.take(), "trig exit 257 resume; log exit 257 resume")
	if err := ea.SetTriggers([]Trigger{{Nr: SyscallLimit}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad trigger: %v", err)
	}
	type noExit struct{ ExecReporter }
	e2, _ := f.tr.Attach(tidMain, AttachCreate, noExit{}, nil)
	if err := e2.SetTriggers(tr); !errors.Is(err, ErrInvalid) {
		t.Errorf("trigger without ReportSyscallExit: %v", err)
	}
	for _, c := range []struct {
		op   RetOp
		ret  int64
		want bool
	}{{RetAny, -5, true}, {RetEq, 0, true}, {RetNe, 0, false}, {RetLt, -1, true}, {RetLe, 0, true}, {RetGt, 0, false}, {RetGe, 0, true}} {
		if c.op.Match(c.ret, 0) != c.want {
			t.Errorf("%d.Match(%d, 0) != %v", c.op, c.ret, c.want)
		}
	}
}

// A thread whose CLONE record was lost is adopted at its first event: the
// engines of its process, which follow, get the CLONE late.
func TestAdoptThreadWithLostClone(t *testing.T) {
	f := newFixture(t)
	_, r := f.attach(tidMain, "a", EventClone|EventSyscallEntry)
	r.hook = func(e *Engine, ev Events) {
		if ev == EventClone {
			c, _ := e.Tracer().Attach(tidOther, AttachCreate, r, nil)
			c.SetEvents(EventSyscallEntry)
		}
	}
	f.tr.Deliver(&Event{Type: EventSyscallEntry, Tid: tidOther, Tgid: tidMain, Syscall: Syscall{Nr: unix.SYS_GETPID}})
	want(t, "adopted", f.log.take(), "a clone 101 resume; a entry 39 resume")
	if f.tr.LateClones() != 1 {
		t.Errorf("late clones %d", f.tr.LateClones())
	}
	// Another process's thread, or a process leader, is not adopted.
	f.tr.Deliver(&Event{Type: EventSyscallEntry, Tid: 300, Tgid: 299})
	f.tr.Deliver(&Event{Type: EventSyscallEntry, Tid: 301, Tgid: 301})
	if f.log.take() != "" || f.tr.Unclaimed() != 2 {
		t.Errorf("unrelated events claimed")
	}
}

// Seed utrace_stop: a thread stops only while some engine still wants it
// stopped: an engine whose sticky Stop brought a report, and that returns
// Resume from it, lets the thread go (other engines saw Stop meanwhile).
func TestStickyStopReleasedByOwnReport(t *testing.T) {
	f := newFixture(t)
	ea, a := f.attach(tidMain, "a", EventQuiesce)
	f.attach(tidMain, "b", EventQuiesce)
	if err := ea.Control(Stop); err != ErrInProgress {
		t.Fatal(err)
	}
	a.ret[EventQuiesce] = Resume
	if got := f.tr.Deliver(plainStop(tidMain)); got != Resume {
		t.Errorf("final %v, want resume: nobody wants the stop any more", got)
	}
	want(t, "actions seen", f.log.take(), "a quiesce(0) stop; b quiesce(0) stop")
}

// gate blocks in its syscall entry callback until released.
type gate struct{ inside, release chan struct{} }

func (g gate) ReportSyscallEntry(e *Engine, a Action, ev *Event) Action {
	if !ev.Sync {
		close(g.inside)
		<-g.release
	}
	return Resume
}

// TryDeliver reports nothing while the thread's reports are busy, nor for
// events that need other threads' locks; it reports as Deliver otherwise.
func TestTryDeliver(t *testing.T) {
	f := newFixture(t)
	g := gate{make(chan struct{}), make(chan struct{})}
	e, err := f.tr.Attach(tidMain, AttachCreate, g, nil)
	if err != nil || e.SetEvents(EventSyscallEntry) != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { f.tr.Deliver(syscallEntry(tidMain, 39, false)); close(done) }()
	<-g.inside
	if _, ok := f.tr.TryDeliver(syscallEntry(tidMain, 39, true)); ok {
		t.Error("TryDeliver reported while a passive report of the thread ran")
	}
	close(g.release)
	<-done
	if act, ok := f.tr.TryDeliver(syscallEntry(tidMain, 39, true)); !ok || act.ResumeAction() != Resume {
		t.Errorf("TryDeliver on an idle thread: %v, %v", act, ok)
	}
	if _, ok := f.tr.TryDeliver(syscallEntry(tidOther, 39, true)); ok {
		t.Error("TryDeliver reported for a thread without engines, which may need adopting")
	}
	exec := &Event{Type: EventExec, Tid: tidMain, Tgid: tidMain, Sync: true, Exec: Exec{OldTid: tidOther}}
	if _, ok := f.tr.TryDeliver(exec); ok {
		t.Error("TryDeliver reported a non-leader exec, which moves engines between threads")
	}
}
