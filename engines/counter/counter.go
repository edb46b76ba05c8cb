// Package counter is the counter engine: strace -c's table of calls,
// errors and time per system call, counted in the kernel (core's
// in-kernel aggregation) so that counting costs no per-call record. It
// also prints what BCC's syscount and funclatency do from the same
// counts: the table per process (by=process, syscount -P), the table
// every interval (interval=, syscount -i), and log2 histograms of each
// system call's durations, counted in the kernel too (histogram=true,
// funclatency's and syscount -L's view).
package counter

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "counter",
		Summary: "strace -c: calls, errors and time per system call, counted in the kernel",
		Uses:    pipeline.UsesKernel,
		Options: []pipeline.Option{
			{Name: "trace", Kind: pipeline.String, Doc: "system calls or classes to count, e.g. file,network or openat,read (default all)"},
			{Name: "sort", Kind: pipeline.String, Doc: "order of the table: time, calls, errors or name (default time; calls with by=process)"},
			{Name: "columns", Kind: pipeline.String, Default: defaultColumns, Doc: "the table's columns, in order, as strace -U names them: time-percent, total-time, avg-time, calls, errors, name (by=syscall)"},
			{Name: "histogram", Kind: pipeline.Bool, Default: "false",
				Doc: "also count each call's duration in log2 buckets in the kernel, and print a histogram per system call after the table"},
			{Name: "by", Kind: pipeline.String, Default: "syscall", Doc: "the table's rows: syscall, or process (one row per process, as syscount -P)"},
			{Name: "interval", Kind: pipeline.Duration, Default: "0s",
				Doc: "print the table (and histograms) every interval, of the calls made since the last, as syscount -i; 0: once, at the end"},
		},
		New: newCounter,
	})
}

// histUnit is the unit of the kernel's histograms (core.Histogram).
const histUnit = "nsecs"

// counter aggregates in the kernel (the cheapest tier): no event leaves it,
// and the table is read at the end, or every interval.
type counter struct {
	pipeline.Base
	sortBy     string
	cols       []column
	byProcess  bool
	histograms bool
	interval   time.Duration
	now        func() time.Time // the clock of the interval headers

	mu   sync.Mutex
	tr   *core.Tracer
	live map[int]int           // threads still counting: tid -> tgid
	done map[int]syscallTotals // per process, the totals of its threads that died
	comm map[int]string        // per process, its name as a dead thread of it last gave it
	tick chan struct{}         // closed to stop the interval printer; nil before it starts
	gone chan struct{}         // closed when the interval printer has returned

	// What the last interval's table and histograms covered (interval
	// mode): the next shows the differences. Guarded by printMu, which
	// also keeps one table from interleaving with another.
	printMu  sync.Mutex
	prevProc map[int]syscallTotals
	prevHist map[int]core.Histogram
}

// syscallTotals are counts per syscall number.
type syscallTotals = map[int]core.SyscallStats

func newCounter(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	c := &counter{
		sortBy:     opts.Str("sort"),
		histograms: opts.BoolVal("histogram"),
		interval:   opts.Dur("interval"),
		now:        time.Now,
		live:       map[int]int{},
		done:       map[int]syscallTotals{},
		comm:       map[int]string{},
		prevProc:   map[int]syscallTotals{},
		prevHist:   map[int]core.Histogram{},
	}
	switch by := opts.Str("by"); by {
	case "syscall":
	case "process":
		c.byProcess = true
	default:
		return nil, fmt.Errorf("by %q: want syscall or process", by)
	}
	switch c.sortBy {
	case "":
		c.sortBy = "time"
		if c.byProcess {
			c.sortBy = "calls"
		}
	case "time", "calls", "errors", "name":
	default:
		return nil, fmt.Errorf("sort %q: want time, calls, errors or name", c.sortBy)
	}
	cols, err := parseColumns(opts.Str("columns"))
	if err != nil {
		return nil, err
	}
	c.cols = cols
	if c.interval < 0 {
		return nil, fmt.Errorf("interval %v: want a positive duration, or 0", c.interval)
	}
	set, err := pipeline.SyscallSet(opts.Str("trace"))
	if err != nil {
		return nil, err
	}
	// DEATH (rare, passive) is when a thread's counts are collected: the
	// kernel keeps them only until the thread is reaped.
	c.Init(name, c, out, pipeline.Needs{Watch: core.Watch{Events: core.EventDeath, Count: true,
		Histograms: c.histograms, Syscalls: set}})
	c.OnAttach = func(e *core.Engine) {
		c.mu.Lock()
		c.tr = e.Tracer()
		c.live[e.Tid()] = e.Tgid()
		if c.interval > 0 && c.tick == nil {
			c.tick, c.gone = make(chan struct{}), make(chan struct{})
			go c.printEvery(c.tick, c.gone)
		}
		c.mu.Unlock()
		c.Count()
	}
	return c, nil
}

// ReportDeath adds the dead thread's counts to its process's totals.
func (c *counter) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	st, err := e.Tracer().SyscallStats(ev.Tid)
	c.mu.Lock()
	defer c.mu.Unlock()
	tgid, ok := c.live[ev.Tid]
	if !ok {
		tgid = ev.Tgid
	}
	delete(c.live, ev.Tid)
	if err == nil {
		if c.done[tgid] == nil {
			c.done[tgid] = syscallTotals{}
		}
		addStats(c.done[tgid], st)
	}
	// The leader's name is the process's; another thread's stands in
	// until the leader's death gives it.
	if ev.Exit.Facts && ev.Exit.Comm != "" && (ev.Tid == tgid || c.comm[tgid] == "") {
		c.comm[tgid] = ev.Exit.Comm
	}
	return core.Detach
}

func addStats(total, st syscallTotals) {
	for nr, s := range st {
		t := total[nr]
		t.Calls += s.Calls
		t.Errors += s.Errors
		t.Time += s.Time
		total[nr] = t
	}
}

// SyscallCounter is an engine that counts system calls per number, as
// counter does: the metrics endpoint reads it.
type SyscallCounter interface {
	pipeline.Stage
	// SyscallTotals returns the counts so far of every thread the engine
	// counted, live or dead, and the errors reading some live thread's
	// counts (whose calls are then missing from the totals).
	SyscallTotals() (map[int]core.SyscallStats, []error)
}

// SyscallTotals implements SyscallCounter.
func (c *counter) SyscallTotals() (map[int]core.SyscallStats, []error) {
	procs, errs := c.processTotals()
	total := syscallTotals{}
	for _, st := range procs {
		addStats(total, st)
	}
	return total, errs
}

// processTotals returns the counts so far per process, of every thread
// the engine counted, live or dead, and the errors reading some live
// thread's counts.
func (c *counter) processTotals() (map[int]syscallTotals, []error) {
	c.mu.Lock()
	tr := c.tr
	procs := map[int]syscallTotals{}
	for tgid, st := range c.done {
		procs[tgid] = syscallTotals{}
		addStats(procs[tgid], st)
	}
	live := make([][2]int, 0, len(c.live))
	for tid, tgid := range c.live {
		live = append(live, [2]int{tid, tgid})
	}
	c.mu.Unlock()
	if tr == nil {
		return procs, nil
	}
	sort.Slice(live, func(i, j int) bool { return live[i][0] < live[j][0] })
	var errs []error
	for _, th := range live {
		st, err := tr.SyscallStats(th[0])
		if err != nil {
			errs = append(errs, fmt.Errorf("thread %d: %w", th[0], err))
			continue
		}
		if procs[th[1]] == nil {
			procs[th[1]] = syscallTotals{}
		}
		addStats(procs[th[1]], st)
	}
	return procs, errs
}

// Summary prints strace -c's table (per process with by=process), then
// the histograms; with an interval, those of the calls since the last.
func (c *counter) Summary(w io.Writer) {
	c.mu.Lock()
	attached := c.tr != nil
	tick, gone := c.tick, c.gone
	c.tick = nil
	c.mu.Unlock()
	if !attached {
		return
	}
	if tick != nil {
		close(tick)
		<-gone
	}
	c.print(w, c.interval > 0)
}

// printEvery prints the table every interval until tick is closed.
func (c *counter) printEvery(tick <-chan struct{}, gone chan<- struct{}) {
	defer close(gone)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	w := &lineWriter{c.Out, c.Name()}
	for {
		select {
		case <-tick:
			return
		case <-t.C:
			c.print(w, true)
		}
	}
}

// print writes the table and the histograms: of everything counted, or
// with interval, of what was counted since the last print, after a line
// with the time, as syscount -i prints. The table goes to w, the
// histograms to the engine's Output, which in JSON mode writes them as
// objects rather than lines (w is the Output's too).
func (c *counter) print(w io.Writer, interval bool) {
	c.printMu.Lock()
	defer c.printMu.Unlock()
	c.mu.Lock()
	tr := c.tr
	c.mu.Unlock()
	procs, errs := c.processTotals()
	for _, err := range errs {
		fmt.Fprintf(w, "%s: %v\n", c.Name(), err)
	}
	if interval {
		procs = since(procs, c.prevProc)
		fmt.Fprintf(w, "[%s]\n", c.now().Format("15:04:05"))
	}
	total := syscallTotals{}
	for _, st := range procs {
		addStats(total, st)
	}
	if c.byProcess {
		c.writeProcessTable(w, procs)
	} else {
		c.writeTable(w, total)
	}
	if !c.histograms {
		return
	}
	for _, nr := range c.order(total) {
		h, err := tr.SyscallHistogram(nr)
		if err != nil {
			fmt.Fprintf(w, "%s: %v\n", c.Name(), err)
			continue
		}
		if interval {
			h, c.prevHist[nr] = histSince(h, c.prevHist[nr]), h
		}
		c.Out.Histogram(c.Name(), "syscall", pipeline.Log2Hist{Name: sysabi.Name(nr), Unit: histUnit, Slots: h[:]})
	}
}

// since returns the counts of cur that prev does not have, per process
// and syscall, and makes prev cur. A count that went down (a thread whose
// counts could not be read this time) counts nothing, and prev keeps the
// larger, so that the calls are not counted twice when it is read again.
func since(cur, prev map[int]syscallTotals) map[int]syscallTotals {
	d := map[int]syscallTotals{}
	for tgid, st := range cur {
		p := prev[tgid]
		if p == nil {
			p = syscallTotals{}
			prev[tgid] = p
		}
		for nr, s := range st {
			o := p[nr]
			diff := core.SyscallStats{Calls: sub(s.Calls, o.Calls), Errors: sub(s.Errors, o.Errors), Time: max(s.Time-o.Time, 0)}
			p[nr] = core.SyscallStats{Calls: max(s.Calls, o.Calls), Errors: max(s.Errors, o.Errors), Time: max(s.Time, o.Time)}
			if diff.Calls != 0 || diff.Errors != 0 {
				if d[tgid] == nil {
					d[tgid] = syscallTotals{}
				}
				d[tgid][nr] = diff
			}
		}
	}
	return d
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// histSince returns the calls of h that prev does not have.
func histSince(h, prev core.Histogram) core.Histogram {
	for i := range h {
		h[i] = sub(h[i], prev[i])
	}
	return h
}

// order returns the syscall numbers of total in the table's order.
func (c *counter) order(total syscallTotals) []int {
	nrs := make([]int, 0, len(total))
	for nr := range total {
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool {
		a, b := total[nrs[i]], total[nrs[j]]
		if c.sortBy != "name" {
			if x, y := sortKey(c.sortBy, a), sortKey(c.sortBy, b); x != y {
				return x > y
			}
		}
		return sysabi.Name(nrs[i]) < sysabi.Name(nrs[j])
	})
	return nrs
}

// sortKey is the value of s that the table's order sorts on, largest
// first.
func sortKey(by string, s core.SyscallStats) int64 {
	switch by {
	case "calls":
		return int64(s.Calls)
	case "errors":
		return int64(s.Errors)
	}
	return int64(s.Time)
}

// writeTable writes strace -c's table, with the columns columns= chose.
func (c *counter) writeTable(w io.Writer, total syscallTotals) {
	var sum core.SyscallStats
	for _, s := range total {
		sum.Calls += s.Calls
		sum.Errors += s.Errors
		sum.Time += s.Time
	}
	writeHeader(w, c.cols)
	for _, nr := range c.order(total) {
		writeRow(w, c.cols, total[nr], sum.Time, sysabi.Name(nr))
	}
	writeRule(w, c.cols)
	writeRow(w, c.cols, sum, sum.Time, "total")
}

const processRule = "------ ----------- --------- --------- ------- ----------------\n"

// writeProcessTable writes the table by process: strace -c's columns for
// all of a process's calls, with its id and name, as syscount -P lists
// processes.
func (c *counter) writeProcessTable(w io.Writer, procs map[int]syscallTotals) {
	type row struct {
		pid  int
		comm string
		core.SyscallStats
	}
	rows := make([]row, 0, len(procs))
	var sum core.SyscallStats
	for pid, st := range procs {
		r := row{pid: pid, comm: c.processName(pid)}
		for _, s := range st {
			r.Calls += s.Calls
			r.Errors += s.Errors
			r.Time += s.Time
		}
		if r.Calls == 0 && r.Errors == 0 {
			continue
		}
		sum.Calls += r.Calls
		sum.Errors += r.Errors
		sum.Time += r.Time
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if c.sortBy == "name" {
			if a.comm != b.comm {
				return a.comm < b.comm
			}
		} else if x, y := sortKey(c.sortBy, a.SyscallStats), sortKey(c.sortBy, b.SyscallStats); x != y {
			return x > y
		}
		return a.pid < b.pid
	})
	fmt.Fprintf(w, "%% time     seconds     calls    errors     pid process\n")
	fmt.Fprint(w, processRule)
	for _, r := range rows {
		writeProcessRow(w, r.SyscallStats, sum.Time, fmt.Sprint(r.pid), r.comm)
	}
	fmt.Fprint(w, processRule)
	writeProcessRow(w, sum, sum.Time, "", "total")
}

func writeProcessRow(w io.Writer, s core.SyscallStats, total time.Duration, pid, name string) {
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(s.Time) / float64(total)
	}
	errs := ""
	if s.Errors > 0 {
		errs = fmt.Sprint(s.Errors)
	}
	fmt.Fprintf(w, "%6.2f %11.6f %9d %9s %7s %s\n", pct, s.Time.Seconds(), s.Calls, errs, pid, name)
}

// processName returns process pid's name: as its threads' deaths gave
// it, else as /proc has it now, else "?".
func (c *counter) processName(pid int) string {
	c.mu.Lock()
	name := c.comm[pid]
	c.mu.Unlock()
	if name != "" {
		return name
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
		return strings.TrimSuffix(string(b), "\n")
	}
	return "?"
}

// lineWriter writes what the interval printer prints to the output, a
// summary line per line, as the end-of-run summary's are.
type lineWriter struct {
	out  *pipeline.Output
	name string
}

func (l *lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSuffix(string(p), "\n"), "\n") {
		l.out.Text(l.name, line)
	}
	return len(p), nil
}
