package e2e

// Tests of single strace lines: each runs real strace and utrace-bpf on the
// same program (test/progs/c/stracecmp.c, coreutils) in the same test, and
// asserts that the lines strace prints for the data under test appear
// identically, after the normalisation of stracecmp_test.go, in the
// utrace-bpf log.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// captureWorkload is stracecmp MODE ARGS... in a temporary directory.
func captureWorkload(t *testing.T, args ...string) workload {
	t.Helper()
	return workload{argv: append([]string{progs.Build(t, "stracecmp")}, args...), dir: t.TempDir()}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

// The data a read(2) returned is logged, even though the program
// overwrites the buffer before its next system call: read(3, "vm\n", 64)
// = 3, and a longer read shows its first 32 bytes and "...".
func TestCaptureReadData(t *testing.T) {
	needRoot(t)
	w := captureWorkload(t, "read", "host", "big")
	writeFile(t, filepath.Join(w.dir, "host"), "vm\n", 0o644)
	var big strings.Builder
	for i := 1; big.Len() < 300; i++ {
		fmt.Fprintf(&big, "%d\n", i)
	}
	writeFile(t, filepath.Join(w.dir, "big"), big.String(), 0o644)
	p := traceBoth(t, w, nil, nil)
	p.expectSame(t, `^P1 read\(3, "vm\\n", 64\) = 3$`)
	p.expectSame(t, `^P1 read\(4, "1\\n2\\n3\\n.*"\.\.\., 200\) = 200$`)
	// The dynamic loader's read of libc's ELF header.
	p.expectSame(t, `^P1 read\(3, "\\177ELF`)
}

// Every line of a -o log starts with the pid as strace -f -o prints it
// ("%-5d "), and the " = " of each call is where strace puts it: ") ",
// then spaces up to column 40.
func TestCaptureLinePrefixAndPadding(t *testing.T) {
	needRoot(t)
	w := captureWorkload(t, "read", "host", "host")
	writeFile(t, filepath.Join(w.dir, "host"), "vm\n", 0o644)
	p := traceBoth(t, w, nil, nil)
	if bad := p.cmp.ours.badPrefix; len(bad) > 0 {
		t.Errorf("%d of utrace-bpf's lines lack strace's \"%%-5d \" pid prefix, e.g.\n  %s\nstrace's: %s",
			len(bad), strings.Join(firstN(bad, 3), "\n  "), firstLine(p.strace.log))
	}
	if bad := alignmentErrors(p.utrace.log); len(bad) > 0 {
		t.Errorf("%d of utrace-bpf's lines are padded unlike strace's, e.g.\n  %s", len(bad), strings.Join(firstN(bad, 3), "\n  "))
	}
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// fstat, stat and statx show the real st_mode and st_size, as strace
// prints them by default: {st_mode=S_IFREG|0644, st_size=47051, ...}; a
// directory's and /dev/null's (st_rdev) too.
func TestCaptureStat(t *testing.T) {
	needRoot(t)
	w := captureWorkload(t, "stat", "f47051", "sub")
	writeFile(t, filepath.Join(w.dir, "f47051"), strings.Repeat("x", 47051), 0o644)
	if err := os.Mkdir(filepath.Join(w.dir, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(w.dir, "sub"), 0o750)
	p := traceBoth(t, w, nil, nil)
	p.expectSame(t, `^P1 newfstatat\(3, "", \{st_mode=S_IFREG\|0644, st_size=47051, \.\.\.\}, AT_EMPTY_PATH\) = 0$`)
	p.expectSame(t, `^P1 newfstatat\(AT_FDCWD, "f47051", \{st_mode=S_IFREG\|0644, st_size=47051, \.\.\.\}, 0\) = 0$`)
	p.expectSame(t, `^P1 statx\(AT_FDCWD, "f47051", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, \{.*stx_size=47051, \.\.\.\}\) = 0$`)
	p.expectSame(t, `^P1 newfstatat\(AT_FDCWD, "sub", \{st_mode=S_IFDIR\|0750, `)
	p.expectSame(t, `^P1 newfstatat\(AT_FDCWD, "/dev/null", \{st_mode=S_IFCHR\|0666, st_rdev=makedev\(0x1, 0x3\), \.\.\.\}, 0\) = 0$`)
	// The dynamic loader's fstat of the libraries.
	p.expectSame(t, `^P1 newfstatat\(3, "", \{st_mode=S_IFREG\|0755, st_size=\d+, \.\.\.\}, AT_EMPTY_PATH\) = 0$`)
}

// An execve shows its argv and the envp address with the count of
// variables: execve("/bin/echo", ["/bin/echo", "hello", "from exec"],
// 0x... /* N vars */) = 0; the traced command's own execve too.
func TestCaptureExecArgv(t *testing.T) {
	needRoot(t)
	w := captureWorkload(t, "exec")
	p := traceBoth(t, w, nil, nil)
	p.expectSame(t, `^P1 execve\("/bin/echo", \["/bin/echo", "hello", "from exec"\], 0xADDR /\* 3 vars \*/\) = 0$`)
	p.expectSame(t, `^P1 execve\("[^"]*/stracecmp", \["[^"]*"(\.\.\.)?, "exec"\], 0xADDR /\* 3 vars \*/\) = 0$`)
	p.expectSame(t, `^P1 write\(1, "hello from exec\\n", 16\) = 16$`)
}

// ln -s: symlinkat("target1", AT_FDCWD, "l1") = 0, both strings read.
func TestCaptureSymlinkat(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	w := workload{argv: []string{"ln", "-s", "target1", "l1"}, dir: dir,
		reset: func() { os.Remove(filepath.Join(dir, "l1")) }}
	p := traceBoth(t, w, nil, nil)
	p.expectSame(t, `^P1 symlinkat\("target1", AT_FDCWD, "l1"\) = 0$`)
	p.expectSame(t, `^P1 execve\("/usr/bin/ln", \["ln", "-s", "target1", "l1"\], `)
}

// A path in a page the process never touched (a MAP_PRIVATE mapping of a
// file whose page cache was dropped, the path crossing into its second
// page) is logged whole: the kernel faults it in during the call, after
// any tracepoint at the entry ran.
func TestCaptureUntouchedPathPage(t *testing.T) {
	needRoot(t)
	w := captureWorkload(t, "nopage", "paths", "4080")
	target := filepath.Join(w.dir, "the-target-file-of-an-untouched-path")
	writeFile(t, target, "target\n", 0o644)
	page := make([]byte, 8192)
	for i := range page {
		page[i] = 'x'
	}
	copy(page[4080:], target+"\x00")
	if len(target) <= 16 {
		t.Fatalf("path %q does not cross the page boundary", target)
	}
	writeFile(t, filepath.Join(w.dir, "paths"), string(page), 0o644)
	p := traceBoth(t, w, nil, nil)
	// The program checks, right before the call, that neither page of
	// the path was resident or mapped in its page table.
	if !regexp.MustCompile(`^resident=0 present=0 fd=\d+\n$`).MatchString(p.utrace.stdout) {
		t.Fatalf("precondition: the path's pages must not be resident before the call; the program says %q", p.utrace.stdout)
	}
	p.expectSame(t, `^P1 openat\(AT_FDCWD, "`+regexp.QuoteMeta(target)+`", O_RDONLY\) = 3$`)
}

// -e syscalls:trace=SPEC logs exactly the calls strace -e trace=SPEC logs
// (and the same signals and exits): names, lists, %classes.
func TestCaptureTraceFilter(t *testing.T) {
	needRoot(t)
	conform := progs.Build(t, "conform")
	cases := []struct {
		spec string
		argv []string // default: cat FILE
	}{
		{spec: "openat"},
		{spec: "read"},
		{spec: "close"},
		{spec: "openat,close"},
		{spec: "%desc"},
		{spec: "%file"},
		{spec: "%memory"},
		{spec: "%network", argv: []string{conform, "server"}},
		{spec: "%process", argv: []string{conform, "exec"}},
		{spec: "%signal", argv: []string{conform, "signals"}},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.spec, "%"), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "file"), "vm\n", 0o644)
			argv := c.argv
			if argv == nil {
				argv = []string{"cat", "file"}
			}
			p := traceBoth(t, workload{argv: argv, dir: dir}, []string{"-e", "trace=" + c.spec}, []string{"syscalls:trace=" + c.spec})
			p.cmp.utraceOnly = dropToolMessages(p.cmp.utraceOnly)
			if len(p.cmp.straceOnly) > 0 || len(p.cmp.utraceOnly) > 0 {
				t.Errorf("-e syscalls:trace=%s does not log what strace -e trace=%s logs:\n%s", c.spec, c.spec, p.cmp.report(6))
			}
		})
	}
}

// countTable reads strace -c's table (and utrace-bpf's counter table):
// syscall name -> "calls/errors".
func countTable(text string) map[string]string {
	rows := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) < 5 || len(f) > 6 {
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		name, calls, errs := f[len(f)-1], f[3], "0"
		if len(f) == 6 {
			errs = f[4]
		}
		if name == "total" {
			continue
		}
		rows[name] = calls + "/" + errs
	}
	return rows
}

// -e counter:trace=openat counts only openat, as strace -f -c -e
// trace=openat does, with the same calls and errors.
func TestCaptureCounterFilter(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "file"), "vm\n", 0o644)
	w := workload{argv: []string{"cat", "file", "missing"}, dir: dir}
	s := runStrace(t, w, "-c", "-e", "trace=openat")
	u := runUtrace(t, w, "counter:trace=openat")
	want := countTable(s.log)
	if len(want) != 1 || want["openat"] == "" {
		t.Fatalf("strace -c table without openat alone (test bug): %v\n%s", want, s.log)
	}
	got := countTable(u.log + "\n" + u.stderr)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counter:trace=openat counted (calls/errors) %v, strace -c -e trace=openat %v\nutrace-bpf:\n%s%s\nstrace:\n%s",
			got, want, u.log, u.stderr, s.log)
	}
	if s.code != u.code {
		t.Errorf("exit status: strace %d, utrace-bpf %d", s.code, u.code)
	}
}

// When the log cannot be written (-o /dev/full), utrace-bpf exits with
// status 1 and says so in one line on standard error.
//
// strace 6.1 does otherwise: `strace -o /dev/full echo hi` runs echo to the
// end, prints "strace: /dev/full: No space left on device" once for every
// line it failed to write (112 times for echo hi), and exits with echo's
// status, 0. The test runs it and logs what it did; the utrace-bpf contract
// (one line, status 1) is what it asserts.
func TestCaptureOutputWriteError(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	s := execTool(t, "strace", dir, []string{"-o", "/dev/full", "echo", "hi"})
	t.Logf("strace -o /dev/full echo hi: exit %d, %d lines on stderr, first %q", s.code,
		strings.Count(s.stderr, "\n"), firstLine(s.stderr))
	u := execTool(t, bin, dir, []string{"run", "-o", "/dev/full", "--", "echo", "hi"})
	if u.code != 1 {
		t.Errorf("utrace-bpf run -o /dev/full: exit %d, want 1\n%v", u.code, u)
	}
	var lines []string
	for _, l := range strings.Split(u.stderr, "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "/dev/full") ||
		!strings.Contains(strings.ToLower(lines[0]), "no space left on device") {
		t.Errorf("utrace-bpf run -o /dev/full: want one line naming /dev/full and the error (no space left on device) on stderr, got %d:\n%s",
			len(lines), u.stderr)
	}
}

// An injected error is logged where it happened, with its real arguments
// and strace's " (INJECTED)" mark, and the log is in strace's order:
// strace -e inject=openat:error=EACCES:when=N, N being the number of the
// openat call of FILE, against -e syscalls -e
// inject:syscall=openat,path=FILE,error=EACCES.
func TestCaptureInjectError(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "hostname")
	writeFile(t, file, "vm\n", 0o644)
	w := workload{argv: []string{"cat", file}, dir: dir}
	plain := normalize(runStrace(t, w).log, prefixFile)
	nth := 0
	for _, l := range plain.lines {
		if strings.HasPrefix(bodyOf(l), "openat(") {
			nth++
			if strings.Contains(l, `"`+file+`"`) {
				break
			}
		}
	}
	if nth == 0 {
		t.Fatalf("cat %s does not open it (test bug)", file)
	}
	p := traceBoth(t, w, []string{"-e", fmt.Sprintf("inject=openat:error=EACCES:when=%d", nth)},
		[]string{"syscalls", "inject:syscall=openat,path=" + file + ",error=EACCES"})
	p.expectSame(t, `^P1 openat\(AT_FDCWD, "`+regexp.QuoteMeta(file)+`", O_RDONLY\) = -1 EACCES \(Permission denied\) \(INJECTED\)$`)
	p.expectSame(t, `^P1 write\(2, `)
	if d := firstDifference(sequence(p.cmp.theirs, "P1"), sequence(p.cmp.ours, "P1")); d != "" {
		t.Errorf("the log's order differs from strace's at %s", d)
	}
}

// Signals: a handled SIGUSR1 (--- SIGUSR1 {...} ---, rt_sigreturn({mask=[]})
// = 0) and a SIGCHLD caught by sigsuspend (--- SIGCHLD {si_signo=SIGCHLD,
// si_code=CLD_EXITED, si_pid=..., ...} ---, rt_sigreturn({mask=[CHLD]})),
// the child's exit_group and +++ exited with 0 +++.
func TestCaptureSignals(t *testing.T) {
	needRoot(t)
	p := traceBoth(t, captureWorkload(t, "signals"), nil, nil)
	p.expectSame(t, `^P1 --- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=P1, si_uid=0\} ---$`)
	p.expectSame(t, `^P1 rt_sigreturn\(\{mask=\[\]\}\) = 0$`)
	p.expectSame(t, `^P1 tgkill\(P1, P1, SIGUSR1\) = 0$`)
	p.expectSame(t, `^P1 rt_sigaction\(SIGCHLD, \{sa_handler=0xADDR, sa_mask=\[\], sa_flags=SA_RESTORER, sa_restorer=0xADDR\}, NULL, 8\) = 0$`)
	p.expectSame(t, `^P1 rt_sigsuspend\(\[\], 8\) = \? ERESTARTNOHAND \(To be restarted if no handler\)$`)
	p.expectSame(t, `^P1 --- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=P1\.1, si_uid=0, si_status=0, si_utime=N, si_stime=N\} ---$`)
	p.expectSame(t, `^P1 rt_sigreturn\(\{mask=\[CHLD\]\}\) = -1 EINTR \(Interrupted system call\)$`)
	p.expectSame(t, `^P1 wait4\(P1\.1, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0, NULL\) = P1\.1$`)
	p.expectSame(t, `^P1\.1 `)
	p.expectSame(t, `^P1 \+\+\+ exited with 0 \+\+\+$`)
}

// A NULL store: --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR,
// si_addr=NULL} --- and +++ killed by SIGSEGV (core dumped) +++ (with
// RLIMIT_CORE unlimited; without "(core dumped)" with 0), and exit status
// 139 as strace's.
func TestCaptureSegv(t *testing.T) {
	needRoot(t)
	for _, mode := range []string{"core", "nocore"} {
		t.Run(mode, func(t *testing.T) {
			w := captureWorkload(t, "segv", mode)
			p := traceBoth(t, w, nil, nil)
			if p.utrace.code != 139 {
				t.Errorf("exit status %d, want 139 (128+SIGSEGV)", p.utrace.code)
			}
			p.expectSame(t, `^P1 --- SIGSEGV \{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL\} ---$`)
			p.expectSame(t, `^P1 prlimit64\(0, RLIMIT_CORE, `)
			if mode == "core" {
				p.expectSame(t, `^P1 \+\+\+ killed by SIGSEGV \(core dumped\) \+\+\+$`)
			} else {
				p.expectSame(t, `^P1 \+\+\+ killed by SIGSEGV \+\+\+$`)
			}
		})
	}
}

// pipe2([3, 4], 0), a raw clone3({flags=0, exit_signal=SIGCHLD, ...}, 88),
// the child's write(4, "hi\n", 3), the parent's read and write(1, "hi\n",
// 3), wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL), the
// SIGCHLD and the child's exit.
func TestCapturePipeFork(t *testing.T) {
	needRoot(t)
	p := traceBoth(t, captureWorkload(t, "pipefork"), nil, nil)
	p.expectSame(t, `^P1 pipe2\(\[3, 4\], 0\) = 0$`)
	p.expectSame(t, `^P1 clone3\(\{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0\}, 88\) = P1\.1$`)
	p.expectSame(t, `^P1\.1 write\(4, "hi\\n", 3\) = 3$`)
	p.expectSame(t, `^P1 read\(3, "hi\\n", 16\) = 3$`)
	p.expectSame(t, `^P1 write\(1, "hi\\n", 3\) = 3$`)
	p.expectSame(t, `^P1 wait4\(-1, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0, NULL\) = P1\.1$`)
	p.expectSame(t, `^P1 --- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=P1\.1, `)
	p.expectSame(t, `^P1\.1 exit_group\(0\) = \?$`)
	p.expectSame(t, `^P1\.1 \+\+\+ exited with 0 \+\+\+$`)
}

// Threads: pthread_create's clone3 with its flags and "=> {parent_tid=[N]}",
// each thread's calls, exit(0) = ? and its own +++ exited with 0 +++, and
// for the thread still blocked in read(2) when the process exits, the call
// cut short (read(3,  <unfinished ...>) = ?) and its +++ line.
func TestCaptureThreadExits(t *testing.T) {
	needRoot(t)
	p := traceBoth(t, captureWorkload(t, "threads"), nil, nil)
	p.expectSame(t, `^P1 clone3\(\{flags=CLONE_VM\|CLONE_FS\|CLONE_FILES\|CLONE_SIGHAND\|CLONE_THREAD\|CLONE_SYSVSEM\|CLONE_SETTLS\|CLONE_PARENT_SETTID\|CLONE_CHILD_CLEARTID, .*\} => \{parent_tid=\[P1\.\d\]\}, 88\) = P1\.\d$`)
	p.expectSame(t, `^P1\.\d write\(1, "thread \d\\n", 9\) = 9$`)
	p.expectSame(t, `^P1\.\d exit\(0\) = \?$`)
	p.expectSame(t, `^P1\.4 read\(3, `)
	p.expectSame(t, `^P1(\.\d)? \+\+\+ exited with 0 \+\+\+$`)
	p.expectSame(t, `^P1 exit_group\(0\) = \?$`)
}

// Without -o the log goes to standard error, as strace -f's: no prefix
// while one process is traced, "[pid %5u] " once more than one is.
func TestCaptureStderrPrefixes(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "file"), "vm\n", 0o644)
	t.Run("one process", func(t *testing.T) {
		argv := []string{"cat", "file"}
		s := execTool(t, "strace", dir, append([]string{"-f", "--"}, argv...))
		u := execTool(t, bin, dir, append([]string{"run", "--"}, argv...))
		if strings.Contains(u.stderr, "[pid ") {
			t.Errorf("utrace-bpf prefixes lines of a single process:\n%s", strings.Join(firstN(strings.Split(u.stderr, "\n"), 3), "\n"))
		}
		c := compareLogs(normalize(s.stderr, prefixStderr), normalize(u.stderr, prefixStderr))
		if c.ratio() < 0.99 {
			t.Errorf("standard error log: %s", c.report(4))
		}
	})
	t.Run("two processes", func(t *testing.T) {
		// dash forks cat (the "; true" keeps it from exec'ing it).
		argv := []string{"sh", "-c", "cat file; true"}
		s := execTool(t, "strace", dir, append([]string{"-f", "--"}, argv...))
		u := execTool(t, bin, dir, append([]string{"run", "--"}, argv...))
		for _, r := range []tracedRun{s, u} {
			msg := checkStderrPrefixes(r.stderr)
			head := strings.Join(firstN(strings.Split(r.stderr, "\n"), 12), "\n")
			if r.tool == "strace" && msg != "" {
				t.Fatalf("strace's log breaks the rule (test bug): %s\n%s", msg, head)
			}
			if msg != "" {
				t.Errorf("utrace-bpf: %s\n%s\n...", msg, head)
			}
		}
	})
}

var cloneRet = regexp.MustCompile(`^(?:\[pid +\d+\] )?(?:(?:clone3?|vfork|fork)\(|<\.\.\. (?:clone3?|vfork|fork) resumed>).* = (\d+)$`)

// checkStderrPrefixes checks a strace -f log on standard error of sh -c
// 'cat file; true': sh's execve unprefixed, cat's execve prefixed with
// "[pid %5u] " and the pid sh's clone returned, sh's final "+++ exited
// with 0 +++" unprefixed again, every prefix in that exact format.
func checkStderrPrefixes(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], `execve("/usr/bin/sh", `) {
		return fmt.Sprintf("first line %q, want sh's execve without a prefix", lines[0])
	}
	child := ""
	for _, l := range lines {
		if m := stderrPrefix.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			if !strings.HasPrefix(l, fmt.Sprintf("[pid %5d] ", n)) {
				return fmt.Sprintf("prefix not in strace's format \"[pid %%5u] \": %q", l)
			}
		}
		if m := cloneRet.FindStringSubmatch(l); m != nil && child == "" {
			child = m[1]
		}
	}
	if child == "" {
		return "no clone of cat"
	}
	n, _ := strconv.Atoi(child)
	want := fmt.Sprintf(`[pid %5d] execve("/usr/bin/cat", ["cat", "file"], `, n)
	found := false
	for _, l := range lines {
		found = found || strings.HasPrefix(l, want)
	}
	if !found {
		return fmt.Sprintf("no line starting %q", want)
	}
	last := ""
	for _, l := range lines {
		if strings.Contains(l, "+++ exited with") {
			last = l
		}
	}
	if last != "+++ exited with 0 +++" {
		return fmt.Sprintf("sh's exit line %q, want \"+++ exited with 0 +++\" without a prefix", last)
	}
	return ""
}
