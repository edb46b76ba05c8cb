package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The smoke test's gdbremote step has two sides. In the VM (or on the
// host, for the row "host"), smoke.sh runs debugProg under utrace-bpf's
// gdbremote engine, which holds it at its exec, and once the engine
// listens prints
//
//	@@@ GDB LISTEN address
//
// The matrix then runs gdb here against it (through qemu's forwarded port
// for a VM): gdb sets a breakpoint on the program's function add,
// continues to it, reads the register of add's first argument and the
// program counter, and continues to the exit. smoke.sh checks the engine's
// side: one gdb session served, and the program's output and exit status.
// gdbClient checks gdb's, and adds its verdict to the smoke step's items
// as "gdb".

// gdbListenLine is the line of smoke.sh that starts gdb.
var gdbListenLine = regexp.MustCompile(`^@@@ GDB LISTEN (\S+)$`)

// gdbTimeout bounds gdb's run; the steps of smoke.sh have 120 s each.
const gdbTimeout = 150 * time.Second

// gdbTool is the gdb that debugs a's programs.
func gdbTool(a *arch) tool {
	if a.native() {
		return tool{"gdb", "gdb"}
	}
	return tool{"gdb-multiarch", "gdb-multiarch"}
}

// A gdbClient is the matrix's side of one row's gdbremote step.
type gdbClient struct {
	gdb  string // the gdb command
	arch *arch
	exe  string // the debugged program, for its symbols
	addr string // where gdb connects; "" for the address the engine prints
	log  string // file for gdb's transcript

	once sync.Once
	done chan struct{}
	res  *item
}

// gdbCommands are what gdb does once connected; gdbExpect the lines its
// output must have. In both, {pc} stands for the architecture's pc and
// {arg0} for its arg0. gdbadd calls add(20, 22) first, and exits with 3
// when every sum was 42.
var (
	gdbCommands = []string{"break add", "continue", "info registers {arg0}", "info registers {pc}", "delete", "continue"}
	gdbExpect   = []string{
		`Breakpoint 1 at 0x[0-9a-f]+: file .*gdbadd\.c, line \d+\.`,
		`Breakpoint 1, add \(a=20, b=22\) at .*gdbadd\.c:\d+`,
		`(?m)^{arg0} +0x14 +20$`,
		`(?m)^{pc} +0x[0-9a-f]+ +0x[0-9a-f]+ <add\+\d+>$`,
		`\[Inferior 1 \(process \d+\) exited with code 03\]`,
	}
)

// registers fills in the register names of a in a command or pattern.
func registers(a *arch, s string, quote func(string) string) string {
	return strings.NewReplacer("{pc}", quote(a.pc), "{arg0}", quote(a.arg0)).Replace(s)
}

// start runs gdb against the engine that listens on listen (as it said)
// in the background. Only the first call of a row does anything.
func (c *gdbClient) start(ctx context.Context, listen string) {
	c.once.Do(func() {
		c.done = make(chan struct{})
		addr := c.addr
		if addr == "" {
			addr = listen
		}
		go func() {
			defer close(c.done)
			c.res = c.run(ctx, addr)
		}()
	})
}

// run runs gdb and judges its output.
func (c *gdbClient) run(ctx context.Context, addr string) *item {
	ctx, cancel := context.WithTimeout(ctx, gdbTimeout)
	defer cancel()
	args := []string{"-batch", "-nx", "-ex", "set width 0", "-ex", "set height 0",
		// Under TCG the VM answers slowly.
		"-ex", "set remotetimeout 60", "-ex", "set confirm off",
		"-ex", "target remote " + addr}
	for _, cmd := range gdbCommands {
		args = append(args, "-ex", registers(c.arch, cmd, func(s string) string { return s }))
	}
	args = append(args, c.exe)
	cmd := exec.CommandContext(ctx, c.gdb, args...)
	out, err := cmd.CombinedOutput()
	transcript := "$ " + c.gdb + " " + strings.Join(quoteArgs(args), " ") + "\n" + string(out)
	os.WriteFile(c.log, []byte(transcript), 0o644)
	it := &item{Name: "gdb", Status: "PASS", Output: strings.Split(strings.TrimSuffix(transcript, "\n"), "\n")}
	switch {
	case ctx.Err() != nil:
		it.Status, it.Why = "FAIL", fmt.Sprintf("gdb did not finish within %v", gdbTimeout)
	case err != nil:
		it.Status, it.Why = "FAIL", fmt.Sprintf("gdb: %v", err)
	default:
		if why := checkGDB(c.arch, out); why != "" {
			it.Status, it.Why = "FAIL", why
		}
	}
	return it
}

// checkGDB says what gdb's output on a lacks of gdbExpect, "" if nothing.
func checkGDB(a *arch, out []byte) string {
	for _, e := range gdbExpect {
		re := registers(a, e, regexp.QuoteMeta)
		if !regexp.MustCompile(re).Match(out) {
			return "gdb's output lacks " + re
		}
	}
	return ""
}

// finish waits for gdb, if it started, and adds its verdict to the smoke
// step of rep: a failure fails the step. It returns the verdict, nil if
// gdb did not run.
func (c *gdbClient) finish(rep *report) *item {
	if c.done == nil {
		return nil
	}
	<-c.done
	if s := rep.Steps["smoke"]; s != nil {
		s.Items = append(s.Items, c.res)
		if c.res.Status != "PASS" {
			s.Status = "FAIL"
		}
	}
	return c.res
}

// quoteArgs quotes the arguments that have spaces, for a transcript.
func quoteArgs(args []string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " '") {
			a = shellQuote(a)
		}
		q[i] = a
	}
	return q
}
