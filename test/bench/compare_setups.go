package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/loader"
)

// rawptraceBin is test/progs/c/rawptrace.c, built by runCompare.
var rawptraceBin string

// cmpSetups lists the setups in table order: the cheap tiers and what they
// compete with, then the ptrace ones.
func cmpSetups() []*cmpSetup {
	getppid := []string{"getppid"}
	return []*cmpSetup{
		{name: "bare", what: "nothing loaded", run: bareRun},
		{name: "floor", what: "empty BPF programs on the raw sys_enter + sys_exit tracepoints: what any all-syscall hook costs",
			run: floorRun},
		{name: "not-watched", ours: true, run: notWatchedRun(0),
			what: "utrace-bpf: tracer loaded, its syscall programs attached (another process is watched), this workload not watched"},
		{name: "not-watched-20-targets", ours: true, run: notWatchedRun(20),
			what: "not-watched, with 20 target rules armed that the workload's processes do not match (each exec and fork is matched against them in the kernel)"},

		{name: "counter", ours: true, run: cliRun("-e", "counter"), events: "records",
			what: "`utrace-bpf run -e counter`: strace -c's table, counted in the kernel"},
		{name: "bpftrace", avail: needTracing("bpftrace"), run: bpftraceRun(bpftraceCount),
			what: "bpftrace: count syscalls by number for the workload's processes (sys_enter)"},
		{name: "bpftrace-time", avail: needTracing("bpftrace"), run: bpftraceRun(bpftraceCountTime),
			what: "bpftrace: count and time syscalls by number (sys_enter + sys_exit), what counter and strace -c do"},
		{name: "strace-c", heavy: true, avail: need("strace"), run: straceRun(false, "-f", "-c", "-o", "@out"),
			what: "`strace -f -c`"},
		{name: "strace-c-1cpu", heavy: true, only: getppid, avail: need("strace"), run: straceRun(true, "-f", "-c", "-o", "@out"),
			what: "`taskset -c 0 strace -f -c`"},
		{name: "perf-trace-s", perCall: 1, heavy: true, avail: needTracing("perf"), run: perfRun("-s"),
			what: "`perf trace -s`: syscall summary"},

		// One record per call: the exit record carries the number, the
		// arguments and the memory copied at entry and exit
		// (core.Watch.ExitEntriesOnly, Capture).
		{name: "syscalls", perCall: 1, ours: true, run: cliRun("-e", "syscalls", "--format", "json", "-o", "@out"), events: "records",
			what: "`utrace-bpf run -e syscalls --format json -o FILE`: full passive syscall log (one record per call, with the data it prints)"},
		{name: "syscalls-text", perCall: 1, ours: true, run: cliRun("-e", "syscalls", "-o", "@out"), events: "records",
			what: "`utrace-bpf run -e syscalls -o FILE`: the same log in strace's text (the default config)"},
		{name: "strace", heavy: true, avail: need("strace"), run: straceRun(false, "-f", "-o", "/dev/null"),
			what: "`strace -f -o /dev/null`"},
		{name: "strace-1cpu", heavy: true, only: getppid, avail: need("strace"), run: straceRun(true, "-f", "-o", "/dev/null"),
			what: "`taskset -c 0 strace -f -o /dev/null`: tracer and tracee on one CPU, strace's best case here"},
		// strace's command line, both tools, with timing and descriptor
		// paths: the log people ask strace for when they debug I/O.
		{name: "strace-cli-T-y", perCall: 1, ours: true, run: straceCLIRun(false, "-f", "-T", "-y", "-o", "@out"), events: "records",
			what: "`utrace-bpf strace -f -T -y -o FILE`: strace's command line and lines, each descriptor named by the kernel"},
		{name: "strace-cli-T-y-1cpu", perCall: 1, ours: true, run: straceCLIRun(true, "-f", "-T", "-y", "-o", "@out"), events: "records",
			what: "`taskset -c 0 utrace-bpf strace -f -T -y -o FILE`"},
		{name: "strace-T-y", heavy: true, avail: need("strace"), run: straceRun(false, "-f", "-T", "-y", "-o", "/dev/null"),
			what: "`strace -f -T -y -o /dev/null`"},
		{name: "strace-T-y-1cpu", heavy: true, avail: need("strace"), run: straceRun(true, "-f", "-T", "-y", "-o", "/dev/null"),
			what: "`taskset -c 0 strace -f -T -y -o /dev/null`"},
		{name: "perf-trace", perCall: 1, heavy: true, avail: needTracing("perf"), run: perfRun(),
			what: "`perf trace -o FILE`: full syscall log"},

		{name: "inject-run", heavy: true, ours: true, run: cliRun("-e", injectSpec), events: "records",
			what: "`utrace-bpf run -e " + injectSpec + "`: selective stop through a seccomp RET_TRACE filter (openat only)"},
		{name: "strace-seccomp", heavy: true, avail: need("strace"), run: straceRun(false, "--seccomp-bpf", "-f", "-e", "trace=openat", "-o", "/dev/null"),
			what: "`strace --seccomp-bpf -f -e trace=openat -o /dev/null`"},
		{name: "inject-attach", heavy: true, ours: true, run: cliAttachRun("-e", injectSpec+injectAttachOpts), events: "records",
			what: "`utrace-bpf attach -p PID -e " + injectSpec + injectAttachOpts + "`: selective stop of a running process, " + injectAttachHow},

		{name: "sync", perCall: 2, heavy: true, ours: true, run: syncRun(false), events: "reports",
			what: "utrace-bpf Go API: an engine with SetSync(EventSyscall) on a launched process: a ptrace stop at every syscall entry and exit"},
		{name: "rawptrace", perCall: 2, heavy: true, run: rawptraceRun(false), events: "stops",
			what: "minimal C PTRACE_SYSCALL loop (test/progs/c/rawptrace.c): the ptrace round-trip floor"},
		{name: "sync-1cpu", perCall: 2, heavy: true, ours: true, only: getppid, run: syncRun(true), events: "reports",
			what: "sync under `taskset -c 0`: tracer and tracee on one CPU"},
		{name: "rawptrace-1cpu", perCall: 2, heavy: true, only: getppid, run: rawptraceRun(true), events: "stops",
			what: "rawptrace under `taskset -c 0`"},
	}
}

func need(tool string) func(*cmpRun) string {
	return func(*cmpRun) string {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " not installed"
		}
		return ""
	}
}

// needTracing is need plus a mounted tracefs.
func needTracing(tool string) func(*cmpRun) string {
	return func(c *cmpRun) string {
		if why := need(tool)(c); why != "" {
			return why
		}
		return c.tracefs
	}
}

// ensureTracefs makes sure the tracepoint formats bpftrace and perf trace
// read are there, mounting tracefs if allowed; it returns why not, or "".
func ensureTracefs(mount bool, notes *[]string) string {
	for _, d := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(filepath.Join(d, "events", "raw_syscalls")); err == nil {
			return ""
		}
	}
	if !mount {
		return "tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"
	}
	if err := unix.Mount("nodev", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil {
		return "tracefs not mounted and mounting it failed: " + err.Error()
	}
	*notes = append(*notes, "tracefs was not mounted; the harness mounted it on /sys/kernel/tracing (bpftrace and perf trace read tracepoint formats there).")
	return ""
}

// runTimeout bounds every run: a hung tracer fails its row, not the machine.
const runTimeout = 5 * time.Minute

// launched runs argv (a tracer command ending in the workload, or the
// workload) with the go byte on its standard input and returns the loop
// time the workload printed on standard output, and standard error.
func launched(argv []string, env []string) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader("g")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if err != nil {
		return 0, stderr.String(), fmt.Errorf("%s: %v: %s", argv[0], err, lastLines(stderr.String(), 3))
	}
	d, err := loopTime(stdout.String())
	return d, stderr.String(), err
}

// loopTime parses the workload's output: its first field is nanoseconds.
func loopTime(out string) (time.Duration, error) {
	f := strings.Fields(out)
	if len(f) == 0 {
		return 0, errors.New("the workload printed nothing")
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the workload printed %q", firstLine(out))
	}
	return time.Duration(ns), nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " / ")
}

func bareRun(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
	d, _, err := launched(w.argv(size), nil)
	return sample{d: d, delivered: -1, lost: -1, counted: -1}, err
}

// blocked is a workload started and waiting for its go byte.
type blocked struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
}

func startBlocked(argv []string) (*blocked, error) {
	b := &blocked{cmd: exec.Command(argv[0], argv[1:]...)}
	b.cmd.Stdout = &b.out
	b.cmd.Stderr = os.Stderr
	var err error
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	// Blocked in read(0, ...): start-up is done.
	dir := procfs.Process(b.cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if sc, err := dir.Syscall(); err == nil && sc.Reads(0) {
			return b, nil
		}
		if time.Now().After(deadline) {
			b.kill()
			return nil, fmt.Errorf("workload %d did not block on stdin", b.cmd.Process.Pid)
		}
	}
}

func (b *blocked) pid() int { return b.cmd.Process.Pid }

func (b *blocked) kill() {
	b.cmd.Process.Kill()
	b.cmd.Wait()
}

// release lets it run and returns its loop time once it has exited.
func (b *blocked) release() (time.Duration, error) {
	if _, err := b.stdin.Write([]byte{'g'}); err != nil {
		b.kill()
		return 0, err
	}
	b.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return 0, fmt.Errorf("workload: %w", err)
		}
	case <-time.After(runTimeout):
		b.kill()
		return 0, errors.New("workload timed out")
	}
	return loopTime(b.out.String())
}

// floorRun attaches empty programs to the raw syscall tracepoints.
func floorRun(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
	var objs floorObjects
	if err := loadFloorObjects(&objs, nil); err != nil {
		return sample{}, fmt.Errorf("loading floor programs: %w", err)
	}
	defer objs.Close()
	for _, p := range []*ebpf.Program{objs.FloorSysEnter, objs.FloorSysExit} {
		lk, err := link.AttachTracing(link.TracingOptions{Program: p, AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			return sample{}, fmt.Errorf("attaching floor program: %w", err)
		}
		defer lk.Close()
	}
	return bareRun(c, w, size)
}

// notWatchedRun loads utrace-bpf's loader and keeps its syscall programs
// attached by watching a decoy that blocks, arms rules target rules that
// select nothing of the workload (monitor mode's), then runs the workload.
func notWatchedRun(rules int) func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		return notWatched(c, w, size, rules)
	}
}

func notWatched(c *cmpRun, w *cmpWorkload, size, rules int) (sample, error) {
	l, err := loader.Load(nil)
	if err != nil {
		return sample{}, err
	}
	defer l.Close()
	if err := l.Start(func(*core.Event) {}); err != nil {
		return sample{}, err
	}
	decoy, err := startBlocked([]string{c.decoy, "1"})
	if err != nil {
		return sample{}, err
	}
	defer decoy.release()
	if err := l.SetWatch(decoy.pid(), core.Watch{Events: core.EventSyscall}); err != nil {
		return sample{}, err
	}
	if rules > 0 {
		// Rules of every kind, each failing on its last test (the comm
		// pattern, evaluated last), so every rule is tried in full.
		ts := make([]loader.Target, rules)
		for i := range ts {
			ts[i] = loader.Target{Comm: fmt.Sprintf("nomatch-%d-*", i), Exe: "*", UID: -1, GID: -1, Follow: true}
		}
		if err := l.SetTargets(ts, core.Watch{Events: core.EventSyscall | core.EventExec | core.EventDeath, Follow: true}); err != nil {
			return sample{}, err
		}
	}
	before, err := l.Stats()
	if err != nil {
		return sample{}, err
	}
	s, err := bareRun(c, w, size)
	if err != nil {
		return s, err
	}
	after, err := l.Stats()
	if err != nil {
		return s, err
	}
	all := core.EventAll
	s.delivered = int64(after.For(all).Delivered - before.For(all).Delivered)
	s.lost = int64(after.For(all).Lost - before.For(all).Lost)
	return s, nil
}

var (
	summaryRE = regexp.MustCompile(`events delivered (\d+), lost (\d+)`)
	// strace -c's and counter's table: "100.00 0.168227 0 1000037 1 total".
	totalRE = regexp.MustCompile(`(?m)^\s*100\.00\s+[0-9.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total\s*$`)
)

// parseSummary fills delivered and lost from utrace-bpf's summary line.
func parseSummary(s *sample, text string) error {
	m := summaryRE.FindAllStringSubmatch(text, -1)
	if m == nil {
		return fmt.Errorf("no summary line (events delivered N, lost M) in utrace-bpf's output: %s", lastLines(text, 3))
	}
	last := m[len(m)-1]
	s.delivered, _ = strconv.ParseInt(last[1], 10, 64)
	s.lost, _ = strconv.ParseInt(last[2], 10, 64)
	return nil
}

// counted is the calls total of an strace -c style table, or -1.
func counted(text string) int64 {
	m := totalRE.FindAllStringSubmatch(text, -1)
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(m[len(m)-1][1], 10, 64)
	return n
}

// outFile is the file "@out" in an argument list stands for.
func (c *cmpRun) outFile() string { return filepath.Join(c.dir, "out") }

func (c *cmpRun) expand(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "@out" {
			a = c.outFile()
		}
		out[i] = a
	}
	return out
}

// readOut returns the tail of the output file and how many lines it has,
// and removes it.
func (c *cmpRun) readOut() (tail string, lines int64, err error) {
	f, err := os.Open(c.outFile())
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(c.outFile())
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var last []string
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			lines++
			last = append(last, line)
			if len(last) > 64 {
				last = last[1:]
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	return strings.Join(last, ""), lines, nil
}

// cliRun runs the workload under "utrace-bpf run ARGS --".
func cliRun(args ...string) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		argv := append(append([]string{c.cli, "run"}, c.expand(args)...), "--")
		argv = c.profileArgv(c.current, append(argv, w.argv(size)...))
		d, stderr, err := launched(argv, nil)
		s := sample{d: d, delivered: -1, lost: -1, counted: -1}
		if err != nil {
			return s, err
		}
		if argv[0] == "perf" {
			c.profiled = w.name
			s.note = "under perf record -g (-profile)"
		}
		text := stderr
		if strings.Contains(strings.Join(args, " "), "@out") {
			tail, _, err := c.readOut()
			if err != nil {
				return s, err
			}
			text += tail
		}
		if s.counted = counted(text); s.counted >= 0 {
			s.note = fmt.Sprintf("%d calls counted in the kernel", s.counted)
		}
		return s, parseSummary(&s, text)
	}
}

// straceCLIRun runs the workload under "utrace-bpf strace ARGS" (pinned:
// with tracer and workload on CPU 0, as the pinned strace rows).
func straceCLIRun(pinned bool, args ...string) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		argv := append(append([]string{c.cli, "strace"}, c.expand(args)...), "--")
		if pinned {
			argv = append([]string{"taskset", "-c", "0"}, argv...)
		}
		d, stderr, err := launched(append(argv, w.argv(size)...), nil)
		s := sample{d: d, delivered: -1, lost: -1, counted: -1}
		if err != nil {
			return s, err
		}
		tail, _, err := c.readOut()
		if err != nil {
			return s, err
		}
		return s, parseSummary(&s, stderr+tail)
	}
}

// statusThread is the part of "utrace-bpf status --json" the harness reads.
type statusThread struct {
	Pid     int `json:"pid"`
	Threads []struct {
		Pid     int `json:"pid"`
		Engines []struct {
			Tier string `json:"tier"`
		} `json:"engines"`
	} `json:"threads"`
}

// cliAttachRun starts the workload blocked, attaches "utrace-bpf attach -p
// PID ARGS" to it, waits until the status shows the engines on it, and
// releases it; utrace-bpf exits when the workload has.
func cliAttachRun(args ...string) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		s := sample{delivered: -1, lost: -1, counted: -1}
		b, err := startBlocked(w.argv(size))
		if err != nil {
			return s, err
		}
		argv := append([]string{c.cli, "attach", "-p", strconv.Itoa(b.pid())}, args...)
		tr := exec.Command(argv[0], argv[1:]...)
		var stderr bytes.Buffer
		tr.Stderr = &stderr
		if err := tr.Start(); err != nil {
			b.kill()
			return s, err
		}
		trDone := make(chan error, 1)
		go func() { trDone <- tr.Wait() }()
		fail := func(err error) (sample, error) {
			tr.Process.Signal(syscall.SIGTERM)
			b.kill()
			<-trDone
			return s, fmt.Errorf("%w: %s", err, lastLines(stderr.String(), 3))
		}
		if err := waitAttached(c.cli, tr.Process.Pid, b.pid(), trDone); err != nil {
			return fail(err)
		}
		if s.d, err = b.release(); err != nil {
			return fail(err)
		}
		select {
		case err := <-trDone:
			if err != nil {
				return s, fmt.Errorf("utrace-bpf attach: %v: %s", err, lastLines(stderr.String(), 3))
			}
		case <-time.After(30 * time.Second):
			tr.Process.Signal(syscall.SIGTERM)
			<-trDone
		}
		return s, parseSummary(&s, stderr.String())
	}
}

// waitAttached polls "utrace-bpf status --json" until instance inst shows
// engines on process pid, then gives the engines a moment to set their
// events (the status shows a thread as soon as an engine is attached).
func waitAttached(cli string, inst, pid int, done <-chan error) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("utrace-bpf attach exited before attaching (%v)", err)
		default:
		}
		out, _ := exec.Command(cli, "status", "--json").Output()
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var st statusThread
			if dec.Decode(&st) != nil {
				break
			}
			if st.Pid != inst {
				continue
			}
			for _, th := range st.Threads {
				if th.Pid == pid && len(th.Engines) > 0 {
					time.Sleep(200 * time.Millisecond)
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return errors.New("utrace-bpf status never showed the workload attached")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// straceRun runs the workload under strace ARGS, pinned to CPU 0 if pinned.
func straceRun(pinned bool, args ...string) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		argv := append([]string{"strace"}, c.expand(args)...)
		if pinned {
			argv = append([]string{"taskset", "-c", "0"}, argv...)
		}
		d, _, err := launched(append(argv, w.argv(size)...), nil)
		s := sample{d: d, delivered: -1, lost: -1, counted: -1}
		if err != nil {
			return s, err
		}
		if strings.Contains(strings.Join(args, " "), "@out") {
			tail, _, err := c.readOut()
			if err != nil {
				return s, err
			}
			if s.counted = counted(tail); s.counted >= 0 {
				s.note = fmt.Sprintf("%d calls counted", s.counted)
			}
		}
		return s, nil
	}
}

// perfRun runs the workload under "perf trace ARGS -o FILE".
func perfRun(args ...string) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		argv := append(append([]string{"perf", "trace"}, args...), "-o", c.outFile(), "--")
		d, _, err := launched(append(argv, w.argv(size)...), nil)
		s := sample{d: d, delivered: -1, lost: -1, counted: -1}
		if err != nil {
			return s, err
		}
		tail, lines, err := c.readOut()
		if err != nil {
			return s, err
		}
		s.lost = 0
		for _, m := range perfLostRE.FindAllStringSubmatch(tail, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			s.lost += n
		}
		if len(args) > 0 { // -s: "getppid (1234), 2000076 events, 100.0%"
			var n int64
			for _, m := range perfEventsRE.FindAllStringSubmatch(tail, -1) {
				v, _ := strconv.ParseInt(m[1], 10, 64)
				n += v
			}
			s.delivered = n
		} else {
			s.delivered = lines
		}
		return s, nil
	}
}

var (
	perfLostRE   = regexp.MustCompile(`LOST (\d+) events`)
	perfEventsRE = regexp.MustCompile(`\(\d+\), (\d+) events`)
)

// bpftrace scripts: $1 is the workload's pid; children are followed
// through sched_process_fork (in which pid is the parent's).
const (
	bpftraceFollow = `BEGIN { @track[$1] = 1; printf("ready\n"); }
tracepoint:sched:sched_process_fork /@track[pid]/ { @track[args->child_pid] = 1; }
`
	bpftraceCount = bpftraceFollow + `tracepoint:raw_syscalls:sys_enter /@track[pid]/ { @calls[args->id] = count(); }
END { clear(@track); }
`
	bpftraceCountTime = bpftraceFollow + `tracepoint:raw_syscalls:sys_enter /@track[pid]/ { @start[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /@start[tid]/ { @calls[args->id] = count(); @ns[args->id] = sum(nsecs - @start[tid]); delete(@start[tid]); }
END { clear(@track); clear(@start); }
`
)

var bpftraceCallsRE = regexp.MustCompile(`(?m)^@calls\[\d+\]: (\d+)$`)

// bpftraceRun starts bpftrace on the blocked workload, releases it once
// bpftrace says ready, and stops bpftrace with SIGINT when it is done.
func bpftraceRun(script string) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		s := sample{delivered: -1, lost: -1, counted: -1}
		b, err := startBlocked(w.argv(size))
		if err != nil {
			return s, err
		}
		bt := exec.Command("bpftrace", "-e", script, strconv.Itoa(b.pid()))
		var stderr bytes.Buffer
		bt.Stderr = &stderr
		stdout, err := bt.StdoutPipe()
		if err != nil {
			b.kill()
			return s, err
		}
		if err := bt.Start(); err != nil {
			b.kill()
			return s, err
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var out strings.Builder
		fail := func(err error) (sample, error) {
			bt.Process.Kill()
			b.kill()
			for range lines {
			}
			bt.Wait()
			return s, fmt.Errorf("bpftrace: %v: %s", err, lastLines(stderr.String(), 3))
		}
		timeout := time.After(60 * time.Second)
	ready:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return fail(errors.New("exited before it was ready"))
				}
				if l == "ready" {
					break ready
				}
			case <-timeout:
				return fail(errors.New("not ready after 60 s"))
			}
		}
		if s.d, err = b.release(); err != nil {
			return fail(err)
		}
		// bpftrace can miss a SIGINT that comes just before it waits for
		// events (seen with 0.17): repeat it until bpftrace has printed
		// its maps and exited.
		collected := make(chan struct{})
		go func() {
			for l := range lines {
				out.WriteString(l + "\n")
			}
			close(collected)
		}()
		for i := 0; ; i++ {
			if i == 30 {
				bt.Process.Kill()
				<-collected
				break
			}
			bt.Process.Signal(syscall.SIGINT)
			select {
			case <-collected:
			case <-time.After(time.Second):
				continue
			}
			break
		}
		if err := bt.Wait(); err != nil {
			return s, fmt.Errorf("bpftrace: %v: %s", err, lastLines(stderr.String(), 3))
		}
		var n int64
		for _, m := range bpftraceCallsRE.FindAllStringSubmatch(out.String(), -1) {
			v, _ := strconv.ParseInt(m[1], 10, 64)
			n += v
		}
		s.note = fmt.Sprintf("%d calls counted", n)
		s.counted = n
		if n == 0 {
			return s, errors.New("bpftrace counted no calls")
		}
		return s, nil
	}
}

// rawptraceRun runs the workload under the minimal C ptrace loop.
func rawptraceRun(pinned bool) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		argv := []string{rawptraceBin}
		if pinned {
			argv = append([]string{"taskset", "-c", "0"}, argv...)
		}
		d, stderr, err := launched(append(argv, w.argv(size)...), nil)
		s := sample{d: d, delivered: -1, lost: 0, counted: -1}
		if err != nil {
			return s, err
		}
		if m := rawStopsRE.FindStringSubmatch(stderr); m != nil {
			s.delivered, _ = strconv.ParseInt(m[1], 10, 64)
		}
		return s, nil
	}
}

var rawStopsRE = regexp.MustCompile(`rawptrace: (\d+) syscall stops`)
