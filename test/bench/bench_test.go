package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestQuick runs the compare harness in --quick mode (tiny sizes, one run
// of each setup): it checks that every workload builds and runs under every
// setup, and that the report has its tables and the ratios line. Tools that
// are not installed (bpftrace, perf) show as n/a. It needs root; outside CI
// it is skipped without.
func TestQuick(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the benchmark harness needs root (BPF programs, ptrace) in CI")
		}
		t.Skip("the benchmark harness needs root (BPF programs, ptrace)")
	}
	var out, log bytes.Buffer
	err := runCompare(compareConfig{Quick: true, Runs: 1, HeavyRuns: 1, MountTrace: true, Out: &out, Log: &log})
	if err != nil {
		t.Fatalf("compare --quick: %v\n%s", err, log.String())
	}
	report := out.String()
	t.Log("\n" + report)
	for _, want := range []string{"## getppid:", "## files:", "## spawn:", "## threads:", "## Goals", "| inject-attach |", "| sync |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(report), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(last, "ratios: ") || !strings.Contains(last, "getppid.notwatched_over_floor=") {
		t.Errorf("last line is not the ratios: %q", last)
	}
	// utrace-bpf's own rows must have been measured, not n/a.
	for _, l := range lines {
		for _, ours := range []string{"| not-watched |", "| counter |", "| syscalls |", "| inject-run |", "| inject-attach |", "| sync |"} {
			if strings.HasPrefix(l, ours) && strings.Contains(l, "| n/a |") {
				t.Errorf("utrace-bpf row not measured: %s", l)
			}
		}
	}
}
