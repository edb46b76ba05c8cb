package core

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// Seed utrace_attach_task: lookup without UTRACE_ATTACH_CREATE finds only
// what is attached (-ENOENT otherwise) and returns the same engine.
func TestAttachLookupWithoutCreate(t *testing.T) {
	f := newFixture(t)
	if _, err := f.tr.Attach(tidMain, 0, &recorder{}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("lookup on untraced thread: %v, want ErrNotFound", err)
	}
	e, _ := f.attach(tidMain, "a", 0)
	got, err := f.tr.Attach(tidMain, 0, nil, nil)
	if err != nil || got != e {
		t.Fatalf("lookup: %p %v, want %p", got, err, e)
	}
}

// Seed engine_matches: MATCH_OPS and MATCH_DATA narrow the lookup and
// EXCLUSIVE refuses a second matching engine with -EEXIST.
func TestAttachMatchFlags(t *testing.T) {
	f := newFixture(t)
	opsA, opsB := &recorder{name: "a"}, &recorder{name: "b"}
	ea, err := f.tr.Attach(tidMain, AttachCreate, opsA, "one")
	if err != nil {
		t.Fatal(err)
	}
	eb, err := f.tr.Attach(tidMain, AttachCreate|AttachExclusive|AttachMatchOps, opsB, "two")
	if err != nil {
		t.Fatalf("exclusive with different ops: %v", err)
	}
	if _, err := f.tr.Attach(tidMain, AttachCreate|AttachExclusive|AttachMatchOps, opsA, "x"); !errors.Is(err, ErrExist) {
		t.Errorf("exclusive, same ops: %v, want ErrExist", err)
	}
	if _, err := f.tr.Attach(tidMain, AttachCreate|AttachExclusive|AttachMatchData, opsA, "two"); !errors.Is(err, ErrExist) {
		t.Errorf("exclusive, same data: %v, want ErrExist", err)
	}
	if _, err := f.tr.Attach(tidMain, AttachCreate|AttachExclusive, opsA, "three"); !errors.Is(err, ErrExist) {
		t.Errorf("exclusive without match flags refuses any engine: %v", err)
	}
	if e, _ := f.tr.Attach(tidMain, AttachMatchOps, opsB, nil); e != eb {
		t.Error("MATCH_OPS lookup did not find b")
	}
	if e, _ := f.tr.Attach(tidMain, AttachMatchData, nil, "one"); e != ea {
		t.Error("MATCH_DATA lookup did not find a")
	}
	if e, _ := f.tr.Attach(tidMain, AttachMatchOps|AttachMatchData, opsA, "two"); e != nil {
		t.Error("MATCH_OPS|MATCH_DATA matched a mismatching pair")
	}
	// Values of incomparable types never match, and do not panic.
	type incomparable struct{ s []int }
	if _, err := f.tr.Attach(tidMain, AttachCreate|AttachExclusive|AttachMatchData, opsA, incomparable{[]int{1}}); err != nil {
		t.Errorf("incomparable data: %v", err)
	}
	type holder struct{ v any }
	if same(holder{[]int{1}}, holder{[]int{1}}) {
		t.Error("comparable type holding a slice matched")
	}
	if !same(nil, nil) || same(nil, 1) {
		t.Error("nil comparison")
	}
	if e, _ := f.tr.Attach(tidMain, AttachMatchData, nil, incomparable{[]int{1}}); e != nil {
		t.Error("incomparable data matched")
	}
	if ea.Ops() != opsA || ea.Data() != "one" || ea.Tgid() != tidMain || ea.Tracer() != f.tr {
		t.Error("accessors")
	}
}

// Seed: kernel threads are refused with -EPERM, dead targets with -ESRCH,
// NULL ops and unknown flags with -EINVAL.
func TestAttachRefusals(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		tid   int
		flags AttachFlags
		ops   any
		want  error
	}{
		{tidKernel, AttachCreate, &recorder{}, ErrPerm},
		{tidMissing, AttachCreate, &recorder{}, ErrDetached},
		{tidMain, AttachCreate, nil, ErrInvalid},
		{tidMain, AttachCreate | 0x100, &recorder{}, ErrInvalid},
	} {
		if _, err := f.tr.Attach(tc.tid, tc.flags, tc.ops, nil); !errors.Is(err, tc.want) {
			t.Errorf("attach %d flags %#x: %v, want %v", tc.tid, tc.flags, err, tc.want)
		}
	}
}

// Seed: utrace_set_events needs the callback for each event bit set.
func TestSetEventsNeedsReporter(t *testing.T) {
	f := newFixture(t)
	type onlyExec struct{ ExecReporter }
	e, err := f.tr.Attach(tidMain, AttachCreate, onlyExec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetEvents(EventExec); err != nil {
		t.Errorf("exec with ExecReporter: %v", err)
	}
	for _, ev := range []Events{EventSyscallEntry, EventSignalTerm, EventReap, EventQuiesce, EventDeath,
		EventClone, EventExit, EventJctl, EventSyscallExit} {
		if err := e.SetEvents(EventExec | ev); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetEvents(%v) without reporter: %v", ev, err)
		}
	}
	if err := e.SetEvents(1 << 20); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown bit: %v", err)
	}
	if err := e.SetSync(1 << 20); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown sync bit: %v", err)
	}
	if e.Events() != EventExec {
		t.Errorf("events after refusals: %v", e.Events())
	}
}

// The thread's flags are the union of its engines' masks (the seed's
// task->utrace_flags), split between the passive source and the stopper.
func TestWatchIsUnionOfEngines(t *testing.T) {
	f := newFixture(t)
	a, _ := f.attach(tidMain, "a", EventSyscallEntry|EventExec)
	b, _ := f.attach(tidMain, "b", EventSyscallExit|EventClone|EventQuiesce)
	w := f.src.watch(tidMain)
	// b's QUIESCE keeps the thread seized, so its clones are synchronous.
	if w.Events != EventSyscall|EventExec || !w.Follow || w.Syscalls != nil || w.Count {
		t.Errorf("watch %+v", w)
	}
	var only SyscallSet
	only.Add(39)
	if err := a.SetSyscallFilter(&only); err != nil {
		t.Fatal(err)
	}
	if w := f.src.watch(tidMain); w.Syscalls != nil {
		t.Error("filter applied while b wants all syscalls")
	}
	var other SyscallSet
	other.Add(257)
	b.SetSyscallFilter(&other)
	w = f.src.watch(tidMain)
	if w.Syscalls == nil || !w.Syscalls.Has(39) || !w.Syscalls.Has(257) || w.Syscalls.Has(0) {
		t.Errorf("filter union %+v", w.Syscalls)
	}
	// b needs syscall exits synchronously: they leave the passive watch.
	if err := b.SetSync(EventSyscallExit | EventDeath); err != nil {
		t.Fatal(err)
	}
	// b syncs only its filtered calls; the others stay passive for a,
	// which wants entries passively; nobody wants exits passively.
	if w := f.src.watch(tidMain); w.Events != EventSyscallEntry|EventExec {
		t.Errorf("passive after sync: %v", w.Events)
	}
	// b's clones come synchronously too, so children are attached
	// before they run.
	if got := f.stp.sync[tidMain]; got != EventSyscallExit|EventQuiesce|EventClone {
		t.Errorf("stopper sync %v", got)
	}
	a.SetCounting(true)
	if !f.src.watch(tidMain).Count {
		t.Error("count not pushed")
	}
	if st, err := f.tr.SyscallStats(tidMain); err != nil || st[39].Calls != 3 {
		t.Errorf("stats %v %v", st, err)
	}
	calls := f.src.calls
	a.SetCounting(true)
	if f.src.calls != calls {
		t.Error("unchanged watch pushed again")
	}
	if err := a.Control(Detach); err != nil {
		t.Fatal(err)
	}
	b.Control(Detach)
	if w := f.src.watch(tidMain); !sameWatch(w, Watch{}) {
		t.Errorf("watch after last detach %+v", w)
	}
	if got := f.stp.sync[tidMain]; got != 0 {
		t.Errorf("stopper sync after detach %v", got)
	}
	if len(f.tr.Threads()) != 0 {
		t.Error("thread kept after last engine detached")
	}
	noAgg := NewTracer(Config{Lookup: fakeLookup})
	if _, err := noAgg.SyscallStats(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("stats without aggregator: %v", err)
	}
}

func TestThreadsSnapshot(t *testing.T) {
	f := newFixture(t)
	f.attach(tidMain, "a", EventExec)
	e, _ := f.attach(tidMain, "b", EventSyscall)
	e.SetSync(EventSyscallEntry)
	th := f.tr.Threads()
	if len(th) != 1 || th[0].Tid != tidMain || len(th[0].Engines) != 2 ||
		th[0].Engines[1].Sync != EventSyscallEntry || th[0].Engines[0].Events != EventExec {
		t.Errorf("threads %+v", th)
	}
}

// procLookup reads the real /proc: our own thread is a user thread, pid 2
// (kthreadd) a kernel thread, and a free pid does not exist.
func TestProcLookup(t *testing.T) {
	info, err := procLookup(os.Getpid())
	if err != nil || info.Kernel || info.Tgid != os.Getpid() || info.Dead {
		t.Errorf("self: %+v %v", info, err)
	}
	if info, err := procLookup(2); err == nil && !info.Kernel {
		t.Errorf("kthreadd not a kernel thread: %+v", info)
	}
	if _, err := procLookup(1 << 30); !errors.Is(err, ErrDetached) {
		t.Errorf("missing pid: %v", err)
	}
	if _, err := procLookup(0); !errors.Is(err, ErrInvalid) {
		t.Errorf("pid 0: %v", err)
	}
	tr := NewTracer(Config{})
	if _, err := tr.Attach(2, AttachCreate, &recorder{}, nil); err != nil && !errors.Is(err, ErrPerm) {
		t.Errorf("attach to kthreadd: %v", err)
	}
}

func TestDetachAll(t *testing.T) {
	f := newFixture(t)
	a, r := f.attach(tidMain, "a", EventQuiesce)
	f.attach(tidOther, "b", EventExec)
	r.ret[EventQuiesce] = Stop
	a.Control(Stop)
	f.tr.Deliver(plainStop(tidMain))
	if n := f.tr.DetachAll(); n != 2 {
		t.Errorf("detached %d", n)
	}
	if len(f.tr.Threads()) != 0 || lastCall(f) != "sync 100 0" {
		t.Errorf("after DetachAll: %v %v", f.tr.Threads(), f.stp.calls())
	}
	if !strings.Contains(strings.Join(f.stp.calls(), ";"), "resume 100 resume") {
		t.Errorf("held thread not resumed: %v", f.stp.calls())
	}
}

// Entries are limited to exit and exit_group only when every engine that
// wants entries says its exit reports serve it for the others; Capture is
// set when any engine that wants syscall events asks for it.
func TestExitEntriesOnlyAndCapture(t *testing.T) {
	f := newFixture(t)
	a, _ := f.attach(tidMain, "a", EventSyscall)
	if err := a.SetExitEntriesOnly(true); err != nil {
		t.Fatal(err)
	}
	if !f.src.watch(tidMain).ExitEntriesOnly {
		t.Error("one engine, exit entries only: not pushed")
	}
	b, _ := f.attach(tidMain, "b", EventSyscallExit)
	if !f.src.watch(tidMain).ExitEntriesOnly {
		t.Error("an engine wanting no entries changed it")
	}
	b.SetEvents(EventSyscall)
	if f.src.watch(tidMain).ExitEntriesOnly {
		t.Error("an engine wanting every entry did not clear it")
	}
	if f.src.watch(tidMain).Capture {
		t.Error("capture without an engine asking")
	}
	if err := b.SetCapture(true); err != nil {
		t.Fatal(err)
	}
	if !f.src.watch(tidMain).Capture {
		t.Error("an engine asked for capture: not pushed")
	}
	b.SetEvents(EventExec)
	if f.src.watch(tidMain).Capture {
		t.Error("capture kept for an engine that wants no syscall events")
	}
}

// An engine that takes signals passively only (a log) keeps them in the
// passive watch while another engine needs them synchronously, gets the
// passive report and not the synchronous one; the other engine gets the
// synchronous one only. Each engine sees each signal once.
func TestPassiveOnly(t *testing.T) {
	f := newFixture(t)
	a, _ := f.attach(tidMain, "a", EventSignal)
	b, _ := f.attach(tidMain, "b", EventSignal)
	if err := a.SetSync(EventSignal); err != nil {
		t.Fatal(err)
	}
	if f.src.watch(tidMain).Events&EventSignal != 0 {
		t.Fatalf("signals in the passive watch while a needs them synchronously and nobody passively: %+v", f.src.watch(tidMain))
	}
	if err := b.SetPassiveOnly(EventSignal); err != nil {
		t.Fatal(err)
	}
	if f.src.watch(tidMain).Events&EventSignal == 0 {
		t.Errorf("signals left out of the passive watch though b takes them passively: %+v", f.src.watch(tidMain))
	}
	f.tr.Deliver(&Event{Type: EventSignal, Tid: tidMain, Sync: true, Signal: Signal{Signo: 10}})
	want(t, "synchronous", f.log.take(), "a signal 10 resume")
	f.tr.Deliver(&Event{Type: EventSignal, Tid: tidMain, Signal: Signal{Signo: 10}})
	want(t, "passive", f.log.take(), "b signal 10 resume")
	if err := b.SetPassiveOnly(EventSyscallEntry); err == nil {
		t.Error("passive-only system calls accepted")
	}
}
