package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// A vmConfig is how the VMs are made.
type vmConfig struct {
	cpus   int
	mem    string // as qemu's -m takes it
	thread string // TCG's threading: single or multi
}

// guestGDB is where the smoke test's gdbremote step listens in a VM:
// the address qemu's user-mode network gives the guest, and a port qemu
// forwards a port of the host's loopback address to. The kernel passes
// UTRACE_GDB_LISTEN=guestGDB on its command line to /init in the
// environment; init.sh gives eth0 the address, and smoke.sh the engine.
const (
	guestAddr    = "10.0.2.15"
	guestGDBPort = 2345
)

// vmCommand is qemu booting k with initrd under TCG (the host's KVM, if
// any, may not run stock kernels, and TCG runs anywhere), the serial
// console on standard output, and a virtio-net card on qemu's user-mode
// network, whose port gdbPort of the host's 127.0.0.1 qemu forwards to
// guestGDBPort in the VM.
//
// mitigations=off spares TCG the page-table switches of every system call
// (KPTI) and the other speculation barriers, which cost much under
// emulation; the tests run as root, so the verifier does not depend on
// them.
func vmCommand(ctx context.Context, qemu string, k *kernel, initrd string, vm vmConfig, gdbPort int) *exec.Cmd {
	args := append(slices.Clone(k.Arch.machine),
		"-accel", "tcg,thread="+vm.thread,
		"-smp", fmt.Sprint(vm.cpus), "-m", vm.mem,
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-nic", fmt.Sprintf("user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:%d-:%d", gdbPort, guestGDBPort),
		"-kernel", k.Vmlinuz, "-initrd", initrd,
		"-append", fmt.Sprintf("console=%s panic=-1 quiet mitigations=off UTRACE_GDB_LISTEN=%s:%d", k.Arch.console, guestAddr, guestGDBPort),
	)
	return exec.CommandContext(ctx, qemu, args...)
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// hostCommand is run.sh on the host, in a process group of its own so
// that a timeout ends the tests' children too. The smoke test's gdbremote
// step listens on a free port of the loopback address.
func hostCommand(ctx context.Context, staged string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(staged, "run.sh"))
	cmd.Env = append(os.Environ(), "UTRACE_ROOT="+staged, "UTRACE_GDB_LISTEN=127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// runLogged runs cmd, which must have been made with CommandContext(ctx,
// ...) and not started, writing its output to the file logPath and
// feeding each line to a new report and to onLine. It returns the report,
// and an error if cmd could not run, timed out (ctx expired), or ended
// before run.sh said it was done.
func runLogged(ctx context.Context, cmd *exec.Cmd, logPath string, onLine func(string)) (*report, error) {
	rep := newReport()
	logf, err := os.Create(logPath)
	if err != nil {
		return rep, err
	}
	defer logf.Close()
	lw := &lineWriter{fn: func(line string) {
		logf.WriteString(line + "\n")
		rep.Line(line)
		if onLine != nil {
			onLine(line)
		}
	}}
	cmd.Stdin = nil
	cmd.Stdout = lw
	cmd.Stderr = lw
	// Processes the tests start in process groups of their own may outlive
	// a timeout and hold the output open: stop reading after a while.
	cmd.WaitDelay = 10 * time.Second
	waitErr := cmd.Run()
	lw.flush()
	switch {
	case rep.Done:
		return rep, nil
	case ctx.Err() != nil:
		deadline, _ := ctx.Deadline()
		return rep, fmt.Errorf("timed out at %s%s", deadline.Format(time.TimeOnly), during(rep))
	case waitErr != nil:
		return rep, fmt.Errorf("%s: %w%s", filepath.Base(cmd.Path), waitErr, during(rep))
	}
	return rep, fmt.Errorf("%s ended before the run was done%s", filepath.Base(cmd.Path), during(rep))
}

// A lineWriter calls fn with each line written to it, without its line
// ending. It is called from one goroutine at a time.
type lineWriter struct {
	fn  func(string)
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.fn(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	// Output without line endings (a runaway program) still gets logged.
	if len(w.buf) > 64<<10 {
		w.flush()
	}
	return len(p), nil
}

// flush passes on what is left of a last line.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.fn(strings.TrimRight(string(w.buf), "\r"))
		w.buf = nil
	}
}

// during says which step was running, if any.
func during(rep *report) string {
	if rep.Current == "" {
		return ""
	}
	s := rep.Steps[rep.Current]
	if s.run != "" {
		return fmt.Sprintf(" (in %s, test %s)", rep.Current, s.run)
	}
	return fmt.Sprintf(" (in %s)", rep.Current)
}
