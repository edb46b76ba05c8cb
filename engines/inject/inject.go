// Package inject is the inject engine: strace's -e inject= fault
// injection. At chosen system calls (by name, path prefix and occurrence)
// it makes the call fail with an errno, return a value without running, or
// delay its entry or exit, by holding the thread in a synchronous report
// (the seed's UTRACE_SYSCALL_ABORT and return-value rewriting).
package inject

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
	"golang.org/x/sys/unix"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "inject",
		Summary: "syscall fault injection: fail, fake a return value, or delay chosen calls",
		Uses:    pipeline.UsesPtrace | pipeline.UsesSeccomp | pipeline.UsesTriggers,
		Options: []pipeline.Option{
			{Name: "syscall", Kind: pipeline.String, Doc: "system calls to act on, e.g. openat or openat,open (required)"},
			{Name: "path", Kind: pipeline.String, Doc: "only calls whose path argument starts with this"},
			{Name: "error", Kind: pipeline.String, Doc: "fail the call with this errno, e.g. ENOENT"},
			{Name: "retval", Kind: pipeline.Int, Doc: "skip the call and return this value instead"},
			{Name: "delay", Kind: pipeline.Duration, Doc: "hold the thread this long before the call runs"},
			{Name: "delay_exit", Kind: pipeline.Duration, Doc: "hold the thread this long after the call ran, before it returns (strace's delay_exit=)"},
			{Name: "nth", Kind: pipeline.Int, Doc: "act on the nth matching call only (1 = the first)"},
			{Name: "every", Kind: pipeline.Int, Doc: "act on every nth matching call"},
			{Name: "first", Kind: pipeline.Int, Doc: "act on matching calls from the first-th on (strace when=FIRST..LAST+STEP)"},
			{Name: "last", Kind: pipeline.Int, Doc: "with first: up to the last-th matching call (default: no end)"},
			{Name: "step", Kind: pipeline.Int, Default: "1", Doc: "with first: every step-th matching call from the first-th"},
			{Name: "probability", Kind: pipeline.Float, Default: "1", Doc: "act on a matching call with this probability"},
			{Name: "seed", Kind: pipeline.Int, Default: "1", Doc: "seed of the random choice, for repeatable runs"},
			{Name: "after", Kind: pipeline.Bool, Default: "false", Doc: "let the call run and change its result, stopping only matching calls through a kernel trigger: the cheap way for attached processes (the call's side effects happen)"},
			{Name: "summary", Kind: pipeline.Bool, Default: "true", Doc: "end the run with a line of how many calls matched and how many were injected"},
			{Name: "log", Kind: pipeline.Bool, Default: "false", Doc: "log each injection on a line of its own (a syscalls engine in the pipeline logs the call itself, marked (INJECTED), as strace does)"},
		},
		New: newInject,
	})
}

// inject acts at syscall entry, synchronously; only the calls it names
// stop (a seccomp filter for launched programs), all others run untouched.
type inject struct {
	pipeline.Base
	nrs     map[int]bool
	summary bool
	path    string
	errno   unix.Errno
	retval  int64
	hasRet  bool
	delay   time.Duration
	// delayExit holds chosen calls at their exit; exitDue are the threads
	// whose current call was chosen at its entry.
	delayExit time.Duration
	exitDue   map[int]bool
	nth, each int64
	// first, last, step: the calls first, first+step, ... up to last (0:
	// no end), strace's when=FIRST..LAST+STEP; first 0: no such range.
	first, last, step int64
	prob              float64
	after             bool
	log               bool

	mu       sync.Mutex
	rng      *rand.Rand
	matched  int64
	injected int64
}

func newInject(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	spec := opts.Str("syscall")
	if spec == "" {
		return nil, fmt.Errorf("option syscall is required (e.g. -e inject:syscall=openat,error=ENOENT)")
	}
	nrs, err := sysabi.Expand(spec)
	if err != nil {
		return nil, err
	}
	in := &inject{nrs: map[int]bool{}, path: opts.Str("path"), delay: opts.Dur("delay"), summary: opts.BoolVal("summary"),
		nth: opts.IntVal("nth"), each: opts.IntVal("every"), prob: opts.FloatVal("probability"), after: opts.BoolVal("after"),
		log: opts.BoolVal("log"), first: opts.IntVal("first"), last: opts.IntVal("last"), step: opts.IntVal("step"),
		delayExit: opts.Dur("delay_exit"), exitDue: map[int]bool{},
		rng: rand.New(rand.NewPCG(uint64(opts.IntVal("seed")), 0x7574726163652d62))}
	var set core.SyscallSet
	for _, nr := range nrs {
		in.nrs[nr] = true
		set.Add(nr)
	}
	if e := opts.Str("error"); e != "" {
		in.errno = errnoByName(strings.ToUpper(e))
		if in.errno == 0 {
			return nil, fmt.Errorf("error %q: not an errno name such as ENOENT", e)
		}
	}
	if opts.Has("retval") {
		in.retval, in.hasRet = opts.IntVal("retval"), true
	}
	if in.errno == 0 && !in.hasRet && in.delay == 0 && in.delayExit == 0 {
		return nil, fmt.Errorf("say what to inject: error=ERRNO, retval=N, delay=DURATION or delay_exit=DURATION")
	}
	if in.delayExit > 0 && in.after {
		return nil, fmt.Errorf("delay_exit and after exclude each other")
	}
	if in.errno != 0 && in.hasRet {
		return nil, fmt.Errorf("error and retval exclude each other")
	}
	switch {
	case in.first < 0 || in.last < 0:
		return nil, fmt.Errorf("first %d, last %d: want call numbers from 1", in.first, in.last)
	case in.step < 1:
		return nil, fmt.Errorf("step %d: want 1 or more", in.step)
	case in.last > 0 && in.first == 0:
		return nil, fmt.Errorf("last without first")
	case in.last > 0 && in.last < in.first:
		return nil, fmt.Errorf("last %d is before first %d", in.last, in.first)
	}
	if in.prob < 0 || in.prob > 1 {
		return nil, fmt.Errorf("probability %v: want 0..1", in.prob)
	}
	needs := pipeline.Needs{Watch: core.Watch{Events: core.EventSyscallEntry, Syscalls: &set}, Sync: core.EventSyscallEntry}
	if in.delayExit > 0 {
		// The choice is made at the entry, the delay at the exit.
		needs.Events |= core.EventSyscallExit
		needs.Sync |= core.EventSyscallExit
	}
	if in.after {
		// Only matching calls stop, after they ran; nothing else costs.
		needs = pipeline.Needs{}
		for nr := range in.nrs {
			needs.Triggers = append(needs.Triggers, core.Trigger{Nr: nr, PathPrefix: in.path})
		}
	}
	in.Init(name, in, out, needs)
	return in, nil
}

// ReportSyscallExit acts on a call a trigger stopped after it ran: its
// result is replaced.
func (in *inject) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if in.delayExit > 0 {
		return in.delayAtExit(e, ev)
	}
	if !ev.Triggered || !in.nrs[ev.Syscall.Nr] || !in.choose() {
		return core.Resume
	}
	return in.act(e, ev, core.Resume)
}

// delayAtExit holds a call chosen at its entry for delay_exit, at its exit.
func (in *inject) delayAtExit(e *core.Engine, ev *core.Event) core.Action {
	in.mu.Lock()
	due := in.exitDue[ev.Tid]
	delete(in.exitDue, ev.Tid)
	in.mu.Unlock()
	if !due || !ev.Sync {
		return core.Resume
	}
	ev.Syscall.Delayed = true
	time.AfterFunc(in.delayExit, func() { e.Control(core.Resume) })
	return core.Stop
}

// choose decides whether this matching call is injected.
func (in *inject) choose() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.matched++
	switch {
	case in.nth > 0 && in.matched != in.nth:
		return false
	case in.each > 0 && in.matched%in.each != 0:
		return false
	case in.first > 0 && (in.matched < in.first || in.last > 0 && in.matched > in.last || (in.matched-in.first)%in.step != 0):
		return false
	case in.prob < 1 && in.rng.Float64() >= in.prob:
		return false
	}
	in.injected++
	return true
}

// ReportSyscallEntry injects into the calls that match.
func (in *inject) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	keep := core.Resume | action.SyscallAction()
	if !in.nrs[ev.Syscall.Nr] || !ev.Sync {
		return keep
	}
	if in.path != "" {
		p, have := pipeline.SyscallPath(e, ev)
		if !have || !strings.HasPrefix(p, in.path) {
			return keep
		}
	}
	if !in.choose() {
		return keep
	}
	return in.act(e, ev, keep)
}

// act injects into one call: at its entry (abort) or, after a trigger, at
// its return (replace the result).
func (in *inject) act(e *core.Engine, ev *core.Event, keep core.Action) core.Action {
	in.Count()
	result := keep
	what := ""
	atExit := ev.Type == core.EventSyscallExit
	switch {
	case in.errno != 0:
		ev.Syscall.Ret = -int64(in.errno)
		if !atExit {
			result = core.Resume | core.SyscallAbort
		}
		what = string(sysent.FormatReturn(nil, ev.Syscall.Nr, -int64(in.errno))) + " (INJECTED)"
	case in.hasRet:
		ev.Syscall.Ret = in.retval
		if !atExit {
			result = core.Resume | core.SyscallAbort
		}
		what = string(sysent.FormatReturn(nil, ev.Syscall.Nr, in.retval)) + " (INJECTED)"
	}
	delay := in.delay
	switch {
	case in.delayExit > 0 && result.SyscallAction() == core.SyscallAbort:
		// A skipped call may have no exit stop to hold (one skipped at
		// its seccomp stop has none): it waits at its entry instead,
		// which its caller cannot tell apart.
		delay += in.delayExit
	case in.delayExit > 0:
		in.mu.Lock()
		in.exitDue[ev.Tid] = true
		in.mu.Unlock()
	}
	if delay > 0 {
		// Keep the thread stopped for the delay; the call runs after.
		result = core.Stop | result.SyscallAction()
		time.AfterFunc(delay, func() { e.Control(core.Resume) })
		what += fmt.Sprintf(" (delayed %v)", delay)
		ev.Syscall.Delayed = true
	}
	if !in.log {
		return result
	}
	r := pipeline.NewRecord()
	r.Time, r.Event, r.Pid, r.Tid, r.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, in.Name()
	r.Text = fmt.Appendf(r.Text, "%s(", sysabi.Name(ev.Syscall.Nr))
	if ev.Syscall.Path != "" {
		r.Text = fmt.Appendf(r.Text, "%q, ...", ev.Syscall.Path)
	}
	r.Text = append(r.Text, ") "+strings.TrimSpace(what)...)
	r.Fields = append(r.Fields, pipeline.IntField("nr", int64(ev.Syscall.Nr)), pipeline.StrField("name", sysabi.Name(ev.Syscall.Nr)),
		pipeline.StrField("injected", strings.TrimSpace(what)))
	in.Out.Emit(r)
	return result
}

// Summary says how many calls matched and how many were injected.
func (in *inject) Summary(w io.Writer) {
	if !in.summary {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	fmt.Fprintf(w, "%s: %d matching calls, %d injected\n", in.Name(), in.matched, in.injected)
}

// errnoByName returns the errno called name (ENOENT), or 0.
func errnoByName(name string) unix.Errno {
	for e := unix.Errno(1); e < 4096; e++ {
		if unix.ErrnoName(e) == name {
			return e
		}
	}
	return 0
}
