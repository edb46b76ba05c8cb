package e2e

// The strace conformance test: real workloads run under `strace -f -o A`
// and under `utrace-bpf run -o B` (the default pipeline, the syscalls log),
// and at least 99% of strace's lines must appear, exactly, in utrace-bpf's
// log; no more than 1% of utrace-bpf's lines may be lines strace did not
// print (utrace-bpf's own end-of-run summary line aside). The 1% leaves
// room for what stays nondeterministic in a shell: how many SIGCHLDs of
// children that exit at once are coalesced, and at which point of the
// shell an asynchronous SIGCHLD's handler returns (rt_sigreturn's value).
// The command's exit status and standard output must be the same (its
// lines in any order: concurrent threads write theirs in any order).
//
// What is normalised, and why (stracecmp_test.go does it, in canon and
// parseLog); everything else is compared byte for byte — strings and
// buffers, structures, flags, paths, return values and errno names:
//
//   - Unfinished/resumed pairs are joined into the one line strace prints
//     when nothing comes between a call's entry and exit: where two tasks'
//     calls overlap is a matter of scheduling, and it differs from run to
//     run even between two strace runs.
//   - Lines are compared as a multiset, not in order, for the same reason
//     (the order within one task is compared by TestCaptureInjectError).
//   - Pids, in line prefixes and inside lines (results of clone, fork,
//     getpid, gettid, getppid, set_tid_address, wait4...; pid arguments of
//     kill, tgkill, wait4, prlimit64...; si_pid=, parent_tid=[...],
//     "/proc/PID/"), become names that depend only on the process tree:
//     P1 is the command, P1.k the k-th task P1 created, PTn tasks whose
//     creation the log does not show (filtered logs), PXn other pids.
//   - The padding before " = ": strace pads to column 40 counting the pid
//     prefix, whose width depends on the pid (TestCaptureLinePrefixAndPadding
//     checks the padding itself).
//   - Addresses, 0x and eight or more hex digits: ASLR moves them.
//   - getrandom's bytes, si_utime and si_stime (CPU ticks), and the
//     numbers in the results of getrusage, times, sysinfo, clock_gettime,
//     gettimeofday and time, and the rest of an interrupted sleep: they
//     change from run to run by nature.
//
// Both runs have the same environment (cmpEnv), working directory and
// standard input (/dev/null), and pipes for standard output and error.
// The workloads are deterministic: no network but a Unix socket, no
// timing-dependent output, no calls whose results depend on scheduling
// (see test/progs/c/conform.c); each is run once untraced first, so that
// caches the first run would fill are filled for both.
//
// UTRACE_STRACECMP_CONTROL=1 replaces utrace-bpf by a second strace run:
// the ratio must then be 100%, or the workload (or the normalisation) is
// not deterministic and the test itself needs fixing.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

const (
	minReproduced = 0.99 // of strace's lines, found exactly in utrace-bpf's log
	maxExtra      = 0.01 // of utrace-bpf's lines, not in strace's log
)

func TestConformanceWithStrace(t *testing.T) {
	needRoot(t)
	control := os.Getenv("UTRACE_STRACECMP_CONTROL") != ""
	conform := progs.Build(t, "conform")
	threads := progs.Build(t, "stracecmp")

	// A directory to list: files of several sizes and modes, a symlink, a
	// subdirectory, a FIFO.
	tree := t.TempDir()
	for i, mode := range []os.FileMode{0o644, 0o600, 0o755, 0o444, 0o640} {
		writeFile(t, filepath.Join(tree, fmt.Sprintf("file%d.txt", i)), strings.Repeat("data\n", i*300), mode)
	}
	os.Symlink("file0.txt", filepath.Join(tree, "link"))
	os.Mkdir(filepath.Join(tree, "subdir"), 0o755)
	if out, err := exec.Command("mkfifo", filepath.Join(tree, "fifo")).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	text := filepath.Join(tree, "file3.txt")

	workloads := []struct {
		name string
		argv []string
	}{
		{"ls", []string{"ls", "-la", tree}},
		{"cat", []string{"cat", text, "/etc/passwd"}},
		{"wc", []string{"wc", text, "/etc/services"}},
		{"stat", []string{"stat", "-c", "%n %s %F %a", text, tree}},
		{"pipeline", []string{"sh", "-c", "ls /etc | sort | head -3"}},
		{"shell", []string{"sh", "-c", "cp " + text + " copy && cmp " + text + " copy && rm copy; echo done"}},
		{"python", []string{"python3", "-B", "-c", "import json; print(json.dumps({'a': 1}))"}},
		{"threads", []string{conform, "threads"}},
		{"thread exits", []string{threads, "threads"}},
		{"server", []string{conform, "server"}},
		{"signals", []string{conform, "signals"}},
		{"fails", []string{conform, "fails"}},
		{"exec", []string{conform, "exec"}},
		{"sleeps", []string{conform, "sleeps"}},
	}
	var summary []string
	for _, w := range workloads {
		t.Run(w.name, func(t *testing.T) {
			wl := workload{argv: w.argv, dir: t.TempDir()}
			warm := exec.Command(w.argv[0], w.argv[1:]...)
			warm.Env, warm.Dir = cmpEnv, wl.dir
			warm.Run()

			s := runStrace(t, wl)
			var u tracedRun
			if control {
				u = runStrace(t, wl)
			} else {
				u = runUtrace(t, wl)
			}
			if s.code != u.code {
				t.Errorf("exit status: strace %d, %s %d\n%v", s.code, u.tool, u.code, u)
			}
			if sortedLines(s.stdout) != sortedLines(u.stdout) {
				t.Errorf("the command's output differs: under strace %q, under %s %q", s.stdout, u.tool, u.stdout)
			}
			c := compareLogs(normalize(s.log, prefixFile), normalize(u.log, prefixFile))
			c.utraceOnly = dropToolMessages(c.utraceOnly)
			line := fmt.Sprintf("%-12s %6.2f%% of %5d strace lines reproduced, %4d of %5d utrace-bpf lines extra; top kinds (strace only/utrace-bpf only): %s",
				w.name, 100*c.ratio(), len(c.theirs.lines), len(c.utraceOnly), len(c.ours.lines), c.topKinds(6))
			summary = append(summary, line)
			t.Log(line)
			if bad := alignmentErrors(u.log); len(bad) > 0 {
				t.Logf("%d lines padded unlike strace's (see TestCaptureLinePrefixAndPadding), e.g. %s", len(bad), bad[0])
			}
			if n := len(c.ours.badPrefix); n > 0 {
				t.Errorf("%d of %d lines lack strace -f -o's \"%%-5d \" pid prefix, e.g. %q", n, len(c.ours.lines), c.ours.badPrefix[0])
			}
			if c.ratio() < minReproduced || c.extraRatio() > maxExtra {
				t.Errorf("%s does not reproduce strace's log (want >= %.0f%% of strace's lines, <= %.0f%% extra):\n%s",
					u.tool, 100*minReproduced, 100*maxExtra, c.report(5))
			}
		})
	}
	t.Logf("summary:\n%s", strings.Join(summary, "\n"))
}

// dropToolMessages leaves out of the extra lines utrace-bpf's own messages
// (its end-of-run summary, "utrace-bpf: reports: ..."), which strace's log
// does not have either: TestCaptureLinePrefixAndPadding, which wants
// strace's prefix on every line, reports them; the conformance is about the
// trace.
func dropToolMessages(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !(task(l) == "?" && strings.HasPrefix(bodyOf(l), "utrace-bpf: ")) {
			out = append(out, l)
		}
	}
	return out
}

func sortedLines(s string) string {
	l := strings.Split(s, "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}
