package core

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// Scripted fakes of the two backends. They only record what the tracer asks
// of them; tests deliver the events a real backend would.

type fakeSource struct {
	mu      sync.Mutex
	watches map[int]Watch
	calls   int
}

func (s *fakeSource) SetWatch(tid int, w Watch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watches == nil {
		s.watches = make(map[int]Watch)
	}
	s.watches[tid] = w
	s.calls++
	return nil
}

func (s *fakeSource) watch(tid int) Watch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watches[tid]
}

func (s *fakeSource) SyscallStats(tid int) (map[int]SyscallStats, error) {
	return map[int]SyscallStats{39: {Calls: 3}}, nil
}

type fakeStopper struct {
	mu   sync.Mutex
	sync map[int]Events
	log  []string
	regs Registers
}

func (s *fakeStopper) record(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

func (s *fakeStopper) SetSync(tid int, ev Events) error {
	s.mu.Lock()
	if s.sync == nil {
		s.sync = make(map[int]Events)
	}
	s.sync[tid] = ev
	s.mu.Unlock()
	s.record("sync %d %v", tid, ev)
	return nil
}

func (s *fakeStopper) Stop(tid int) error {
	s.record("stop %d", tid)
	return nil
}

func (s *fakeStopper) Resume(tid int, a Action) error {
	s.record("resume %d %v", tid, a)
	return nil
}

func (s *fakeStopper) Examine(tid int, fn func(Stopped) error) error {
	s.record("examine %d", tid)
	return fn(fakeStopped{tid, &s.regs})
}

func (s *fakeStopper) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *fakeStopper) reset() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

type fakeStopped struct {
	tid  int
	regs *Registers
}

func (f fakeStopped) Tid() int                                 { return f.tid }
func (f fakeStopped) Registers() (*Registers, error)           { r := *f.regs; return &r, nil }
func (f fakeStopped) SetRegisters(r *Registers) error          { *f.regs = *r; return nil }
func (f fakeStopped) ReadMemory(uintptr, []byte) (int, error)  { return 0, nil }
func (f fakeStopped) WriteMemory(uintptr, []byte) (int, error) { return 0, nil }

// Thread ids the fake lookup knows.
const (
	tidMain    = 100
	tidOther   = 101
	tidKernel  = 2
	tidMissing = 999
	tidZombie  = 7
)

func fakeLookup(tid int) (ThreadInfo, error) {
	switch tid {
	case tidKernel:
		return ThreadInfo{Tgid: tid, Kernel: true}, nil
	case tidMissing:
		return ThreadInfo{}, unix.ESRCH
	case tidZombie:
		return ThreadInfo{Tgid: tid, Dead: true}, nil
	}
	return ThreadInfo{Tgid: tid}, nil
}

type fixture struct {
	t   *testing.T
	tr  *Tracer
	src *fakeSource
	stp *fakeStopper
	log *callLog
}

func newFixture(t *testing.T) *fixture {
	src, stp := &fakeSource{}, &fakeStopper{}
	return &fixture{
		t:   t,
		tr:  NewTracer(Config{Source: src, Stopper: stp, Lookup: fakeLookup}),
		src: src,
		stp: stp,
		log: &callLog{},
	}
}

// attach attaches a recording engine named name with the given events.
func (f *fixture) attach(tid int, name string, events Events) (*Engine, *recorder) {
	f.t.Helper()
	r := &recorder{name: name, log: f.log, ret: map[Events]Action{}}
	e, err := f.tr.Attach(tid, AttachCreate, r, name)
	if err != nil {
		f.t.Fatalf("attach %s: %v", name, err)
	}
	if err := e.SetEvents(events); err != nil {
		f.t.Fatalf("set events %s: %v", name, err)
	}
	return e, r
}

type callLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *callLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *callLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "; ")
	l.lines = nil
	return s
}

// recorder implements every reporter. It logs each call with the action it
// saw and returns what ret says for the event (Resume by default); hook, if
// set, runs inside the callback.
type recorder struct {
	name string
	log  *callLog
	ret  map[Events]Action // by event; 0 key for plain QUIESCE
	hook func(e *Engine, ev Events)
}

func (r *recorder) answer(e *Engine, ev Events, seen Action) Action {
	if r.hook != nil {
		r.hook(e, ev)
	}
	if a, ok := r.ret[ev]; ok {
		return a
	}
	// By default keep the upper bits the engine was given: it changes
	// nothing but says Resume.
	return seen&^ResumeMask | Resume
}

func (r *recorder) ReportQuiesce(e *Engine, a Action, ev Events) Action {
	r.log.add("%s quiesce(%v) %v", r.name, ev, a)
	if ev == 0 {
		return r.answer(e, EventQuiesce, 0)
	}
	return Resume
}

func (r *recorder) ReportSignal(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s signal %d %v", r.name, ev.Signal.Signo, a)
	return r.answer(e, ev.Type, a)
}

func (r *recorder) ReportClone(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s clone %d %v", r.name, ev.Clone.Child, a)
	return r.answer(e, EventClone, 0)
}

func (r *recorder) ReportJctl(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s jctl %d %v", r.name, ev.Jctl.Type, a)
	return r.answer(e, EventJctl, 0)
}

func (r *recorder) ReportExec(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s exec %s tid=%d %v", r.name, ev.Exec.Filename, e.Tid(), a)
	return r.answer(e, EventExec, 0)
}

func (r *recorder) ReportSyscallEntry(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s entry %d %v", r.name, ev.Syscall.Nr, a)
	return r.answer(e, EventSyscallEntry, a)
}

func (r *recorder) ReportSyscallExit(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s exit %d %v", r.name, ev.Syscall.Nr, a)
	return r.answer(e, EventSyscallExit, 0)
}

func (r *recorder) ReportExit(e *Engine, a Action, ev *Event) Action {
	r.log.add("%s thread-exit %d %v", r.name, ev.Exit.Code, a)
	return r.answer(e, EventExit, 0)
}

func (r *recorder) ReportDeath(e *Engine, ev *Event) Action {
	r.log.add("%s death %d", r.name, ev.Exit.Code)
	return r.answer(e, EventDeath, 0)
}

func (r *recorder) ReportReap(e *Engine, ev *Event) {
	r.log.add("%s reap", r.name)
	if r.hook != nil {
		r.hook(e, EventReap)
	}
}

// Events a backend would deliver.

func syscallEntry(tid, nr int, sync bool) *Event {
	return &Event{Type: EventSyscallEntry, Tid: tid, Tgid: tid, Sync: sync, Syscall: Syscall{Nr: nr}}
}

func plainStop(tid int) *Event {
	return &Event{Type: EventQuiesce, Tid: tid, Tgid: tid, Sync: true}
}

func signalEvent(tid int, typ Events, signo int, sync bool) *Event {
	return &Event{Type: typ, Tid: tid, Tgid: tid, Sync: sync, Signal: Signal{Signo: signo}}
}

func want(t *testing.T, what, got, exp string) {
	t.Helper()
	if got != exp {
		t.Errorf("%s:\n got  %s\n want %s", what, got, exp)
	}
}

// The fake thread has no state beyond its general registers.

func (f fakeStopped) Regset(int, []byte) (int, error) { return 0, unix.EIO }
func (f fakeStopped) SetRegset(int, []byte) error     { return unix.EIO }
func (f fakeStopped) Siginfo() ([]byte, error)        { return nil, unix.EIO }
