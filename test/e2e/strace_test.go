package e2e

import (
	"bufio"
	"encoding/json"
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
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
)

// call is one completed system call as both logs show it: the program the
// process ran, the call's name, and its return value (normalized where it
// is an address, a process id or a count that differs run to run).
type call struct {
	prog, name, ret string
}

// unstable are calls whose results or counts depend on timing, addresses
// or ids rather than on the program: their return value is compared as
// ok/errno only, and futex-like waits are left out.
var (
	byValueOnly = map[string]bool{"mmap": true, "brk": true, "mremap": true, "clone": true, "clone3": true,
		"fork": true, "vfork": true, "getpid": true, "gettid": true, "getppid": true, "set_tid_address": true,
		"wait4": true, "waitid": true, "rt_sigreturn": true, "getrandom": true}
	timing = map[string]bool{"futex": true, "sched_yield": true, "restart_syscall": true, "nanosleep": true,
		"clock_nanosleep": true, "rt_sigreturn": true}
)

func normRet(name, ret string) string {
	if byValueOnly[name] {
		if strings.HasPrefix(ret, "-") || strings.Contains(ret, "E") && !strings.HasPrefix(ret, "0x") {
			return ret
		}
		return "ok"
	}
	return ret
}

// tracker collects the calls of a log and works out, at the end, which
// program each call's thread ran: the last execve of the thread before the
// call, else what its creator ran when the clone returned (a child's first
// calls may be logged before its parent's clone returns).
type tracker struct {
	recs []rec
	seen map[call]int
}

type rec struct {
	tid            int
	name, arg, ret string
}

func newTracker() *tracker { return &tracker{} }

func (tr *tracker) add(tid int, name, firstArg, ret string) {
	tr.recs = append(tr.recs, rec{tid, name, firstArg, ret})
}

// finish attributes every call and fills seen.
func (tr *tracker) finish() {
	type birth struct{ parent, at int }
	born := map[int]birth{}
	execs := map[int][]int{} // tid -> indexes of its successful execs
	for i, r := range tr.recs {
		switch r.name {
		case "execve":
			if r.ret == "0" {
				execs[r.tid] = append(execs[r.tid], i)
			}
		case "clone", "clone3", "fork", "vfork":
			if child, err := strconv.Atoi(r.ret); err == nil && child > 0 {
				born[child] = birth{r.tid, i}
			}
		}
	}
	var prog func(tid, at, depth int) string
	prog = func(tid, at, depth int) string {
		last := -1
		for _, i := range execs[tid] {
			if i <= at {
				last = i
			}
		}
		if last >= 0 {
			path, _ := strconv.Unquote(tr.recs[last].arg)
			return filepath.Base(path)
		}
		if b, ok := born[tid]; ok && depth < 64 {
			return prog(b.parent, b.at, depth+1)
		}
		return "?"
	}
	tr.seen = map[call]int{}
	for i, r := range tr.recs {
		if timing[r.name] {
			continue
		}
		if n, err := strconv.Atoi(r.ret); err == nil && n <= -512 && n >= -530 {
			continue // the kernel's restart codes: strace shows "= ? ERESTART..."
		}
		at := i
		if len(execs[r.tid]) == 0 && born[r.tid].at > i {
			at = len(tr.recs) // logged before its parent's clone returned
		}
		tr.seen[call{prog(r.tid, at, 0), r.name, normRet(r.name, r.ret)}]++
	}
}

var (
	straceLine    = regexp.MustCompile(`^(\d+) +(\w+)\((.*)\) += (-?\w+)`)
	straceResumed = regexp.MustCompile(`^(\d+) +<\.\.\. (\w+) resumed>.*\) += (-?\w+)`)
	straceUnfin   = regexp.MustCompile(`^(\d+) +(\w+)\((.*) <unfinished \.\.\.>$`)
)

// parseStrace reads strace -f -o output.
func parseStrace(t *testing.T, path string) *tracker {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := newTracker()
	unfinished := map[int]string{} // tid -> first arg of an unfinished execve
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if m := straceLine.FindStringSubmatch(l); m != nil {
			tid, _ := strconv.Atoi(m[1])
			tr.add(tid, m[2], firstArg(m[3]), m[4])
		} else if m := straceUnfin.FindStringSubmatch(l); m != nil {
			tid, _ := strconv.Atoi(m[1])
			unfinished[tid] = firstArg(m[3])
		} else if m := straceResumed.FindStringSubmatch(l); m != nil {
			tid, _ := strconv.Atoi(m[1])
			tr.add(tid, m[2], unfinished[tid], m[3])
			delete(unfinished, tid)
		}
	}
	return tr
}

func firstArg(args string) string {
	if strings.HasPrefix(args, `"`) {
		if end := strings.Index(args[1:], `"`); end >= 0 {
			return args[:end+2]
		}
	}
	a, _, _ := strings.Cut(args, ",")
	return a
}

// parseJSON reads utrace-bpf's JSON lines.
func parseJSON(t *testing.T, path string) *tracker {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := newTracker()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Event string   `json:"event"`
			Tid   int      `json:"tid"`
			Name  string   `json:"name"`
			Args  []string `json:"args"`
			Ret   *int64   `json:"ret"`
			Errno string   `json:"errno"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if rec.Event != "syscall_exit" || rec.Ret == nil {
			continue
		}
		ret := strconv.FormatInt(*rec.Ret, 10)
		if rec.Errno != "" {
			ret = "-1" // strace shows -1 ERRNO; the errno itself is compared below
		}
		first := ""
		if len(rec.Args) > 0 {
			first = rec.Args[0]
		}
		if rec.Errno != "" {
			ret = "-1 " + rec.Errno
		}
		tr.add(rec.Tid, rec.Name, first, ret)
	}
	tr.finish()
	return tr
}

// straceErrno folds "-1" plus the errno name strace prints after it.
var straceErr = regexp.MustCompile(`^(\d+) +.* = -1 (E\w+) `)

// The syscalls engine's JSON log of a workload of coreutils, a shell
// pipeline and a threaded program has the same multiset of (program,
// syscall, return value) as strace -f of the same workload.
func TestSyscallsMatchStrace(t *testing.T) {
	needRoot(t)
	threads := progs.Build(t, "threads")
	workloads := []struct {
		name  string
		stdin string
		argv  []string
	}{
		{"coreutils", "", []string{"sh", "-c", "cat /etc/hostname; ls /usr/share/common-licenses; wc -l /etc/passwd; stat /nonexistent || true"}},
		{"pipeline", "", []string{"sh", "-c", "echo hello world | tr a-z A-Z | wc -c"}},
		{"threads", "g", []string{threads, "4", "200"}},
	}
	for _, w := range workloads {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			ours := filepath.Join(dir, "ours.jsonl")
			r := run(t, w.stdin, append([]string{"run", "-e", "syscalls", "--format", "json", "-o", ours, "--"}, w.argv...)...)
			if r.code != 0 {
				t.Fatalf("utrace-bpf: %v", r)
			}
			if !strings.Contains(r.stderr, "lost 0") {
				t.Fatalf("events lost or no summary: %v", r)
			}
			theirs := filepath.Join(dir, "strace.txt")
			cmd := exec.Command("strace", append([]string{"-f", "-qq", "-o", theirs, "--"}, w.argv...)...)
			cmd.Stdin = strings.NewReader(w.stdin)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("strace: %v\n%s", err, out)
			}
			a, b := parseJSON(t, ours), foldStraceErrno(t, theirs)
			if diff := compare(a.seen, b.seen); diff != "" {
				t.Errorf("utrace-bpf and strace -f differ (ours, strace):\n%s", diff)
			}
		})
	}
}

// foldStraceErrno parses strace output and folds errors into "-1 ERRNO"
// as the JSON side does.
func foldStraceErrno(t *testing.T, path string) *tracker {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if m := straceErr.FindStringSubmatch(l + " "); m != nil {
			l = strings.Replace(l, "= -1 "+m[2], "= -1_"+m[2], 1)
		}
		out = append(out, l)
	}
	folded := filepath.Join(t.TempDir(), "folded.txt")
	os.WriteFile(folded, []byte(strings.Join(out, "\n")), 0o644)
	tr := parseStrace(t, folded)
	tr.finish()
	fixed := map[call]int{}
	for c, n := range tr.seen {
		c.ret = strings.Replace(c.ret, "-1_", "-1 ", 1)
		fixed[c] += n
	}
	tr.seen = fixed
	return tr
}

func compare(a, b map[call]int) string {
	var lines []string
	keys := map[call]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		if a[k] != b[k] {
			lines = append(lines, fmt.Sprintf("  %-12s %-16s %-24s %d %d", k.prog, k.name, k.ret, a[k], b[k]))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// After a passive-only run attached to a process, strace can attach to it:
// passive engines never hold ptrace. Ctrl-C detaches and leaves it running.
func TestAttachPassiveThenStrace(t *testing.T) {
	needRoot(t)
	target := exec.Command("sleep", "30")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	pid := strconv.Itoa(target.Process.Pid)
	tracer := exec.Command(bin, "attach", "-p", pid, "-e", "syscalls", "-e", "proctree")
	var errb strings.Builder
	tracer.Stderr = &errb
	if err := tracer.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if tp := statusField(pid, "TracerPid"); tp != "0" {
		t.Errorf("passive engines hold ptrace: TracerPid %s", tp)
	}
	tracer.Process.Signal(os.Interrupt)
	if err := tracer.Wait(); err != nil {
		t.Fatalf("utrace-bpf attach: %v\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "events delivered") {
		t.Errorf("no summary: %s", errb.String())
	}
	out, _ := exec.Command("timeout", "-s", "INT", "0.5", "strace", "-p", pid).CombinedOutput()
	if !strings.Contains(string(out), "attached") {
		t.Errorf("strace could not attach:\n%s", out)
	}
	if err := target.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("target gone after detach: %v", err)
	}
}

func statusField(pid, field string) string {
	n, _ := strconv.Atoi(pid)
	return testenv.StatusField(n, field)
}
