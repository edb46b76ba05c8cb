package core

import "testing"

type nopEntry struct{}

func (nopEntry) ReportSyscallEntry(e *Engine, a Action, ev *Event) Action { return Resume }

// BenchmarkDeliverPassive is the per-event cost of a passive syscall report
// to one engine: the tracer's share of the passive tier.
func BenchmarkDeliverPassive(b *testing.B) {
	tr := NewTracer(Config{Source: &fakeSource{}, Lookup: fakeLookup})
	e, _ := tr.Attach(tidMain, AttachCreate, nopEntry{}, nil)
	e.SetEvents(EventSyscallEntry)
	ev := syscallEntry(tidMain, 39, false)
	b.ReportAllocs()
	for b.Loop() {
		tr.Deliver(ev)
	}
}

// BenchmarkDeliverSync is the tracer's share of a synchronous syscall stop
// reported to one engine (the stopper adds the ptrace calls).
func BenchmarkDeliverSync(b *testing.B) {
	tr := NewTracer(Config{Source: &fakeSource{}, Stopper: &fakeStopper{}, Lookup: fakeLookup})
	e, _ := tr.Attach(tidMain, AttachCreate, nopEntry{}, nil)
	e.SetEvents(EventSyscallEntry)
	e.SetSync(EventSyscallEntry)
	ev := syscallEntry(tidMain, 39, true)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tr.TryDeliver(ev); !ok {
			b.Fatal("busy")
		}
	}
}
