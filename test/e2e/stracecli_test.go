package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// straceBoth runs `strace -f OPTS -o LOG -- argv` and `utrace-bpf strace
// -f OPTS -o LOG -- argv` on the same workload.
func straceBoth(t *testing.T, w workload, opts ...string) (theirs, ours tracedRun) {
	t.Helper()
	theirs = runStrace(t, w, opts...)
	ours = runTraced(t, w, bin, func(out string) []string {
		return append([]string{"strace"}, straceArgs(out, opts, w.argv)...)
	})
	if theirs.code != ours.code {
		t.Errorf("exit status: strace %d, utrace-bpf strace %d\n%v\n%v", theirs.code, ours.code, theirs, ours)
	}
	return theirs, ours
}

// stripLines applies re to every line after its "PID   " prefix, keeps
// what re's submatches captured in a list per log, and removes the match;
// lines without a match are reported.
func stripLines(t *testing.T, who, log string, re *regexp.Regexp, needed func(body string) bool) (string, [][]string) {
	t.Helper()
	var b strings.Builder
	var got [][]string
	for line := range strings.Lines(log) {
		line = strings.TrimSuffix(line, "\n")
		// The prefix as strace writes it, "%-5d ": its pattern also takes
		// the padding of a stamp that follows (-r's "%6ld.%06ld ").
		prefix := filePrefix.FindString(line)
		body := line[len(prefix):]
		if pid := strings.TrimSpace(prefix); pid != "" {
			if canon := fmt.Sprintf("%-5s ", pid); len(canon) < len(prefix) {
				body = line[len(canon):]
				prefix = canon
			}
		}
		if m := re.FindStringSubmatchIndex(body); m != nil {
			var subs []string
			for i := 2; i < len(m); i += 2 {
				subs = append(subs, body[m[i]:m[i+1]])
			}
			got = append(got, subs)
			body = body[:m[0]] + body[m[1]:]
		} else if needed(body) {
			t.Errorf("%s: line without the expected field: %q", who, line)
		}
		b.WriteString(prefix + body + "\n")
	}
	return b.String(), got
}

// expectSameLines compares two strace logs after normalisation and wants
// every line of strace's reproduced, and nothing else.
func expectSameLines(t *testing.T, theirs, ours string) {
	t.Helper()
	c := compareLogs(restored(normalize(theirs, prefixFile)), restored(normalize(ours, prefixFile)))
	if c.ratio() < 1 || len(c.utraceOnly) > 0 {
		t.Errorf("%.1f%% of strace's %d lines reproduced, %d extra:\n%s", 100*c.ratio(), len(c.theirs.lines), len(c.utraceOnly), c.report(10))
	}
}

// sigreturnRet is rt_sigreturn's return value in a canonical line.
var sigreturnRet = regexp.MustCompile(`^(\S+ rt_sigreturn\(.*\)) = \S+$`)

// restored hides rt_sigreturn's return value, which is what the return
// register held where the signal came: it differs from run to run of a
// program whose signals come at times of their own (a child's SIGCHLD).
func restored(l normLog) normLog {
	for i, line := range l.lines {
		l.lines[i] = sigreturnRet.ReplaceAllString(line, "$1 = RESTORED")
	}
	return l
}

// -T: the same lines as strace's, each call with its time, and the time of
// a 50 ms sleep within [50 ms, 80 ms].
func TestStraceCommandT(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"sleep", "0.05"}, dir: t.TempDir()}
	opts := []string{"-T", "-e", "trace=clock_nanosleep,nanosleep,openat,close,read"}
	theirs, ours := straceBoth(t, w, opts...)
	durRe := regexp.MustCompile(` <(\d+)\.(\d{6})>$`)
	returns := func(body string) bool { return !strings.HasPrefix(body, "+++") && !strings.HasSuffix(body, "= ?") }
	th, _ := stripLines(t, "strace", theirs.log, durRe, returns)
	us, durs := stripLines(t, "utrace-bpf", ours.log, durRe, returns)
	expectSameLines(t, th, us)
	var sleep time.Duration
	for i, line := range strings.Split(strings.TrimSpace(us), "\n") {
		if strings.Contains(line, "nanosleep(") && i < len(durs) {
			s, _ := strconv.Atoi(durs[i][0])
			us, _ := strconv.Atoi(durs[i][1])
			sleep = time.Duration(s)*time.Second + time.Duration(us)*time.Microsecond
		}
	}
	if sleep < 50*time.Millisecond || sleep > 80*time.Millisecond {
		t.Errorf("-T of a 50 ms sleep: %v, want within [50ms, 80ms]\n%s", sleep, ours.log)
	}
}

// -t, -tt, -ttt and -r: each line stamped as strace stamps it, the wall
// clock stamps within the run, and the lines otherwise strace's.
func TestStraceCommandStamps(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"cat", "/etc/hostname"}, dir: t.TempDir()}
	for _, c := range []struct {
		opt  string
		re   string
		wall func(string) time.Time
	}{
		{"-t", `^(\d\d:\d\d:\d\d) `, clockAt("15:04:05")},
		{"-tt", `^(\d\d:\d\d:\d\d\.\d{6}) `, clockAt("15:04:05.000000")},
		{"-ttt", `^(\d+\.\d{6}) `, func(s string) time.Time {
			f, _ := strconv.ParseFloat(s, 64)
			return time.Unix(0, int64(f*1e9))
		}},
		{"-r", `^( {0,5}\d+\.\d{6}) `, nil},
	} {
		t.Run(c.opt, func(t *testing.T) {
			start := time.Now().Add(-time.Second)
			theirs, ours := straceBoth(t, w, c.opt, "-e", "trace=%file,read,write,close")
			end := time.Now().Add(time.Second)
			re := regexp.MustCompile(c.re)
			all := func(string) bool { return true }
			th, _ := stripLines(t, "strace", theirs.log, re, all)
			us, stamps := stripLines(t, "utrace-bpf", ours.log, re, all)
			expectSameLines(t, th, us)
			for _, s := range stamps {
				if c.wall == nil {
					continue
				}
				if at := c.wall(s[0]); at.Before(start.Truncate(time.Second)) || at.After(end) {
					t.Errorf("%s stamp %q (%v) is not within the run [%v, %v]", c.opt, s[0], at, start, end)
				}
			}
		})
	}
}

// clockAt parses a time of day as today's, local time.
func clockAt(layout string) func(string) time.Time {
	return func(s string) time.Time {
		now := time.Now()
		tod, err := time.ParseInLocation(layout, s, time.Local)
		if err != nil {
			return time.Time{}
		}
		return time.Date(now.Year(), now.Month(), now.Day(), tod.Hour(), tod.Minute(), tod.Second(), tod.Nanosecond(), time.Local)
	}
}

// -z, -Z and -e status=: the successful or failed calls only, as strace.
func TestStraceCommandStatus(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"ls", "/nonexistent"}, dir: t.TempDir()}
	for _, opts := range [][]string{{"-z"}, {"-Z"}, {"-e", "status=failed"}, {"-e", "status=successful", "-e", "trace=%file"}} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			theirs, ours := straceBoth(t, w, opts...)
			expectSameLines(t, theirs.log, ours.log)
		})
	}
}

// -c: the counter's table, with strace's columns and calls.
func TestStraceCommandC(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"cat", "/etc/hostname"}, dir: t.TempDir()}
	theirs, ours := straceBoth(t, w, "-c", "-e", "trace=openat,close,read")
	callsRe := regexp.MustCompile(`(?m)^\s*[0-9.]+\s+[0-9.]+\s+\d+\s+(\d+)\s+(\d+\s+)?(\w+)\s*$`)
	count := func(log string) map[string]string {
		m := map[string]string{}
		for _, s := range callsRe.FindAllStringSubmatch(log, -1) {
			m[s[3]] = s[1] + "/" + strings.TrimSpace(s[2])
		}
		return m
	}
	a, b := count(theirs.log), count(ours.log)
	for _, name := range []string{"openat", "close", "read", "total"} {
		if a[name] == "" || a[name] != b[name] {
			t.Errorf("%s: strace %q calls/errors, utrace-bpf %q\nstrace:\n%s\nutrace-bpf:\n%s", name, a[name], b[name], theirs.log, ours.log)
		}
	}
}

// -c -S name and -S calls: the table's rows in strace's order.
func TestStraceCommandSortBy(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"cat", "/etc/hostname"}, dir: t.TempDir()}
	rowRe := regexp.MustCompile(`(?m)^\s*[0-9.]+\s+[0-9.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$`)
	rows := func(log string) []string {
		var r []string
		for _, m := range rowRe.FindAllStringSubmatch(log, -1) {
			r = append(r, m[2]+"="+m[1])
		}
		return r
	}
	for _, by := range []string{"name", "calls"} {
		theirs, ours := straceBoth(t, w, "-c", "-w", "-S", by, "-e", "trace=openat,close,read,mmap")
		if a, b := rows(theirs.log), rows(ours.log); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("-S %s: strace's rows %v, utrace-bpf's %v", by, a, b)
		}
	}
}

// Options utrace-bpf strace does not have are refused, naming the option,
// with exit status 2 and nothing run.
func TestStraceCommandRefuses(t *testing.T) {
	for _, args := range [][]string{{"-k", "true"}, {"-i", "true"}, {"-e", "inject=openat:signal=SIGUSR1", "true"}, {"-e", "inject=openat:error=ENOENT:when=0+2", "true"}, {"-e", "inject=openat:error=ENOENT:when=3..2", "true"}, {"-e", "fault=openat:when=4..+", "true"}, {"-c", "-U", "min-time,name", "true"}, {"--decode-fds", "true"}, {"-X", "names", "true"}, {"-o"}} {
		r := run(t, "", append([]string{"strace"}, args...)...)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "strace:") {
			t.Errorf("strace %q: exit %d, stderr %q; want one line and status 2", args, r.code, r.stderr)
		}
	}
}

// -s N: strings and buffers cut at N bytes, as strace cuts them (the
// kernel copies that many).
func TestStraceCommandS(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte(strings.Repeat("0123456789abcdef", 40)), 0o644); err != nil {
		t.Fatal(err)
	}
	w := workload{argv: []string{"cat", "data"}, dir: dir}
	for _, n := range []string{"0", "5", "100", "500"} {
		t.Run(n, func(t *testing.T) {
			theirs, ours := straceBoth(t, w, "-s", n, "-e", "trace=read,write,openat")
			expectSameLines(t, theirs.log, ours.log)
		})
	}
}

// -n, -qq, -e signal=, -E and -C: the same lines as strace's.
func TestStraceCommandOutputOptions(t *testing.T) {
	needRoot(t)
	sig := workload{argv: []string{"sh", "-c", "trap 'echo usr1' USR1; kill -USR1 $$; /bin/true; echo $FOO"}, dir: t.TempDir()}
	for _, opts := range [][]string{
		{"-n", "-e", "trace=openat,close,read"},
		{"-qq", "-e", "trace=close"},
		{"-e", "signal=SIGUSR1", "-e", "trace=kill"},
		{"-e", "signal=!SIGUSR1", "-e", "trace=kill"},
		{"-e", "signal=none", "-e", "trace=kill"},
		{"-E", "FOO=from-E", "-e", "trace=write"},
		{"-E", "PATH", "-e", "trace=execve"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			theirs, ours := straceBoth(t, sig, opts...)
			if opts[0] == "-n" {
				// strace numbers signal and exit lines with the call the
				// task was in or made last, which the kernel's filter
				// kept from utrace-bpf: those lines have no number here
				// (README: Coming from strace).
				theirs.log = regexp.MustCompile(`(?m)^(\d+ +)\[ *\d+\] ((?:---|\+\+\+) )`).ReplaceAllString(theirs.log, "$1$2")
			}
			expectSameLines(t, theirs.log, ours.log)
			if theirs.stdout != ours.stdout {
				t.Errorf("the program's output: strace %q, utrace-bpf %q", theirs.stdout, ours.stdout)
			}
		})
	}
	// -C: the log, then the table; the table's calls as strace's.
	w := workload{argv: []string{"cat", "/etc/hostname"}, dir: t.TempDir()}
	theirs, ours := straceBoth(t, w, "-C", "-e", "trace=openat,close")
	tableRe := regexp.MustCompile(`(?m)^\s*[0-9.]+\s+[0-9.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total\s*$`)
	a, b := tableRe.FindStringSubmatch(theirs.log+theirs.stderr), tableRe.FindStringSubmatch(ours.log+ours.stderr)
	if a == nil || b == nil || a[1] != b[1] {
		t.Errorf("-C totals: strace %v, utrace-bpf %v\n%s\n%s", a, b, theirs, ours)
	}
	cut := func(log string) string { return log[:max(0, strings.Index(log, "% time"))] }
	expectSameLines(t, cut(theirs.log), cut(ours.log))
}

// -x and -xx: strings in hex as strace prints them.
func TestStraceCommandX(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bin"), []byte("text\n\x01\x02\xffmore"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := workload{argv: []string{"cat", "/etc/hostname", "bin"}, dir: dir}
	for _, x := range []string{"-x", "-xx"} {
		t.Run(x, func(t *testing.T) {
			theirs, ours := straceBoth(t, w, x, "-e", "trace=openat,read,write")
			expectSameLines(t, theirs.log, ours.log)
		})
	}
}

// -X raw, abbrev and verbose: named constants as strace prints them in
// each style, on calls whose flags, enumerations, signals, modes and
// limits the decoders print in the style (and the loader's calls of the
// same names), some with bits or values no name covers, and on the
// siginfo of a signal line.
func TestStraceCommandXlat(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{progs.Build(t, "xlat")}, dir: t.TempDir()}
	trace := "trace=openat,mmap,mprotect,lseek,faccessat2,fcntl,newfstatat,rt_sigaction,rt_sigprocmask,prlimit64,ioctl,futex,kill"
	// A line of each style that must be there, so that a style strace
	// ignored too would not pass.
	marks := map[string]string{
		"raw":     `openat(-100, "/dev/null", 0x40080000)`,
		"abbrev":  `openat(AT_FDCWD, "/dev/null", O_RDONLY|O_CLOEXEC|0x40000000)`,
		"verbose": `rt_sigprocmask(0 /* SIG_BLOCK */, [12 /* USR2 */ 17 /* CHLD */], NULL, 8) = 0`,
	}
	sigMarks := map[string]string{
		"raw":     `--- SIGALRM {si_signo=14, si_code=0, si_pid=`,
		"abbrev":  `--- SIGALRM {si_signo=SIGALRM, si_code=SI_USER, si_pid=`,
		"verbose": `--- SIGALRM {si_signo=14 /* SIGALRM */, si_code=0 /* SI_USER */, si_pid=`,
	}
	for _, style := range []string{"raw", "abbrev", "verbose"} {
		t.Run(style, func(t *testing.T) {
			theirs, ours := straceBoth(t, w, "-X", style, "-e", trace)
			expectSameLines(t, theirs.log, ours.log)
			for _, mark := range []string{marks[style], sigMarks[style]} {
				if !strings.Contains(ours.log, mark) {
					t.Errorf("no %q in utrace-bpf's log:\n%s", mark, ours.log)
				}
			}
		})
	}
}

// -ff -o FILE: each thread's lines in FILE.TID, as strace writes them.
func TestStraceCommandFF(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"sh", "-c", "/bin/true; cat /etc/hostname"}, dir: t.TempDir()}
	opts := []string{"-ff", "-e", "trace=execve,openat,wait4,exit_group"}
	logs := map[string]string{}
	for _, tool := range []string{"strace", bin} {
		dir := t.TempDir()
		args := append([]string{}, opts...)
		args = append(args, "-o", filepath.Join(dir, "log"), "--")
		args = append(args, w.argv...)
		if tool == bin {
			args = append([]string{"strace"}, args...)
		}
		if r := execTool(t, tool, w.dir, args); r.code != 0 {
			t.Fatalf("%v", r)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "log.*"))
		// One log, each file's lines led by its tid as -f -o would
		// have led them, for the comparison's pid naming.
		var all strings.Builder
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			tid := strings.TrimPrefix(filepath.Ext(f), ".")
			for line := range strings.Lines(string(b)) {
				if filePrefix.MatchString(line) {
					t.Errorf("%s: a -ff line with a pid prefix: %q", f, line)
				}
				fmt.Fprintf(&all, "%-5s %s", tid, line)
			}
		}
		if len(files) != 3 {
			t.Errorf("%s -ff: %d files, want 3 (the shell, true, cat): %v", tool, len(files), files)
		}
		logs[tool] = all.String()
	}
	expectSameLines(t, logs["strace"], logs[bin])
}

// -e inject= and -e fault=: the calls chosen fail as strace makes them
// fail, marked (INJECTED), and the log is strace's, a trace= filter
// notwithstanding.
func TestStraceCommandInject(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"cat", "/etc/hostname"}, dir: t.TempDir()}
	for _, opts := range [][]string{
		{"-e", "trace=openat", "-e", "inject=openat:error=ENOENT:when=3"},
		{"-e", "trace=openat,read", "-e", "inject=openat:retval=42:when=3"},
		{"-e", "fault=openat:when=2"},
		{"-e", "inject=openat:error=EACCES"},
		{"-e", "trace=openat", "-e", "inject=openat:error=ENOENT:when=2..5+2"},
		{"-e", "trace=openat", "-e", "inject=openat:error=EPERM:when=3+"},
		{"-e", "trace=openat", "-e", "inject=openat:retval=7:when=2+3"},
		{"-e", "trace=openat", "-e", "inject=openat:error=ENOENT:when=2..3"},
		{"-e", "trace=openat", "-e", "fault=openat:when=4..6"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			theirs, ours := straceBoth(t, w, opts...)
			if !strings.Contains(ours.log, "(INJECTED)") {
				t.Errorf("no (INJECTED) line:\n%s", ours.log)
			}
			expectSameLines(t, theirs.log, ours.log)
		})
	}
}

// -A: the log added to the end of a file that exists, as strace adds it.
func TestStraceCommandAppend(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"sh", "-c", "cat /etc/hostname"}, dir: t.TempDir()}
	const earlier = "a line from an earlier run\n"
	logs := map[string]string{}
	for _, tool := range []string{"strace", bin} {
		out := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(out, []byte(earlier), 0o644); err != nil {
			t.Fatal(err)
		}
		args := straceArgs(out, []string{"-A", "-e", "trace=execve,openat,exit_group"}, w.argv)
		if tool == bin {
			args = append([]string{"strace"}, args...)
		}
		if r := execTool(t, tool, w.dir, args); r.code != 0 {
			t.Fatalf("%v", r)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		text, kept := strings.CutPrefix(string(b), earlier)
		if !kept || !strings.Contains(text, "execve(") {
			t.Errorf("%s -A: the file holds %q, want %q and the run's log", tool, b, earlier)
		}
		logs[tool] = text
	}
	expectSameLines(t, logs["strace"], logs[bin])
}

// delay_enter= and delay_exit=: the call is held before it runs or before
// it returns, and marked (DELAYED) as strace marks it, with or without an
// injected result.
func TestStraceCommandInjectDelay(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"cat", "/etc/hostname"}, dir: t.TempDir()}
	for _, opts := range [][]string{
		{"-e", "trace=openat", "-e", "inject=openat:delay_enter=50000"},
		{"-e", "trace=openat", "-e", "inject=openat:delay_exit=50000"},
		{"-e", "trace=openat", "-e", "inject=openat:error=EPERM:delay_enter=50000:when=3"},
		{"-e", "trace=openat", "-e", "inject=openat:retval=5:delay_exit=50000:when=2"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			theirs, ours := straceBoth(t, w, opts...)
			if !strings.Contains(ours.log, "(DELAYED)") {
				t.Errorf("no (DELAYED) line:\n%s", ours.log)
			}
			expectSameLines(t, theirs.log, ours.log)
		})
	}
}

// -P PATH: the calls that name the file and those on descriptors open on
// it (opened, dup'ed, inherited by children, closed), as strace shows
// them, with every signal and exit line.
func TestStraceCommandP(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(data, []byte("some data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	script := `trap "echo usr1" USR1; kill -USR1 $$; cat data; cat < data; exec 5<data; cat <&5; exec 5<&-; stat -L link >/dev/null; cat /etc/hostname`
	w := workload{argv: []string{"sh", "-c", script}, dir: dir}
	for _, opts := range [][]string{
		{"-P", data},
		{"-P", "data", "-e", "trace=read,close,dup2"},
		{"-P", "link"},
		{"-P", "/etc/hostname", "-P", "data"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			theirs, ours := straceBoth(t, w, opts...)
			if !strings.Contains(ours.log, "read(") {
				t.Errorf("no read of the file:\n%s", ours.log)
			}
			expectSameLines(t, theirs.log, ours.log)
			if !strings.Contains(ours.stderr, theirs.stderr) {
				t.Errorf("standard error: strace %q, utrace-bpf %q", theirs.stderr, ours.stderr)
			}
		})
	}
}

// -u USER: the command runs as USER, with its group and supplementary
// groups: the same calls, results and output as under strace -u.
func TestStraceCommandUser(t *testing.T) {
	needRoot(t)
	name := ""
	for _, u := range []string{"postgres", "nobody", "daemon"} {
		if _, err := runCmd("id", u); err == nil {
			name = u
			break
		}
	}
	if name == "" {
		t.Skip("no unprivileged user to run as")
	}
	w := workload{argv: []string{"sh", "-c", "id; cat /etc/shadow"}, dir: "/"}
	theirs, ours := straceBoth(t, w, "-u", name, "-e", "trace=getuid,geteuid,getgid,getegid,getgroups,openat,write")
	if !strings.Contains(ours.stdout, "("+name+")") || !strings.Contains(ours.log, "EACCES") {
		t.Errorf("-u %s: the command did not run as %s:\n%s\n%s", name, name, ours.stdout, ours.log)
	}
	if theirs.stdout != ours.stdout {
		t.Errorf("the command's output: strace %q, utrace-bpf %q", theirs.stdout, ours.stdout)
	}
	expectSameLines(t, theirs.log, ours.log)
}

// -b execve: each process the command starts is logged up to its execve,
// printed with " <detached ...>", and not after; the command's own execve
// is not detached from.
func TestStraceCommandDetachOnExec(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"sh", "-c", "/bin/true; cat /etc/hostname; echo done"}, dir: t.TempDir()}
	for _, opts := range [][]string{
		{"-b", "execve"},
		{"--detach-on=execve", "-e", "trace=execve,wait4,openat,write"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			theirs, ours := straceBoth(t, w, opts...)
			if n := strings.Count(ours.log, " <detached ...>"); n != 2 {
				t.Errorf("%d execve lines <detached ...>, want 2:\n%s", n, ours.log)
			}
			// strace sometimes prints a detached execve as
			// "<unfinished ...>" (its own race: the line is cut before
			// it learns the call was the one to detach at).
			theirs.log = regexp.MustCompile(`(?m)^(\d+ +execve\(.*) <unfinished \.\.\.>$`).ReplaceAllString(theirs.log, "$1 <detached ...>")
			expectSameLines(t, theirs.log, ours.log)
			if theirs.stdout != ours.stdout {
				t.Errorf("the program's output: strace %q, utrace-bpf %q", theirs.stdout, ours.stdout)
			}
		})
	}
}

// --kill-on-exit (strace 6.4's, newer than the strace the other tests
// compare with): the traced processes still running when utrace-bpf
// exits are killed; without it they are left running.
func TestStraceCommandKillOnExit(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!; sleep 0.2"}, dir: t.TempDir()}
	for _, kill := range []bool{true, false} {
		opts := []string{"-e", "trace=execve"}
		if kill {
			opts = append(opts, "--kill-on-exit")
		}
		r := runTraced(t, w, bin, func(out string) []string {
			return append([]string{"strace"}, straceArgs(out, opts, w.argv)...)
		})
		pid, err := strconv.Atoi(strings.TrimSpace(r.stdout))
		if err != nil || r.code != 0 {
			t.Fatalf("%v", r)
		}
		if !strings.Contains(r.log, `execve("/usr/bin/sleep"`) {
			t.Errorf("the background sleep was not traced:\n%s", r.log)
		}
		gone := false
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && !gone; time.Sleep(10 * time.Millisecond) {
			st := statusField(strconv.Itoa(pid), "State")
			gone = st == "" || strings.HasPrefix(st, "Z")
		}
		if !gone {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if gone != kill {
			t.Errorf("--kill-on-exit %v: the traced sleep gone after the run: %v", kill, gone)
		}
	}
}

// -U COLUMNS: -c's table with strace's columns in strace's order: the
// same header and rules, and per row the same name, calls and errors
// (the times are each run's own, checked for their format).
func TestStraceCommandColumns(t *testing.T) {
	needRoot(t)
	w := workload{argv: []string{"sh", "-c", "cat /etc/hostname /nonexistent"}, dir: t.TempDir()}
	timeCell := regexp.MustCompile(`^(\d+\.\d{2}|\d+\.\d{6}|\d+)$`)
	for _, cols := range []string{"name,calls,errors,avg-time,total-time,time-percent", "calls,name", "syscall,count,error,time", "errors,total_time,name"} {
		t.Run(cols, func(t *testing.T) {
			theirs, ours := straceBoth(t, w, "-c", "-w", "-U", cols, "-e", "trace=openat,read,close,execve")
			a, b := summaryTable(theirs.log), summaryTable(ours.log)
			if len(a) < 3 || len(a) != len(b) {
				t.Fatalf("strace's table:\n%s\nutrace-bpf's:\n%s", theirs.log, ours.log)
			}
			for i := range a {
				if len(a[i]) != len(b[i]) {
					t.Errorf("row %d: strace %q, utrace-bpf %q", i, a[i], b[i])
					continue
				}
				for j, cell := range a[i] {
					if timeCell.MatchString(cell) && timeCell.MatchString(b[i][j]) && i > 1 && !isCountColumn(a[0][j]) {
						continue
					}
					if cell != b[i][j] {
						t.Errorf("row %d column %q: strace %q, utrace-bpf %q\nstrace:\n%s\nutrace-bpf:\n%s", i, a[0][j], cell, b[i][j], theirs.log, ours.log)
					}
				}
			}
		})
	}
}

func isCountColumn(header string) bool {
	return header == "calls" || header == "errors" || header == "syscall"
}

// summaryTable cuts -c's table into cells by the columns its rule of
// dashes marks: the header, the rule, the rows sorted by name, the rule,
// the total.
func summaryTable(log string) [][]string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "-") {
		return nil
	}
	var spans [][2]int
	for i := 0; i < len(lines[1]); {
		j := i
		for j < len(lines[1]) && lines[1][j] == '-' {
			j++
		}
		spans = append(spans, [2]int{i, j})
		i = j + 1
	}
	cut := func(line string) []string {
		var cells []string
		for k, s := range spans {
			end := s[1]
			if k == len(spans)-1 || end > len(line) {
				end = len(line)
			}
			if s[0] >= len(line) {
				cells = append(cells, "")
				continue
			}
			cells = append(cells, strings.TrimSpace(line[s[0]:end]))
		}
		return cells
	}
	var rows [][]string
	for _, l := range lines {
		rows = append(rows, cut(l))
	}
	name := slices.Index(rows[0], "syscall")
	if name < 0 {
		return nil
	}
	body := rows[2 : len(rows)-2]
	sort.Slice(body, func(i, j int) bool { return body[i][name] < body[j][name] })
	return rows
}

// fdNumbers are what differs between two runs of fdpaths.py in -y's and
// -yy's names: inodes, and ports the kernel picks.
var fdNumbers = regexp.MustCompile(`\[\d+(->\d+)?\]|:\d{4,5}\b|htons\(\d{4,5}\)`)

// -y, -yy: what each descriptor is open on, at the moment the call uses
// it, as strace names it: paths (escaped, "(deleted)"), pipes, eventfds,
// the working directory of AT_FDCWD, and with -yy the endpoints of UNIX,
// UDP and TCP sockets and the numbers of devices. close is left out:
// strace keeps what it learnt of a socket by its inode, and names a
// socket whose peer is gone as it was, where the kernel no longer does.
func TestStraceCommandFdPaths(t *testing.T) {
	needRoot(t)
	script, err := filepath.Abs("testdata/fdpaths.py")
	if err != nil {
		t.Fatal(err)
	}
	trace := "trace=openat,read,write,sendto,recvfrom,connect,bind,listen,accept4,socketpair,pipe2,eventfd2,dup2,unlink,mkdir,chdir"
	marks := map[string][]string{
		"-y": {`openat(AT_FDCWD</`, `write(20<pipe:[N]>, "z", 1) = 1`, `>(deleted), "x", 1) = 1`,
			`socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [3<socket:[N]>, 4<socket:[N]>]) = 0`},
		"-yy": {`read(9</dev/null<char 1:3>>, "", 1) = 0`, `sendto(3<UNIX-STREAM:[N->N]>, "x", 1, 0, NULL, 0) = 1`,
			`accept4(6<TCP:[127.0.0.1:P]>`, `sendto(5<UDP:[127.0.0.1:P->127.0.0.1:9]>, "x", 1, 0, NULL, 0) = 1`},
	}
	for _, y := range []string{"-y", "-yy"} {
		t.Run(y, func(t *testing.T) {
			dir := t.TempDir()
			w := workload{argv: []string{"/usr/bin/python3", script}, dir: dir,
				reset: func() { os.RemoveAll(filepath.Join(dir, "sub")) }}
			theirs, ours := straceBoth(t, w, y, "-e", trace)
			norm := func(log string) string {
				return fdNumbers.ReplaceAllStringFunc(log, func(m string) string {
					switch {
					case strings.Contains(m, "->"):
						return "[N->N]"
					case strings.HasPrefix(m, "["):
						return "[N]"
					case strings.HasPrefix(m, "htons"):
						return "htons(P)"
					}
					return ":P"
				})
			}
			expectSameLines(t, norm(theirs.log), norm(ours.log))
			for _, mark := range marks[y] {
				if !strings.Contains(strings.Join(strings.Fields(norm(ours.log)), " "), mark) {
					t.Errorf("no %q in utrace-bpf's log:\n%s", mark, ours.log)
				}
			}
		})
	}
}
