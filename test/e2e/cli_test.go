package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// The README's main job: the built-in default config logs every system
// call strace-like on standard error; the command's own output and exit
// status pass through.
func TestRunDefaultConfig(t *testing.T) {
	needRoot(t)
	want, _ := os.ReadFile("/etc/hostname")
	r := run(t, "", "run", "--", "cat", "/etc/hostname")
	if r.code != 0 || r.stdout != string(want) {
		t.Fatalf("cat under utrace-bpf: %v", r)
	}
	for _, re := range []string{
		// One process: no "[pid N]" leaders, as strace prints none.
		`(?m)^execve\("/usr/bin/cat", .*\) += 0$`,
		`(?m)^openat\(AT_FDCWD, "/etc/hostname", O_RDONLY\) += 3$`,
		`(?m)^read\(3, .*\) += \d+$`,
		`(?m)^exit_group\(0\) += \?$`,
		`(?m)^\+\+\+ exited with 0 \+\+\+$`,
		`(?m)^utrace-bpf: reports: syscalls \d+; events delivered \d+, lost 0$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("log lacks %s\n%s", re, r.stderr)
		}
	}
}

// run exits with the command's status, or 128+N when signal N killed it.
func TestRunExitStatus(t *testing.T) {
	needRoot(t)
	if r := run(t, "", "run", "-e", "proctree", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exit 7: %v", r)
	}
	if r := run(t, "", "run", "-e", "proctree", "--", "sh", "-c", "kill -TERM $$"); r.code != 128+15 {
		t.Errorf("killed by SIGTERM: %v", r)
	}
}

// inject makes cat fail with "No such file or directory".
func TestInjectENOENT(t *testing.T) {
	needRoot(t)
	r := run(t, "", "run", "-e", "inject:syscall=openat,path=/etc/hostname,error=ENOENT", "--", "cat", "/etc/hostname")
	if r.code != 1 || !strings.Contains(r.stderr, "cat: /etc/hostname: No such file or directory") {
		t.Fatalf("%v", r)
	}
	if !strings.Contains(r.stderr, "inject: 1 matching calls, 1 injected") {
		t.Errorf("no summary: %v", r)
	}
}

// signals keeps a SIGUSR1-raising program alive by ignoring the signal.
func TestSignalsIgnore(t *testing.T) {
	needRoot(t)
	prog := progs.Build(t, "stopee")
	r := run(t, "\n", "run", "-e", "proctree", "--", prog, "raise-usr1")
	if r.code != 128+10 {
		t.Fatalf("without the rule SIGUSR1 should kill it: %v", r)
	}
	r = run(t, "\n", "run", "-e", "signals:rules=SIGUSR1=ignore", "--", prog, "raise-usr1")
	if r.code != 0 || !strings.Contains(r.stdout, "alive") {
		t.Fatalf("%v", r)
	}
	if !regexp.MustCompile(`--- SIGUSR1 \{si_signo=SIGUSR1, .*\} --- \(ignored\)`).MatchString(r.stderr) {
		t.Errorf("no delivery log: %v", r)
	}
}

// The -e quoting rule on a list value holding , and =: both signals rules
// apply. SIGUSR1 is ignored and SIGTERM becomes SIGUSR2, so the shell,
// which would die of either, dies of SIGUSR2.
func TestSignalsRuleList(t *testing.T) {
	needRoot(t)
	script := "kill -USR1 $$; echo after-usr1; kill -TERM $$; echo after-term"
	for _, flag := range []string{
		"signals:rules=SIGUSR1=ignore,SIGTERM=SIGUSR2",
		"signals:rules='SIGUSR1=ignore,SIGTERM=SIGUSR2',log=false",
	} {
		r := run(t, "", "run", "-e", flag, "--", "sh", "-c", script)
		if r.code != 128+12 || r.stdout != "after-usr1\n" {
			t.Errorf("-e %s: want the shell past SIGUSR1 and killed by SIGUSR2: %v", flag, r)
		}
	}
}

// inspect prints the path argument of the matched openat, registers and a
// stack.
func TestInspectOpenat(t *testing.T) {
	needRoot(t)
	r := run(t, "", "run", "-e", "inspect:syscall=openat,path=/etc/hostname", "--", "cat", "/etc/hostname")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	for _, want := range []string{`inspect at syscall_entry: openat(AT_FDCWD, "/etc/hostname", O_RDONLY)`,
		"registers: rip=0x", "orig_rax=0x101", "stack:", "inspected 1 time(s)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output lacks %q\n%v", want, r)
		}
	}
}

// counter prints strace -c's table from in-kernel counts.
func TestCounterTable(t *testing.T) {
	needRoot(t)
	r := run(t, "", "run", "-e", "counter:sort=calls", "--", "sh", "-c", "/bin/true; /bin/true; /bin/true")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	m := regexp.MustCompile(`(?m)^ *[\d.]+ +[\d.]+ +\d+ +(\d+) +\d* *execve$`).FindStringSubmatch(r.stderr)
	if m == nil || m[1] != "4" {
		t.Errorf("execve row (want 4 calls: sh and 3 true): %v\n%v", m, r)
	}
	if !regexp.MustCompile(`(?m)^100\.00 .* total$`).MatchString(r.stderr) {
		t.Errorf("no total row: %v", r)
	}
}

// proctree logs forks, execs and exits with codes, and prints the tree.
func TestProctree(t *testing.T) {
	needRoot(t)
	r := run(t, "", "run", "-e", "proctree", "--", "sh", "-c", "/bin/true; sh -c 'exit 5'; exit 3")
	if r.code != 3 {
		t.Fatalf("%v", r)
	}
	for _, re := range []string{
		`\] exec "/bin/true"`,
		`\] exit code 5 after`,
		`\] exit code 3 after`,
		`(?m)^\d+ /usr/bin/sh \[code 3\]$`,
		`(?m)^  \d+ /bin/true \[code 0\]$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("lacks %s\n%v", re, r)
		}
	}
}

// stepper single-steps the launched program from its first instruction.
func TestStepper(t *testing.T) {
	needRoot(t)
	r := run(t, "", "run", "-e", "stepper:count=2000,top=3", "--", "/bin/true")
	if r.code != 0 || !strings.Contains(r.stderr, "2000 instructions stepped (stepped 2000 instructions)") {
		t.Fatalf("%v", r)
	}
	if !regexp.MustCompile(`stepper: +\d+  0x[0-9a-f]+ \S+`).MatchString(r.stderr) {
		t.Errorf("no hot addresses: %v", r)
	}
}

// One pipeline: syscalls, inject and signals on the same process at the
// same time, each doing its job.
func TestPipeline(t *testing.T) {
	needRoot(t)
	r := run(t, "", "run", "-c", "../../configs/chaos.yaml", "--",
		"sh", "-c", "cat /etc/hostname; kill -USR1 $$; echo alive")
	if r.code != 0 || r.stdout != "alive\n" {
		t.Fatalf("%v", r)
	}
	for _, want := range []string{
		"cat: /etc/hostname: No such file or directory", // inject
		`(INJECTED)`,
		"--- SIGUSR1", // signals
		`openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = -1 ENOENT (No such file or directory)`, // the log sees the injected result
		"reports: log ",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("lacks %q\n%v", want, r)
		}
	}
}

// Every config in configs/ is valid.
func TestConfigsCheck(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) < 5 {
		t.Fatalf("configs: %v", files)
	}
	for _, f := range files {
		if r := run(t, "", "check", "-c", f); r.code != 0 || !strings.Contains(r.stdout, ": ok") {
			t.Errorf("%s: %v", f, r)
		}
	}
}

// Bad input: one line naming what and where, exit status 2.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "-c", write("key.yaml", "engines:\n  - type: syscalls\nfrobnicate: 1\n")},
			`key.yaml:3: unknown key "frobnicate"`},
		{[]string{"check", "-c", write("type.yaml", "engines:\n  - type: inject\n    syscall: openat\n    error: ENOENT\n    nth: many\n")},
			`type.yaml:5: engine inject option nth: want an integer, got "many"`},
		{[]string{"check", "-c", write("engine.yaml", "output:\n  format: text\nengines:\n  - type: nosuch\n")},
			`engine.yaml:4: unknown engine "nosuch"`},
		{[]string{"check", "-c", write("opt.yaml", "engines:\n  - type: syscalls\n    colour: red\n")},
			`opt.yaml:3: engine syscalls has no option "colour"`},
		{[]string{"check", "-c", write("syntax.yaml", "engines: [\n")}, `syntax.yaml: line`},
		{[]string{"run", "-e", "nosuch", "--", "true"}, `-e "nosuch": unknown engine "nosuch"`},
		{[]string{"run", "-e", "syscalls:bogus=1", "--", "true"}, `-e "syscalls:bogus=1": column 10: engine syscalls: no option "bogus"`},
		{[]string{"run", "-e", "signals:rules='SIGUSR1=ignore", "--", "true"}, `column 15: engine signals: unterminated ' quote`},
		{[]string{"run", "-e", "inject:syscall=openat", "--", "true"}, `say what to inject`},
		{[]string{"attach", "-p", "999999999"}, `-p 999999999: no such process`},
		{[]string{"attach", "-p", "2"}, `-p 2: a kernel thread`},
		{[]string{"run", "--bogus", "--", "true"}, `unknown flag: --bogus`},
		{[]string{"run", "--format", "xml", "--", "true"}, `output format "xml"`},
	}
	for _, c := range cases {
		r := run(t, "", c.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want exit 2 and one line with %q, got %v", c.args, c.want, r)
		}
	}
}

// Without privileges utrace-bpf says which capabilities are missing and
// starts nothing.
func TestUnprivileged(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/bin/setpriv"); err != nil {
		t.Skip("setpriv not installed")
	}
	r := run(t, "", "run", "--", "true")
	_ = r
	cmd := []string{"--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", bin, "run", "--", "true"}
	out, err := runCmd("setpriv", cmd...)
	if err == nil || !strings.Contains(out, "missing capabilities CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE") ||
		!strings.Contains(out, "run as root") {
		t.Errorf("unprivileged run: %v\n%s", err, out)
	}
}
