package e2e

// Helpers of the tests that compare utrace-bpf's text log with strace's on
// the same command (capture_test.go, conformance_test.go).
//
// Both tools run the command with the same environment (cmpEnv), working
// directory and standard input (/dev/null); standard output and error are
// pipes in both runs. Their logs are read, unfinished/resumed pairs are
// joined, and only what must differ between two runs is normalised (see
// canon): process ids, addresses, the padding before " = " (it depends on
// the width of the pid prefix), getrandom's bytes, and CPU times. Every
// other byte of a line — strings, buffers, structures, flags, return values,
// errno names — is compared.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// cmpEnv is the whole environment of both tools and of the traced command
// in every comparison: the same for both, so that execve's "/* N vars */",
// $PATH searches and locale lookups are the same.
var cmpEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"LANG=C.UTF-8",
}

// straceArgs is the strace command line of every comparison, written once:
// strace -f [opts...] -o OUT -- ARGV...
func straceArgs(out string, opts []string, argv []string) []string {
	args := append([]string{"-f"}, opts...)
	args = append(args, "-o", out, "--")
	return append(args, argv...)
}

// utraceArgs is the utrace-bpf command line of every comparison:
// utrace-bpf run [-e ENGINE...] -o OUT -- ARGV...
func utraceArgs(out string, engines []string, argv []string) []string {
	args := []string{"run"}
	for _, e := range engines {
		args = append(args, "-e", e)
	}
	args = append(args, "-o", out, "--")
	return append(args, argv...)
}

// workload is one command both tools run.
type workload struct {
	argv  []string
	dir   string // working directory (default: a temporary directory)
	reset func() // if set, called before each run (e.g. to remove a file the command creates)
}

// tracedRun is one traced run: how the tool ended and what it logged.
type tracedRun struct {
	tool           string // "strace" or "utrace-bpf"
	args           []string
	stdout, stderr string
	code           int    // exit status, 128+N if killed by signal N
	logPath        string // the -o file
	log            string // its content
}

// execTool runs name args in dir with cmpEnv and /dev/null as stdin, within
// a minute.
func execTool(t *testing.T, name, dir string, args []string) tracedRun {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = cmpEnv
	cmd.Dir = dir
	cmd.Stdin = nil // /dev/null
	stdout, stderr := runWithin(t, cmd)
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return tracedRun{tool: filepath.Base(name), args: args, stdout: stdout, stderr: stderr, code: code}
}

func (r tracedRun) String() string {
	return fmt.Sprintf("%s %q: exit %d\nstdout:\n%s\nstderr:\n%s", r.tool, r.args, r.code, r.stdout, r.stderr)
}

// runStrace runs `strace -f [opts] -o LOG -- argv` and reads LOG.
func runStrace(t *testing.T, w workload, opts ...string) tracedRun {
	t.Helper()
	return runTraced(t, w, "strace", func(out string) []string { return straceArgs(out, opts, w.argv) })
}

// runUtrace runs `utrace-bpf run [-e engine...] -o LOG -- argv` and reads
// LOG.
func runUtrace(t *testing.T, w workload, engines ...string) tracedRun {
	t.Helper()
	return runTraced(t, w, bin, func(out string) []string { return utraceArgs(out, engines, w.argv) })
}

func runTraced(t *testing.T, w workload, tool string, args func(out string) []string) tracedRun {
	t.Helper()
	if w.dir == "" {
		t.Fatal("workload without a working directory")
	}
	if w.reset != nil {
		w.reset()
	}
	out := filepath.Join(t.TempDir(), filepath.Base(tool)+".log")
	r := execTool(t, tool, w.dir, args(out))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v\n%v", err, r)
	}
	r.logPath, r.log = out, string(b)
	return r
}

// entry is one event of a log: a system call (its unfinished and resumed
// halves joined into one), a signal, an exit; with its task's pid as the
// prefix showed it (-1 when there was none).
type entry struct {
	pid  int
	body string // the line after the prefix, halves joined
	raw  string // the line(s) as written
}

// prefixStyle is how lines name their task.
type prefixStyle int

const (
	// prefixFile is strace -f -o's "%-5d " on every line.
	prefixFile prefixStyle = iota
	// prefixStderr is strace -f's "[pid %5u] " on standard error, only
	// while more than one process is traced; lines without it get pid 0.
	prefixStderr
)

var (
	filePrefix   = regexp.MustCompile(`^(\d+) +`)
	stderrPrefix = regexp.MustCompile(`^\[pid +(\d+)\] `)
	resumedRe    = regexp.MustCompile(`^<\.\.\. ([a-z_0-9]+|syscall_\w+) resumed>`)
	identRe      = regexp.MustCompile(`^[a-z_0-9]+$`)
	anyPrefix    = regexp.MustCompile(`^(?:\d+ +|\[pid +\d+\] )`)
)

const unfinishedSuffix = " <unfinished ...>"

// parsedLog is a log split into entries.
type parsedLog struct {
	entries   []entry
	badPrefix []string // lines whose prefix is not exactly strace's
}

// parseLog splits a log into entries, joining each "<unfinished ...>"
// line with the "<... NAME resumed>" line of the same task into the line
// strace would have printed had nothing come between them. Lines whose
// prefix is not exactly strace's ("%-5d " or "[pid %5u] ") are listed in
// badPrefix; in a -o log, one with a "[pid N] " prefix is still compared by
// its content, any other keeps pid -1 and its whole text as body, so that
// it matches nothing.
func parseLog(text string, style prefixStyle) parsedLog {
	var p parsedLog
	open := map[int]int{} // pid -> index in entries of its unfinished call
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			continue
		}
		pid, body := -1, l
		switch style {
		case prefixFile:
			if m := filePrefix.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				if pfx := fmt.Sprintf("%-5d ", n); strings.HasPrefix(l, pfx) && !strings.HasPrefix(l[len(pfx):], " ") {
					pid, body = n, l[len(pfx):]
				}
			}
			if pid < 0 {
				// Not strace's prefix: noted, and the line still
				// compared by its content if it has a "[pid N] " one,
				// so that one wrong prefix format does not hide every
				// other difference.
				p.badPrefix = append(p.badPrefix, l)
				if m := stderrPrefix.FindStringSubmatch(l); m != nil {
					pid, _ = strconv.Atoi(m[1])
					body = l[len(m[0]):]
				}
			}
		case prefixStderr:
			pid = 0 // no prefix: the only process traced at the time
			if m := stderrPrefix.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				pid, body = n, l[len(m[0]):]
				if !strings.HasPrefix(l, fmt.Sprintf("[pid %5d] ", n)) {
					p.badPrefix = append(p.badPrefix, l) // still compared by content
				}
			}
			if pid == 0 && kindOf(body) == "other" {
				pid = -1 // a message of the tool, or the program's own output
			}
		}
		if resumedRe.MatchString(body) {
			if i, ok := open[pid]; ok {
				delete(open, pid)
				rest := body[len(resumedRe.FindString(body)):]
				e := &p.entries[i]
				e.body = strings.TrimSuffix(e.body, unfinishedSuffix) + rest
				e.raw += "\n" + l
				continue
			}
		}
		if strings.HasSuffix(body, unfinishedSuffix) && !strings.HasPrefix(body, "<... ") {
			open[pid] = len(p.entries)
		}
		p.entries = append(p.entries, entry{pid: pid, body: body, raw: l})
	}
	return p
}

// callName is the system call an entry is about, or "---" for a signal,
// "+++" for an exit, "other" for anything else.
func callName(body string) string {
	switch {
	case strings.HasPrefix(body, "--- "):
		return "---"
	case strings.HasPrefix(body, "+++ "):
		return "+++"
	}
	if m := resumedRe.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	if i := strings.IndexByte(body, '('); i > 0 && identRe.MatchString(body[:i]) {
		return body[:i]
	}
	return "other"
}

// kindOf groups entries for reports: the call's name, "--- SIGNAME",
// "+++ exited" / "+++ killed", "other".
func kindOf(body string) string {
	switch n := callName(body); n {
	case "---":
		f := strings.Fields(body)
		if len(f) > 1 {
			return "--- " + f[1]
		}
		return n
	case "+++":
		f := strings.Fields(body)
		if len(f) > 1 {
			return "+++ " + f[1]
		}
		return n
	default:
		return n
	}
}

var (
	// retSep finds the " = RET" of a call line: the last ")" followed by
	// spaces and "= " and a return value strace prints (a number, a hex
	// value or "?").
	retSep = regexp.MustCompile(`^(.*\)) +(= (?:-?[0-9]+|0x[0-9a-f]+|\?)(?: .*)?)$`)
	// cmpAddrRe finds hex values; those of 0x400000 (4 MiB, the lowest
	// address programs are linked at) and more are taken for addresses,
	// which ASLR moves (stack, heap, mmap, PIE and libraries; a non-PIE
	// program's heap is at 7 hex digits); smaller ones (flags, file
	// offsets, 0x2a /* SEEK_??? */, makedev(0x1, 0x3)) are compared.
	cmpAddrRe     = regexp.MustCompile(`0x[0-9a-f]+`)
	getrandomRe   = regexp.MustCompile(`^getrandom\("(?:[^"\\]|\\.)*"(?:\.\.\.)?`)
	cpuTimesRe    = regexp.MustCompile(`si_utime=\d+(?: /\* [0-9.]+ s \*/)?, si_stime=\d+(?: /\* [0-9.]+ s \*/)?`)
	siPidRe       = regexp.MustCompile(`(si_pid=)(\d+)`)
	parentTidRe   = regexp.MustCompile(`((?:parent|child)_tid=\[)(\d+)(\])`)
	procPidRe     = regexp.MustCompile(`("/proc/)(\d+)([/"])`)
	timeResults   = map[string]bool{"getrusage": true, "times": true, "sysinfo": true, "clock_gettime": true, "gettimeofday": true, "time": true}
	digitsRe      = regexp.MustCompile(`\b\d+\b`) // decimal numbers, not the digits of 0x...
	pidReturning  = map[string]bool{"clone": true, "clone3": true, "fork": true, "vfork": true, "getpid": true, "gettid": true, "getppid": true, "set_tid_address": true, "wait4": true, "getpgrp": true, "getpgid": true, "getsid": true, "setsid": true}
	createsTask   = map[string]bool{"clone": true, "clone3": true, "fork": true, "vfork": true}
	pidArgIndexes = map[string][]int{
		"kill": {0}, "tkill": {0}, "tgkill": {0, 1}, "wait4": {0}, "getpgid": {0}, "getsid": {0}, "setpgid": {0, 1},
		"prlimit64": {0}, "sched_getaffinity": {0}, "sched_setaffinity": {0}, "sched_getparam": {0}, "sched_setparam": {0},
		"sched_getscheduler": {0}, "sched_setscheduler": {0}, "pidfd_open": {0}, "process_vm_readv": {0},
		"process_vm_writev": {0}, "rt_sigqueueinfo": {0}, "rt_tgsigqueueinfo": {0, 1}, "ptrace": {1}, "get_robust_list": {0},
		"waitid": {1},
	}
)

// splitArgs splits a call's argument list at its top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// callParts splits "name(args) = ret" into its parts; ok is false for
// lines that are not a finished call.
func callParts(body string) (name, args, ret string, ok bool) {
	m := retSep.FindStringSubmatch(body)
	if m == nil {
		return "", "", "", false
	}
	left := m[1]
	i := strings.IndexByte(left, '(')
	if i <= 0 || !identRe.MatchString(left[:i]) {
		return "", "", "", false
	}
	return left[:i], left[i+1 : len(left)-1], m[2][2:], true
}

// pidNamer gives each pid of one log a name that does not depend on the
// numbers the kernel chose nor on how the tasks interleaved: the traced
// command is P1 (the smallest pid that has lines: pids grow with creation),
// the k-th task that P1 created (by its clone, clone3, fork or vfork calls,
// in P1's order) is P1.k, its children P1.k.1... Tasks with lines that are
// not in that tree (a filtered log shows no clone) are PT1, PT2... in the
// order of their pids, that is of their creation. Other pids (the tracer's
// as getppid's result, say) are PX1, PX2... in order of first appearance.
type pidNamer struct {
	names map[int]string
	outer int
}

func newPidNamer(entries []entry) *pidNamer {
	n := &pidNamer{names: map[int]string{}}
	children := map[int][]int{}
	owners := map[int]bool{}
	root := -1
	for _, e := range entries {
		if e.pid < 0 {
			continue
		}
		owners[e.pid] = true
		if root < 0 || e.pid < root {
			root = e.pid
		}
		name, _, ret, ok := callParts(e.body)
		if !ok || !createsTask[name] {
			continue
		}
		if child, err := strconv.Atoi(strings.Fields(ret)[0]); err == nil && child > 0 {
			children[e.pid] = append(children[e.pid], child)
		}
	}
	if root < 0 {
		return n
	}
	n.names[root] = "P1"
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for k, c := range children[p] {
			if _, dup := n.names[c]; dup {
				continue
			}
			n.names[c] = fmt.Sprintf("%s.%d", n.names[p], k+1)
			queue = append(queue, c)
		}
	}
	var rest []int
	for pid := range owners {
		if _, ok := n.names[pid]; !ok {
			rest = append(rest, pid)
		}
	}
	sort.Ints(rest)
	for i, pid := range rest {
		n.names[pid] = fmt.Sprintf("PT%d", i+1)
	}
	return n
}

func (n *pidNamer) name(pid int) string {
	if s, ok := n.names[pid]; ok {
		return s
	}
	n.outer++
	s := fmt.Sprintf("PX%d", n.outer)
	n.names[pid] = s
	return s
}

// pidToken names a number that holds a pid; 0 and negative numbers (no
// pid, or "any child") stay.
func (n *pidNamer) pidToken(s string) string {
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return s
	}
	return n.name(v)
}

// canon is one entry as the comparison sees it: "PID-NAME BODY" with
//   - the task's pid replaced by its name (see pidNamer), and so are the
//     pids inside lines: clone/fork/getpid/gettid/getppid/set_tid_address/
//     wait4/... results, the pid arguments of kill, tgkill, wait4, prlimit64...,
//     si_pid=, parent_tid=[...], "/proc/PID/";
//   - the spaces before " = " collapsed to one (strace pads to column 40
//     counting the pid prefix, whose width depends on the pid; the padding
//     itself is checked by alignmentErrors);
//   - 0x followed by 8 or more hex digits replaced by 0xADDR (ASLR);
//   - getrandom's bytes replaced by "RANDOM" (and the data read from /proc
//     files by "PROC": see hideProcData);
//   - si_utime/si_stime (CPU ticks of the child, with strace's "/* 0.01 s */"
//     when not 0) and the decimal numbers in the
//     results of getrusage, times, sysinfo, clock_gettime, gettimeofday and
//     time, and in the rest an interrupted sleep wrote, replaced by N.
func (n *pidNamer) canon(e entry) string {
	body := e.body
	name, args, ret, isCall := callParts(body)
	if isCall {
		if timeResults[name] {
			args, ret = digitsRe.ReplaceAllString(args, "N"), digitsRe.ReplaceAllString(ret, "N")
		}
		if name == "nanosleep" || name == "clock_nanosleep" {
			// The rest of an interrupted sleep, when it is printed.
			parts := splitArgs(args)
			if last := len(parts) - 1; last > 0 && strings.HasPrefix(parts[last], "{") {
				parts[last] = digitsRe.ReplaceAllString(parts[last], "N")
				args = strings.Join(parts, ", ")
			}
		}
		if idx, ok := pidArgIndexes[name]; ok {
			parts := splitArgs(args)
			for _, i := range idx {
				if i < len(parts) && !(name == "waitid" && !strings.HasPrefix(parts[0], "P_PID")) {
					parts[i] = n.pidToken(parts[i])
				}
			}
			args = strings.Join(parts, ", ")
		}
		if pidReturning[name] {
			f := strings.SplitN(ret, " ", 2)
			f[0] = n.pidToken(f[0])
			ret = strings.Join(f, " ")
		}
		if name == "rt_sigreturn" {
			// It returns the interrupted code's rax: a pid when the
			// signal came right after wait4 returned.
			f := strings.SplitN(ret, " ", 2)
			if v, err := strconv.Atoi(f[0]); err == nil {
				if s, ok := n.names[v]; ok && v > 0 {
					f[0] = s
				}
			}
			ret = strings.Join(f, " ")
		}
		body = name + "(" + args + ") = " + ret
	}
	body = siPidRe.ReplaceAllStringFunc(body, func(s string) string {
		m := siPidRe.FindStringSubmatch(s)
		return m[1] + n.pidToken(m[2])
	})
	body = parentTidRe.ReplaceAllStringFunc(body, func(s string) string {
		m := parentTidRe.FindStringSubmatch(s)
		return m[1] + n.pidToken(m[2]) + m[3]
	})
	body = procPidRe.ReplaceAllStringFunc(body, func(s string) string {
		m := procPidRe.FindStringSubmatch(s)
		return m[1] + n.pidToken(m[2]) + m[3]
	})
	body = cmpAddrRe.ReplaceAllStringFunc(body, func(s string) string {
		if v, err := strconv.ParseUint(s[2:], 16, 64); err == nil && v < 0x400000 {
			return s
		}
		return "0xADDR"
	})
	body = getrandomRe.ReplaceAllString(body, `getrandom("RANDOM"`)
	body = cpuTimesRe.ReplaceAllString(body, "si_utime=N, si_stime=N")
	who := "?"
	if e.pid >= 0 {
		who = n.name(e.pid)
	}
	return who + " " + body
}

// normLog is a log ready for comparison.
type normLog struct {
	lines     []string // canonical entries, in log order
	raw       []string // the same entries as written
	badPrefix []string
}

func normalize(text string, style prefixStyle) normLog {
	p := parseLog(text, style)
	n := newPidNamer(p.entries)
	var nl normLog
	procFds := map[int]map[string]bool{} // pid -> its fds open on /proc files
	for _, e := range p.entries {
		raw := e.raw
		e.body = hideProcData(e.pid, e.body, procFds)
		nl.lines = append(nl.lines, n.canon(e))
		nl.raw = append(nl.raw, raw)
	}
	nl.badPrefix = p.badPrefix
	return nl
}

// hideProcData replaces the data read from /proc files (/proc/self/maps,
// say, whose addresses ASLR moves) by "PROC", following which of each
// task's fds are open on /proc files (inherited by the tasks it creates).
func hideProcData(pid int, body string, procFds map[int]map[string]bool) string {
	name, args, ret, ok := callParts(body)
	if !ok {
		return body
	}
	fds := procFds[pid]
	parts := splitArgs(args)
	switch name {
	case "open", "openat":
		path := parts[0]
		if name == "openat" && len(parts) > 1 {
			path = parts[1]
		}
		if strings.HasPrefix(path, `"/proc/`) && !strings.HasPrefix(ret, "-") {
			if fds == nil {
				fds = map[string]bool{}
				procFds[pid] = fds
			}
			fds[strings.Fields(ret)[0]] = true
		}
	case "close":
		delete(fds, parts[0])
	case "clone", "clone3", "fork", "vfork":
		if child, err := strconv.Atoi(strings.Fields(ret)[0]); err == nil && child > 0 && len(fds) > 0 {
			inherited := map[string]bool{}
			for fd := range fds {
				inherited[fd] = true
			}
			procFds[child] = inherited
		}
	case "read", "pread64":
		if fds[parts[0]] && len(parts) > 1 && strings.HasPrefix(parts[1], `"`) {
			parts[1] = `"PROC"`
			return name + "(" + strings.Join(parts, ", ") + ") = " + ret
		}
	}
	return body
}

// task is the pid name of a canonical line.
func task(line string) string {
	s, _, _ := strings.Cut(line, " ")
	return s
}

// bodyOf is a canonical line without its pid name.
func bodyOf(line string) string {
	_, s, _ := strings.Cut(line, " ")
	return s
}

// comparison is the multiset match of two normalised logs.
type comparison struct {
	theirs, ours normLog // strace, utrace-bpf
	matched      int
	straceOnly   []string // strace's lines utrace-bpf did not reproduce
	utraceOnly   []string // utrace-bpf's lines strace did not print
}

// compareLogs matches strace's canonical lines against utrace-bpf's as
// multisets (order is not compared here: tasks interleave differently).
func compareLogs(theirs, ours normLog) *comparison {
	c := &comparison{theirs: theirs, ours: ours}
	count := map[string]int{}
	for _, l := range ours.lines {
		count[l]++
	}
	for _, l := range theirs.lines {
		if count[l] > 0 {
			count[l]--
			c.matched++
		} else {
			c.straceOnly = append(c.straceOnly, l)
		}
	}
	for _, l := range ours.lines {
		if count[l] > 0 {
			count[l]--
			c.utraceOnly = append(c.utraceOnly, l)
		}
	}
	return c
}

// ratio is the fraction of strace's lines utrace-bpf reproduced exactly.
func (c *comparison) ratio() float64 {
	if len(c.theirs.lines) == 0 {
		return 0
	}
	return float64(c.matched) / float64(len(c.theirs.lines))
}

// extraRatio is the fraction of utrace-bpf's lines that strace did not
// print.
func (c *comparison) extraRatio() float64 {
	if len(c.ours.lines) == 0 {
		return 1
	}
	return float64(len(c.utraceOnly)) / float64(len(c.ours.lines))
}

// report lists the unmatched lines of both sides grouped by kind, most
// differing kinds first, at most max lines per side and kind.
func (c *comparison) report(max int) string {
	type group struct {
		kind         string
		strace, ours []string
	}
	groups := map[string]*group{}
	get := func(k string) *group {
		if g, ok := groups[k]; ok {
			return g
		}
		g := &group{kind: k}
		groups[k] = g
		return g
	}
	for _, l := range c.straceOnly {
		g := get(kindOf(bodyOf(l)))
		g.strace = append(g.strace, l)
	}
	for _, l := range c.utraceOnly {
		g := get(kindOf(bodyOf(l)))
		g.ours = append(g.ours, l)
	}
	var gs []*group
	for _, g := range groups {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool {
		a, b := len(gs[i].strace)+len(gs[i].ours), len(gs[j].strace)+len(gs[j].ours)
		if a != b {
			return a > b
		}
		return gs[i].kind < gs[j].kind
	})
	var b strings.Builder
	fmt.Fprintf(&b, "strace lines %d, reproduced %d (%.2f%%); utrace-bpf lines %d, not in strace's log %d\n",
		len(c.theirs.lines), c.matched, 100*c.ratio(), len(c.ours.lines), len(c.utraceOnly))
	if n := len(c.ours.badPrefix); n > 0 {
		fmt.Fprintf(&b, "utrace-bpf lines without strace's pid prefix (\"%%-5d \"): %d, e.g. %q\n", n, c.ours.badPrefix[0])
	}
	for _, g := range gs {
		fmt.Fprintf(&b, "== %s: strace only %d, utrace-bpf only %d\n", g.kind, len(g.strace), len(g.ours))
		for i, l := range g.strace {
			if i == max {
				fmt.Fprintf(&b, "   strace ... %d more\n", len(g.strace)-max)
				break
			}
			fmt.Fprintf(&b, "   strace: %s\n", l)
		}
		for i, l := range g.ours {
			if i == max {
				fmt.Fprintf(&b, "   utrace ... %d more\n", len(g.ours)-max)
				break
			}
			fmt.Fprintf(&b, "   utrace: %s\n", l)
		}
	}
	return b.String()
}

// topKinds is the kinds with the most unmatched lines, for a one-line
// summary: "read 12/10, --- SIGCHLD 3/0" (strace only/utrace-bpf only).
func (c *comparison) topKinds(n int) string {
	s, u := map[string]int{}, map[string]int{}
	for _, l := range c.straceOnly {
		s[kindOf(bodyOf(l))]++
	}
	for _, l := range c.utraceOnly {
		u[kindOf(bodyOf(l))]++
	}
	var kinds []string
	for k := range s {
		kinds = append(kinds, k)
	}
	for k := range u {
		if _, ok := s[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	sort.Slice(kinds, func(i, j int) bool {
		a, b := s[kinds[i]]+u[kinds[i]], s[kinds[j]]+u[kinds[j]]
		if a != b {
			return a > b
		}
		return kinds[i] < kinds[j]
	})
	if len(kinds) > n {
		kinds = kinds[:n]
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, s[k], u[k]))
	}
	return strings.Join(parts, ", ")
}

// alignmentErrors checks strace's padding in a raw log: after a call's
// closing parenthesis strace writes ") ", then spaces up to column 40
// (counting from the start of the line, pid prefix included), then "= ".
// It returns the lines that break the rule.
func alignmentErrors(text string) []string {
	var bad []string
	for _, l := range strings.Split(text, "\n") {
		m := retSep.FindStringSubmatchIndex(l)
		if body := l[len(anyPrefix.FindString(l)):]; m == nil || strings.HasPrefix(body, "--- ") || strings.HasPrefix(body, "+++ ") {
			continue
		}
		closeEnd := m[3] // just after ")"
		eq := m[4]       // the "="
		want := closeEnd + 1
		if want < 40 {
			want = 40
		}
		if eq != want {
			bad = append(bad, fmt.Sprintf("\"=\" at column %d, strace puts it at %d: %s", eq, want, l))
		}
	}
	return bad
}

// pair runs strace and utrace-bpf on one workload and compares the logs.
type pair struct {
	strace, utrace tracedRun
	cmp            *comparison
}

// traceBoth runs w under `strace -f -o` (with straceOpts) and under
// `utrace-bpf run -o` (with engines), checks that the command ended the
// same way under both, and compares the logs.
func traceBoth(t *testing.T, w workload, straceOpts, engines []string) *pair {
	t.Helper()
	s := runStrace(t, w, straceOpts...)
	u := runUtrace(t, w, engines...)
	if s.code != u.code {
		t.Errorf("exit status: strace %d, utrace-bpf %d\n%v\n%v", s.code, u.code, s, u)
	}
	p := &pair{strace: s, utrace: u}
	p.cmp = compareLogs(normalize(s.log, prefixFile), normalize(u.log, prefixFile))
	if len(p.cmp.theirs.lines) == 0 {
		t.Fatalf("strace logged nothing: %v", s)
	}
	if bad := alignmentErrors(s.log); len(bad) > 0 {
		t.Fatalf("the alignment rule does not hold for strace's own log (test bug): %s", bad[0])
	}
	return p
}

// expectSame checks that each of strace's canonical lines matching re
// appears identically in utrace-bpf's log (as many times as in strace's).
// It fails the test (fatally) if strace's log has no such line: then the
// test itself is broken.
func (p *pair) expectSame(t *testing.T, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	want := map[string]int{}
	var order []string
	for _, l := range p.cmp.theirs.lines {
		if rx.MatchString(l) {
			if want[l] == 0 {
				order = append(order, l)
			}
			want[l]++
		}
	}
	if len(order) == 0 {
		t.Fatalf("strace's log has no line matching %q (test bug):\n%s", re, strings.Join(firstN(p.cmp.theirs.lines, 60), "\n"))
	}
	have := map[string]int{}
	for _, l := range p.cmp.ours.lines {
		have[l]++
	}
	for _, l := range order {
		if have[l] >= want[l] {
			continue
		}
		kind := kindOf(bodyOf(l))
		var similar []string
		for _, o := range p.cmp.ours.lines {
			if kindOf(bodyOf(o)) == kind && task(o) == task(l) {
				similar = append(similar, "    "+o)
			}
		}
		if len(similar) > 8 {
			similar = append(similar[:8], fmt.Sprintf("    ... %d more", len(similar)-8))
		}
		t.Errorf("strace's line not in utrace-bpf's log (%d of %d times):\n  strace: %s\n  utrace-bpf's %s lines of %s:\n%s",
			have[l], want[l], l, kind, task(l), strings.Join(similar, "\n"))
	}
}

// sequence is the canonical lines of one task, in order.
func sequence(l normLog, who string) []string {
	var out []string
	for _, s := range l.lines {
		if task(s) == who {
			out = append(out, s)
		}
	}
	return out
}

// firstDifference describes where two sequences part, with context.
func firstDifference(a, b []string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) && i == len(b) {
		return ""
	}
	at := func(s []string, i int) string {
		if i < len(s) {
			return s[i]
		}
		return "(end)"
	}
	var b2 strings.Builder
	fmt.Fprintf(&b2, "line %d of %d (strace) / %d (utrace-bpf):\n", i+1, len(a), len(b))
	if i > 0 {
		fmt.Fprintf(&b2, "  both:   %s\n", a[i-1])
	}
	for k := i; k < i+3; k++ {
		fmt.Fprintf(&b2, "  strace: %s\n  utrace: %s\n", at(a, k), at(b, k))
	}
	return b2.String()
}
