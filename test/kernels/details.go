package main

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// How much of the output the details show: the full logs are in the work
// directory.
const (
	testTail  = 12 // lines of a failed test's output
	itemTail  = 25 // lines of a failed smoke step's output or BPF log
	crashTail = 30 // lines of output before a run that did not finish
	slowest   = 3  // slowest tests listed per package, if they took 1s or more
)

// printDetails prints, per kernel, the slowest tests and everything that
// failed, with the end of its output.
func printDetails(w io.Writer, rows []*row) {
	for _, r := range rows {
		fmt.Fprintf(w, "\n== %s", r.spec)
		if r.rep != nil && r.rep.Release != "" {
			fmt.Fprintf(w, " (%s)", r.rep.Release)
		}
		fmt.Fprintf(w, ": log %s\n", r.log)
		for _, n := range r.notes {
			fmt.Fprintf(w, "  kernel config: %s\n", n)
		}
		if r.rep == nil {
			fmt.Fprintf(w, "  did not run: %v\n", r.err)
			continue
		}
		printSlowest(w, r)
		for _, name := range r.steps() {
			if s := r.rep.Steps[name]; s != nil && s.Status != "PASS" {
				printStep(w, s)
			}
		}
		// The loader picks among variants of some programs by the kernel's
		// features, so that some do not load is news only if it failed
		// (or, on an architecture that does not run its tests, if the
		// smoke test did).
		if s := r.rep.Steps["bpf"]; s != nil && s.Status != "PASS" && loaderFailed(r) {
			fmt.Fprintf(w, "  bpf check (each program of the committed objects loaded on its own by test/kernels/bpfcheck):\n")
			printItems(w, s)
		}
		if r.err != nil {
			fmt.Fprintf(w, "  the run did not finish: %v; its last lines:\n", r.err)
			indent(w, "    | ", r.rep.Tail(crashTail))
		}
		if len(r.rep.Kernel) > 0 {
			fmt.Fprintf(w, "  kernel messages:\n")
			indent(w, "    ", r.rep.Kernel)
		}
	}
}

func loaderFailed(r *row) bool {
	if !slices.Contains(r.steps(), "loader") {
		return !r.ok()
	}
	s := r.rep.Steps["loader"]
	return s == nil || s.Status != "PASS"
}

func printSlowest(w io.Writer, r *row) {
	var parts []string
	for _, name := range packages {
		s := r.rep.Steps[name]
		if s == nil {
			continue
		}
		var ts []string
		for _, t := range s.Slowest(slowest) {
			if t.Secs >= 1 {
				ts = append(ts, fmt.Sprintf("%s %s", t.Name, secs(t.Secs)))
			}
		}
		if len(ts) > 0 {
			parts = append(parts, name+": "+strings.Join(ts, ", "))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "  slowest tests: %s\n", strings.Join(parts, "; "))
	}
}

// printStep prints what failed in a step.
func printStep(w io.Writer, s *step) {
	if s.Status == "" {
		fmt.Fprintf(w, "  %s: no result\n", s.Name)
	} else {
		fmt.Fprintf(w, "  %s: %s (exit status %s)\n", s.Name, s.Status, s.RC)
	}
	if len(s.Items) > 0 {
		printItems(w, s)
		return
	}
	failed := s.Failed()
	if len(failed) == 0 {
		// The binary failed outside any test (or printed no test lines):
		// its last lines say why.
		indent(w, "    | ", tail(s.Lines, crashTail))
		return
	}
	var names []string
	for _, t := range failed {
		names = append(names, t.Name)
	}
	fmt.Fprintf(w, "    failed: %s\n", strings.Join(names, " "))
	seen := map[string]string{} // output without file:line -> first test
	for _, t := range failed {
		if hasFailedSubtest(t, failed) {
			continue
		}
		out := tail(t.Output, testTail)
		key := fileLine.ReplaceAllString(strings.Join(out, "\n"), "")
		how := "FAIL"
		if t.Status == "" {
			how = "no result (crashed or timed out here)"
		}
		if first, ok := seen[key]; ok && key != "" {
			fmt.Fprintf(w, "    %s: %s, same output as %s\n", t.Name, how, first)
			continue
		}
		seen[key] = t.Name
		fmt.Fprintf(w, "    %s: %s\n", t.Name, how)
		indent(w, "      | ", out)
	}
}

// fileLine matches the file:line prefix of a test's log lines.
var fileLine = regexp.MustCompile(`\S+\.go:[0-9]+: `)

func printItems(w io.Writer, s *step) {
	for _, it := range s.Items {
		if it.Status == "FAIL" {
			fmt.Fprintf(w, "    FAIL %s: %s\n", it.Name, it.Why)
			indent(w, "  ", tail(it.Output, itemTail))
		}
	}
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// maxLine is how much of a line the details show: some errors carry a
// whole verifier log on one line.
const maxLine = 400

func indent(w io.Writer, prefix string, lines []string) {
	for _, l := range lines {
		if len(l) > maxLine {
			l = fmt.Sprintf("%s... [%d more bytes in the log]", l[:maxLine], len(l)-maxLine)
		}
		fmt.Fprintf(w, "%s%s\n", prefix, l)
	}
}
