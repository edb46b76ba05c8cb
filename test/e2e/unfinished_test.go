package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// waitForLogLine waits until the file at path has a line matching re and
// returns the file's text, failing the test after within.
func waitForLogLine(t *testing.T, path string, re *regexp.Regexp, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		b, _ := os.ReadFile(path)
		if re.Match(b) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no line matching %s after %v:\n%s", path, re, within, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitEnded waits for a tracer that ends with its tracee.
func waitEnded(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", cmd.Args[0], err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end with its tracee", cmd.Args[0])
	}
}

var (
	unfinishedRead = regexp.MustCompile(`(?m)^\d+ +read\(0,  <unfinished \.\.\.>$`)
	resumedRead    = regexp.MustCompile(`(?m)^\d+ +<\.\.\. read resumed>"g", 1\) += 1$`)
	attachedRe     = regexp.MustCompile(`process \d+ attached`)
)

// Attached to a process blocked in read(0), utrace-bpf strace -p shows the
// call at once, "read(0,  <unfinished ...>" (the register arguments; the
// buffer is the kernel's to fill), as strace shows "read(0, " at once;
// when the read returns, "<... read resumed>"g", 1) = 1" completes it, and
// the two lines say what strace's one says. Each tracer gets a process of
// its own: strace's attach interrupts the read and restarts it, which the
// passive log would show.
func TestStraceAttachBlockedRead(t *testing.T) {
	needRoot(t)
	path := progs.Build(t, "getppid")
	theirs := progs.Start(t, nil, path, "3")
	ours := progs.Start(t, nil, path, "3")
	dir := t.TempDir()
	sOut, uOut := filepath.Join(dir, "strace.log"), filepath.Join(dir, "utrace.log")

	st := exec.Command("strace", "-f", "-o", sOut, "-p", strconv.Itoa(theirs.Pid))
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Process.Kill() })
	ut := exec.Command(bin, "strace", "-f", "-o", uOut, "-p", strconv.Itoa(ours.Pid))
	stderr, err := ut.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ut.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ut.Process.Kill() })
	attached := make(chan time.Time, 1)
	var errText strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if attachedRe.MatchString(sc.Text()) {
				attached <- time.Now()
			}
			errText.WriteString(sc.Text() + "\n")
		}
		close(attached)
	}()
	at, ok := <-attached
	if !ok {
		t.Fatalf("utrace-bpf strace -p did not attach:\n%s", errText.String())
	}
	// The acceptance: the blocked call within a second.
	waitForLogLine(t, uOut, unfinishedRead, time.Second)
	t.Logf("unfinished line %v after the attach", time.Since(at).Round(time.Millisecond))
	waitForLogLine(t, sOut, regexp.MustCompile(`(?m)^\d+ +read\(0, `), 10*time.Second)

	theirs.Go(t)
	ours.Go(t)
	theirs.Wait(t)
	ours.Wait(t)
	waitEnded(t, st)
	waitEnded(t, ut)
	sLog, _ := os.ReadFile(sOut)
	uLog, _ := os.ReadFile(uOut)
	if !resumedRead.Match(uLog) {
		t.Errorf("no resumed read in utrace-bpf's log:\n%s", uLog)
	}
	// The unfinished and resumed lines joined are strace's line, and the
	// calls after it the same: read, the getppids, the exit.
	s, u := normalize(string(sLog), prefixFile), normalize(string(uLog), prefixFile)
	pick := func(l normLog) []string {
		var out []string
		for _, line := range l.lines {
			switch name := callName(bodyOf(line)); name {
			case "read", "getppid", "exit_group", "+++":
				out = append(out, strings.Join(strings.Fields(line), " "))
			}
		}
		return out
	}
	if sl, ul := pick(s), pick(u); strings.Join(sl, "\n") != strings.Join(ul, "\n") {
		t.Errorf("logs differ:\nstrace:\n%s\nutrace-bpf:\n%s\n(raw strace:\n%s\nraw utrace-bpf:\n%s)",
			strings.Join(sl, "\n"), strings.Join(ul, "\n"), sLog, uLog)
	}
}

// A thread blocked in read while the other makes calls: strace -f shows
// the read unfinished before the other thread's lines and resumed after
// them, and so does utrace-bpf strace -f: the same lines in the same
// order, the same unfinished/resumed pair.
func TestStraceBlockedReadInterleaves(t *testing.T) {
	needRoot(t)
	path := progs.Build(t, "blockread")
	shapes := map[string][]string{}
	for _, tool := range []string{"strace", bin} {
		dir := t.TempDir()
		out := filepath.Join(dir, "log")
		args := []string{"-f", "-e", "trace=read,getppid", "-o", out, path, "3"}
		if tool == bin {
			args = append([]string{"strace"}, args...)
		}
		cmd := exec.Command(tool, args...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// "ready": the main thread made its calls while the reader
		// waited; then the line ends the read.
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("%s: program said %q, %v\n%s", tool, line, err, errb.String())
		}
		if _, err := stdin.Write([]byte("hello\n")); err != nil {
			t.Fatal(err)
		}
		stdin.Close()
		waitEnded(t, cmd)
		log, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		shapes[filepath.Base(tool)] = interleaving(string(log))
	}
	theirs, ours := strings.Join(shapes["strace"], "\n"), strings.Join(shapes[filepath.Base(bin)], "\n")
	if theirs != ours {
		t.Errorf("interleaving differs:\nstrace -f:\n%s\nutrace-bpf strace -f:\n%s", theirs, ours)
	}
	if !strings.Contains(ours, "R read(0, <unfinished ...>\nM getppid()") {
		t.Errorf("the read is not shown unfinished before the other thread's calls:\n%s", ours)
	}
}

// interleaving is a -f -o log's reading thread's read(0) lines and the
// other thread's getppid lines, in order, as "R ..." and "M ...", with the
// pids out and spaces collapsed.
func interleaving(log string) []string {
	prefix := regexp.MustCompile(`^(\d+) +`)
	reader := ""
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := prefix.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		body := strings.Join(strings.Fields(l[len(m[0]):]), " ")
		switch {
		case strings.HasPrefix(body, "read(0,"):
			reader = m[1]
			out = append(out, "R "+body)
		case strings.HasPrefix(body, "<... read resumed>") && m[1] == reader:
			out = append(out, "R "+body)
		case strings.HasPrefix(body, "getppid()"):
			who := "M"
			if m[1] == reader {
				who = "R"
			}
			out = append(out, who+" getppid()")
		}
	}
	return out
}
