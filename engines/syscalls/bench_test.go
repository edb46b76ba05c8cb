package syscalls

import (
	"io"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"golang.org/x/sys/unix"
)

// logCall sets up the syscalls engine on this process, logging to nowhere,
// and returns a func that reports one getppid exit to it.
func logCall(tb testing.TB, json bool) func() {
	typ, err := pipeline.Lookup("syscalls")
	if err != nil {
		tb.Fatal(err)
	}
	opts, err := typ.Parse(nil)
	if err != nil {
		tb.Fatal(err)
	}
	out := pipeline.NewOutput(io.Discard, nil, json)
	tb.Cleanup(func() { out.Close() })
	eng, err := typ.New("syscalls", opts, out)
	if err != nil {
		tb.Fatal(err)
	}
	tid := unix.Getpid()
	tr := core.NewTracer(core.Config{Lookup: func(int) (core.ThreadInfo, error) { return core.ThreadInfo{Tgid: tid}, nil }})
	if err := eng.Attach(tr, tid, false); err != nil {
		tb.Fatal(err)
	}
	ev := &core.Event{Type: core.EventSyscallExit, Tid: tid, Tgid: tid, Syscall: core.Syscall{Nr: unix.SYS_GETPPID, Ret: 1}}
	return func() {
		ev.Time++
		tr.Deliver(ev)
	}
}

// Logging a call without pointer arguments allocates nothing, as text or
// JSON: the ring-buffer reader
// makes these reports, and a garbage collection under load stops it for as
// long as the slowest of the tracer's threads takes to notice.
func TestSyscallsLogDoesNotAllocate(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, json := range []bool{false, true} {
		call := logCall(t, json)
		call() // the first call makes the output's chunk
		if n := testing.AllocsPerRun(1000, call); n != 0 {
			t.Errorf("json %v: %v allocations per logged call, want 0", json, n)
		}
	}
}

// BenchmarkSyscallsExit is the syscalls engine's share of one logged call
// (its exit report): formatting and queueing the line.
func BenchmarkSyscallsExit(b *testing.B) {
	for _, json := range []bool{false, true} {
		name := "text"
		if json {
			name = "json"
		}
		b.Run(name, func(b *testing.B) {
			call := logCall(b, json)
			b.ReportAllocs()
			for b.Loop() {
				call()
			}
		})
	}
}
