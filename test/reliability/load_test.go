package reliability

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"golang.org/x/sys/unix"
)

// counting follows every thread and counts getppid entries and exits per
// thread, passively.
type counting struct {
	mu      sync.Mutex
	entries map[int]int
	exits   map[int]int
	execs   map[int]string
	deaths  map[int]int // wait status by pid
	reaped  int
}

func newCounting() *counting {
	return &counting{entries: map[int]int{}, exits: map[int]int{}, execs: map[int]string{}, deaths: map[int]int{}}
}

func (c *counting) attach(tr *core.Tracer, tid int, events core.Events) error {
	e, err := tr.Attach(tid, core.AttachCreate, c, events)
	if err != nil {
		return err
	}
	return e.SetEvents(events)
}

func (c *counting) ReportClone(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	c.attach(e.Tracer(), ev.Clone.Child, e.Data().(core.Events))
	return core.Resume
}

func (c *counting) ReportSyscallEntry(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if ev.Syscall.Nr == unix.SYS_GETPPID {
		c.mu.Lock()
		c.entries[ev.Tid]++
		c.mu.Unlock()
	}
	return core.Resume
}

func (c *counting) ReportSyscallExit(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	if ev.Syscall.Nr == unix.SYS_GETPPID {
		c.mu.Lock()
		c.exits[ev.Tid]++
		c.mu.Unlock()
	}
	return core.Resume
}

func (c *counting) ReportExec(e *core.Engine, a core.Action, ev *core.Event) core.Action {
	c.mu.Lock()
	c.execs[ev.Tid] = ev.Exec.Filename
	c.mu.Unlock()
	return core.Resume
}

func (c *counting) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	if ev.Exit.GroupDead {
		c.mu.Lock()
		c.deaths[ev.Tgid] = ev.Exit.Code
		c.mu.Unlock()
	}
	return core.Resume
}

func (c *counting) ReportReap(e *core.Engine, ev *core.Event) {
	c.mu.Lock()
	c.reaped++
	c.mu.Unlock()
}

// 200 threads × 10,000 syscalls under passive syscall events: for every
// thread, delivered + lost equals what it made; with a ring of twice the
// default size (this watch makes an entry and an exit record per call,
// twice the syscalls log's, whose load test below has the default) on
// this 2-core machine, nothing is lost. RING_MB overrides the size.
func TestLoadThreads(t *testing.T) {
	opts := &loader.Options{RingSize: 2 * loader.DefaultRingSize()}
	if n := os.Getenv("RING_MB"); n != "" {
		mb, _ := strconv.Atoi(n)
		opts.RingSize = mb << 20
	}
	tr, ldr, _ := backends(t, opts)
	start := time.Now()
	defer func() { t.Logf("took %v", time.Since(start)) }()
	nthreads, calls := 200, scale(10000, 100000)
	// As the CLI does: the tracer's threads at nice -20, the program at
	// the nice value the test had (nice(1) adds to the inherited -20).
	orig := loader.SetNice(loader.TracerNice)
	defer loader.SetNice(orig)
	p := progs.Start(t, nil, "nice", "-n", strconv.Itoa(orig-loader.TracerNice), loadBin, "threads", strconv.Itoa(nthreads), strconv.Itoa(calls))
	c := newCounting()
	if err := c.attach(tr, p.Pid, core.EventClone|core.EventSyscall); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if l := p.ReadLine(t); l != "done" {
		t.Fatalf("program: %q", l)
	}
	p.Wait(t)
	if err := ldr.Flush(); err != nil {
		t.Fatal(err)
	}
	st, _ := ldr.Stats()
	lost := st.For(core.EventSyscall).Lost
	t.Logf("staged at most %d KiB", st.StagedPeak>>10)
	c.mu.Lock()
	defer c.mu.Unlock()
	workers, delivered := 0, 0
	for tid, n := range c.entries {
		if tid == p.Pid {
			continue
		}
		workers++
		delivered += n + c.exits[tid]
		if lost == 0 && (n != calls || c.exits[tid] != calls) {
			t.Errorf("thread %d: %d entries, %d exits, want %d each", tid, n, c.exits[tid], calls)
		}
	}
	if lost == 0 && workers != nthreads {
		t.Errorf("%d threads reported, want %d", workers, nthreads)
	}
	if made := 2 * nthreads * calls; uint64(delivered)+lost < uint64(made) {
		t.Errorf("delivered %d + lost %d < made %d: events vanished uncounted", delivered, lost, made)
	}
	switch {
	case lost != 0 && raceDetector:
		t.Logf("%d of %d syscall events lost under the race detector (zero loss is checked without it)", lost, 2*nthreads*calls)
	case lost != 0:
		t.Errorf("%d of %d syscall events lost with a %d MiB ring (%d threads seen)", lost, 2*nthreads*calls, opts.RingSize>>20, workers)
	}
}

// 500 short-lived children under fork/exec/exit reports: every exec and
// exit reported, none attributed to the wrong process, and no per-thread
// state left behind.
//
// Once in several runs on a loaded machine a few children's REAPs (the
// kernel's sched_process_free) do not come within the 20 s the test
// waits, with the detector and, more rarely, without it; not understood
// yet (README, Reliability). Such a run is tried again, up to three
// times; every other check fails the test at once.
func TestLoadChildren(t *testing.T) {
	const attempts = 3
	for i := 1; ; i++ {
		var missing string
		t.Run(fmt.Sprintf("attempt %d", i), func(t *testing.T) { missing = loadChildren(t) })
		switch {
		case missing == "" || t.Failed():
			return
		case raceDetector:
			// What depends on the REAPs is checked without the detector.
			t.Logf("race detector: %s", missing)
			return
		case i == attempts:
			t.Errorf("%s, in each of %d attempts", missing, attempts)
			return
		}
		t.Logf("attempt %d: %s; trying again", i, missing)
	}
}

// loadChildren runs the workload of TestLoadChildren once. It reports
// missing REAPs, and the state they leave, in what it returns.
func loadChildren(t *testing.T) (missing string) {
	tr, ldr, _ := backends(t, nil)
	n := scale(500, 5000)
	p := progs.Start(t, nil, loadBin, "children", strconv.Itoa(n))
	c := newCounting()
	if err := c.attach(tr, p.Pid, core.EventClone|core.EventExec|core.EventDeath|core.EventReap); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if l := p.ReadLine(t); l != "done" {
		t.Fatalf("program: %q", l)
	}
	p.Wait(t)
	ldr.Flush()
	// REAP comes from sched_process_free, after an RCU grace period.
	deadline := time.Now().Add(20 * time.Second)
	for len(tr.Threads()) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		ldr.Flush()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	execs := 0
	for pid, f := range c.execs {
		if pid == p.Pid {
			continue
		}
		execs++
		if f != "/bin/true" {
			t.Errorf("pid %d exec %q", pid, f)
		}
		if st, ok := c.deaths[pid]; !ok || st != 0 {
			t.Errorf("pid %d: death %v %#x", pid, ok, st)
		}
	}
	if execs != n || len(c.deaths) != n+1 {
		t.Errorf("%d execs and %d deaths, want %d and %d", execs, len(c.deaths), n, n+1)
	}
	if c.reaped != n+1 {
		missing = fmt.Sprintf("%d reaps, want %d; %d threads left traced", c.reaped, n+1, len(tr.Threads()))
	} else {
		if left := tr.Threads(); len(left) != 0 {
			t.Errorf("threads left traced: %v", left)
		}
		// No per-thread state left in the loader once all were reaped.
		if n := ldr.Tracked(); n != 0 {
			t.Errorf("loader keeps state for %d threads after all were reaped", n)
		}
	}
	// The programs that were attached for these threads are gone again.
	if sys, jctl := ldr.Attached(); sys || jctl {
		t.Errorf("programs still attached: syscalls %v, jctl %v", sys, jctl)
	}
	st, _ := ldr.Stats()
	if all := st.For(core.EventAll); all.Lost != 0 {
		t.Errorf("lost %d", all.Lost)
	}
	return missing
}

// The same load under the syscalls engine itself, through the CLI, writing
// its strace-like log: every worker thread's 10,000 getppid calls are in the
// log, and the summary says nothing was lost.
func TestLoadThreadsSyscallsEngine(t *testing.T) {
	needRoot(t)
	nthreads, calls := 200, scale(10000, 100000)
	logf := filepath.Join(t.TempDir(), "log.txt")
	cmd := exec.Command(bin, "run", "-e", "syscalls:trace=getppid", "-o", logf, "--",
		loadBin, "threads", strconv.Itoa(nthreads), strconv.Itoa(calls))
	cmd.Stdin = strings.NewReader("g")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	f, err := os.Open(logf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	perTid := map[string]int{}
	summary := ""
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "utrace-bpf: reports:") {
			summary = l
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// strace -f -o's lines: "TID   getppid() = N".
		if tid, rest, ok := strings.Cut(sc.Text(), " "); ok && strings.HasPrefix(strings.TrimLeft(rest, " "), "getppid()") {
			perTid[tid]++
		}
	}
	// Accounting must be exact: every call is logged or counted lost
	// (an exit record per call: getppid has no path, so no entry record
	// is made), and with the default buffers nothing is lost.
	var lostEntries, lostExits int
	if i := strings.Index(summary, "syscall_entry "); i >= 0 {
		fmt.Sscanf(summary[i:], "syscall_entry %d", &lostEntries)
	}
	if i := strings.Index(summary, "syscall_exit "); i >= 0 {
		fmt.Sscanf(summary[i:], "syscall_exit %d", &lostExits)
	}
	logged := 0
	for _, n := range perTid {
		logged += n
	}
	if made := nthreads * calls; logged+lostExits < made {
		t.Errorf("%d calls logged + %d exits lost < %d made: calls vanished uncounted (summary %q)", logged, lostExits, made, summary)
	}
	if !strings.HasSuffix(summary, "lost 0") {
		t.Fatalf("events lost with default buffers: %s", summary)
	}
	if len(perTid) != nthreads {
		t.Errorf("%d threads in the log, want %d", len(perTid), nthreads)
	}
	for tid, n := range perTid {
		if n != calls {
			t.Errorf("thread %s: %d getppid lines, want %d", tid, n, calls)
		}
	}
}
