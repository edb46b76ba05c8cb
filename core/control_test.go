package core

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func lastCall(f *fixture) string {
	c := f.stp.calls()
	if len(c) == 0 {
		return ""
	}
	return c[len(c)-1]
}

// Seed utrace_control(UTRACE_STOP): -EINPROGRESS on a running thread, then a
// report_quiesce comes whose STOP keeps it; 0 on a stopped one.
func TestControlStopRunningThread(t *testing.T) {
	f := newFixture(t)
	e, r := f.attach(tidMain, "a", EventQuiesce)
	if err := e.Control(Stop); !errors.Is(err, ErrInProgress) {
		t.Fatalf("stop running: %v, want ErrInProgress", err)
	}
	if lastCall(f) != "stop 100" {
		t.Fatalf("stopper not asked to stop: %v", f.stp.calls())
	}
	// The stopper reports the stop; a's QUIESCE callback keeps it.
	r.ret[EventQuiesce] = Stop
	if got := f.tr.Deliver(plainStop(tidMain)); got != Stop {
		t.Fatalf("quiesce: %v", got)
	}
	want(t, "quiesce", f.log.take(), "a quiesce(0) stop")
	if err := e.Control(Stop); err != nil {
		t.Errorf("stop stopped thread: %v", err)
	}
	if err := e.Control(Resume); err != nil || lastCall(f) != "resume 100 resume" {
		t.Errorf("resume: %v, %v", err, f.stp.calls())
	}
	// The engine's quiesce callback may hold the stop itself.
	r.ret[EventQuiesce] = Stop
	e.Control(Report)
	if f.tr.Deliver(plainStop(tidMain)) != Stop {
		t.Error("quiesce returning stop did not stop")
	}
}

// Seed utrace_control: SINGLESTEP on a thread the engine did not stop is
// -EAGAIN; on a stopped thread it resumes stepping; BLOCKSTEP too.
func TestControlStep(t *testing.T) {
	f := newFixture(t)
	e, r := f.attach(tidMain, "a", EventQuiesce)
	if err := e.Control(SingleStep); !errors.Is(err, ErrAgain) {
		t.Errorf("step running thread: %v", err)
	}
	r.ret[EventQuiesce] = Stop
	e.Control(Stop)
	f.tr.Deliver(plainStop(tidMain))
	if err := e.Control(SingleStep); err != nil || lastCall(f) != "resume 100 singlestep" {
		t.Errorf("step: %v %v", err, f.stp.calls())
	}
	f.tr.Deliver(plainStop(tidMain)) // the step's report; a stops again
	if err := e.Control(BlockStep); err != nil || lastCall(f) != "resume 100 blockstep" {
		t.Errorf("blockstep: %v %v", err, f.stp.calls())
	}
}

// Seed UTRACE_REPORT: a callback comes soon, and before a stopped thread
// runs again. UTRACE_INTERRUPT makes it a report_signal with
// UTRACE_SIGNAL_REPORT, where an engine can inject a signal.
func TestControlReportAndInterrupt(t *testing.T) {
	f := newFixture(t)
	e, r := f.attach(tidMain, "a", EventQuiesce|EventSignalAll)
	if err := e.Control(Report); err != nil || lastCall(f) != "stop 100" {
		t.Fatalf("report: %v %v", err, f.stp.calls())
	}
	if got := f.tr.Deliver(plainStop(tidMain)); got != Resume {
		t.Errorf("report's quiesce: %v", got)
	}
	want(t, "report", f.log.take(), "a quiesce(0) resume")

	r.ret[EventQuiesce] = Resume | SignalDeliver
	if err := e.Control(Interrupt); err != nil {
		t.Fatal(err)
	}
	ev := plainStop(tidMain)
	got := f.tr.Deliver(ev)
	want(t, "interrupt", f.log.take(), "a signal 0 resume|signal_report")
	if got != Resume|SignalDeliver {
		t.Errorf("interrupt result %v, want the engine's deliver", got)
	}

	// Stopped, then Report: the report comes before it resumes.
	r.ret[EventQuiesce] = Stop
	e.Control(Stop)
	f.tr.Deliver(plainStop(tidMain))
	r.ret[EventQuiesce] = Resume
	f.stp.reset()
	if err := e.Control(Report); err != nil || lastCall(f) != "resume 100 report" {
		t.Errorf("report on stopped: %v %v", err, f.stp.calls())
	}
	e.Control(Stop)
	r.ret[EventQuiesce] = Stop
	f.tr.Deliver(plainStop(tidMain))
	r.ret[EventQuiesce] = Resume
	if err := e.Control(Interrupt); err != nil || lastCall(f) != "resume 100 interrupt" {
		t.Errorf("interrupt on stopped: %v %v", err, f.stp.calls())
	}
	// A plain stop asking for another plain stop would loop; it resumes.
	r.ret[EventQuiesce] = Report
	if got := f.tr.Deliver(plainStop(tidMain)); got.ResumeAction() != Resume {
		t.Errorf("quiesce returning report: %v", got)
	}
}

// Seed utrace_control: action values past UTRACE_DETACH are -EINVAL.
func TestControlInvalid(t *testing.T) {
	f := newFixture(t)
	e, _ := f.attach(tidMain, "a", 0)
	for _, a := range []Action{7, Resume | SignalIgn, 0x100} {
		if err := e.Control(a); !errors.Is(err, ErrInvalid) {
			t.Errorf("control %v: %v", a, err)
		}
	}
}

// Without a stopper only the passive tier exists.
func TestNoStopper(t *testing.T) {
	tr := NewTracer(Config{Lookup: fakeLookup})
	e, err := tr.Attach(tidMain, AttachCreate, &recorder{log: &callLog{}, ret: map[Events]Action{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{Stop, Report, Interrupt} {
		if err := e.Control(a); !errors.Is(err, ErrNoStopper) {
			t.Errorf("%v without stopper: %v", a, err)
		}
	}
	e.SetEvents(EventExec)
	if got := tr.Deliver(&Event{Type: EventExec, Tid: tidMain}); got != Resume {
		t.Errorf("deliver: %v", got)
	}
	if err := e.Control(Detach); err != nil {
		t.Errorf("detach: %v", err)
	}
}

// A passive callback that returns STOP escalates: the stopper stops the
// thread and a synchronous QUIESCE follows (the seed's -EINPROGRESS path).
func TestPassiveEscalation(t *testing.T) {
	for _, tc := range []struct {
		ret       Action
		quiesceIn string
	}{
		{Stop, "a quiesce(0) stop"},
		{Report, "a quiesce(0) resume"},
		{SingleStep, "a quiesce(0) resume"},
	} {
		f := newFixture(t)
		_, a := f.attach(tidMain, "a", EventSyscallEntry|EventQuiesce)
		a.ret[EventSyscallEntry] = tc.ret
		f.tr.Deliver(syscallEntry(tidMain, 39, false))
		if lastCall(f) != "stop 100" {
			t.Errorf("%v: no escalation: %v", tc.ret, f.stp.calls())
		}
		f.log.take()
		f.tr.Deliver(plainStop(tidMain))
		want(t, tc.ret.String(), f.log.take(), tc.quiesceIn)
	}
	f := newFixture(t)
	_, a := f.attach(tidMain, "a", EventSyscallEntry|EventSignalAll|EventQuiesce)
	a.ret[EventSyscallEntry] = Interrupt
	f.tr.Deliver(syscallEntry(tidMain, 39, false))
	f.log.take()
	f.tr.Deliver(plainStop(tidMain))
	want(t, "interrupt escalation", f.log.take(), "a signal 0 resume|signal_report")
}

// Seed utrace_prepare_examine: only an engine holding the thread stopped may
// examine it (-EINVAL otherwise, -EAGAIN if it has not stopped yet); a
// callback of a synchronous report may.
func TestExamine(t *testing.T) {
	f := newFixture(t)
	e, r := f.attach(tidMain, "a", EventSyscallEntry|EventQuiesce)
	e.SetSync(EventSyscallEntry)
	noop := func(Stopped) error { return nil }
	if err := e.Examine(noop); !errors.Is(err, ErrInvalid) {
		t.Errorf("examine without stop: %v", err)
	}
	e.Control(Stop)
	r.ret[EventQuiesce] = Stop
	if err := e.Examine(noop); !errors.Is(err, ErrAgain) {
		t.Errorf("examine before the stop: %v", err)
	}
	f.tr.Deliver(plainStop(tidMain))
	f.stp.regs.SetPC(257)
	var orig uint64
	err := e.Examine(func(s Stopped) error {
		regs, err := s.Registers()
		if err != nil {
			return err
		}
		orig = regs.PC()
		regs.SetPC(eperm)
		return s.SetRegisters(regs)
	})
	if err != nil || orig != 257 || f.stp.regs.PC() != eperm || s(f) != "examine 100" {
		t.Errorf("examine stopped: %v pc=%d", err, orig)
	}
	e.Control(Resume)
	var inside error
	r.hook = func(e *Engine, ev Events) {
		if ev == EventSyscallEntry {
			inside = e.Examine(noop)
		}
	}
	f.tr.Deliver(syscallEntry(tidMain, 0, true))
	if inside != nil {
		t.Errorf("examine inside a synchronous callback: %v", inside)
	}
	e.SetSync(0)
	f.tr.Deliver(syscallEntry(tidMain, 0, false))
	if !errors.Is(inside, ErrInvalid) {
		t.Errorf("examine inside a passive callback: %v", inside)
	}
	noStp := NewTracer(Config{Lookup: fakeLookup})
	ne, _ := noStp.Attach(tidMain, AttachCreate, r, nil)
	ne.SetEvents(EventSyscallEntry)
	ne.SetSync(EventSyscallEntry)
	r.hook = func(e *Engine, ev Events) { inside = e.Examine(noop) }
	noStp.Deliver(syscallEntry(tidMain, 0, true))
	if !errors.Is(inside, ErrNoStopper) {
		t.Errorf("examine without stopper: %v", inside)
	}
}

func s(f *fixture) string { return lastCall(f) }

// eperm is -EPERM as a register holds it.
var eperm = ^uint64(unix.EPERM) + 1

// Seed utrace_set_events/utrace_control: -EINPROGRESS when the thread is
// not stopped and a callback to the engine may be running; utrace_barrier
// then waits for it, and returns -ESRCH for an engine detached meanwhile.
func TestInProgressAndBarrier(t *testing.T) {
	f := newFixture(t)
	e, r := f.attach(tidMain, "a", EventSyscallEntry)
	ctx := context.Background()
	if err := e.Barrier(ctx); err != nil {
		t.Fatalf("barrier with no callback: %v", err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	r.hook = func(*Engine, Events) {
		close(inside)
		<-release
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.tr.Deliver(syscallEntry(tidMain, 0, false))
	}()
	<-inside
	if err := e.SetEvents(EventSyscallEntry); !errors.Is(err, ErrInProgress) {
		t.Errorf("set events during callback: %v", err)
	}
	if err := e.Control(Detach); !errors.Is(err, ErrInProgress) {
		t.Errorf("detach during callback: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Barrier(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("barrier returned during the callback: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if err := e.Barrier(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("barrier with expired context: %v", err)
	}
	close(release)
	if err := <-done; err != ErrDetached {
		t.Errorf("barrier after detach: %v, want ErrDetached", err)
	}
	wg.Wait()
	if err := e.Control(Detach); err != ErrDetached {
		t.Errorf("second detach: %v", err)
	}
}

// Seed DocBook "Final callbacks": DEATH comes before REAP; REAP detaches
// every engine; afterwards every call returns -ESRCH.
func TestDeathThenReapDetachesAll(t *testing.T) {
	f := newFixture(t)
	ea, _ := f.attach(tidMain, "a", EventDeath|EventReap)
	eb, _ := f.attach(tidMain, "b", EventReap)
	ec, _ := f.attach(tidMain, "c", EventExec)
	f.tr.Deliver(&Event{Type: EventDeath, Tid: tidMain, Exit: Exit{Code: 3 << 8, GroupDead: true}})
	f.tr.Deliver(&Event{Type: EventReap, Tid: tidMain})
	want(t, "teardown", f.log.take(), "a death 768; a reap; b reap")
	for _, e := range []*Engine{ea, eb, ec} {
		if err := e.Control(Detach); err != ErrDetached {
			t.Errorf("control after reap: %v", err)
		}
		if err := e.SetEvents(0); err != ErrDetached {
			t.Errorf("set events after reap: %v", err)
		}
		if err := e.Barrier(context.Background()); err != ErrDetached {
			t.Errorf("barrier after reap: %v", err)
		}
	}
	if len(f.tr.Threads()) != 0 {
		t.Error("reaped thread still traced")
	}
	// The tid may come back as a new process: a new engine, never the old.
	e2, _ := f.attach(tidMain, "new", EventExec)
	if e2 == ea || e2 == ec {
		t.Error("old engine reused")
	}
	f.tr.Deliver(&Event{Type: EventExec, Tid: tidMain, Exec: Exec{Filename: "/x"}})
	want(t, "reused tid", f.log.take(), "new exec /x tid=100 resume")
}

// Seed: "If the report_death callback itself detaches from the thread, then
// the report_reap callback will never be made."
func TestDeathDetachMeansNoReap(t *testing.T) {
	f := newFixture(t)
	_, a := f.attach(tidMain, "a", EventDeath|EventReap)
	a.ret[EventDeath] = Detach
	f.tr.Deliver(&Event{Type: EventDeath, Tid: tidMain})
	f.tr.Deliver(&Event{Type: EventReap, Tid: tidMain})
	want(t, "no reap", f.log.take(), "a death 0")
}

// A REAP whose DEATH record was lost still comes after a DEATH.
func TestReapWithoutDeathRecord(t *testing.T) {
	f := newFixture(t)
	f.attach(tidMain, "a", EventDeath|EventReap)
	f.tr.Deliver(&Event{Type: EventReap, Tid: tidMain})
	want(t, "made-up death", f.log.take(), "a death -1; a reap")
	// Attached to a zombie: it is already dying, so no DEATH is owed.
	f.attach(tidZombie, "z", EventReap)
	ez, _ := f.tr.Attach(tidZombie, 0, nil, nil)
	if err := ez.SetEvents(EventReap | EventDeath); err != ErrAlready {
		t.Errorf("setting DEATH on a zombie: %v", err)
	}
	f.tr.Deliver(&Event{Type: EventReap, Tid: tidZombie})
	want(t, "zombie", f.log.take(), "z reap")
}

// Seed utrace_set_events/utrace_control interlock with the final callbacks:
// -EALREADY while the DEATH report may run, -ESRCH once reaping started.
func TestTeardownRaces(t *testing.T) {
	f := newFixture(t)
	ea, a := f.attach(tidMain, "a", EventDeath|EventReap|EventQuiesce)
	var duringDeath, duringReap []error
	a.hook = func(e *Engine, ev Events) {
		switch ev {
		case EventDeath:
			duringDeath = []error{
				e.SetEvents(EventReap | EventQuiesce), // clearing DEATH
				e.Control(Detach),
				e.Control(Resume),
				e.SetEvents(EventDeath | EventReap | EventQuiesce), // no change
			}
		case EventReap:
			duringReap = []error{
				e.SetEvents(EventDeath | EventQuiesce), // clearing REAP
				e.Control(Detach),
			}
		}
	}
	f.tr.Deliver(&Event{Type: EventDeath, Tid: tidMain})
	wantErrs(t, "during death", duringDeath, ErrAlready, ErrAlready, ErrDetached, ErrInProgress)
	// After the death report, the zombie can still be detached from, and
	// nobody may newly ask for DEATH or QUIESCE.
	eb, _ := f.tr.Attach(tidMain, AttachCreate, &recorder{log: f.log}, nil)
	if err := eb.SetEvents(EventQuiesce); err != ErrAlready {
		t.Errorf("new QUIESCE on dead thread: %v", err)
	}
	f.tr.Deliver(&Event{Type: EventReap, Tid: tidMain})
	wantErrs(t, "during reap", duringReap, ErrAlready, ErrDetached)
	if err := ea.Control(Detach); err != ErrDetached {
		t.Errorf("after reap: %v", err)
	}

	f2 := newFixture(t)
	e2, _ := f2.attach(tidMain, "a", EventDeath)
	f2.tr.Deliver(&Event{Type: EventDeath, Tid: tidMain})
	f2.attach(tidMain, "b", 0)
	if err := e2.Control(Detach); err != nil {
		t.Errorf("detach from zombie after its death report: %v", err)
	}
}

func wantErrs(t *testing.T, what string, got []error, exp ...error) {
	t.Helper()
	if len(got) != len(exp) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(exp))
	}
	for i := range got {
		if got[i] != exp[i] {
			t.Errorf("%s #%d: %v, want %v", what, i, got[i], exp[i])
		}
	}
}

// Concurrent callers and reports do not race (run with -race).
func TestConcurrentControl(t *testing.T) {
	f := newFixture(t)
	e, _ := f.attach(tidMain, "a", EventSyscall|EventQuiesce)
	e.SetSync(EventSyscall)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				switch (i + j) % 4 {
				case 0:
					f.tr.Deliver(syscallEntry(tidMain, j, true))
				case 1:
					e.SetEvents(EventSyscall | EventQuiesce)
				case 2:
					e.Control(Resume)
				case 3:
					e.Barrier(context.Background())
				}
			}
		}()
	}
	wg.Wait()
	if strings.Count(f.log.take(), "a entry") != 200 {
		t.Error("lost reports")
	}
}

// Seed utrace_control(UTRACE_STOP) promises a report when it returns
// -EINPROGRESS: a Stop that lands while a synchronous pass runs, after the
// engine's callback, gets a QUIESCE report before the thread runs.
func TestLateStopGetsItsReport(t *testing.T) {
	f := newFixture(t)
	e, r := f.attach(tidMain, "a", EventQuiesce|EventSyscallEntry)
	e.SetSync(EventSyscallEntry)
	_, b := f.attach(tidMain, "b", EventSyscallEntry)
	b.hook = func(*Engine, Events) {
		if err := e.Control(Stop); err != ErrInProgress {
			t.Errorf("stop during the pass: %v", err)
		}
	}
	if got := f.tr.Deliver(syscallEntry(tidMain, 1, true)); got.ResumeAction() != Report {
		t.Fatalf("final %v, want report: a's late stop needs its QUIESCE", got)
	}
	b.hook = nil
	r.ret[EventQuiesce] = Stop
	if got := f.tr.Deliver(plainStop(tidMain)); got != Stop {
		t.Errorf("quiesce: %v", got)
	}
	want(t, "calls", f.log.take(), "a quiesce(syscall_entry) resume; a entry 1 resume; b entry 1 resume; a quiesce(0) stop")
}
