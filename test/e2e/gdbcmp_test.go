package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gdb's commands that need more than breakpoints and the general
// registers, run by the same gdb script against gdbserver and against the
// gdbremote engine on the same program (test/progs/c/gdbhw.c), with the
// outputs compared.

// gdbCmp is one comparison: gdbhw run with mode, gdb running setup and
// then cmds, whose output is compared.
type gdbCmp struct {
	mode       string
	engines    []string // more engines for utrace-bpf, tracing the same process
	options    string   // more options of the gdbremote engine
	setup      []string
	cmds       []string
	gdbserver  string // gdbserver's part of gdb's output
	utrace     string // the engine's
	utraceLog  string // utrace-bpf's standard error
	utraceCode int
}

// The markers around the compared part of gdb's output.
const cmpMark = "@@cmp@@"

var (
	// User space addresses differ between the runs: gdbserver turns
	// address space randomization off, utrace-bpf's run does not.
	userAddrRe     = regexp.MustCompile(`0x0*[5-7][0-9a-f]{11}\b`) // user space: PIE images at 0x55…/0x56…, mappings below 0x7fff…, ASLR-moved
	remoteReadRe   = regexp.MustCompile(`(?m)^Reading \S+ from remote target\.\.\.\n`)
	serverDetachRe = regexp.MustCompile(`(?m)^Detaching from process \d+\n`)
	pidRe          = regexp.MustCompile(`(process|pid|LWP|Thread) \d{3,}(\.\d+)?`)
)

// normGDB reduces gdb's output to the compared part, addresses and
// process ids left out.
func normGDB(out string) string {
	_, rest, ok := strings.Cut(out, cmpMark+"\n")
	if !ok {
		return "(no output)\n" + out
	}
	rest, _, _ = strings.Cut(rest, cmpMark+"\n")
	// gdb reads the target's files over the protocol and says so, at
	// times the two servers need not share; gdbserver says on its
	// standard error (gdb's) when gdb detaches a fork child.
	rest = remoteReadRe.ReplaceAllString(rest, "")
	rest = serverDetachRe.ReplaceAllString(rest, "")
	rest = userAddrRe.ReplaceAllString(rest, "ADDR")
	return pidRe.ReplaceAllString(rest, "$1 PID")
}

func (c *gdbCmp) run(t *testing.T) {
	t.Helper()
	needGDB(t)
	if _, err := exec.LookPath("gdbserver"); err != nil {
		t.Skip("gdbserver not installed")
	}
	exe := buildDebug(t, "gdbhw")
	cmds := append(append(append([]string{}, c.setup...), "echo "+cmpMark+`\n`), c.cmds...)
	cmds = append(cmds, "echo "+cmpMark+`\n`, "kill")
	c.gdbserver = normGDB(gdb(t, exe, "| gdbserver - "+exe+" "+c.mode, cmds...))

	args := []string{"run"}
	for _, e := range c.engines {
		args = append(args, "-e", e)
	}
	args = append(args, "-e", "gdbremote:listen=127.0.0.1:0"+c.options, "--", exe, c.mode)
	d := startDaemon(t, args...)
	c.utrace = normGDB(gdb(t, exe, d.addr(t), cmds...))
	r := d.wait(t, time.Minute)
	c.utraceLog, c.utraceCode = r.stderr, r.code
	if c.gdbserver != c.utrace {
		t.Errorf("gdb's output differs\nunder gdbserver:\n%s\nunder utrace-bpf:\n%s", c.gdbserver, c.utrace)
	}
}

// The x87, SSE and AVX registers, read and written: gdbhw regs loads
// known values before its probe. Where the machine has AVX-512, gdb shows
// zmm0-31 and k0-7 too, which gdbhw leaves as the C library left them:
// the setup zeroes what gdbhw did not load (the upper halves of zmm0-15,
// zmm16-31), so that the comparison does not depend on the library, nor
// on where in the XSAVE area a server looks for them. gdbserver 13 looks
// where Intel's processors keep them, which is not where AMD's do; what
// it writes it reads back from the same place, and so shows what it was
// given on either.
func TestGdbVectorRegisters(t *testing.T) {
	setup := []string{"break probe", "continue"}
	avx512 := hasCPUFlag(t, "avx512f")
	if avx512 {
		for i := range 16 {
			setup = append(setup, fmt.Sprintf("set var $zmm%d.v4_int128[2] = 0", i), fmt.Sprintf("set var $zmm%d.v4_int128[3] = 0", i))
		}
		for i := 16; i < 32; i++ {
			setup = append(setup, fmt.Sprintf("set var $zmm%d.v16_int32 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}", i))
		}
	}
	cmds := []string{
		"p $xmm0", "p $xmm2.v4_float", "p $ymm0", "p $ymm1.v4_double", "p $st0", "p $st1", "p $st2",
		"p $mxcsr", "info float", "info vector",
		"set var $xmm3.v4_int32[0] = 77", "p $xmm3.v4_int32",
		"set var $ymm4.v8_int32[7] = 5", "p $ymm4.v8_int32",
		"set var $st1 = 2.5", "p $st1", "p $ymm1.v4_double",
	}
	if avx512 {
		// Written, and read back after a step has made gdb read them
		// anew.
		cmds = append(cmds, "set var $zmm1.v8_int64[7] = -6", "set var $zmm20.v8_int64[1] = 11",
			"set var $ymm30.v8_int32[6] = 12", "set var $k3 = 0x5a5a",
			"stepi", "p $zmm1.v8_int64", "p $zmm20.v8_int64", "p $ymm30.v8_int32", "p/x $k3", "p $ymm1.v4_double")
	}
	c := &gdbCmp{mode: "regs", engines: []string{"syscalls"}, setup: setup, cmds: cmds}
	c.run(t)
	mustMatch(t, "gdb output", c.utrace,
		`(?m)^\$\d+ = \{1\.5, 2\.5, -3\.25, 4\}$`,
		`v8_float = \{1\.5, 2\.5, -3\.25, 4, 5, 6, 7, 8\}`,
		`(?m)^\$\d+ = 3\.14159265358979323\d*$`,
		`=>R5: Zero +0x0+ \+0`,
		`(?m)^\$\d+ = \{77, 0, 0, 0\}$`,
		`(?m)^\$\d+ = \{-?\d+, -?\d+, -?\d+, -?\d+, 0, 0, 0, 5\}$`,
		`(?m)^\$\d+ = 2\.5$`)
	zmm := regexp.MustCompile(`(?m)^zmm31 `).MatchString(c.utrace)
	if zmm != avx512 {
		t.Errorf("info vector shows zmm31: %v; the processor has AVX-512: %v", zmm, avx512)
	}
	if avx512 {
		mustMatch(t, "gdb output", c.utrace,
			`(?m)^zmm2 +\{v32_bfloat16 = \{0x0, 0x3fc0, 0x0, 0x4020, 0x0, 0xc050, 0x0, 0x4080, 0x0 <repeats 24 times>\}`,
			`(?m)^\$\d+ = \{4613937818241073152, -4620693217682128896, 4756540486875873280, 4631107791820423168, 0, 0, 0, -6\}$`,
			`(?m)^\$\d+ = \{0, 11, 0, 0, 0, 0, 0, 0\}$`,
			`(?m)^\$\d+ = \{0, 0, 0, 0, 0, 0, 12, 0\}$`,
			`(?m)^\$\d+ = 0x5a5a$`)
	}
}

// hasCPUFlag reports whether the kernel lists flag for the processor: it
// lists an extension only where it enabled its state.
func hasCPUFlag(t *testing.T, flag string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, flags, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			return slices.Contains(strings.Fields(flags), flag)
		}
	}
	return false
}

// $_siginfo at a signal gdb stops for (a SIGSEGV at 0x10), at a
// breakpoint, and after a single step.
func TestGdbSiginfo(t *testing.T) {
	c := &gdbCmp{mode: "segv", setup: []string{"continue"}, cmds: []string{
		"p $_siginfo", "p $_siginfo._sifields._sigfault.si_addr",
		"break probe", "continue", "p $_siginfo.si_signo", "p $_siginfo.si_code",
		"stepi", "p $_siginfo.si_signo", "p $_siginfo.si_code",
	}}
	c.run(t)
	mustMatch(t, "gdb output", c.utrace,
		`(?m)^\$1 = \{si_signo = 11, si_errno = 0, si_code = 1,`,
		`(?m)^\$2 = \(void \*\) 0x10$`,
		`(?m)^\$3 = 5$`, `(?m)^\$4 = 128$`)
}

// Hardware watchpoints and breakpoints in the debug registers: watch,
// rwatch (which gdb makes an access watchpoint reporting reads, as x86
// cannot watch reads alone and neither server offers Z3), awatch and
// hbreak stop where gdbserver stops, while the syscalls engine logs the
// same process.
func TestGdbWatchpoints(t *testing.T) {
	c := &gdbCmp{mode: "watch", engines: []string{"syscalls"}, setup: []string{"break probe", "continue"}, cmds: []string{
		"watch counter", "continue", "continue", "info watchpoints", "delete 2",
		"rwatch counter", "continue", "delete 3",
		"awatch counter", "continue", "continue", "delete",
		"hbreak probe", "continue", "p n", "delete", "continue",
	}}
	c.run(t)
	mustMatch(t, "gdb output", c.utrace,
		`Hardware watchpoint 2: counter\n\nOld value = 10\nNew value = 20\n`,
		`Hardware read watchpoint 3: counter\n\nValue = 20\n`,
		`Hardware access \(read/write\) watchpoint 4: counter\n\nOld value = 20\nNew value = 30\n`,
		`Hardware access \(read/write\) watchpoint 4: counter\n\nValue = 30\n`,
		`Breakpoint 5, probe \(n=2\)`,
		`(?m)^\$1 = 2$`,
		`exited normally\]`)
	mustMatch(t, "log", c.utraceLog, `(?m)^\+\+\+ exited with 0 \+\+\+$`)
}

// A watchpoint set before a thread exists fires in that thread.
func TestGdbWatchNewThread(t *testing.T) {
	c := &gdbCmp{mode: "thread", setup: []string{"break probe", "continue"}, cmds: []string{
		"watch counter", "continue", "p $_thread", "continue",
	}}
	c.run(t)
	mustMatch(t, "gdb output", c.utrace,
		`Thread 2 "gdbhw" hit Hardware watchpoint 2: counter\n\nOld value = 0\nNew value = 10\nbump \(arg=0x0\)`,
		`(?m)^\$1 = 2$`,
		`Thread 1 "gdbhw" hit Breakpoint 1, probe \(n=1\)`)
}

// catch syscall stops at each write's entry and return as under
// gdbserver, while the syscalls engine logs the process; in the second
// run the calls are named in the engine's syscalls option, so only they
// stop, through the launch's seccomp filter.
func TestGdbCatchSyscall(t *testing.T) {
	for _, opts := range []string{"", ",syscalls=write,getppid"} {
		t.Run("options="+opts, func(t *testing.T) {
			c := &gdbCmp{mode: "write", engines: []string{"syscalls"}, options: opts, setup: []string{"catch syscall write"}, cmds: []string{
				"continue", "p $rdx", "continue", "p $rax", "continue", "continue", "info breakpoints",
				"catch syscall getppid", "continue", "p $rax", "continue", "continue", "delete", "continue",
			}}
			c.run(t)
			mustMatch(t, "gdb output", c.utrace,
				`(?s)(Catchpoint 1 \(call to syscall write\).*Catchpoint 1 \(returned from syscall write\).*){2}`,
				`(?m)^\$1 = 2$`, `(?m)^\$2 = 2$`,
				`catchpoint already hit 4 times`,
				`Catchpoint 2 \(call to syscall getppid\)`,
				`(?m)^\$3 = -38$`,
				`Catchpoint 2 \(returned from syscall getppid\)`,
				`exited normally\]`)
			mustMatch(t, "log", c.utraceLog,
				`(?m)(^write\(\d+, "w\\n", 2\) += 2$(?s:.*)){3}`,
				`(?m)^\+\+\+ exited with 0 \+\+\+$`)
			if strings.Contains(c.utraceLog, "seccomp filter, which may not") {
				t.Errorf("warned of the filter:\n%s", c.utraceLog)
			}
		})
	}
}

// catch fork stops at the fork in the parent, gdb detaches the child
// (detach-on-fork), and the parent sees it exit 7; catch vfork the same,
// gdb's breakpoints going back in at the vforkdone stop; catch exec stops
// at the new program. The syscalls engine follows the children meanwhile.
func TestGdbCatchForkExec(t *testing.T) {
	fork := &gdbCmp{mode: "fork", engines: []string{"syscalls"}, setup: []string{"catch fork", "break probe"}, cmds: []string{
		"continue", "p $_siginfo.si_signo", "bt 1", "continue", "p n", "continue",
	}}
	fork.run(t)
	mustMatch(t, "gdb output", fork.utrace,
		`Catchpoint 1 \(forked process PID\), arch_fork`,
		`\[Detaching after fork from child process PID\]`,
		`Breakpoint 2, probe \(n=7\)`,
		`exited normally\]`)
	mustMatch(t, "log", fork.utraceLog,
		`(?m)^\[pid +\d+\] exit_group\(7\) += \?$`,
		`(?m)^\+\+\+ exited with 0 \+\+\+$`)

	vfork := &gdbCmp{mode: "vfork", engines: []string{"syscalls"}, setup: []string{"catch vfork", "break probe"}, cmds: []string{
		"continue", "bt 1", "continue", "p n", "continue",
	}}
	vfork.run(t)
	mustMatch(t, "gdb output", vfork.utrace,
		`Catchpoint 1 \(vforked process PID\), __libc_vfork \(\)`,
		`\[Detaching after vfork from child process PID\]`,
		`Breakpoint 2, probe \(n=7\)`,
		`exited normally\]`)

	exec := &gdbCmp{mode: "exec", engines: []string{"syscalls"}, setup: []string{"catch exec"}, cmds: []string{
		"continue", "bt 1", "info breakpoints", "continue",
	}}
	exec.run(t)
	mustMatch(t, "gdb output", exec.utrace,
		`process PID is executing new program: /usr/bin/true`,
		`Catchpoint 1 \(exec'd /usr/bin/true\), ADDR in _start \(\) from target:/lib64/ld-linux-x86-64\.so\.2`,
		`catchpoint already hit 1 time`,
		`exited normally\]`)
}

// In an attached process, where no seccomp filter can be installed, catch
// syscall stops at every thread's calls (each call stops while gdb
// catches some, as under gdbserver) and a watchpoint fires in whichever
// thread writes; after the detach the program runs to its end.
func TestGdbAttachCatchAndWatch(t *testing.T) {
	needGDB(t)
	exe, p := startThreads(t, "2")
	d := startDaemon(t, "attach", "-p", strconv.Itoa(p.Pid),
		"-e", "syscalls:trace=clock_nanosleep", "-e", "gdbremote:listen=127.0.0.1:0")
	out := gdb(t, exe, d.addr(t),
		"catch syscall clock_nanosleep", "continue", "continue", "delete",
		"watch rounds", "continue", "delete", "detach")
	mustMatch(t, "gdb output", out,
		`(?s)(Catchpoint 1 \((call to|returned from) syscall clock_nanosleep\).*){2}`,
		`Hardware watchpoint 2: rounds\n\nOld value = \d+\nNew value = \d+\n`,
		`\[Inferior 1 \(process \d+\) detached\]`)
	p.CloseStdin()
	if line := p.ReadLine(t); line != "done 1" {
		t.Errorf("program says %q", line)
	}
	if ws := p.Wait(t); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("program ended with %v", ws)
	}
	r := d.stop(t)
	if r.code != 0 {
		t.Errorf("utrace-bpf attach: %v", r)
	}
	mustMatch(t, "log", r.stderr, `(?m)clock_nanosleep\(CLOCK_REALTIME, 0, \{tv_sec=0, tv_nsec=1000000\}, NULL\) += 0$`)
}
