package main

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A report is what one kernel's console (or the host's run) said.
type report struct {
	Release    string // from "@@@ KERNEL"
	TracefsPre string // tracefs mount points before the run
	TracefsEnd string // and after: utrace-bpf may have mounted it
	Done       bool   // "@@@ DONE" seen: everything ran
	Steps      map[string]*step
	Current    string   // the step running when the output ended, if any
	Kernel     []string // kernel messages that look like trouble
	tail       []string // the last lines of output
}

// A step is one BEGIN ... RESULT section: a test binary, the smoke test or
// the BPF check.
type step struct {
	Name   string
	Status string // PASS, FAIL, or "" if it never finished
	Secs   float64
	RC     string
	Lines  []string // its output
	Tests  []*testResult
	Items  []*item // the smoke test's steps, or the BPF programs
	tests  map[string]*testResult
	run    string // the test whose output the next lines are
}

// A testResult is one test function (or subtest) of a test binary.
type testResult struct {
	Name   string
	Status string // PASS, FAIL, SKIP; "" if it never finished
	Secs   float64
	Output []string
}

// An item is a line "@@@ SMOKE PASS|FAIL name[: why]" of the smoke test
// or "@@@ BPF OK|FAIL object program[: why]" of the BPF check, with the
// lines that follow it.
type item struct {
	Name, Status, Why string
	Output            []string
}

const tailLines = 40

var (
	kernelLine  = regexp.MustCompile(`^\[ *[0-9]+\.[0-9]+\] `)
	kernelTrap  = regexp.MustCompile(`WARNING:|BUG:|Oops|Kernel panic|Call Trace|general protection|segfault at|hung_task|soft lockup|RCU stall|rcu_sched|INFO: task`)
	testStart   = regexp.MustCompile(`^=== (RUN|CONT|NAME) +(\S+)`)
	testEnd     = regexp.MustCompile(`^ *--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)`)
	resultLine  = regexp.MustCompile(`^@@@ RESULT (\S+) (\S+) (\S+) rc=(\S+)`)
	itemLine    = regexp.MustCompile(`^@@@ (?:SMOKE|BPF) (OK|PASS|FAIL) ([^:]+?)(?:: (.*))?$`)
	terminalEsc = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]|\x1bc`)
)

func newReport() *report { return &report{Steps: map[string]*step{}} }

// Line takes the next line of output.
func (r *report) Line(line string) {
	line = terminalEsc.ReplaceAllString(strings.TrimRight(line, "\r\n"), "")
	r.tail = append(r.tail, line)
	if len(r.tail) > 2*tailLines {
		r.tail = slices.Clone(r.tail[tailLines:])
	}
	if kernelLine.MatchString(line) && kernelTrap.MatchString(line) && len(r.Kernel) < 50 {
		r.Kernel = append(r.Kernel, line)
	}
	if m, ok := strings.CutPrefix(line, "@@@ "); ok {
		f := strings.Fields(m)
		switch {
		case len(f) >= 2 && f[0] == "KERNEL":
			r.Release = f[1]
			return
		case len(f) >= 1 && f[0] == "TRACEFS":
			if r.Release != "" && len(r.Steps) > 0 {
				r.TracefsEnd = strings.Join(f[1:], " ")
			} else {
				r.TracefsPre = strings.Join(f[1:], " ")
			}
			return
		case len(f) == 2 && f[0] == "BEGIN":
			r.Current = f[1]
			r.Steps[f[1]] = &step{Name: f[1], tests: map[string]*testResult{}}
			return
		case len(f) >= 1 && f[0] == "DONE":
			r.Done = true
			r.Current = ""
			return
		}
		if m := resultLine.FindStringSubmatch(line); m != nil {
			if s := r.Steps[m[1]]; s != nil {
				s.Status = m[2]
				s.Secs, _ = strconv.ParseFloat(m[3], 64)
				s.RC = m[4]
			}
			r.Current = ""
			return
		}
	}
	s := r.Steps[r.Current]
	if s == nil {
		return
	}
	s.Lines = append(s.Lines, line)
	if m := itemLine.FindStringSubmatch(line); m != nil {
		s.Items = append(s.Items, &item{Name: m[2], Status: m[1], Why: m[3]})
		return
	}
	if n := len(s.Items); n > 0 {
		it := s.Items[n-1]
		it.Output = append(it.Output, line)
		return
	}
	if m := testStart.FindStringSubmatch(line); m != nil {
		s.run = m[2]
		s.test(m[2])
		return
	}
	if m := testEnd.FindStringSubmatch(line); m != nil {
		t := s.test(m[2])
		t.Status = m[1]
		t.Secs, _ = strconv.ParseFloat(m[3], 64)
		return
	}
	// A line belongs to the running test and to the tests it is a subtest of.
	for name := s.run; name != ""; {
		t := s.test(name)
		t.Output = append(t.Output, line)
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			break
		}
		name = name[:i]
	}
}

func (s *step) test(name string) *testResult {
	t := s.tests[name]
	if t == nil {
		t = &testResult{Name: name}
		s.tests[name] = t
		s.Tests = append(s.Tests, t)
	}
	return t
}

// Tail is the last lines of all output.
func (r *report) Tail(n int) []string {
	if len(r.tail) > n {
		return r.tail[len(r.tail)-n:]
	}
	return r.tail
}

// Failed lists the tests that failed or never finished (the binary
// crashed or timed out in them), in the order they started.
func (s *step) Failed() []*testResult {
	var failed []*testResult
	for _, t := range s.Tests {
		if t.Status == "FAIL" || t.Status == "" && s.Status != "PASS" {
			failed = append(failed, t)
		}
	}
	return failed
}

// hasFailedSubtest reports whether one of t's subtests is in failed: then
// its output says more than t's, which includes it.
func hasFailedSubtest(t *testResult, failed []*testResult) bool {
	for _, f := range failed {
		if strings.HasPrefix(f.Name, t.Name+"/") {
			return true
		}
	}
	return false
}

// topLevel reports whether a test is a test function, not a subtest.
func topLevel(name string) bool { return !strings.Contains(name, "/") }

// Slowest returns the n slowest top-level tests.
func (s *step) Slowest(n int) []*testResult {
	var ts []*testResult
	for _, t := range s.Tests {
		if topLevel(t.Name) && t.Status != "" {
			ts = append(ts, t)
		}
	}
	slices.SortStableFunc(ts, func(a, b *testResult) int { return cmp.Compare(b.Secs, a.Secs) })
	return ts[:min(n, len(ts))]
}

// Counts returns how many top-level tests passed, failed or were skipped.
func (s *step) Counts() (pass, fail, skip int) {
	for _, t := range s.Tests {
		if !topLevel(t.Name) {
			continue
		}
		switch t.Status {
		case "PASS":
			pass++
		case "SKIP":
			skip++
		default:
			fail++
		}
	}
	return pass, fail, skip
}

// secs formats a duration in seconds for the table.
func secs(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return strconv.FormatFloat(s, 'f', 1, 64) + "s"
	}
	return d.Round(time.Second).String()
}
