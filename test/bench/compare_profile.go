package main

import (
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// With -profile, the syscalls setup (the full passive log) runs under
// "perf record -g" (its times then include perf's own cost, and the row
// says so), and the report ends with where the CPU time of the last run
// went, in the workload and in utrace-bpf.
var compareProfile = flag.String("profile", "", "compare: record the syscalls setup with perf record -g into this file and add a breakdown to the report")

// profileCategory sorts a sample's symbol into a line of the breakdown.
type profileCategory struct {
	tracee bool // the workload's side, else utrace-bpf's
	name   string
	match  func(dso, sym string) bool
}

func has(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

var profileCategories = []profileCategory{
	{true, "ring-buffer wake-up: bpf_ringbuf_submit → irq_work → self-IPI (native_write_msr, a VM exit here)",
		func(dso, sym string) bool { return has(sym, "native_write_msr", "irq_work", "apic") }},
	{true, "BPF programs on sys_enter/sys_exit: flags, record, timestamp, ring-buffer reserve/submit",
		func(dso, sym string) bool {
			return has(sym, "bpf_", "read_tsc", "ktime_get", "__task_pid_nr_ns", "__bpf_trace") || has(dso, "bpf_prog")
		}},
	{true, "the system call, its entry and exit, the loop", func(string, string) bool { return true }},
	{false, "start-up: loading and attaching the BPF programs (BTF lookups)",
		func(dso, sym string) bool { return has(sym, "btf_", "strcmp", "bpf_check", "do_check") }},
	{false, "Go runtime: garbage collection, allocation, scheduling, locks",
		func(dso, sym string) bool {
			return strings.HasPrefix(sym, "runtime.") || has(sym, "sync.", "sync/atomic")
		}},
	{false, "reading and decoding records (cilium/ebpf ringbuf, loader)",
		func(dso, sym string) bool { return has(sym, "cilium/ebpf", "utrace-bpf/loader") }},
	{false, "dispatch to engines (core)", func(dso, sym string) bool { return has(sym, "utrace-bpf/core") }},
	{false, "formatting JSON and buffering output (engines, strconv)",
		func(dso, sym string) bool { return has(sym, "utrace-bpf/engines", "strconv", "bufio", "unicode") }},
	{false, "kernel: waits and wake-ups, reading the ring buffer, writing the file",
		func(dso, sym string) bool { return has(dso, "kernel") }},
	{false, "other", func(string, string) bool { return true }},
}

// profileArgv wraps argv in perf record when profiling setup.
func (c *cmpRun) profileArgv(setup string, argv []string) []string {
	if c.cfg.Profile == "" || setup != "syscalls" {
		return argv
	}
	return append([]string{"perf", "record", "-q", "-F", "2000", "-g", "-o", c.cfg.Profile, "--"}, argv...)
}

// profileReport writes the breakdown of the recorded profile.
func (c *cmpRun) profileReport(out io.Writer, workload string) {
	fmt.Fprintf(out, "## Where the time goes: profile of the passive log (%s, `syscalls` setup, last run)\n\n", workload)
	rep, err := exec.Command("perf", "report", "-i", c.cfg.Profile, "--no-children", "--sort", "comm,dso,sym",
		"--stdio", "-g", "none", "--percentage", "absolute").Output()
	if err != nil {
		fmt.Fprintf(out, "perf report failed: %v\n\n", err)
		return
	}
	sums := make([]float64, len(profileCategories))
	wl := filepath.Base(c.workloadBin(workload))
	top := map[bool][]string{}
	var tracee, tracer float64
	for _, line := range strings.Split(string(rep), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[0], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		isTracee := f[1] == wl || (len(wl) > 15 && f[1] == wl[:15])
		dso, sym := f[2], strings.Join(f[4:], " ")
		if isTracee {
			tracee += pct
		} else {
			tracer += pct
		}
		if len(top[isTracee]) < 8 {
			top[isTracee] = append(top[isTracee], fmt.Sprintf("%.1f%% %s", pct, sym))
		}
		for i, cat := range profileCategories {
			if cat.tracee == isTracee && cat.match(dso, sym) {
				sums[i] += pct
				break
			}
		}
	}
	fmt.Fprintf(out, "`perf record -F 2000 -g` of `utrace-bpf run -e syscalls --format json -o FILE -- %s` (the profile "+
		"is in %s; `perf report -i %s --no-children --sort comm,sym`). Shares of all samples: the workload %.0f%%, "+
		"utrace-bpf %.0f%% (start-up included).\n\n", wl, c.cfg.Profile, c.cfg.Profile, tracee, tracer)
	fmt.Fprintln(out, "| process | where | share of all samples |")
	fmt.Fprintln(out, "|---|---|---|")
	for i, cat := range profileCategories {
		who := "utrace-bpf"
		if cat.tracee {
			who = "workload"
		}
		if sums[i] >= 0.05 {
			fmt.Fprintf(out, "| %s | %s | %.1f%% |\n", who, cat.name, sums[i])
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Hottest symbols — workload: %s; utrace-bpf: %s.\n\n",
		strings.Join(top[true], ", "), strings.Join(top[false], ", "))
}

func (c *cmpRun) workloadBin(name string) string {
	i := slices.IndexFunc(cmpWorkloads(), func(w *cmpWorkload) bool { return w.name == name })
	if i < 0 {
		return name
	}
	return cmpWorkloads()[i].prog
}
