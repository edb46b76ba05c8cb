package loader_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// In-kernel counting gives exact per-syscall calls and errors, and times,
// with no record delivered. The stats outlive the thread until it is
// reaped.
func TestCount(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "syscalls")
	const n, m = 5000, 300

	p := progs.Start(t, nil, bin, "5000", "300")
	if err := l.SetWatch(p.Pid, core.Watch{Count: true}); err != nil {
		t.Fatal(err)
	}
	if sys, _ := l.Attached(); !sys {
		t.Error("syscall programs not attached for counting")
	}
	p.Go(t)
	p.WaitExited(t) // a zombie: not reaped yet
	stats, err := l.SyscallStats(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if s := stats[nrGetppid]; s.Calls != n || s.Errors != 0 || s.Time <= 0 {
		t.Errorf("getppid stats %+v, want %d calls, 0 errors, some time", s, n)
	}
	if s := stats[nrClose]; s.Calls != m || s.Errors != m {
		t.Errorf("close stats %+v, want %d calls and errors", s, m)
	}
	const nrExitGroup = 231
	if s := stats[nrExitGroup]; s.Calls != 1 {
		t.Errorf("exit_group stats %+v, want 1 call", s)
	}
	p.Wait(t)

	// The bookkeeping REAP record frees the stats and detaches.
	waitUntil(t, "stats freed and programs detached after reap", func() bool {
		st, err := l.SyscallStats(p.Pid)
		sys, _ := l.Attached()
		return err == nil && len(st) == 0 && !sys
	})
	flush(t, l)
	if evs := c.snapshot(); len(evs) != 0 {
		t.Errorf("counting delivered events:\n%s", dump(evs))
	}
	s, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if all := s.For(core.EventAll); all != (loader.TypeStats{}) {
		t.Errorf("record stats %+v, want none", all)
	}
}

// With a small ring buffer and a slow consumer, records are lost, and
// delivered + lost equals generated, exactly, per event type.
func TestFlood(t *testing.T) {
	needRoot(t)
	// The reader's staging area absorbs most of a flood; on an idle
	// machine one run may not overflow the 16 KiB ring. The accounting
	// is checked on every run, the loss itself on one of three.
	for range 3 {
		if flood(t) > 0 {
			return
		}
	}
	t.Errorf("nothing lost in three runs: the test did not overflow the ring")
}

// flood runs one flood and checks its accounting; it returns the records
// lost.
func flood(t *testing.T) uint64 {
	t.Helper()
	l, err := loader.Load(&loader.Options{RingSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var entries, exits atomic.Uint64
	err = l.Start(func(ev *core.Event) {
		var k uint64
		switch ev.Type {
		case core.EventSyscallEntry:
			k = entries.Add(1)
		case core.EventSyscallExit:
			k = exits.Add(1)
		}
		if k%2048 == 0 {
			time.Sleep(time.Millisecond) // slow enough to overflow the ring
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	bin := progs.Build(t, "syscalls")
	const n = 200000

	p := progs.Start(t, nil, bin, "200000", "0")
	w := core.Watch{Events: core.EventSyscall, Syscalls: syscallSet(nrGetppid)}
	if err := l.SetWatch(p.Pid, w); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	p.Wait(t)
	flush(t, l)

	s, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	en, ex := s.For(core.EventSyscallEntry), s.For(core.EventSyscallExit)
	t.Logf("%v", s)
	if en.Delivered != entries.Load() || ex.Delivered != exits.Load() {
		t.Errorf("Stats delivered %d/%d, deliver func saw %d/%d", en.Delivered, ex.Delivered, entries.Load(), exits.Load())
	}
	if en.Delivered+en.Lost != n || ex.Delivered+ex.Lost != n {
		t.Errorf("delivered + lost = %d entries, %d exits; want %d each", en.Delivered+en.Lost, ex.Delivered+ex.Lost, n)
	}
	return en.Lost + ex.Lost
}

// The syscall programs are attached only while some thread needs them,
// including threads that inherited flags in the kernel.
func TestLazyAttach(t *testing.T) {
	l, _ := start(t, nil)
	if sys, jctl := l.Attached(); sys || jctl {
		t.Fatalf("attached after Load: syscalls %v, jctl %v", sys, jctl)
	}
	bin := progs.Build(t, "forkexec")

	// Set and cleared from Go.
	p := progs.Start(t, nil, bin, "0")
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventSyscallExit}); err != nil {
		t.Fatal(err)
	}
	if sys, _ := l.Attached(); !sys {
		t.Error("not attached with a syscall watch")
	}
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventExec}); err != nil {
		t.Fatal(err)
	}
	if sys, _ := l.Attached(); sys {
		t.Error("still attached after the syscall watch went")
	}

	// Inherited by the child, and both gone at reap.
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventSyscallExit, Follow: true, Syscalls: syscallSet(nrExecve)}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	p.Wait(t)
	waitUntil(t, "detach after the watched threads were reaped", func() bool {
		sys, _ := l.Attached()
		return !sys
	})

	// A zero watch of a thread that is gone succeeds.
	if err := l.SetWatch(p.Pid, core.Watch{}); err != nil {
		t.Errorf("clearing the watch of a reaped thread: %v", err)
	}
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventExec}); err == nil {
		t.Errorf("watching a reaped thread succeeded")
	}
}

// Children inherit exactly the parent's flags; the comm filter keeps out
// threads running another program.
func TestFlagsInheritAndComm(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "waiter")

	p := progs.Start(t, nil, bin, "2")
	set := syscallSet(nrGetppid, nrExecve)
	f := loader.Flags{Watch: core.Watch{Events: core.EventDeath | core.EventSyscallEntry, Follow: true, Syscalls: set}, Comm: "waiter"}
	if err := l.SetFlags(p.Pid, f); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if line := p.ReadLine(t); line != "ready" {
		t.Fatalf("waiter said %q", line)
	}
	for _, tid := range threadsOf(t, p.Pid) {
		got, err := l.Flags(tid)
		if err != nil {
			t.Fatal(err)
		}
		if got.Events != f.Events || got.Follow != f.Follow || got.Count != f.Count || got.Comm != f.Comm ||
			got.Syscalls == nil || *got.Syscalls != *set {
			t.Errorf("thread %d flags %+v, want %+v", tid, got, f)
		}
	}
	p.Wait(t)

	// A comm that does not match: nothing reported.
	q := progs.Start(t, nil, bin, "1")
	if err := l.SetFlags(q.Pid, loader.Flags{Watch: core.Watch{Events: core.EventDeath}, Comm: "other"}); err != nil {
		t.Fatal(err)
	}
	q.Go(t)
	q.Wait(t)
	c.waitFor(t, "death of the matching process", func(ev *core.Event) bool {
		return ev.Tid == p.Pid && ev.Type == core.EventDeath
	})
	flush(t, l)
	if evs := c.of(q.Pid); len(evs) != 0 {
		t.Errorf("events with a comm that does not match:\n%s", dump(evs))
	}
	if n := len(c.of(p.Pid)); n != 2 {
		t.Errorf("%d events from the matching process, want 2 deaths:\n%s", n, dump(c.of(p.Pid)))
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Counting follows into new threads, and the counts of threads that exited
// (and were freed at once, as non-leader threads are) stay readable until
// their REAP is delivered: here they are read at their DEATH, as the
// counter engine reads them.
func TestCountThreads(t *testing.T) {
	var mu sync.Mutex
	atDeath := map[int]core.SyscallStats{}
	l, c := startWith(t, nil, func(l *loader.Loader, ev *core.Event) {
		if ev.Type != core.EventDeath {
			return
		}
		st, err := l.SyscallStats(ev.Tid)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("reading the counts of thread %d at its death: %v", ev.Tid, err)
		}
		atDeath[ev.Tid] = st[nrGetppid]
	})
	bin := progs.Build(t, "threads")
	const threads, n = 3, 1000

	p := progs.Start(t, nil, bin, "3", "1000")
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventClone | core.EventDeath, Follow: true, Count: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	p.WaitExited(t)
	flush(t, l)
	var tids []int
	for _, ev := range c.of(p.Pid) {
		if ev.Type == core.EventClone {
			tids = append(tids, ev.Clone.Child)
		}
	}
	if len(tids) != threads {
		t.Fatalf("%d CLONE events, want %d", len(tids), threads)
	}
	mu.Lock()
	for _, tid := range tids {
		if s, ok := atDeath[tid]; !ok || s.Calls != n {
			t.Errorf("thread %d: getppid %+v at its death (reported %v), want %d calls", tid, s, ok, n)
		}
	}
	mu.Unlock()
	st, err := l.SyscallStats(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	const nrClone, nrClone3 = 56, 435 // glibc's pthread_create uses clone3
	if clones := st[nrClone].Calls + st[nrClone3].Calls; st[nrGetppid].Calls != 0 || clones != threads {
		t.Errorf("main thread: %d getppid and %d clone calls; want 0 and %d", st[nrGetppid].Calls, clones, threads)
	}
	p.Wait(t)
}

// Turning counting off keeps what was counted and counts no more.
func TestCountStop(t *testing.T) {
	l, _ := start(t, nil)
	bin := progs.Build(t, "syscalls")

	p := progs.Start(t, nil, bin, "100", "0")
	if err := l.SetWatch(p.Pid, core.Watch{Count: true}); err != nil {
		t.Fatal(err)
	}
	// The read that waits for the go byte is counted when it returns;
	// stop counting before that.
	if err := l.SetWatch(p.Pid, core.Watch{}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	p.WaitExited(t)
	st, err := l.SyscallStats(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 0 {
		t.Errorf("stats after counting stopped before any call: %v", st)
	}
	if f, err := l.Flags(p.Pid); err != nil || f.Count {
		t.Errorf("flags %+v (%v), want Count off", f, err)
	}
	p.Wait(t)
}

// With Histograms, each counted call's duration lands in the log2 slot of
// its syscall number, counted in the kernel: n sleeps of 1 ms at 2^19 ns
// or more, n getppid calls far below. Counting without histograms adds
// nothing to them, and the flag reads back. (The e2e test checks the
// buckets more closely, on the host: an emulated kernel matrix machine
// may sleep much longer.)
func TestCountHistograms(t *testing.T) {
	l, _ := start(t, nil)
	bin := progs.Build(t, "latency")
	const n = 100
	nrSleep, _ := sysabi.Number("nanosleep")
	nrPpid, _ := sysabi.Number("getppid")

	plain := progs.Start(t, nil, bin, "20", "go")
	if err := l.SetWatch(plain.Pid, core.Watch{Count: true}); err != nil {
		t.Fatal(err)
	}
	p := progs.Start(t, nil, bin, strconv.Itoa(n), "go")
	if err := l.SetWatch(p.Pid, core.Watch{Count: true, Histograms: true}); err != nil {
		t.Fatal(err)
	}
	if f, err := l.Flags(p.Pid); err != nil || !f.Count || !f.Histograms {
		t.Errorf("flags %+v, %v: want Count and Histograms", f, err)
	}
	if f, err := l.Flags(plain.Pid); err != nil || !f.Count || f.Histograms {
		t.Errorf("flags of the plain counter %+v, %v: want Count only", f, err)
	}
	plain.Go(t)
	p.Go(t)
	plain.Wait(t)
	p.WaitExited(t)
	stats, err := l.SyscallStats(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	sleep, err := l.SyscallHistogram(nrSleep)
	if err != nil {
		t.Fatal(err)
	}
	ppid, err := l.SyscallHistogram(nrPpid)
	if err != nil {
		t.Fatal(err)
	}
	p.Wait(t)
	total := func(h core.Histogram, from, to int) (s uint64) {
		for _, v := range h[from:to] {
			s += v
		}
		return s
	}
	if got := total(sleep, 0, core.HistogramSlots); got != n || got != stats[nrSleep].Calls {
		t.Errorf("nanosleep histogram holds %d calls, want %d (counted %d): %v", got, n, stats[nrSleep].Calls, sleep)
	}
	if got := total(ppid, 0, core.HistogramSlots); got != n {
		t.Errorf("getppid histogram holds %d calls, want %d: %v", got, n, ppid)
	}
	// The slots hold the very durations the counts' time sums: the time
	// lies between the sums of the slots' bounds.
	for name, c := range map[string]struct {
		h  core.Histogram
		st core.SyscallStats
	}{"nanosleep": {sleep, stats[nrSleep]}, "getppid": {ppid, stats[nrPpid]}} {
		var least, most uint64
		for i, v := range c.h {
			low := uint64(1) << i
			if i == 0 {
				low = 0
			}
			least += v * low
			most += v * (uint64(1)<<(i+1) - 1)
		}
		if d := uint64(c.st.Time); d < least || d > most {
			t.Errorf("%s: %d ns in all, outside the histogram's %d..%d: %v", name, d, least, most, c.h)
		}
	}
	// A sleep of 1 ms never takes less (slot 19 starts at 0.52 ms);
	// getppid takes far less, even in an emulated machine.
	if below := total(sleep, 0, 19); below != 0 {
		t.Errorf("nanosleep(1 ms): %d calls below 2^19 ns: %v", below, sleep)
	}
	if low := total(ppid, 0, 19); low < n*95/100 {
		t.Errorf("getppid: %d of %d below 2^19 ns: %v", low, n, ppid)
	}
	if _, err := l.SyscallHistogram(core.SyscallLimit); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("histogram of syscall %d: %v, want ErrInvalid", core.SyscallLimit, err)
	}
}
