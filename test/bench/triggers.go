package main

// The triggers section (-only triggers): what a BPF-triggered stop costs.
//
// The cost to calls that do not match, timing the getppid workload (N
// calls) in these setups:
//
//	bare          no syscall hook attached (the loader is loaded, idle:
//	              its syscall programs are attached lazily)
//	tp-floor      empty tracepoint programs on syscalls/sys_enter_openat and
//	              sys_exit_openat: what any per-syscall tracepoint costs the
//	              other system calls (the kernel's slow syscall path)
//	trigger       the workload has a trigger on openat (path prefix
//	              /etc/host); it is not seized, and makes no openat call:
//	              only the per-syscall openat tracepoints are attached
//	other-trigger another process has that trigger, the workload none
//	raw-hooks     the trigger, plus the loader's raw_syscalls programs
//	              attached for another process's passive syscall events:
//	              what evaluating triggers there would cost at least
//
// The cost to calls of the triggered-on number that do not match: opener
// making 200000 openat("/etc/passwd") calls (each followed by a line
// written to a pipe), bare, with the empty tracepoint programs, and with
// the trigger on /etc/host (the path read at entry, compared at exit).
//
// The setups run in rounds (-runs of them), one run of each setup per
// round, so that whatever else the machine does falls on all of them; the
// tables show the median and the minimum of each.
//
// And the cost of a matching call: a process that is not seized opens a
// matching path K times (-stops); each time the kernel stops it, the bench
// waits for the stop (waitid WSTOPPED), takes the trigger (TakeTrigger, a
// hit, timed), calls TakeTrigger again (a miss, timed) and continues it
// with SIGCONT. The round trip is the time per matching call.
//
//	go run ./test/bench -only triggers

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

const trigNrOpenat = 257

// trigStops is the number of matching calls the stop loop serves.
var trigStops = flag.Int("stops", 2000, "triggers section: matching calls (stops) to time")

var trigOpenat = core.Trigger{Nr: trigNrOpenat, PathPrefix: "/etc/host"}

// trigSetup is one setup of the triggers section: prepare before a run
// (given the workload's pid) and undo after.
type trigSetup struct {
	name, what string
	prepare    func(pid int) error
	undo       func() error
	times      []time.Duration
}

func (s *trigSetup) median() time.Duration { return median(s.times) }
func (s *trigSetup) min() time.Duration    { return slices.Min(s.times) }

// rounds runs every setup once per round, runs rounds, with run doing one
// run of the workload.
func rounds(setups []*trigSetup, runs int, run func(prepare func(pid int) error) (time.Duration, error)) error {
	for r := range runs {
		for _, s := range setups {
			d, err := run(s.prepare)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if s.undo != nil {
				if err := s.undo(); err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
			}
			s.times = append(s.times, d)
		}
		fmt.Fprintf(os.Stderr, "round %d/%d done\n", r+1, runs)
	}
	for _, s := range setups {
		fmt.Fprintf(os.Stderr, "%-13s median %v min %v  (runs: %v)\n", s.name, s.median(), s.min(), s.times)
	}
	return nil
}

func triggers(n, runs, stops int) error {
	dir, bin, err := getppidSetup()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opener, err := progs.BuildIn(dir, "opener")
	if err != nil {
		return err
	}

	l, err := loader.Load(nil)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Start(func(*core.Event) {}); err != nil {
		return err
	}
	var floor floorObjects
	if err := loadFloorObjects(&floor, nil); err != nil {
		return fmt.Errorf("loading floor programs: %w", err)
	}
	defer floor.Close()

	// A process that stays blocked, to hold the other setups' watches.
	decoyW := workload{bin: bin, n: 0}
	decoy, err := decoyW.start()
	if err != nil {
		return err
	}
	defer func() {
		decoy.release()
		decoy.wait()
	}()

	var floorLinks []link.Link
	attachFloor := func(int) error {
		for _, tp := range []string{"sys_enter_openat", "sys_exit_openat"} {
			lk, err := link.Tracepoint("syscalls", tp, floor.FloorSyscallTp, nil)
			if err != nil {
				return fmt.Errorf("attaching floor program to %s: %w", tp, err)
			}
			floorLinks = append(floorLinks, lk)
		}
		return nil
	}
	detachFloor := func() error {
		var errs []error
		for _, lk := range floorLinks {
			errs = append(errs, lk.Close())
		}
		floorLinks = nil
		return errors.Join(errs...)
	}
	setTrigger := func(pid int) error {
		return l.SetWatch(pid, core.Watch{Triggers: []core.Trigger{trigOpenat}})
	}
	clearDecoy := func() error { return l.SetWatch(decoy.pid, core.Watch{}) }
	noHooks := func(int) error {
		// The hooks of the last run's workload go once its REAP record
		// has been read.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			h := l.TriggerHooks()
			sys, _ := l.Attached()
			if len(h) == 0 && !sys {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("hooks still attached: triggers %v, raw syscall programs %v", h, sys)
			}
		}
	}

	getppid := []*trigSetup{
		{name: "bare", what: "no syscall hook (the loader loaded, idle)", prepare: noHooks},
		{name: "tp-floor", what: "empty tracepoint programs on syscalls/sys_{enter,exit}_openat", prepare: attachFloor, undo: detachFloor},
		{name: "trigger", what: "the workload has a trigger on openat (not seized, nothing matches)", prepare: func(pid int) error {
			if err := setTrigger(pid); err != nil {
				return err
			}
			if sys, _ := l.Attached(); sys {
				return errors.New("raw syscall programs attached for a trigger")
			}
			if h := l.TriggerHooks(); len(h) != 1 || h[0].Nr != trigNrOpenat || !h[0].Entry {
				return fmt.Errorf("trigger hooks %v", h)
			}
			return nil
		}},
		{name: "other-trigger", what: "another process has the trigger, the workload none", prepare: func(int) error {
			return setTrigger(decoy.pid)
		}, undo: clearDecoy},
		{name: "raw-hooks", what: "the trigger, with the raw_syscalls programs attached for another process", prepare: func(pid int) error {
			if err := l.SetWatch(decoy.pid, core.Watch{Events: core.EventSyscall}); err != nil {
				return err
			}
			return setTrigger(pid)
		}, undo: clearDecoy},
	}
	w := workload{bin: bin, n: n}
	err = rounds(getppid, runs, func(prepare func(int) error) (time.Duration, error) {
		t, err := w.repeat(1, prepare)
		if err != nil {
			return 0, err
		}
		return t[0], nil
	})
	if err != nil {
		return err
	}

	const opens = 200_000
	openat := []*trigSetup{
		{name: "bare", what: "no syscall hook (the loader loaded, idle)", prepare: noHooks},
		{name: "tp-floor", what: "empty tracepoint programs on syscalls/sys_{enter,exit}_openat", prepare: attachFloor, undo: detachFloor},
		{name: "trigger", what: "the workload has the trigger; no call matches (path read at entry, compared at exit)", prepare: setTrigger},
	}
	err = rounds(openat, runs, func(prepare func(int) error) (time.Duration, error) {
		return runOpener(opener, opens, prepare)
	})
	if err != nil {
		return err
	}
	if s, err := l.Stats(); err != nil || s.Triggers.Fired != 0 {
		return fmt.Errorf("triggers fired on calls that do not match: %+v %v", s.Triggers, err)
	}

	st, err := stopLoop(l, opener, stops)
	if err != nil {
		return fmt.Errorf("stops: %w", err)
	}

	out := os.Stdout
	table := func(setups []*trigSetup, calls int) {
		bare := setups[0]
		fmt.Fprintln(out, "| setup | what | median | × bare | min | × bare (min) | per call (median) |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
		for _, s := range setups {
			fmt.Fprintf(out, "| %s | %s | %.3f s | %.2f | %.3f s | %.2f | %.0f ns |\n",
				s.name, s.what, s.median().Seconds(), ratio(s.median(), bare.median()),
				s.min().Seconds(), ratio(s.min(), bare.min()), float64(s.median().Nanoseconds())/float64(calls))
		}
	}
	fmt.Fprintf(out, "%d getppid calls, %d rounds, loop time as the workload measures it:\n\n", n, runs)
	table(getppid, n)
	fmt.Fprintf(out, "\n%d openat(\"/etc/passwd\") calls (with a line written after each), %d rounds, wall time from the go byte to exit:\n\n", opens, runs)
	table(openat, opens)
	fmt.Fprintf(out, "\nmatching calls (%d stops of a process not seized): round trip %v per stop (SIGSTOP, waitid, TakeTrigger, SIGCONT); TakeTrigger hit %v, miss %v (medians)\n",
		stops, st.round, st.hit, st.miss)
	r := func(s []*trigSetup, i int) float64 { return ratio(s[i].median(), s[0].median()) }
	rm := func(s []*trigSetup, i int) float64 { return ratio(s[i].min(), s[0].min()) }
	fmt.Fprintln(out, "\nratios (median; min):", strings.Join([]string{
		fmt.Sprintf("trigger_over_bare=%.3f;%.3f", r(getppid, 2), rm(getppid, 2)),
		fmt.Sprintf("tpfloor_over_bare=%.3f;%.3f", r(getppid, 1), rm(getppid, 1)),
		fmt.Sprintf("othertrigger_over_bare=%.3f;%.3f", r(getppid, 3), rm(getppid, 3)),
		fmt.Sprintf("rawhooks_over_bare=%.3f;%.3f", r(getppid, 4), rm(getppid, 4)),
		fmt.Sprintf("openat_trigger_over_bare=%.3f;%.3f", r(openat, 2), rm(openat, 2)),
		fmt.Sprintf("openat_tpfloor_over_bare=%.3f;%.3f", r(openat, 1), rm(openat, 1)),
		fmt.Sprintf("stop_round_trip_us=%.1f", float64(st.round.Nanoseconds())/1e3),
		fmt.Sprintf("take_hit_us=%.1f", float64(st.hit.Nanoseconds())/1e3),
		fmt.Sprintf("take_miss_us=%.1f", float64(st.miss.Nanoseconds())/1e3),
	}, " "))
	return nil
}

type stopTimes struct{ round, hit, miss time.Duration }

// stopLoop runs opener with k matching opens under the trigger and serves
// each stop as described in the section's doc.
func stopLoop(l *loader.Loader, opener string, k int) (stopTimes, error) {
	var st stopTimes
	cmd, stdin, err := startOpener(opener, strconv.Itoa(k), "0", "/etc/hosts")
	if err != nil {
		return st, err
	}
	pid := cmd.Process.Pid
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	if err := l.SetWatch(pid, core.Watch{Triggers: []core.Trigger{trigOpenat}}); err != nil {
		return st, err
	}
	stdin.Write([]byte{'g'})
	stdin.Close()

	var rounds, hits, misses []time.Duration
	last := time.Now()
	for i := range k {
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return st, fmt.Errorf("waitid: %w", err)
			}
			break
		}
		t0 := time.Now()
		ev, ok := l.TakeTrigger(pid)
		t1 := time.Now()
		if !ok || ev.Syscall.Path != "/etc/hosts" || ev.Syscall.Ret < 0 {
			return st, fmt.Errorf("stop %d: TakeTrigger gave %+v, %v", i, ev, ok)
		}
		if _, ok := l.TakeTrigger(pid); ok {
			return st, fmt.Errorf("stop %d: taken twice", i)
		}
		t2 := time.Now()
		if err := unix.Kill(pid, unix.SIGCONT); err != nil {
			return st, err
		}
		hits = append(hits, t1.Sub(t0))
		misses = append(misses, t2.Sub(t1))
		rounds = append(rounds, t0.Sub(last))
		last = t0
	}
	if err := cmd.Wait(); err != nil {
		return st, fmt.Errorf("opener: %w", err)
	}
	// The first round includes start-up; leave it out.
	if len(rounds) > 1 {
		rounds = rounds[1:]
	}
	return stopTimes{round: median(rounds), hit: median(hits), miss: median(misses)}, nil
}

// startOpener starts opener with args, blocked before its workload, its
// output discarded.
func startOpener(opener string, args ...string) (*exec.Cmd, io.WriteCloser, error) {
	cmd := exec.Command(opener, args...)
	cmd.Stderr = os.Stderr
	cmd.Stdout = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	dir := procfs.Process(cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if sc, err := dir.Syscall(); err == nil && sc.Reads(0) {
			return cmd, stdin, nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, nil, fmt.Errorf("opener %d did not block on stdin", cmd.Process.Pid)
		}
	}
}

// runOpener times opener opening /etc/passwd n times, from the go byte to
// its exit, calling prepare with its pid first.
func runOpener(opener string, n int, prepare func(pid int) error) (time.Duration, error) {
	cmd, stdin, err := startOpener(opener, strconv.Itoa(n), "0", "/etc/passwd")
	if err != nil {
		return 0, err
	}
	if prepare != nil {
		if err := prepare(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return 0, err
		}
	}
	t0 := time.Now()
	stdin.Write([]byte{'g'})
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("opener: %w", err)
	}
	return time.Since(t0), nil
}
