package main

// The compare section (issue 7): every workload bare, under the tools a
// user would pick instead (strace, bpftrace, perf trace), and under each
// tier of utrace-bpf, in one run on one machine; see compare below.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// injectSpec is the engine of the selective-stop rows: inject on openat, for
// a path no workload opens, so that it stops the workload (in the tiers that
// stop) and changes nothing. The attach row appends injectAttachOpts.
const injectSpec = "inject:syscall=openat,path=/nonexistent-prefix,error=ENOENT"

// injectAttachOpts and injectAttachHow describe the attach-mode selective
// stop: with after=true the engine installs a kernel trigger, so only
// matching calls stop (none here) and every other call pays only the
// per-syscall tracepoint.
const (
	injectAttachOpts = ",after=true"
	injectAttachHow  = "a kernel trigger on openat (after=true): only matching calls stop"
)

var (
	compareQuick      = flag.Bool("quick", false, "compare: tiny sizes, one run of each setup; checks that the harness runs (CI smoke)")
	compareHeavyRuns  = flag.Int("heavy-runs", 3, "compare: runs per heavy setup (ptrace, perf trace)")
	compareBudget     = flag.Duration("budget", 6*time.Second, "compare: longest run of a heavy setup before it is measured on a smaller size and scaled")
	compareWorkloads  = flag.String("workloads", "", "compare: comma-separated workloads to run (default all: getppid,files,spawn,threads)")
	compareSetups     = flag.String("setups", "", "compare: comma-separated setups to run (default all; bare is always run)")
	compareCLI        = flag.String("cli", "", "compare: a utrace-bpf binary to use instead of building ./cmd/utrace-bpf")
	compareMountTrace = flag.Bool("mount-tracefs", true, "compare: mount tracefs on /sys/kernel/tracing if it is not (bpftrace and perf trace need it)")
)

// compareConfig is what one compare run does.
type compareConfig struct {
	Quick      bool
	Runs       int // runs per cheap setup
	HeavyRuns  int
	Budget     time.Duration
	Workloads  []string // nil: all
	Setups     []string // nil: all
	CLI        string   // "": build
	MountTrace bool
	Profile    string    // perf record the syscalls setup into this file
	Out        io.Writer // the markdown report
	Log        io.Writer // progress
}

// compare is the section's entry point from main (-only compare): each
// workload bare, under strace, bpftrace and perf trace, and under each tier
// of utrace-bpf; medians of -runs runs (-heavy-runs for the setups that stop
// the workload with ptrace or are otherwise slow), with the spread
// (min-max), ratios to bare and to strace -f, events delivered and lost.
// Heavy setups first run at 1/100 size; if the full size would take longer
// than -budget per run, they are measured on a fraction of it and scaled
// (the notes column says so). The markdown report goes to standard output,
// progress to standard error. --quick: tiny sizes, one run each, goals not
// checked (CI smoke).
func compare(runs int) error {
	cfg := compareConfig{Quick: *compareQuick, Runs: runs, HeavyRuns: *compareHeavyRuns, Budget: *compareBudget,
		CLI: *compareCLI, MountTrace: *compareMountTrace, Profile: *compareProfile, Out: os.Stdout, Log: os.Stderr}
	if *compareWorkloads != "" {
		cfg.Workloads = strings.Split(*compareWorkloads, ",")
	}
	if *compareSetups != "" {
		cfg.Setups = strings.Split(*compareSetups, ",")
	}
	return runCompare(cfg)
}

// cmpWorkload is one workload program and its size.
type cmpWorkload struct {
	name  string
	title string // for the table heading, given the size
	prog  string // test/progs/c/PROG.c
	// calls is how many system calls the workload makes at least, at a
	// size (0: not known); counts below it are flagged.
	calls func(size int) int64
	size  int // full size (the unit the table heading names)
	quick int // size in --quick
	args  func(size int) []string
	bin   string
}

func cmpWorkloads() []*cmpWorkload {
	return []*cmpWorkload{
		{name: "getppid", prog: "getppid", size: 1_000_000, quick: 10_000,
			title: "%d getppid calls (syscall-bound)",
			calls: func(n int) int64 { return int64(n) },
			args:  func(n int) []string { return []string{strconv.Itoa(n)} }},
		{name: "files", prog: "benchfiles", size: 20_000, quick: 200,
			title: "find /usr -type f | xargs cat, bounded: the first %d files of /usr, at most 256 MiB (file-heavy: openat, getdents64, newfstatat, read, close)",
			args: func(n int) []string {
				return []string{"/usr", strconv.Itoa(n), strconv.FormatInt(int64(n)*(256<<20)/20_000, 10)}
			}},
		{name: "spawn", prog: "benchspawn", size: 1_000, quick: 20,
			title: "%d /bin/true from a shell loop (fork/exec-heavy)",
			args:  func(n int) []string { return []string{strconv.Itoa(n)} }},
		{name: "threads", prog: "benchthreads", size: 100_000, quick: 1_000,
			title: "8 threads × %d getppid calls (multi-threaded)",
			calls: func(n int) int64 { return 8 * int64(n) },
			args:  func(n int) []string { return []string{"8", strconv.Itoa(n)} }},
	}
}

func (w *cmpWorkload) argv(size int) []string { return append([]string{w.bin}, w.args(size)...) }

// sample is one run's result.
type sample struct {
	d         time.Duration // the loop time the workload printed
	delivered int64         // events delivered (or counted); -1 unknown
	lost      int64         // events lost; -1 unknown
	counted   int64         // system calls a counting tool counted; -1 none
	note      string        // what else the run said (calls counted, ...)
}

// cmpSetup is one way of running a workload.
type cmpSetup struct {
	name string
	what string
	// heavy setups may be measured on a smaller size and scaled.
	heavy bool
	// ours marks utrace-bpf's own setups: their failures fail the run;
	// another tool failing makes its row n/a.
	ours bool
	// pinnedOnly, when set, limits the setup to these workloads.
	only []string
	// avail returns why the setup cannot run here, or "".
	avail func(c *cmpRun) string
	run   func(c *cmpRun, w *cmpWorkload, size int) (sample, error)
	// events names what the delivered column counts.
	events string
	// perCall is how many events the setup delivers per system call at
	// least (0: not checked).
	perCall int64
}

// cmpResult is one row of the table.
type cmpResult struct {
	setup   *cmpSetup
	na      string // why not measured
	times   []time.Duration
	median  time.Duration
	last    sample
	lost    int64 // over all runs; -1 unknown
	size    int   // the size measured
	scale   float64
	foreign int // other tracers' programs on sys_enter/sys_exit before a run
	samples []sample
	short   []string // runs that saw fewer calls than the workload made
}

// cmpRun is the state of one compare run.
type cmpRun struct {
	cfg      compareConfig
	dir      string
	cli      string
	decoy    string // the getppid binary, for the not-watched decoy
	tracefs  string // why tracefs is missing, or ""
	notes    []string
	current  string                           // the setup being measured
	profiled string                           // the workload whose syscalls setup was profiled last
	results  map[string]map[string]*cmpResult // workload → setup → result
}

func runCompare(cfg compareConfig) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("compare needs root (BPF programs, ptrace)")
	}
	if cfg.Runs < 1 {
		cfg.Runs = 1
	}
	if cfg.HeavyRuns < 1 {
		cfg.HeavyRuns = 1
	}
	if cfg.Quick {
		cfg.Runs, cfg.HeavyRuns = 1, 1
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 6 * time.Second
	}
	dir, err := os.MkdirTemp("", "utrace-compare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c := &cmpRun{cfg: cfg, dir: dir, results: map[string]map[string]*cmpResult{}}
	start := time.Now()
	meter := newCPUMeter()

	c.logf("building the workloads and utrace-bpf in %s", dir)
	workloads := cmpWorkloads()
	if cfg.Workloads != nil {
		workloads = slices.DeleteFunc(workloads, func(w *cmpWorkload) bool { return !slices.Contains(cfg.Workloads, w.name) })
		if len(workloads) == 0 {
			return fmt.Errorf("-workloads %s: none of getppid, files, spawn, threads", strings.Join(cfg.Workloads, ","))
		}
	}
	for _, w := range workloads {
		if w.bin, err = progs.BuildIn(dir, w.prog); err != nil {
			return err
		}
	}
	if c.decoy, err = progs.BuildIn(dir, "getppid"); err != nil {
		return err
	}
	if rawptraceBin, err = progs.BuildIn(dir, "rawptrace"); err != nil {
		return err
	}
	if c.cli = cfg.CLI; c.cli == "" {
		c.cli = filepath.Join(dir, "utrace-bpf")
		root := filepath.Join(progs.Dir(), "..", "..", "..")
		cmd := exec.Command("go", "build", "-o", c.cli, "./cmd/utrace-bpf")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building utrace-bpf: %v\n%s", err, out)
		}
	}
	c.tracefs = ensureTracefs(cfg.MountTrace, &c.notes)
	if cfg.Profile != "" {
		if _, err := exec.LookPath("perf"); err != nil {
			return fmt.Errorf("-profile: perf is not installed (apt-get install linux-perf)")
		}
		if cfg.Profile, err = filepath.Abs(cfg.Profile); err != nil {
			return err
		}
	}

	setups := cmpSetups()
	for _, w := range workloads {
		size := w.size
		if cfg.Quick {
			size = w.quick
		}
		c.logf("== %s (%s), warm-up run", w.name, strings.Join(w.args(size), " "))
		if _, err := bareRun(c, w, size); err != nil { // page cache, dynamic loader
			return fmt.Errorf("%s: warm-up: %w", w.name, err)
		}
		c.results[w.name] = map[string]*cmpResult{}
		if err := c.measureWorkload(w, setups, size); err != nil {
			return err
		}
	}
	c.report(workloads, setups, time.Since(start), meter.others())
	return nil
}

func (c *cmpRun) logf(format string, args ...any) {
	fmt.Fprintf(c.cfg.Log, "compare: "+format+"\n", args...)
}

// measureWorkload measures every selected setup on w. The cheap setups run
// in rounds, each round running each of them once, so that a change in the
// machine's load during the section affects them alike; the heavy ones
// (ptrace, perf trace) then run one after the other.
func (c *cmpRun) measureWorkload(w *cmpWorkload, setups []*cmpSetup, size int) error {
	var cheap []*cmpResult
	for _, s := range setups {
		if s.only != nil && !slices.Contains(s.only, w.name) {
			continue
		}
		if c.cfg.Setups != nil && s.name != "bare" && !slices.Contains(c.cfg.Setups, s.name) {
			continue
		}
		r := &cmpResult{setup: s, size: size, scale: 1}
		c.results[w.name][s.name] = r
		if s.avail != nil {
			if why := s.avail(c); why != "" {
				r.na = why
				c.logf("%-16s n/a (%s)", s.name, why)
				continue
			}
		}
		if !s.heavy || c.cfg.Quick {
			cheap = append(cheap, r)
		}
	}
	for round := range c.cfg.Runs {
		for _, r := range cheap {
			if r.na != "" || round >= c.runsOf(r.setup) {
				continue
			}
			if err := c.sample(w, r, r.size); err != nil {
				return err
			}
		}
	}
	for _, r := range cheap {
		if r.na == "" {
			c.finish(w, r)
		}
	}
	for _, s := range setups {
		r := c.results[w.name][s.name]
		if r == nil || r.na != "" || slices.Contains(cheap, r) {
			continue
		}
		if err := c.measureHeavy(w, r, size); err != nil {
			return err
		}
	}
	return nil
}

func (c *cmpRun) runsOf(s *cmpSetup) int {
	if s.heavy {
		return c.cfg.HeavyRuns
	}
	return c.cfg.Runs
}

// sample runs r's setup once at size. A failure of utrace-bpf's own setups
// is an error; another tool's makes its row n/a.
func (c *cmpRun) sample(w *cmpWorkload, r *cmpResult, size int) error {
	s := r.setup
	if n := foreignSyscallHooks(); n > 0 {
		r.foreign = max(r.foreign, n)
		c.logf("%-16s warning: another tracer has %d programs on sys_enter/sys_exit", s.name, n)
	}
	c.current = s.name
	smp, err := s.run(c, w, size)
	if err != nil {
		if s.ours {
			return fmt.Errorf("%s, %s: %w", w.name, s.name, err)
		}
		r.na = firstLine(err.Error())
		c.logf("%-16s n/a (%v)", s.name, err)
		return nil
	}
	r.samples = append(r.samples, smp)
	return nil
}

// measureHeavy runs a heavy setup: a pilot at 1/100 size, then -heavy-runs
// runs at the largest size whose run fits the budget.
func (c *cmpRun) measureHeavy(w *cmpWorkload, r *cmpResult, size int) error {
	if !c.cfg.Quick {
		pilot := max(size/100, 1)
		if err := c.sample(w, r, pilot); err != nil || r.na != "" {
			return err
		}
		per := float64(r.samples[0].d) / float64(pilot)
		for _, div := range []int{1, 2, 5, 10, 20, 50, 100} {
			r.size = max(size/div, 1)
			if time.Duration(per*float64(r.size)) <= c.cfg.Budget {
				break
			}
		}
		if r.size != pilot {
			r.samples = r.samples[:0]
		}
	}
	for len(r.samples) < c.runsOf(r.setup) {
		if err := c.sample(w, r, r.size); err != nil || r.na != "" {
			return err
		}
	}
	c.finish(w, r)
	return nil
}

// finish scales the samples and takes the median.
func (c *cmpRun) finish(w *cmpWorkload, r *cmpResult) {
	size := w.size
	if c.cfg.Quick {
		size = w.quick
	}
	r.scale = float64(size) / float64(r.size)
	for _, smp := range r.samples {
		r.times = append(r.times, time.Duration(float64(smp.d)*r.scale))
		if smp.lost < 0 || r.lost < 0 {
			r.lost = -1
		} else {
			r.lost += smp.lost
		}
	}
	r.last = r.samples[len(r.samples)-1]
	r.median = median(r.times)
	if w.calls != nil {
		want := w.calls(r.size)
		for _, smp := range r.samples {
			if smp.counted >= 0 && smp.counted < want {
				r.short = append(r.short, fmt.Sprintf("counted %d calls, the workload made at least %d", smp.counted, want))
			}
			if r.setup.perCall > 0 && smp.delivered >= 0 && smp.delivered < r.setup.perCall*want {
				r.short = append(r.short, fmt.Sprintf("%d events, want at least %d (%d per call)", smp.delivered, r.setup.perCall*want, r.setup.perCall))
			}
		}
		for _, m := range r.short {
			c.logf("%-16s warning: %s", r.setup.name, m)
		}
	}
	c.logf("%-16s %8.3f s  runs %v%s", r.setup.name, r.median.Seconds(), roundAll(r.times), scaleNote(r, w))
}

func roundAll(d []time.Duration) []time.Duration {
	out := make([]time.Duration, len(d))
	for i, x := range d {
		out[i] = x.Round(time.Millisecond)
	}
	return out
}

func scaleNote(r *cmpResult, w *cmpWorkload) string {
	if r.scale == 1 {
		return ""
	}
	return fmt.Sprintf("  (measured at size %d of %d, scaled ×%g)", r.size, w.size, r.scale)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
