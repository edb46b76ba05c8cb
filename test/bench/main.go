// Command bench measures what tracing costs a traced process. Its passive
// section times a C workload making N getppid calls (1M by default) in one
// run of each setup:
//
//	bare         nothing loaded
//	idle         the loader loaded, nothing watched: its syscall programs
//	             are not attached (lazy attach)
//	not-watched  the loader's syscall programs attached (another process is
//	             watched) but the workload not watched: one task-storage
//	             lookup per hook
//	floor        empty tp_btf programs on the same hooks (sys_enter and
//	             sys_exit): what any program there costs
//	count        the workload counted in the kernel (Count): no records
//	events       full passive syscall events, decoded and counted in Go
//	strace       strace -f -o /dev/null, on fewer calls, scaled to N
//	strace-1cpu  the same pinned to one CPU with taskset, strace's best
//	             case on this kind of VM (ptrace round trips between CPUs
//	             are slow)
//
// Each setup runs -runs times; the table shows medians, with ratios to bare
// and to the floor, and a last line of key=value ratios. The workload times
// its own loop (CLOCK_MONOTONIC), so process start-up is not counted.
//
// Run it as root from the repository root:
//
//	go run ./test/bench -only passive
//
// The compare section (compare*.go) runs four workloads bare, under strace,
// bpftrace and perf trace, and under each utrace-bpf tier, and writes the
// README's performance tables (test/bench/RESULTS.md):
//
//	go run ./test/bench -only compare [--quick]
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64,arm64 floor ../../bpf/floor.bpf.c -- -I../../bpf

func main() {
	only := flag.String("only", "passive", "section to run (passive, compare, startup, triggers, stepper)")
	n := flag.Int("n", 1_000_000, "getppid calls per run")
	runs := flag.Int("runs", 5, "runs per setup; medians are reported")
	straceN := flag.Int("strace-n", 100_000, "getppid calls per strace run (scaled to -n); 0 skips strace")
	flag.Parse()
	var err error
	switch *only {
	case "passive":
		err = passive(*n, *runs, *straceN)
	case "compare": // compare.go
		err = compare(*runs)
	case "startup": // startup.go
		err = startup(*runs, *compareQuick)
	case "triggers": // triggers.go
		err = triggers(*n, *runs, *trigStops)
	case "stepper": // stepper.go
		err = stepperBench(*runs, *compareQuick)
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown section %q (have: passive, compare, startup, triggers, stepper)\n", *only)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one setup's median loop time.
type result struct {
	name, what string
	median     time.Duration
	note       string
}

// getppidSetup checks for root and builds the getppid workload in a new
// temporary directory, which the caller removes.
func getppidSetup() (dir, bin string, err error) {
	if os.Geteuid() != 0 {
		return "", "", errors.New("needs root (to load BPF programs)")
	}
	if dir, err = os.MkdirTemp("", "utrace-bench"); err != nil {
		return "", "", err
	}
	if bin, err = progs.BuildIn(dir, "getppid"); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, bin, nil
}

func passive(n, runs, straceN int) error {
	dir, bin, err := getppidSetup()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w := workload{bin: bin, n: n}

	var results []result
	add := func(name, what string, times []time.Duration, note string) {
		r := result{name: name, what: what, median: median(times), note: note}
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "%-12s %v  (runs: %v)\n", name, r.median, times)
	}

	// bare
	times, err := w.repeat(runs, nil)
	if err != nil {
		return fmt.Errorf("bare: %w", err)
	}
	add("bare", "nothing loaded", times, "")

	// floor
	times, err = withFloor(func() ([]time.Duration, error) { return w.repeat(runs, nil) })
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	add("floor", "empty tp_btf programs on sys_enter + sys_exit", times, "")

	// The loader's setups.
	l, err := loader.Load(nil)
	if err != nil {
		return err
	}
	defer l.Close()
	var delivered atomic.Uint64
	if err := l.Start(func(ev *core.Event) {
		if ev.Type&core.EventSyscall != 0 {
			delivered.Add(1)
		}
	}); err != nil {
		return err
	}

	times, err = w.repeat(runs, nil)
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	add("idle", "loader loaded, nothing watched (syscall programs detached)", times, "")

	// Keep the syscall programs attached by watching a decoy that blocks.
	decoy, err := w.start()
	if err != nil {
		return err
	}
	if err := l.SetWatch(decoy.pid, core.Watch{Events: core.EventSyscall}); err != nil {
		return err
	}
	times, err = w.repeat(runs, nil)
	if err != nil {
		return fmt.Errorf("not-watched: %w", err)
	}
	add("not-watched", "loader's syscall programs attached, workload not watched", times, "")

	times, err = w.repeat(runs, func(pid int) error { return l.SetWatch(pid, core.Watch{Count: true}) })
	if err != nil {
		return fmt.Errorf("count: %w", err)
	}
	add("count", "workload counted in kernel (Count)", times, "")

	before, err := l.Stats()
	if err != nil {
		return err
	}
	delivered.Store(0)
	times, err = w.repeat(runs, func(pid int) error {
		return l.SetWatch(pid, core.Watch{Events: core.EventSyscall})
	})
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if err := l.Flush(); err != nil {
		return err
	}
	after, err := l.Stats()
	if err != nil {
		return err
	}
	lost := after.For(core.EventSyscall).Lost - before.For(core.EventSyscall).Lost
	got := delivered.Load()
	note := fmt.Sprintf("%d records delivered, %d lost", got, lost)
	if got < uint64(2*n*runs) {
		return fmt.Errorf("events: %d records delivered, want at least %d", got, 2*n*runs)
	}
	add("events", "full passive syscall events into Go (decoded, counted)", times, note)
	decoy.release()
	decoy.wait()

	if straceN > 0 {
		if _, err := exec.LookPath("strace"); err != nil {
			return fmt.Errorf("strace: %w (apt-get install strace, or -strace-n 0)", err)
		}
		sw := workload{bin: bin, n: straceN}
		note := fmt.Sprintf("measured on %d calls, scaled ×%g", straceN, float64(n)/float64(straceN))
		for _, pinned := range []bool{false, true} {
			times, err = sw.repeatStrace(runs, pinned)
			if err != nil {
				return fmt.Errorf("strace: %w", err)
			}
			for i := range times {
				times[i] = times[i] * time.Duration(n) / time.Duration(straceN)
			}
			if pinned {
				add("strace-1cpu", "taskset -c 0 strace -f -o /dev/null: tracer and tracee on one CPU, strace's best case", times, note)
			} else {
				add("strace", "strace -f -o /dev/null (unpinned, as usually run)", times, note)
			}
		}
	}

	printTable(os.Stdout, n, runs, results, lost)
	return nil
}

// withFloor runs f with the empty programs attached.
func withFloor(f func() ([]time.Duration, error)) ([]time.Duration, error) {
	var objs floorObjects
	if err := loadFloorObjects(&objs, nil); err != nil {
		return nil, fmt.Errorf("loading floor programs: %w", err)
	}
	defer objs.Close()
	for _, p := range []*ebpf.Program{objs.FloorSysEnter, objs.FloorSysExit} {
		lk, err := link.AttachTracing(link.TracingOptions{Program: p, AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			return nil, fmt.Errorf("attaching floor program: %w", err)
		}
		defer lk.Close()
	}
	return f()
}

func printTable(out io.Writer, n, runs int, results []result, lost uint64) {
	get := func(name string) time.Duration {
		for _, r := range results {
			if r.name == name {
				return r.median
			}
		}
		return 0
	}
	bare, floor := get("bare"), get("floor")
	fmt.Fprintf(out, "%d getppid calls, median of %d runs, loop time as the workload measures it:\n\n", n, runs)
	fmt.Fprintln(out, "| setup | what | time | × bare | × floor | per call | notes |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(out, "| %s | %s | %.3f s | %.2f | %.2f | %.0f ns | %s |\n",
			r.name, r.what, r.median.Seconds(), ratio(r.median, bare), ratio(r.median, floor),
			float64(r.median.Nanoseconds())/float64(n), r.note)
	}
	fmt.Fprintln(out)
	kv := []string{
		fmt.Sprintf("notwatched_over_floor=%.3f", ratio(get("not-watched"), floor)),
		fmt.Sprintf("count_over_floor=%.3f", ratio(get("count"), floor)),
		fmt.Sprintf("events_over_floor=%.3f", ratio(get("events"), floor)),
		fmt.Sprintf("idle_over_bare=%.3f", ratio(get("idle"), bare)),
		fmt.Sprintf("floor_over_bare=%.3f", ratio(floor, bare)),
	}
	if s := get("strace"); s != 0 {
		kv = append(kv, fmt.Sprintf("strace_over_events=%.1f", ratio(s, get("events"))))
	}
	if s := get("strace-1cpu"); s != 0 {
		kv = append(kv, fmt.Sprintf("strace1cpu_over_events=%.1f", ratio(s, get("events"))))
	}
	kv = append(kv, fmt.Sprintf("events_lost=%d", lost))
	fmt.Fprintln(out, "ratios:", strings.Join(kv, " "))
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// workload runs the getppid program.
type workload struct {
	bin string
	n   int
}

type proc struct {
	cmd   *exec.Cmd
	pid   int
	stdin io.WriteCloser
	out   *bufio.Reader
}

// start starts the workload blocked before its loop.
func (w workload) start() (*proc, error) {
	p := &proc{cmd: exec.Command(w.bin, strconv.Itoa(w.n))}
	p.cmd.Stderr = os.Stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.out = bufio.NewReader(stdout)
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	p.pid = p.cmd.Process.Pid
	// Wait until it blocks in read(0, ...): start-up done.
	dir := procfs.Process(p.pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if sc, err := dir.Syscall(); err == nil && sc.Reads(0) {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			return nil, fmt.Errorf("workload %d did not block on stdin", p.pid)
		}
	}
}

func (p *proc) release() { p.stdin.Write([]byte{'g'}); p.stdin.Close() }

// wait returns the loop time the workload printed.
func (p *proc) wait() (time.Duration, error) {
	line, rerr := p.out.ReadString('\n')
	if err := p.cmd.Wait(); err != nil {
		return 0, fmt.Errorf("workload: %w", err)
	}
	if rerr != nil {
		return 0, fmt.Errorf("reading workload output: %w", rerr)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("workload printed %q", line)
	}
	return time.Duration(ns), nil
}

// repeat runs the workload runs times, calling watch with its pid before
// releasing it, if watch is not nil.
func (w workload) repeat(runs int, watch func(pid int) error) ([]time.Duration, error) {
	var times []time.Duration
	for range runs {
		p, err := w.start()
		if err != nil {
			return nil, err
		}
		if watch != nil {
			if err := watch(p.pid); err != nil {
				p.cmd.Process.Kill()
				p.cmd.Wait()
				return nil, err
			}
		}
		p.release()
		d, err := p.wait()
		if err != nil {
			return nil, err
		}
		times = append(times, d)
	}
	return times, nil
}

// repeatStrace runs the workload under strace -f -o /dev/null, pinned with
// strace to CPU 0 if pinned.
func (w workload) repeatStrace(runs int, pinned bool) ([]time.Duration, error) {
	args := []string{"strace", "-f", "-o", "/dev/null", w.bin, strconv.Itoa(w.n)}
	if pinned {
		args = append([]string{"taskset", "-c", "0"}, args...)
	}
	var times []time.Duration
	for range runs {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdin = strings.NewReader("g")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("strace: %w", err)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("workload under strace printed %q", out)
		}
		times = append(times, time.Duration(ns))
	}
	return times, nil
}
