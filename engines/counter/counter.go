// Package counter is the counter engine: strace -c's table of calls,
// errors and time per system call, counted in the kernel (core's
// in-kernel aggregation) so that counting costs no per-call record.
package counter

import (
	"fmt"
	"io"
	"sort"
	"sync"

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
			{Name: "sort", Kind: pipeline.String, Default: "time", Doc: "order of the table: time, calls, errors or name"},
			{Name: "columns", Kind: pipeline.String, Default: defaultColumns, Doc: "the table's columns, in order, as strace -U names them: time-percent, total-time, avg-time, calls, errors, name"},
		},
		New: newCounter,
	})
}

// counter aggregates in the kernel (the cheapest tier): no event leaves it,
// and the table is read at the end.
type counter struct {
	pipeline.Base
	sortBy string
	cols   []column
	mu     sync.Mutex
	tr     *core.Tracer
	tids   map[int]bool              // threads still counting
	done   map[int]core.SyscallStats // totals of threads that died
}

func newCounter(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	c := &counter{sortBy: opts.Str("sort"), tids: map[int]bool{}, done: map[int]core.SyscallStats{}}
	switch c.sortBy {
	case "time", "calls", "errors", "name":
	default:
		return nil, fmt.Errorf("sort %q: want time, calls, errors or name", c.sortBy)
	}
	cols, err := parseColumns(opts.Str("columns"))
	if err != nil {
		return nil, err
	}
	c.cols = cols
	set, err := pipeline.SyscallSet(opts.Str("trace"))
	if err != nil {
		return nil, err
	}
	// DEATH (rare, passive) is when a thread's counts are collected: the
	// kernel keeps them only until the thread is reaped.
	c.Init(name, c, out, pipeline.Needs{Watch: core.Watch{Events: core.EventDeath, Count: true, Syscalls: set}})
	c.OnAttach = func(e *core.Engine) {
		c.mu.Lock()
		c.tr = e.Tracer()
		c.tids[e.Tid()] = true
		c.mu.Unlock()
		c.Count()
	}
	return c, nil
}

// ReportDeath adds the dead thread's counts to the totals.
func (c *counter) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	st, err := e.Tracer().SyscallStats(ev.Tid)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tids, ev.Tid)
	if err == nil {
		addStats(c.done, st)
	}
	return core.Detach
}

func addStats(total, st map[int]core.SyscallStats) {
	for nr, s := range st {
		t := total[nr]
		t.Calls += s.Calls
		t.Errors += s.Errors
		t.Time += s.Time
		total[nr] = t
	}
}

type countRow struct {
	nr int
	core.SyscallStats
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
	c.mu.Lock()
	tr := c.tr
	total := map[int]core.SyscallStats{}
	addStats(total, c.done)
	var live []int
	for tid := range c.tids {
		live = append(live, tid)
	}
	c.mu.Unlock()
	if tr == nil {
		return total, nil
	}
	sort.Ints(live)
	var errs []error
	for _, tid := range live {
		st, err := tr.SyscallStats(tid)
		if err != nil {
			errs = append(errs, fmt.Errorf("thread %d: %w", tid, err))
			continue
		}
		addStats(total, st)
	}
	return total, errs
}

// Summary prints strace -c's table.
func (c *counter) Summary(w io.Writer) {
	c.mu.Lock()
	attached := c.tr != nil
	c.mu.Unlock()
	if !attached {
		return
	}
	total, errs := c.SyscallTotals()
	for _, err := range errs {
		fmt.Fprintf(w, "%s: %v\n", c.Name(), err)
	}
	rows := make([]countRow, 0, len(total))
	var sum core.SyscallStats
	for nr, s := range total {
		rows = append(rows, countRow{nr, s})
		sum.Calls += s.Calls
		sum.Errors += s.Errors
		sum.Time += s.Time
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch c.sortBy {
		case "calls":
			if a.Calls != b.Calls {
				return a.Calls > b.Calls
			}
		case "errors":
			if a.Errors != b.Errors {
				return a.Errors > b.Errors
			}
		case "name":
			return sysabi.Name(a.nr) < sysabi.Name(b.nr)
		default:
			if a.Time != b.Time {
				return a.Time > b.Time
			}
		}
		return sysabi.Name(a.nr) < sysabi.Name(b.nr)
	})
	writeHeader(w, c.cols)
	for _, r := range rows {
		writeRow(w, c.cols, r.SyscallStats, sum.Time, sysabi.Name(r.nr))
	}
	writeRule(w, c.cols)
	writeRow(w, c.cols, sum, sum.Time, "total")
}
