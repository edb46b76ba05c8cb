package loader

import (
	"fmt"
	"math/bits"
	"strings"
	"sync/atomic"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
)

type counter = atomic.Uint64

// TypeStats counts the records of one event type.
type TypeStats struct {
	Delivered uint64 // decoded and handed to the deliver func
	// Lost records found the ring buffer full. Bookkeeping records the
	// loader reads but does not deliver (see package doc) count here too.
	Lost uint64
}

// Stats are a Loader's counters since it was loaded.
type Stats struct {
	types [nrEvents]TypeStats
	// InheritFailed counts children of followed threads that got no flags
	// or no counts because the kernel could not allocate them.
	InheritFailed uint64
	// StatsFailed counts counting threads whose aggregates could not be
	// saved when they exited (map full), and so are unreadable after.
	StatsFailed uint64
	// TargetFailed counts processes a target rule selected that got no
	// flags or no counts because the kernel could not allocate them.
	TargetFailed uint64
	// Malformed counts records the reader could not decode.
	Malformed uint64
	// LoadTimes are how long the programs loaded so far took to load
	// (relocation, the kernel's verifier, JIT), by name. Programs load in
	// parallel: the times overlap.
	LoadTimes map[string]time.Duration
	// StagedPeak is the most bytes of records that waited at once
	// between the ring buffer and their handling (see package doc).
	StagedPeak int
	// Triggers counts what triggers did.
	Triggers TriggerStats
	// AttachErr is the last failure to attach a program when the kernel
	// reported a thread that needs it, if any.
	AttachErr error
}

// TriggerStats count the triggers that fired and what became of them.
type TriggerStats struct {
	// Fired counts calls that matched a trigger: the record was stored
	// and the thread sent SIGSTOP.
	Fired uint64
	// Taken counts records TakeTrigger returned.
	Taken uint64
	// StoreFailed counts matching calls whose record (or entry path)
	// found no room in task storage (allocation failed): no stop was
	// sent, and a matching call's report is lost.
	StoreFailed uint64
	// Replaced counts records that a later trigger overwrote before
	// anyone took them: the thread was not seized when it stopped (the
	// SIGSTOP became a job-control stop) or the stop was not recognised.
	Replaced uint64
	// SignalFailed counts matching calls for which bpf_send_signal_thread
	// failed (the thread was exiting); their records were dropped.
	SignalFailed uint64
}

// For returns the sum of the counts of the event types in ev, e.g.
// For(core.EventSyscallEntry) or For(core.EventAll).
func (s *Stats) For(ev core.Events) TypeStats {
	var t TypeStats
	for rest := uint32(ev); rest != 0; rest &= rest - 1 {
		i := bits.TrailingZeros32(rest)
		if i < nrEvents {
			t.Delivered += s.types[i].Delivered
			t.Lost += s.types[i].Lost
		}
	}
	return t
}

// String summarises s on one line, e.g. "syscall_entry 1000/0
// syscall_exit 990/10 (delivered/lost)", listing the types with records
// and the error counters that are not zero.
func (s Stats) String() string {
	var b strings.Builder
	for i, t := range s.types {
		if t == (TypeStats{}) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%v %d/%d", core.Events(1)<<i, t.Delivered, t.Lost)
	}
	if b.Len() == 0 {
		b.WriteString("no records")
	} else {
		b.WriteString(" (delivered/lost)")
	}
	for _, c := range []struct {
		name string
		n    uint64
	}{
		{"inherit failed", s.InheritFailed}, {"stats failed", s.StatsFailed}, {"target failed", s.TargetFailed},
		{"malformed", s.Malformed},
		{"triggers fired", s.Triggers.Fired}, {"taken", s.Triggers.Taken},
		{"trigger store failed", s.Triggers.StoreFailed}, {"trigger replaced", s.Triggers.Replaced},
		{"trigger signal failed", s.Triggers.SignalFailed},
	} {
		if c.n != 0 {
			fmt.Fprintf(&b, ", %s %d", c.name, c.n)
		}
	}
	if s.AttachErr != nil {
		fmt.Fprintf(&b, ", attach error: %v", s.AttachErr)
	}
	return b.String()
}

// Stats reads the delivered counts and the kernel's per-CPU loss counters.
func (l *Loader) Stats() (Stats, error) {
	var s Stats
	var percpu []uint64
	for slot := uint32(0); slot < nrCounters; slot++ {
		if err := l.objs.Counters.Lookup(slot, &percpu); err != nil {
			return s, fmt.Errorf("reading loss counters: %w", err)
		}
		var sum uint64
		for _, v := range percpu {
			sum += v
		}
		switch {
		case slot < nrEvents:
			s.types[slot].Lost = sum
		case slot == cntInheritFailed:
			s.InheritFailed = sum
		case slot == cntStatsFailed:
			s.StatsFailed = sum
		case slot == cntTrigFired:
			s.Triggers.Fired = sum
		case slot == cntTrigStoreFail:
			s.Triggers.StoreFailed = sum
		case slot == cntTrigReplaced:
			s.Triggers.Replaced = sum
		case slot == cntTrigSignalErr:
			s.Triggers.SignalFailed = sum
		case slot == cntTargetFailed:
			s.TargetFailed = sum
		}
	}
	for i := range s.types {
		s.types[i].Delivered = l.delivered[i].Load()
	}
	s.Malformed = l.reader.bad.Load()
	s.LoadTimes = l.objs.loadTimes()
	if st := l.stage.Load(); st != nil {
		s.StagedPeak = st.peakBytes()
	}
	s.Triggers.Taken = l.trigTaken.Load()
	l.mu.Lock()
	s.AttachErr = l.attachErr
	l.mu.Unlock()
	return s, nil
}

// Tracked returns how many threads the loader keeps bookkeeping for (those
// with a watch, inherited or set, not yet reaped): it returns to zero when
// every watched thread is gone, which the reliability tests check.
func (l *Loader) Tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.needs)
}
