package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// The gdbremote engine: Debian's gdb, in batch mode, debugs programs
// through utrace-bpf while other engines trace the same process.

// needGDB skips a test when gdb is not installed (outside CI).
func needGDB(t *testing.T) {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not installed")
	}
}

// buildDebug compiles test/progs/c/name.c for a debugger: -g -O0 with
// frame pointers.
func buildDebug(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	src := filepath.Join(progs.Dir(), name+".c")
	cmd := exec.Command("gcc", "-g", "-O0", "-fno-omit-frame-pointer", "-Wall", "-Werror", "-pthread", "-o", out, src)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", src, err, msg)
	}
	return out
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is utrace-bpf running in the background while gdb talks to it.
type daemon struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
}

func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = &d.stdout, &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

var listeningRe = regexp.MustCompile(`listening on (\S+);`)

// addr waits for the engine's "listening on" line and returns the address.
func (d *daemon) addr(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRe.FindStringSubmatch(d.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case <-d.done:
			t.Fatalf("utrace-bpf ended before listening:\n%s", d.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("utrace-bpf does not listen:\n%s", d.stderr.String())
	return ""
}

// wait waits for utrace-bpf to end by itself.
func (d *daemon) wait(t *testing.T, within time.Duration) result {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(within):
		d.cmd.Process.Kill()
		<-d.done
		t.Fatalf("utrace-bpf did not end\nstderr:\n%s", d.stderr.String())
	}
	return result{d.stdout.String(), d.stderr.String(), d.cmd.ProcessState.ExitCode()}
}

// stop ends an attach: it ends by itself when the process is gone, and
// on SIGINT otherwise.
func (d *daemon) stop(t *testing.T) result {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(3 * time.Second):
		d.cmd.Process.Signal(syscall.SIGINT)
	}
	return d.wait(t, 30*time.Second)
}

// gdb runs gdb in batch mode against addr with the commands, and returns
// what it printed.
func gdb(t *testing.T, exe, addr string, cmds ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"-batch", "-nx", "-ex", "set width 0", "-ex", "set height 0", "-ex", "set remotetimeout 30", "-ex", "set confirm off",
		"-ex", "target remote " + addr}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	args = append(args, exe)
	out, err := exec.CommandContext(ctx, "gdb", args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gdb timed out: %v\n%s", err, out)
	}
	return string(out)
}

// mustMatch checks text against each regular expression.
func mustMatch(t *testing.T, what, text string, res ...string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("%s lacks %s\n%s", what, re, text)
		}
	}
}

var (
	callLineRe = regexp.MustCompile(`(?m)^(?:\[pid +\d+\] )?(\w+)\(.*\) += (.*)$`)
	exitLineRe = regexp.MustCompile(`(?m)^(?:\[pid +\d+\] )?\+\+\+ .* \+\+\+$`)
	addrRe     = regexp.MustCompile(`0x[0-9a-f]+`)
	bigNumRe   = regexp.MustCompile(`\b\d{4,}\b`)
)

// calls is a syscalls log reduced to what two runs of one program share:
// each call's name and result, addresses and process ids left out (the
// arguments are read after the fact, as any passive tracer must, and may
// or may not be readable any more), and the exit line.
func calls(log string) []string {
	var out []string
	for _, m := range callLineRe.FindAllStringSubmatch(log, -1) {
		ret := bigNumRe.ReplaceAllString(addrRe.ReplaceAllString(m[2], "ADDR"), "N")
		out = append(out, m[1]+" = "+ret)
	}
	for _, m := range exitLineRe.FindAllString(log, -1) {
		out = append(out, m[strings.Index(m, "+++"):])
	}
	return out
}

// gdb breaks in a function of a program run launched, prints an argument
// and a register, steps a line, prints a local and continues to the exit,
// whose code it reports; the syscalls engine's log of that run has every
// call a run without gdb has.
func TestGdbRunBreakpoint(t *testing.T) {
	needGDB(t)
	exe := buildDebug(t, "gdbadd")
	plain := run(t, "", "run", "-e", "syscalls", "--", exe)
	if plain.code != 3 {
		t.Fatalf("without gdb: %v", plain)
	}

	d := startDaemon(t, "run", "-e", "syscalls", "-e", "gdbremote:listen=127.0.0.1:0", "--", exe)
	out := gdb(t, exe, d.addr(t),
		"break add", "continue", "print a", "print b", "info registers rip", "next", "print sum",
		"delete", "continue")
	mustMatch(t, "gdb output", out,
		`Breakpoint 1 at 0x[0-9a-f]+: file .*gdbadd\.c, line \d+\.`,
		`Breakpoint 1, add \(a=20, b=22\) at .*gdbadd\.c:\d+`,
		`(?m)^\$1 = 20$`,
		`(?m)^\$2 = 22$`,
		`(?m)^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <add\+\d+>$`,
		`(?m)^\d+\s+return sum;$`,
		`(?m)^\$3 = 42$`,
		`\[Inferior 1 \(process \d+\) exited with code 03\]`)
	r := d.wait(t, time.Minute)
	if r.code != 3 || r.stdout != "ok 1 read 1 got 0\n" {
		t.Fatalf("under gdb: %v", r)
	}
	mustMatch(t, "log", r.stderr,
		`(?m)^execve\(".*gdbadd", .*\) += 0$`,
		`(?m)^\+\+\+ exited with 3 \+\+\+$`,
		`(?m)^gdbremote: served 127\.0\.0\.1:\d+: 1 gdb session\(s\), \d+ stop\(s\) reported$`,
		`(?m)^utrace-bpf: reports: syscalls \d+, gdbremote \d+; events delivered \d+, lost 0$`)
	want, got := calls(plain.stderr), calls(r.stderr)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("the syscalls log differs from a run without gdb\nwithout:\n%s\nwith:\n%s",
			strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	if len(got) < 20 {
		t.Errorf("short log: %q", got)
	}
}

// Breakpoints survive another engine's synchronous system call stops (the
// inject engine holds getppid at its entry, between breakpoint hits), and
// a signal gdb stops for reaches the program when gdb continues.
func TestGdbRunSyncStopsAndSignal(t *testing.T) {
	needGDB(t)
	exe := buildDebug(t, "gdbadd")
	d := startDaemon(t, "run", "-e", "syscalls", "-e", "inject:syscall=getppid,delay=1ms,log=true",
		"-e", "gdbremote:listen=127.0.0.1:0", "--", exe, "sig")
	out := gdb(t, exe, d.addr(t),
		"break add", "continue", "continue", "print a", "continue", "print a", "continue", "print a",
		"info breakpoints", "continue")
	mustMatch(t, "gdb output", out,
		`Program received signal SIGUSR1, User defined signal 1\.`,
		`Breakpoint 1, add \(a=20, b=22\)`,
		`Breakpoint 1, add \(a=21, b=21\)`,
		`Breakpoint 1, add \(a=22, b=20\)`,
		`(?m)^\$1 = 20$`, `(?m)^\$2 = 21$`, `(?m)^\$3 = 22$`,
		`breakpoint already hit 3 times`,
		`exited with code 03\]`)
	r := d.wait(t, time.Minute)
	if r.code != 3 || r.stdout != "ok 1 read 1 got 10\n" {
		t.Fatalf("under gdb: %v", r)
	}
	mustMatch(t, "log", r.stderr,
		`inject: 3 matching calls, 3 injected`,
		`(?m)(^\[pid \d+\] getppid\(\) \(delayed 1ms\)$(?s:.*)){3}`,
		`(?m)(^getppid\(\) += \d+$(?s:.*)){3}`,
		`(?m)^\+\+\+ exited with 3 \+\+\+$`)
}

// A child process gets a copy of the parent's memory, breakpoints
// included; gdb follows neither fork nor exec here, and the children must
// run as if there were none.
func TestGdbForkChild(t *testing.T) {
	needGDB(t)
	exe := buildDebug(t, "gdbfork")
	d := startDaemon(t, "run", "-e", "proctree", "-e", "gdbremote:listen=127.0.0.1:0", "--", exe)
	out := gdb(t, exe, d.addr(t), "break add", "continue", "print a", "delete", "continue")
	mustMatch(t, "gdb output", out,
		`Breakpoint 1, add \(a=2, b=3\)`,
		`(?m)^\$1 = 2$`,
		`\[Inferior 1 \(process \d+\) exited normally\]`)
	r := d.wait(t, time.Minute)
	if r.code != 0 || r.stdout != "child 0 system 0x400 add 5\n" {
		t.Fatalf("under gdb: %v", r)
	}
}

// gdb attaches to a running multi-threaded program, lists its threads,
// stops all of them at a breakpoint, and detaches; the program then
// completes normally.
func TestGdbAttachThreads(t *testing.T) {
	needGDB(t)
	exe, p := startThreads(t, "4")
	d := startDaemon(t, "attach", "-p", strconv.Itoa(p.Pid),
		"-e", "syscalls:trace=clone3,exit", "-e", "gdbremote:listen=127.0.0.1:0")
	out := gdb(t, exe, d.addr(t),
		"info threads", "break spin", "continue", "print i >= 0", "info threads", "delete", "detach")
	threadRe := regexp.MustCompile(`(?m)^[* ] +\d+ +Thread ` + strconv.Itoa(p.Pid) + `\.\d+ "gdbthreads"`)
	if n := len(threadRe.FindAllString(out, -1)); n != 10 {
		t.Errorf("want 5 threads listed twice, got %d lines\n%s", n, out)
	}
	mustMatch(t, "gdb output", out,
		`Thread \d+ "gdbthreads" hit Breakpoint 1, spin \(i=\d+\) at .*gdbthreads\.c:\d+`,
		`(?m)^\$1 = 1$`,
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
	mustMatch(t, "log", r.stderr, `gdbremote: served 127\.0\.0\.1:\d+: 1 gdb session\(s\)`)
}

// rspConn is a raw protocol client.
type rspConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRSP(t *testing.T, addr string) *rspConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rspConn{t, c, bufio.NewReader(c)}
}

func (c *rspConn) write(s string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("writing %.40q: %v", s, err)
	}
}

func framePacket(data string) string {
	var sum byte
	for i := range len(data) {
		sum += data[i]
	}
	return fmt.Sprintf("$%s#%02x", data, sum)
}

// reply reads the next packet, skipping acks; "" and an error when the
// connection is closed.
func (c *rspConn) reply(within time.Duration) (string, error) {
	c.c.SetReadDeadline(time.Now().Add(within))
	for {
		b, err := c.r.ReadByte()
		if err != nil {
			return "", err
		}
		if b != '$' {
			continue
		}
		data, err := c.r.ReadString('#')
		if err != nil {
			return "", err
		}
		if _, err := io.ReadFull(c.r, make([]byte, 2)); err != nil {
			return "", err
		}
		return strings.TrimSuffix(data, "#"), nil
	}
}

// closed reports whether the server closed the connection within the time.
func (c *rspConn) closed(within time.Duration) bool {
	c.c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c.r)
	// EOF, or a reset when it closed with our bytes unread.
	return err == nil || errors.Is(err, syscall.ECONNRESET)
}

// Malformed and truncated packets get an error reply or a closed
// connection; the tracer carries on, a real gdb can connect afterwards, and
// the program runs to its end.
func TestGdbMalformedPackets(t *testing.T) {
	needGDB(t)
	exe := buildDebug(t, "gdbthreads")
	p := progs.Start(t, nil, exe, "2")
	p.Go(t)
	p.ReadLine(t)
	d := startDaemon(t, "attach", "-p", strconv.Itoa(p.Pid),
		"-e", "gdbremote:listen=127.0.0.1:0,packet_timeout=1s")
	addr := d.addr(t)

	c := dialRSP(t, addr)
	c.write("$qSupported#00") // bad checksum: nak, gdb would send it again
	if b, _ := c.r.ReadByte(); b != '-' {
		t.Errorf("bad checksum: got %q, want '-'", b)
	}
	c.write(framePacket("QStartNoAckMode"))
	if r, err := c.reply(5 * time.Second); r != "OK" {
		t.Fatalf("QStartNoAckMode: %q %v", r, err)
	}
	for _, bad := range []string{
		"mzz,10", "m1234", "m,", "M1000,2:zz", "X1000,5:ab", "G123", "p", "pzzz", "P10=12", "Hgpzz.1",
		"Z0,,1", "Z0,1000", "z0,12345678901234567890,1", "vCont;q", "vCont;", "vCont;c:pzz", "C", "Sxy",
		"qXfer:features:read:target.xml:zz", "T-zz", "vCont;Cxx", "vCont;c;s:1:2",
	} {
		c.write(framePacket(bad))
		r, err := c.reply(5 * time.Second)
		if err != nil {
			t.Fatalf("%q: no reply: %v", bad, err)
		}
		if !strings.HasPrefix(r, "E") && r != "" {
			t.Errorf("%q: got %q, want an error reply", bad, r)
		}
	}
	c.write(framePacket("qfThreadInfo")) // still serving
	if r, _ := c.reply(5 * time.Second); !strings.HasPrefix(r, "m") {
		t.Errorf("qfThreadInfo after bad packets: %q", r)
	}
	c.write("$qSupp") // truncated, and then nothing
	if !c.closed(10 * time.Second) {
		t.Errorf("a truncated packet did not close the connection")
	}

	c = dialRSP(t, addr)
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.c.Write([]byte("$" + strings.Repeat("A", 300000))) // no end; the server stops reading
	if !c.closed(10 * time.Second) {
		t.Errorf("an endless packet did not close the connection")
	}

	c = dialRSP(t, addr)
	c.write("$g#67$?#") // a packet cut short by the connection closing
	c.c.Close()

	out := gdb(t, exe, addr, "info threads", "detach")
	threadRe := regexp.MustCompile(`(?m)^[* ] +\d+ +Thread ` + strconv.Itoa(p.Pid) + `\.\d+ "gdbthreads"`)
	if n := len(threadRe.FindAllString(out, -1)); n != 3 {
		t.Errorf("want 3 threads\n%s", out)
	}
	p.CloseStdin()
	if line := p.ReadLine(t); line != "done 1" {
		t.Errorf("program says %q", line)
	}
	if ws := p.Wait(t); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("program ended with %v", ws)
	}
	r := d.stop(t)
	if r.code != 0 || strings.Contains(r.stderr, "panic") {
		t.Errorf("utrace-bpf attach: %v", r)
	}
	mustMatch(t, "log", r.stderr, `gdbremote: served 127\.0\.0\.1:\d+: 4 gdb session\(s\)`)
}

// startThreads builds gdbthreads with debugging information and starts it
// with n threads running.
func startThreads(t *testing.T, n string) (string, *progs.Proc) {
	t.Helper()
	exe := buildDebug(t, "gdbthreads")
	p := progs.Start(t, nil, exe, n)
	p.Go(t)
	if line := p.ReadLine(t); line != "started" {
		t.Fatalf("program says %q", line)
	}
	return exe, p
}
