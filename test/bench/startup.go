package main

// The startup section (issue 15): what a short trace costs before and
// around the traced program, where strace wins today. For each tool, the
// whole-process wall time and peak RSS of tracing /bin/true; for
// utrace-bpf attach, the time from its start to its "attached" line; and
// the load time of each BPF program, which the verifier dominates.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// startupRow is one tool's start-up: medians over the runs.
type startupRow struct {
	name, what string
	wall       []time.Duration
	rss        []int64 // peak resident set, KiB
	skip       string  // why the row was not measured
}

// startupGoals are issue 15's start-up goals, as ratios of rows.
var startupGoals = []struct {
	what     string
	num, den string // rows; den "" means a bound in seconds
	max      float64
}{
	{"time to first event ≤ 0.1 s", "utrace-bpf", "", 0.1},
	{"≤ 0.5× perf trace", "utrace-bpf", "perf-trace", 0.5},
	{"≤ 0.2× bpftrace", "utrace-bpf", "bpftrace", 0.2},
	{"attach ready ≤ 0.1 s after start", "attach-ready", "", 0.1},
}

func startup(runs int, quick bool) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("startup needs root (BPF programs, ptrace)")
	}
	if quick {
		runs = 1
	}
	dir, err := os.MkdirTemp("", "utrace-startup")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cli := *compareCLI
	if cli == "" {
		cli = filepath.Join(dir, "utrace-bpf")
		cmd := exec.Command("go", "build", "-o", cli, "./cmd/utrace-bpf")
		cmd.Dir = filepath.Join(progs.Dir(), "..", "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building utrace-bpf: %v\n%s", err, out)
		}
	}
	var notes []string
	tracing := ensureTracefs(*compareMountTrace, &notes)
	bpftraceProg := `tracepoint:raw_syscalls:sys_enter /comm == "true"/ { @ = count(); }`
	rows := []*startupRow{
		{name: "bare", what: "/bin/true alone", wall: nil},
		{name: "strace", what: "`strace -f -o /dev/null /bin/true`"},
		{name: "perf-trace", what: "`perf trace -o /dev/null /bin/true`"},
		{name: "bpftrace", what: "`bpftrace -e '" + bpftraceProg + "' -c /bin/true`"},
		{name: "utrace-bpf", what: "`utrace-bpf run -o /dev/null -- /bin/true` (the default config: the syscalls log)"},
	}
	argvOf := map[string][]string{
		"bare":       {"/bin/true"},
		"strace":     {"strace", "-f", "-o", "/dev/null", "/bin/true"},
		"perf-trace": {"perf", "trace", "-o", "/dev/null", "/bin/true"},
		"bpftrace":   {"bpftrace", "-e", bpftraceProg, "-c", "/bin/true"},
		"utrace-bpf": {cli, "run", "-o", "/dev/null", "--", "/bin/true"},
	}
	for _, r := range rows {
		argv := argvOf[r.name]
		if _, err := exec.LookPath(argv[0]); err != nil {
			r.skip = argv[0] + " not installed"
			continue
		}
		if (r.name == "perf-trace" || r.name == "bpftrace") && tracing != "" {
			r.skip = tracing
			continue
		}
		runProcess(argv) // warm the page cache
		for range runs {
			wall, rss, err := runProcess(argv)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			r.wall, r.rss = append(r.wall, wall), append(r.rss, rss)
		}
		fmt.Fprintf(os.Stderr, "startup: %-11s %v  %d KiB\n", r.name, median(r.wall), medianInt(r.rss))
	}

	attach := &startupRow{name: "attach-ready", what: "`utrace-bpf attach -p PID`: from its start to its \"attached\" line"}
	for range runs {
		d, err := attachReady(cli)
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		attach.wall = append(attach.wall, d)
	}
	rows = append(rows, attach)

	loads, err := programLoadTimes()
	if err != nil {
		return err
	}
	startupReport(rows, loads, runs, notes)
	return nil
}

// runProcess runs argv with nothing on standard input and output and
// returns its wall time and peak RSS.
func runProcess(argv []string) (time.Duration, int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 3))
	}
	wall := time.Since(start)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss // KiB on Linux
	}
	return wall, rss, nil
}

// attachReady starts utrace-bpf attach on a sleeping process and returns
// the time until its "attached" line.
func attachReady(cli string) (time.Duration, error) {
	target := exec.Command("sleep", "30")
	if err := target.Start(); err != nil {
		return 0, err
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	tr := exec.Command(cli, "attach", "-p", fmt.Sprint(target.Process.Pid), "-o", "/dev/null")
	stderr, err := tr.StderrPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := tr.Start(); err != nil {
		return 0, err
	}
	defer func() { tr.Process.Signal(syscall.SIGTERM); tr.Wait() }()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "attached") {
			d := time.Since(start)
			go func() {
				for sc.Scan() {
				}
			}()
			return d, nil
		}
	}
	return 0, fmt.Errorf("no \"attached\" line")
}

// programLoadTimes loads every program the syscalls log and job control
// need, in the loader's own way (in parallel), and returns how long each
// took.
func programLoadTimes() (map[string]time.Duration, error) {
	l, err := loader.Load(&loader.Options{Preload: core.EventSyscall | core.EventJctl})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	st, err := l.Stats()
	if err != nil {
		return nil, err
	}
	return st.LoadTimes, nil
}

func medianInt(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func startupReport(rows []*startupRow, loads map[string]time.Duration, runs int, notes []string) {
	w := os.Stdout
	fmt.Fprintf(w, "# Start-up and footprint: tracing /bin/true\n\n")
	fmt.Fprintf(w, "Command (as root, from the repository root): `go run ./test/bench -only startup`.\n\n")
	fmt.Fprintf(w, "Machine: %s.\n\nCode: %s.\n\n", machine(), revision())
	fmt.Fprintf(w, "Each row: median of %d runs of the whole process (fork to exit, its wall time and peak resident set from wait4), after one warm-up run.\n\n", runs)
	for _, n := range notes {
		fmt.Fprintln(w, n)
		fmt.Fprintln(w)
	}
	byName := map[string]*startupRow{}
	fmt.Fprintf(w, "| setup | what | wall | × strace | peak RSS |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		byName[r.name] = r
	}
	for _, r := range rows {
		if r.skip != "" {
			fmt.Fprintf(w, "| %s | %s | — | — | — (%s) |\n", r.name, mdEscape(r.what), r.skip)
			continue
		}
		rss := "—"
		if len(r.rss) > 0 {
			rss = fmt.Sprintf("%.1f MiB", float64(medianInt(r.rss))/1024)
		}
		ratio := "—"
		if s := byName["strace"]; s != nil && s.skip == "" && len(s.wall) > 0 {
			ratio = fmtRatio(cmpRatio(median(r.wall), median(s.wall)))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.name, mdEscape(r.what), fmtDur(median(r.wall)), ratio, rss)
	}

	fmt.Fprintf(w, "\n## Goals\n\n| goal | value | met |\n|---|---|---|\n")
	for _, g := range startupGoals {
		num := byName[g.num]
		if num == nil || num.skip != "" || len(num.wall) == 0 {
			fmt.Fprintf(w, "| %s | — | — |\n", g.what)
			continue
		}
		var v float64
		if g.den == "" {
			v = median(num.wall).Seconds()
		} else {
			den := byName[g.den]
			if den == nil || den.skip != "" || len(den.wall) == 0 {
				fmt.Fprintf(w, "| %s | — (%s not measured) | — |\n", g.what, g.den)
				continue
			}
			v = cmpRatio(median(num.wall), median(den.wall))
		}
		met := "yes"
		if v > g.max {
			met = "**no**"
		}
		fmt.Fprintf(w, "| %s | %.3f | %s |\n", g.what, v, met)
	}
	if u := byName["utrace-bpf"]; u != nil && len(u.rss) > 0 {
		met := "yes"
		if medianInt(u.rss) > 40<<10 {
			met = "**no**"
		}
		fmt.Fprintf(w, "| peak RSS of run ≤ 40 MiB (ring buffer %d MiB, mapped twice) | %.1f MiB | %s |\n",
			loader.DefaultRingSize()>>20, float64(medianInt(u.rss))/1024, met)
	}

	fmt.Fprintf(w, "\n## BPF program load times\n\nEach program's load (CO-RE relocation, the kernel's verifier, JIT), as the loader does it: in parallel, so the times overlap.\n\n| program | load |\n|---|---|\n")
	names := make([]string, 0, len(loads))
	for n := range loads {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return loads[names[i]] > loads[names[j]] })
	for _, n := range names {
		fmt.Fprintf(w, "| %s | %s |\n", n, fmtDur(loads[n]))
	}
}
