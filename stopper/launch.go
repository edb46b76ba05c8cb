package stopper

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// Launching. Go cannot run code between fork and exec, and a seccomp filter
// must be installed by the process itself, so a launched program starts as
// a re-exec of this very binary (the shim): the shim installs the filter on
// its main thread, says it is ready (a byte on fd 4), waits for one byte on
// fd 3 while the stopper seizes it and the engines attach, then execs the
// program. Its Go runtime has started all its threads by then, so the only
// system calls a watch set after "ready" sees are the end of that write,
// the read, and the execve (both descriptors are close-on-exec).

const (
	shimEnv        = "UTRACE_BPF_SHIM"
	shimNiceEnv    = "UTRACE_BPF_SHIM_NICE"
	shimGodebugEnv = "UTRACE_BPF_SHIM_GODEBUG" // the program's GODEBUG: "-" unset, else "=" and the value
)

func init() {
	if spec, ok := os.LookupEnv(shimEnv); ok {
		runShim(spec)
	}
}

// LaunchOptions say how to start a program.
type LaunchOptions struct {
	// Syscalls, when not nil, installs a seccomp filter before the exec
	// that makes only these system calls stop (SECCOMP_RET_TRACE); the
	// others run without any ptrace stop. Without it, synchronous syscall
	// events use PTRACE_SYSCALL and every system call stops.
	Syscalls *core.SyscallSet
	// Nice, when not nil, is the nice value the program starts with; by
	// default it has the calling thread's.
	Nice   *int
	Dir    string
	Env    []string // nil: this process's environment
	Stdin  *os.File
	Stdout *os.File
	Stderr *os.File
	// Credentials, when not nil, are the user and groups the program
	// runs as (strace -u).
	Credentials *Credentials
}

// Process is a program started by Launch, stopped before its execve until
// Start.
type Process struct {
	Pid  int
	cmd  *exec.Cmd
	goW  *os.File
	pfd  int
	stop *Stopper
}

// Launch starts argv held before its execve and seizes it. Attach engines
// to p.Pid, then call p.Start. The program's exit status is for p.Wait
// alone: any other wait in this process would also see its ptrace stops.
func (s *Stopper) Launch(argv []string, opts LaunchOptions) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("launch: no command")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	defer goR.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		goW.Close()
		return nil, fmt.Errorf("launch: %w", err)
	}
	defer readyR.Close()
	cmd := exec.Command(self, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = opts.Dir
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	// The shim's runtime must not preempt its threads with SIGURG: a
	// signal sent just before the exec would be delivered to the program
	// after it, which no tracer that starts the program itself shows.
	// The program gets its own GODEBUG back.
	saved := "-"
	var shimEnvv []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			saved = "=" + v
			continue
		}
		shimEnvv = append(shimEnvv, kv)
	}
	cmd.Env = append(shimEnvv, "GODEBUG=asyncpreemptoff=1", shimGodebugEnv+"="+saved,
		shimEnv+"="+encodeShim(path, opts.Syscalls))
	if opts.Nice != nil {
		cmd.Env = append(cmd.Env, shimNiceEnv+"="+strconv.Itoa(*opts.Nice))
	}
	if opts.Credentials != nil {
		cmd.Env = append(cmd.Env, shimCredEnv+"="+opts.Credentials.encode())
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
	cmd.ExtraFiles = []*os.File{goR, readyW} // fds 3 and 4 in the shim
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		goW.Close()
		return nil, fmt.Errorf("launch %s: %w", argv[0], err)
	}
	if n, _ := readyR.Read(make([]byte, 1)); n != 1 {
		goW.Close()
		cmd.Wait()
		return nil, fmt.Errorf("launch %s: the launcher failed", argv[0])
	}
	waitInRead(cmd.Process.Pid)
	p := &Process{Pid: cmd.Process.Pid, cmd: cmd, goW: goW, pfd: -1, stop: s}
	if p.pfd, err = unix.PidfdOpen(p.Pid, 0); err != nil {
		p.kill()
		return nil, fmt.Errorf("launch: pidfd: %w", err)
	}
	err = s.do(func() error {
		t := s.tasks[p.Pid]
		if t == nil {
			t = s.newTask(p.Pid)
		}
		t.seccomp = opts.Syscalls != nil
		t.launching = true
		return s.seize(t)
	})
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("launch: %w", err)
	}
	return p, nil
}

// waitInRead waits, for a second at most, until the launcher pid blocks
// reading the go byte (/proc/PID/syscall says read on fd 3): from then on
// it makes no system call but the end of that read and the execve, so
// engines that attach now see nothing of the launcher's but calls they
// did not see begin (a counter leaves those out, as strace -c does the
// launcher's).
func waitInRead(pid int) {
	dir := procfs.Process(pid)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		sc, err := dir.Syscall()
		if err != nil || sc.Reads(3) {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// Start lets the program exec.
func (p *Process) Start() error {
	_, err := p.goW.Write([]byte{1})
	p.goW.Close()
	return err
}

// Wait waits for the program to exit and returns its wait status. It
// waits on a pidfd, which becomes readable only at exit, and reaps the
// process then: by that time it makes no more ptrace stops to steal.
func (p *Process) Wait() (syscall.WaitStatus, error) {
	fds := []unix.PollFd{{Fd: int32(p.pfd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, fmt.Errorf("wait %d: %w", p.Pid, err)
		}
	}
	unix.Close(p.pfd)
	p.cmd.Wait()
	return p.cmd.ProcessState.Sys().(syscall.WaitStatus), nil
}

// Signal sends sig to the program.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

func (p *Process) kill() {
	p.goW.Close()
	p.cmd.Process.Kill()
	p.cmd.Wait()
	if p.pfd >= 0 {
		unix.Close(p.pfd)
	}
}

// encodeShim passes the program path and the seccomp syscall list to the
// shim: "PATH" or "PATH\x00NR,NR,...".
func encodeShim(path string, set *core.SyscallSet) string {
	if set == nil {
		return path
	}
	var nrs []string
	for nr := 0; nr < core.SyscallLimit; nr++ {
		if set.Has(nr) {
			nrs = append(nrs, strconv.Itoa(nr))
		}
	}
	return path + "\x1f" + strings.Join(nrs, ",")
}

// runShim is the shim's whole life: filter, wait, exec. It never returns.
func runShim(spec string) {
	runtime.LockOSThread()
	// No garbage collection between the filter and the exec: the runtime
	// would make system calls the filter may trap before the tracer is
	// there.
	debug.SetGCPercent(-1)
	path, list, filtered := strings.Cut(spec, "\x1f")
	os.Unsetenv(shimEnv)
	if saved, ok := os.LookupEnv(shimGodebugEnv); ok {
		os.Unsetenv(shimGodebugEnv)
		if v, had := strings.CutPrefix(saved, "="); had {
			os.Setenv("GODEBUG", v)
		} else {
			os.Unsetenv("GODEBUG")
		}
	}
	if nice, ok := os.LookupEnv(shimNiceEnv); ok {
		os.Unsetenv(shimNiceEnv)
		// The thread that execs becomes the program: its nice value is
		// the program's.
		if n, err := strconv.Atoi(nice); err == nil {
			unix.Setpriority(unix.PRIO_PROCESS, 0, n)
		}
	}
	var creds *Credentials
	if spec, ok := os.LookupEnv(shimCredEnv); ok {
		os.Unsetenv(shimCredEnv)
		c, err := decodeCredentials(spec)
		if err != nil {
			shimFail(err)
		}
		creds = c
	}
	argv0, err := unix.BytePtrFromString(path)
	if err != nil {
		shimFail(err)
	}
	argv, err := syscall.SlicePtrFromStrings(os.Args)
	if err != nil {
		shimFail(err)
	}
	envv, err := syscall.SlicePtrFromStrings(os.Environ())
	if err != nil {
		shimFail(err)
	}
	var filter []unix.SockFilter
	if filtered {
		var nrs []uint32
		for _, f := range strings.Split(list, ",") {
			if n, err := strconv.Atoi(f); err == nil {
				nrs = append(nrs, uint32(n))
			}
		}
		filter = seccompFilter(nrs)
	}
	// The handshake's descriptors close at the exec: a close after the
	// go byte would be the launcher's call in the program's trace (and
	// in its counts), after the engines attached.
	unix.RawSyscall(unix.SYS_FCNTL, 3, unix.F_SETFD, unix.FD_CLOEXEC)
	unix.RawSyscall(unix.SYS_FCNTL, 4, unix.F_SETFD, unix.FD_CLOEXEC)
	// The user is taken on before "ready": its calls are the launcher's,
	// before the engines attach.
	if creds != nil {
		if err := creds.take(); err != nil {
			shimFail(err)
		}
	}
	var b [1]byte
	unix.RawSyscall(unix.SYS_WRITE, 4, uintptr(unsafe.Pointer(&b[0])), 1)
	for {
		_, _, errno := unix.RawSyscall(unix.SYS_READ, 3, uintptr(unsafe.Pointer(&b[0])), 1)
		if errno != unix.EINTR {
			break
		}
	}
	// The filter comes last, with the tracer there, so that it needs no
	// exception for the handshake: an exception would outlive the exec
	// (the program's own read(3) or close(4) would never stop).
	if filter != nil {
		if err := installFilter(filter); err != nil {
			shimFail(fmt.Errorf("seccomp filter: %w", err))
		}
	}
	_, _, errno := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(argv0)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	shimFail(fmt.Errorf("exec %s: %w", path, errno))
}

func shimFail(err error) {
	fmt.Fprintln(os.Stderr, "utrace-bpf:", err)
	os.Exit(127)
}

// seccompFilter is a filter that makes the listed syscalls stop for the
// tracer and lets every other call run. It runs at every system call of the
// program, so a call not in the list takes the shortest path: the arch, the
// number, one compare per listed call.
func seccompFilter(nrs []uint32) []unix.SockFilter {
	const (
		ldAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		retK   = unix.BPF_RET | unix.BPF_K
		offNr  = 0 // struct seccomp_data: nr
		offArc = 4 // arch
	)
	allow, trace := uint32(unix.SECCOMP_RET_ALLOW), uint32(unix.SECCOMP_RET_TRACE)
	prog := []unix.SockFilter{
		{Code: ldAbs, K: offArc},
		{Code: jeqK, K: auditArch, Jt: 1},
		{Code: retK, K: allow},
		{Code: ldAbs, K: offNr},
	}
	for _, nr := range nrs {
		prog = append(prog, unix.SockFilter{Code: jeqK, K: nr, Jf: 1}, unix.SockFilter{Code: retK, K: trace})
	}
	return append(prog, unix.SockFilter{Code: retK, K: allow})
}

// installFilter installs prog on the calling thread only.
func installFilter(prog []unix.SockFilter) error {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	install := func() error {
		_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
		if errno != 0 {
			return errno
		}
		return nil
	}
	err := install()
	if err == unix.EACCES {
		// Without CAP_SYS_ADMIN a filter needs no_new_privs.
		if err = unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err == nil {
			err = install()
		}
	}
	return err
}
