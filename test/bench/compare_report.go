package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf/link"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"golang.org/x/sys/unix"
)

// cmpGoal is one acceptance goal: a ratio of two setups' medians and the
// bound it must keep.
type cmpGoal struct {
	key      string // in the key=value line, after "WORKLOAD."
	text     string
	num, den string  // setups
	bound    float64 // the ratio must be ≤ bound (or ≥ with atLeast)
	atLeast  bool
}

func cmpGoals() []cmpGoal {
	return []cmpGoal{
		{key: "notwatched_over_floor", text: "not watched ≤ 1.15× the empty-program floor", num: "not-watched", den: "floor", bound: 1.15},
		{key: "notwatched_targets_over_floor", text: "not watched, 20 target rules armed, ≤ 1.15× the empty-program floor", num: "not-watched-20-targets", den: "floor", bound: 1.15},
		{key: "stracec_over_counter", text: "`counter` ≥ 100× faster than `strace -f -c`", num: "strace-c", den: "counter", bound: 100, atLeast: true},
		{key: "stracec1cpu_over_counter", text: "(`counter` against `strace -f -c` pinned to one CPU)", num: "strace-c-1cpu", den: "counter", bound: 100, atLeast: true},
		{key: "counter_over_floor", text: "`counter` ≤ 1.2× the empty-program floor", num: "counter", den: "floor", bound: 1.2},
		{key: "counter_over_bpftrace", text: "`counter` not slower than bpftrace counting", num: "counter", den: "bpftrace", bound: 1},
		{key: "counter_over_bpftrace_time", text: "(`counter` against bpftrace counting and timing, as counter does)", num: "counter", den: "bpftrace-time", bound: 1},
		{key: "syscalls_over_floor", text: "`syscalls` JSON log ≤ 2× the empty-program floor", num: "syscalls", den: "floor", bound: 2},
		{key: "syscalls_text_over_floor", text: "`syscalls` text log ≤ 2× the empty-program floor", num: "syscalls-text", den: "floor", bound: 2},
		{key: "strace_over_syscalls", text: "`syscalls` (JSON log) ≥ 100× faster than `strace -f`", num: "strace", den: "syscalls", bound: 100, atLeast: true},
		{key: "strace1cpu_over_syscalls", text: "`syscalls` ≥ 30× faster than strace pinned to one CPU", num: "strace-1cpu", den: "syscalls", bound: 30, atLeast: true},
		{key: "strace1cpu_over_syscalls_text", text: "(the text log against strace pinned to one CPU)", num: "strace-1cpu", den: "syscalls-text", bound: 30, atLeast: true},
		{key: "inject_attach_over_bare", text: "selective stop in attach mode ≤ 2× bare", num: "inject-attach", den: "bare", bound: 2},
		{key: "inject_run_over_strace_seccomp", text: "selective stop of a launched process not slower than `strace --seccomp-bpf`", num: "inject-run", den: "strace-seccomp", bound: 1},
		{key: "sync_over_rawptrace", text: "full sync stops ≤ 1.3× a minimal PTRACE_SYSCALL loop (unpinned)", num: "sync", den: "rawptrace", bound: 1.3},
		{key: "sync1cpu_over_rawptrace1cpu", text: "full sync stops ≤ 1.3× a minimal PTRACE_SYSCALL loop (both pinned to CPU 0)", num: "sync-1cpu", den: "rawptrace-1cpu", bound: 1.3},
	}
}

// get returns a measured result, or nil.
func (c *cmpRun) get(workload, setup string) *cmpResult {
	r := c.results[workload][setup]
	if r == nil || r.na != "" || r.median == 0 {
		return nil
	}
	return r
}

func (c *cmpRun) report(workloads []*cmpWorkload, setups []*cmpSetup, took time.Duration, others float64) {
	out := c.cfg.Out
	fmt.Fprintln(out, "# utrace-bpf against bare runs, strace, bpftrace and perf trace")
	fmt.Fprintln(out)
	cmd := "go run ./test/bench -only compare"
	if c.cfg.Quick {
		cmd += " --quick"
	}
	fmt.Fprintf(out, "Command (as root, from the repository root): `%s`; this run took %s.\n\n", cmd, took.Round(time.Second))
	fmt.Fprintf(out, "Machine: %s.\n\nCode: %s.\n\n", machine(), revision())
	quiet := "quiet"
	if others > 0.05 {
		quiet = "**not quiet: the numbers are disturbed; run again on an idle machine**"
	}
	fmt.Fprintf(out, "Other processes used %.0f%% of the machine's CPU time during the run (%s).\n\n", 100*others, quiet)
	fmt.Fprintf(out, "Each setup: median of %d runs (%d for the heavy ones: ptrace, perf trace), spread = min–max of the runs. "+
		"Times are the workload's own loop time (CLOCK_MONOTONIC around its work, after a go byte on stdin), so neither "+
		"process start-up nor tracer start-up is counted. Heavy setups whose full-size run would exceed %v are measured "+
		"on a fraction of the size and scaled linearly (notes). × bare: time ÷ bare; strace ÷: `strace -f -o /dev/null` "+
		"time ÷ this time (how many times faster than strace). Events: utrace-bpf's summary line (records that crossed the "+
		"ring buffer, and losses), synchronous reports, ptrace stops, or perf trace's events; — where a tool does not say.\n\n",
		c.cfg.Runs, c.cfg.HeavyRuns, c.cfg.Budget)
	disturbed := 0
	for _, m := range c.results {
		for _, r := range m {
			if r.foreign > 0 {
				disturbed++
			}
		}
	}
	if disturbed > 0 {
		fmt.Fprintf(out, "**%d setups ran while another tracer had BPF programs on the raw sys_enter/sys_exit tracepoints**, "+
			"which tax every system call of every process, the workloads' included (see the notes column).\n\n", disturbed)
	}
	for _, n := range c.notes {
		fmt.Fprintln(out, n)
		fmt.Fprintln(out)
	}
	for _, w := range workloads {
		size := w.size
		if c.cfg.Quick {
			size = w.quick
		}
		fmt.Fprintf(out, "## %s: "+w.title+"\n\n", w.name, size)
		fmt.Fprintln(out, "| setup | what | time | spread | × bare | strace ÷ | events delivered | lost | notes |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
		bare, strace := c.get(w.name, "bare"), c.get(w.name, "strace")
		for _, s := range setups {
			r := c.results[w.name][s.name]
			if r == nil {
				continue
			}
			if r.na != "" {
				fmt.Fprintf(out, "| %s | %s | n/a | | | | | | n/a (%s) |\n", s.name, s.what, mdEscape(r.na))
				continue
			}
			lo, hi := minMax(r.times)
			xBare, xStrace := "", ""
			if bare != nil {
				xBare = fmt.Sprintf("%.2f", cmpRatio(r.median, bare.median))
			}
			if strace != nil {
				xStrace = fmt.Sprintf("%.1f", cmpRatio(strace.median, r.median))
			}
			var notes []string
			if r.scale != 1 {
				notes = append(notes, fmt.Sprintf("measured at size %d, scaled ×%g", r.size, r.scale))
			}
			if r.foreign > 0 {
				notes = append(notes, fmt.Sprintf("**disturbed: %d BPF programs of another tracer on sys_enter/sys_exit**", r.foreign))
			}
			if len(r.short) > 0 {
				notes = append(notes, fmt.Sprintf("**%d of %d runs saw too few calls: %s**", len(r.short), len(r.samples), r.short[0]))
			}
			if r.last.note != "" {
				notes = append(notes, r.last.note)
			}
			if r.scale != 1 && r.last.delivered >= 0 {
				notes = append(notes, "events are for the measured size")
			}
			fmt.Fprintf(out, "| %s | %s | %s | %s–%s | %s | %s | %s | %s | %s |\n", s.name, s.what,
				fmtDur(r.median), fmtDur(lo), fmtDur(hi), xBare, xStrace, fmtCount(r.last.delivered), fmtCount(r.lost),
				mdEscape(strings.Join(notes, "; ")))
		}
		fmt.Fprintln(out)
	}

	if c.profiled != "" {
		c.profileReport(out, c.profiled)
	}
	fmt.Fprintln(out, "## Goals")
	fmt.Fprintln(out)
	if c.cfg.Quick {
		fmt.Fprintln(out, "Quick mode: the sizes are too small for the goals to mean anything; verdicts are not given.")
		fmt.Fprintln(out)
	}
	fmt.Fprint(out, "| goal | target |")
	for _, w := range workloads {
		fmt.Fprintf(out, " %s |", w.name)
	}
	fmt.Fprintln(out)
	fmt.Fprint(out, "|---|---|")
	for range workloads {
		fmt.Fprint(out, "---|")
	}
	fmt.Fprintln(out)
	var kv []string
	for _, g := range cmpGoals() {
		op := "≤"
		if g.atLeast {
			op = "≥"
		}
		fmt.Fprintf(out, "| %s | %s / %s %s %g |", g.text, g.num, g.den, op, g.bound)
		for _, w := range workloads {
			num, den := c.get(w.name, g.num), c.get(w.name, g.den)
			if num == nil || den == nil {
				fmt.Fprint(out, " — |")
				continue
			}
			v := cmpRatio(num.median, den.median)
			kv = append(kv, fmt.Sprintf("%s.%s=%s", w.name, g.key, fmtRatio(v)))
			met := v <= g.bound
			if g.atLeast {
				met = v >= g.bound
			}
			verdict := "met"
			if !met {
				verdict = "**missed**"
			}
			if c.cfg.Quick {
				verdict = "not checked"
			}
			fmt.Fprintf(out, " %s %s |", fmtRatio(v), verdict)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "    ratios: "+strings.Join(kv, " "))
}

func minMax(d []time.Duration) (lo, hi time.Duration) {
	for i, x := range d {
		if i == 0 || x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

func fmtDur(d time.Duration) string {
	switch s := d.Seconds(); {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	case s >= 0.01:
		return fmt.Sprintf("%.3f s", s)
	default:
		return fmt.Sprintf("%.2f ms", s*1000)
	}
}

func fmtCount(n int64) string {
	if n < 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// machine describes this machine and the tools' versions.
func machine() string {
	kernel := "?"
	if r, err := procfs.Sysctl("kernel.osrelease"); err == nil {
		kernel = r
	}
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	clock := "?"
	if b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource"); err == nil {
		clock = strings.TrimSpace(string(b))
	}
	var tools []string
	for _, t := range [][]string{{"strace", "-V"}, {"bpftrace", "--version"}, {"perf", "--version"}} {
		out, err := exec.Command(t[0], t[1:]...).Output()
		if err != nil {
			tools = append(tools, t[0]+" not available")
			continue
		}
		tools = append(tools, firstLine(string(out)))
	}
	return fmt.Sprintf("Linux %s, %d CPUs (%s), %s clocksource, %s; %s", kernel, runtime.NumCPU(), cpu, clock,
		runtime.Version(), strings.Join(tools, ", "))
}

func cmpRatio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// fmtRatio prints three significant digits without exponents.
func fmtRatio(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// cpuMeter tells how much CPU time processes other than this harness and
// its descendants used during the run: the tables are only as good as the
// machine was quiet.
type cpuMeter struct {
	start      time.Time
	busy, ours time.Duration
}

func newCPUMeter() cpuMeter {
	return cpuMeter{start: time.Now(), busy: machineBusy(), ours: ownCPU()}
}

// others returns the share of the machine's CPU time that others used.
func (m cpuMeter) others() float64 {
	wall := time.Since(m.start) * time.Duration(runtime.NumCPU())
	other := (machineBusy() - m.busy) - (ownCPU() - m.ours)
	if wall <= 0 || other < 0 {
		return 0
	}
	return float64(other) / float64(wall)
}

// machineBusy is the non-idle CPU time of all CPUs since boot (/proc/stat).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(firstLine(string(b))) // cpu user nice system idle iowait irq softirq steal ...
	var ticks int64
	for i, v := range f {
		if i == 0 || i == 4 || i == 5 || i > 8 {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100
}

// ownCPU is the CPU time of this process and of its reaped descendants.
func ownCPU() time.Duration {
	var total time.Duration
	for _, who := range []int{unix.RUSAGE_SELF, unix.RUSAGE_CHILDREN} {
		var ru unix.Rusage
		if unix.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// foreignSyscallHooks counts the BPF programs attached to the raw
// sys_enter and sys_exit tracepoints: called when the harness has none
// attached, any it finds belong to another tracer (a utrace-bpf someone
// else runs, say), which taxes every system call of the workloads too.
func foreignSyscallHooks() int {
	it := new(link.Iterator)
	defer it.Close()
	n := 0
	for it.Next() {
		info, err := it.Link.Info()
		if err != nil {
			continue
		}
		if rt := info.RawTracepoint(); rt != nil && (rt.Name == "sys_enter" || rt.Name == "sys_exit") {
			n++
		}
	}
	return n
}

// revision names the commit the harness measured, and whether the work tree
// had changes on top of it.
func revision() string {
	root := filepath.Join(progs.Dir(), "..", "..", "..")
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "not a git checkout"
	}
	rev := "commit " + strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += " with uncommitted changes"
	}
	return rev
}
