package core

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
)

// AttachFlags select what Tracer.Attach does (the seed's UTRACE_ATTACH_*).
type AttachFlags uint32

const (
	// AttachMatchOps considers only engines whose ops equal the ops given.
	AttachMatchOps AttachFlags = 0x0001
	// AttachMatchData considers only engines whose data equal the data given.
	AttachMatchData AttachFlags = 0x0002
	// AttachCreate attaches a new engine; without it Attach only looks one up.
	AttachCreate AttachFlags = 0x0010
	// AttachExclusive refuses to create an engine when a matching one is
	// attached (ErrExist).
	AttachExclusive AttachFlags = 0x0020

	// AttachMatchMask covers the matching flags.
	AttachMatchMask AttachFlags = 0x000f
)

// Config gives a Tracer its backends. Either may be nil: without a Source
// there are no passive events, without a Stopper no synchronous control.
type Config struct {
	Source  Source
	Stopper Stopper
	// Lookup finds threads to attach to; nil reads /proc.
	Lookup ThreadLookup
}

// Tracer keeps the engines attached to threads and dispatches the events the
// backends deliver. Its methods are safe for concurrent use.
type Tracer struct {
	cfg Config

	mu      sync.Mutex
	threads map[int]*thread // by tid; a thread is here while it has engines
	// cloning holds the children of the CLONE reports being made: engines
	// attach to them from ReportClone even if they already ran and died
	// (a passive report comes after the fact), as the seed guarantees
	// attaching to @child there is always safe.
	cloning map[int]ThreadInfo

	unclaimed  atomic.Uint64 // events for threads without engines
	lostClones atomic.Uint64 // CLONE reports made up for threads whose own was lost

	shadows shadowTable // breakpoint bytes hidden from Examine (shadow.go)
}

// NewTracer returns a tracer using the backends in cfg.
func NewTracer(cfg Config) *Tracer {
	if cfg.Lookup == nil {
		cfg.Lookup = procLookup
	}
	return &Tracer{cfg: cfg, threads: make(map[int]*thread), cloning: make(map[int]ThreadInfo)}
}

// Attach attaches a new engine to thread tid, or looks up an attached one
// (utrace_attach_task). With AttachCreate it creates an engine whose
// callbacks are the Report* methods ops implements and whose private value
// is data; the engine starts with no events. With AttachExclusive it fails
// with ErrExist if an engine matching AttachMatchOps/AttachMatchData (any
// engine, without either) is attached. Without AttachCreate it returns the
// first matching engine in attach order, or ErrNotFound.
//
// It fails with ErrPerm for a kernel thread, ErrDetached for a thread that
// does not exist or was reaped, and ErrInvalid for nil ops or unknown flags.
func (t *Tracer) Attach(tid int, flags AttachFlags, ops, data any) (*Engine, error) {
	if flags&^(AttachCreate|AttachExclusive|AttachMatchMask) != 0 {
		return nil, fmt.Errorf("attach %d: flags %#x: %w", tid, uint32(flags), ErrInvalid)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	th := t.threads[tid]
	if flags&AttachCreate == 0 {
		if th == nil {
			return nil, ErrNotFound
		}
		th.mu.Lock()
		defer th.mu.Unlock()
		if e := th.match(flags, ops, data); e != nil {
			return e, nil
		}
		return nil, ErrNotFound
	}
	if ops == nil {
		return nil, fmt.Errorf("attach %d: nil ops: %w", tid, ErrInvalid)
	}
	if th == nil {
		info, ok := t.cloning[tid]
		if !ok {
			var err error
			if info, err = t.cfg.Lookup(tid); err != nil {
				return nil, fmt.Errorf("attach %d: %w (%v)", tid, ErrDetached, err)
			}
		}
		if info.Kernel {
			return nil, fmt.Errorf("attach %d: %w", tid, ErrPerm)
		}
		th = newThread(t, tid, info)
		t.threads[tid] = th
	}
	th.mu.Lock()
	defer th.mu.Unlock()
	if th.reap {
		return nil, fmt.Errorf("attach %d: %w", tid, ErrDetached)
	}
	if flags&AttachExclusive != 0 && th.match(flags, ops, data) != nil {
		return nil, fmt.Errorf("attach %d: %w", tid, ErrExist)
	}
	e := &Engine{th: th, ops: ops, data: data}
	// Copy on write: a report in progress keeps iterating its snapshot, so
	// an engine attached during a report is first called for the next
	// event, as the seed's "attaching" list does.
	th.engines = append(th.engines[:len(th.engines):len(th.engines)], e)
	return e, nil
}

// forget drops th from the tracer once it has no engines left, unless a new
// thread struct already replaced it (tid reuse).
func (t *Tracer) forget(th *thread) {
	t.mu.Lock()
	if t.threads[th.id()] == th {
		delete(t.threads, th.id())
	}
	t.mu.Unlock()
}

// Adopting tells the tracer that thread tid of process tgid exists, as far
// as the events being delivered go, until done is called: a source that
// selected the thread by itself (a target rule matched in the kernel)
// reports it, and attaching to it must not depend on /proc, where a
// short-lived process may be gone by the time its first report is read.
// The same holds for a child during its CLONE report.
func (t *Tracer) Adopting(tid, tgid int) (done func()) {
	t.mu.Lock()
	t.cloning[tid] = ThreadInfo{Tgid: tgid}
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.cloning, tid)
		t.mu.Unlock()
	}
}

// Traced reports whether some engine is attached to thread tid.
func (t *Tracer) Traced(tid int) bool { return t.thread(tid) != nil }

func (t *Tracer) thread(tid int) *thread {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.threads[tid]
}

// Unclaimed returns how many delivered events found no engine on their
// thread: events from the kernel's inheritance before an engine attached or
// after the last one detached.
func (t *Tracer) Unclaimed() uint64 { return t.unclaimed.Load() }

// LateClones returns how many CLONE reports the tracer made up for new
// threads of followed processes whose own CLONE record was lost; their
// engines attached at the thread's first surviving event.
func (t *Tracer) LateClones() uint64 { return t.lostClones.Load() }

// ThreadStatus describes one traced thread, for status displays.
type ThreadStatus struct {
	Tid, Tgid int
	Stopped   bool // held in a synchronous stop
	Dying     bool
	Engines   []EngineStatus
}

// EngineStatus describes one engine on a thread.
type EngineStatus struct {
	Ops       any
	Events    Events
	Sync      Events // the subset reported synchronously
	WantsStop bool
}

// Threads returns a snapshot of the traced threads, ordered by nothing.
func (t *Tracer) Threads() []ThreadStatus {
	t.mu.Lock()
	ths := make([]*thread, 0, len(t.threads))
	for _, th := range t.threads {
		ths = append(ths, th)
	}
	t.mu.Unlock()
	out := make([]ThreadStatus, 0, len(ths))
	for _, th := range ths {
		th.mu.Lock()
		st := ThreadStatus{Tid: th.id(), Tgid: th.tgid, Stopped: th.stopped, Dying: th.dying}
		for _, e := range th.engines {
			st.Engines = append(st.Engines, EngineStatus{e.ops, e.events, e.events & e.sync, e.wantsStop})
		}
		th.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// same compares two ops or data values without panicking on values whose
// dynamic type is not comparable (those match only themselves by identity,
// which interface values cannot express, so they never match).
func same(a, b any) (eq bool) {
	// A comparable struct type may still hold an incomparable value in an
	// interface field; == panics then, and the values are not the same.
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}

// SyscallStats returns the in-kernel syscall aggregates of tid, for a
// thread on which some engine called SetCounting(true). It fails with
// ErrNotFound when the source does not aggregate.
func (t *Tracer) SyscallStats(tid int) (map[int]SyscallStats, error) {
	agg, ok := t.cfg.Source.(Aggregator)
	if !ok {
		return nil, fmt.Errorf("syscall stats of %d: source does not aggregate: %w", tid, ErrNotFound)
	}
	return agg.SyscallStats(tid)
}

// SyscallHistogram returns the log2 histogram of the durations of the
// calls to syscall nr made by threads on which some engine called both
// SetCounting(true) and SetHistograms(true), summed over them since the
// source started. It fails with ErrNotFound when the source does not
// count histograms.
func (t *Tracer) SyscallHistogram(nr int) (Histogram, error) {
	agg, ok := t.cfg.Source.(HistogramAggregator)
	if !ok {
		return Histogram{}, fmt.Errorf("histogram of syscall %d: source does not count histograms: %w", nr, ErrNotFound)
	}
	return agg.SyscallHistogram(nr)
}

// DetachAll detaches every engine from every thread, as Control(Detach) on
// each would, and returns how many it detached. Threads held stopped are
// resumed.
func (t *Tracer) DetachAll() int {
	t.mu.Lock()
	ths := make([]*thread, 0, len(t.threads))
	for _, th := range t.threads {
		ths = append(ths, th)
	}
	t.mu.Unlock()
	n := 0
	for _, th := range ths {
		th.mu.Lock()
		engines := th.engines
		th.mu.Unlock()
		for _, e := range engines {
			if err := e.Control(Detach); err == nil || err == ErrInProgress {
				n++
			}
		}
	}
	return n
}
