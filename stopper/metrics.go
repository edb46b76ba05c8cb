package stopper

import (
	"sync/atomic"
	"time"
)

// StopBuckets are the upper bounds of the stop-duration histogram in
// Stats: from the cost of a bare ptrace round trip (a few microseconds) to
// a thread an engine holds stopped for seconds.
var StopBuckets = [...]time.Duration{
	5 * time.Microsecond, 10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// Stats count the synchronous stops a Stopper made: the ptrace stops it
// reported to the engines, each from the moment the report was asked for to
// the thread's restart (or detach). Stops of threads that died meanwhile
// have no end and are not counted.
type Stats struct {
	Stops uint64        // stops that ended
	Total time.Duration // their summed duration
	// Buckets[i] counts the stops that lasted at most StopBuckets[i]
	// (cumulative, as a Prometheus histogram's buckets are).
	Buckets []uint64
	// NotApplied counts the engines' changes ptrace could not make
	// (ErrNotApplied).
	NotApplied uint64
}

// stopMetrics is the stopper's live account behind Stats: written by the
// ptrace thread only, read from any goroutine.
type stopMetrics struct {
	stops      atomic.Uint64
	nanos      atomic.Uint64
	buckets    [len(StopBuckets)]atomic.Uint64 // not cumulative
	notApplied atomic.Uint64
}

// ended counts one stop that lasted from since to now (monotonicNow).
func (m *stopMetrics) ended(since uint64) {
	d := time.Duration(monotonicNow() - since)
	for i, b := range StopBuckets {
		if d <= b {
			m.buckets[i].Add(1)
			break
		}
	}
	m.nanos.Add(uint64(d))
	m.stops.Add(1)
}

// Stats returns the stops counted so far. It may be called from any
// goroutine, while the stopper runs or after Close.
func (s *Stopper) Stats() Stats {
	m := &s.metrics
	// The count is read first: a stop counted between the reads shows in
	// the buckets and the sum but not in Stops, never the other way.
	st := Stats{Stops: m.stops.Load(), Buckets: make([]uint64, len(StopBuckets))}
	st.Total = time.Duration(m.nanos.Load())
	st.NotApplied = m.notApplied.Load()
	var cum uint64
	for i := range m.buckets {
		cum += m.buckets[i].Load()
		st.Buckets[i] = min(cum, st.Stops)
	}
	return st
}
