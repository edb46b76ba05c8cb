// Package procfs reads the files of /proc that utrace-bpf needs: one parser
// per file, so that a format (a command name with spaces and parentheses in
// stat, the escapes of mountinfo, the states of syscall) is handled once,
// and the whole project agrees on what the kernel said.
//
// # Processes and threads
//
// A Dir names the directory of a task, and whose view its files give:
//
//   - Process(pid) is /proc/PID. For a process id that is the process as
//     its leader sees it. The kernel also has /proc/TID for every thread
//     id, unlisted: the files there give that thread's own state (the state
//     letter and flags of stat; State, TracerPid and the signal masks of
//     status) with its process's lists and totals (task/, the CPU times of
//     stat). Callers that know only a thread id use Process(tid).
//   - Thread(pid, tid) is /proc/PID/task/TID: thread tid of process pid,
//     alone. It exists only while tid is a thread of pid, which makes it the
//     way to check that.
//   - Self is /proc/self, this process.
//
// # Errors
//
// Errors reading a file are *fs.PathError values holding the system's
// errno, with the file's path. A task that is gone gives ENOENT at the open
// (errors.Is(err, fs.ErrNotExist)) or, when it went between the open and
// the read, ESRCH (errors.Is(err, unix.ESRCH)). A file the kernel wrote in
// an unexpected form gives an error that names the path and what is wrong.
//
// The readers of stat and status are on paths that run at every attach
// and seize: they open and read the file with system calls of their own,
// stat into a buffer on the stack, rather than through an os.File.
package procfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A Dir is the /proc directory of a task; see the package documentation.
type Dir struct {
	pid, tid int
	self     bool
}

// Process is /proc/PID. pid may be the id of any thread: see the package
// documentation for what the files then describe.
func Process(pid int) Dir { return Dir{pid: pid} }

// Thread is /proc/PID/task/TID, thread tid of process pid.
func Thread(pid, tid int) Dir { return Dir{pid: pid, tid: tid} }

// Self is /proc/self, the calling process.
var Self = Dir{self: true}

// Path returns the path of file in the directory ("mem", "task",
// "fd/3"), or of the directory itself for "". It is for files read
// elsewhere, such as mem, which its users open themselves to keep the
// descriptor.
func (d Dir) Path(file string) string {
	var b [64]byte
	p := append(b[:0], "/proc/"...)
	if d.self {
		p = append(p, "self"...)
	} else {
		p = strconv.AppendInt(p, int64(d.pid), 10)
		if d.tid != 0 {
			p = append(p, "/task/"...)
			p = strconv.AppendInt(p, int64(d.tid), 10)
		}
	}
	if file != "" {
		p = append(p, '/')
		p = append(p, file...)
	}
	return string(p)
}

// Exists reports whether the directory is there: for a Thread, whether tid
// is still a thread of pid (a zombie counts until it is reaped).
func (d Dir) Exists() bool {
	var st unix.Stat_t
	return unix.Stat(d.Path(""), &st) == nil
}

// Exe returns the path of the executable the process runs (the target of
// the exe link).
func (d Dir) Exe() (string, error) { return os.Readlink(d.Path("exe")) }

// Cwd returns the task's working directory (the target of the cwd link).
func (d Dir) Cwd() (string, error) { return os.Readlink(d.Path("cwd")) }

// Fd returns what descriptor fd of the process is open on (the target of
// its fd/N link).
func (d Dir) Fd(fd int) (string, error) { return os.Readlink(d.Path("fd/" + strconv.Itoa(fd))) }

// Comm returns the task's command name, from its comm file.
func (d Dir) Comm() (string, error) {
	b, err := read(d.Path("comm"), make([]byte, 64))
	if err != nil {
		return "", err
	}
	return string(trimNewline(b)), nil
}

// Auxv returns the process's auxiliary vector as the kernel stores it:
// pairs of native words, ending with AT_NULL.
func (d Dir) Auxv() ([]byte, error) { return read(d.Path("auxv"), make([]byte, 512)) }

// Cgroup returns the process's cgroup v2 path, from the root of the
// hierarchy (the "0::" line of its cgroup file), or "" without one.
func (d Dir) Cgroup() (string, error) {
	b, err := read(d.Path("cgroup"), make([]byte, 256))
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "0::"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}

// Tasks returns the thread ids of the process (its task directory), in
// increasing order. It is for a Process or Self; a Thread has no tasks.
func (d Dir) Tasks() ([]int, error) { return numbered(d.Path("task")) }

// Children returns the ids of the thread's children (a Thread's children
// file: those it forked, not its process's other threads'), in the order
// the kernel lists them.
func (d Dir) Children() ([]int, error) {
	path := d.Path("children")
	b, err := read(path, make([]byte, 256))
	if err != nil {
		return nil, err
	}
	var ids []int
	for f := range strings.FieldsSeq(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, malformed(path, err)
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// Pids returns the ids of the processes in /proc (thread-group leaders), in
// increasing order.
func Pids() ([]int, error) { return numbered("/proc") }

// numbered returns the numbers that name the entries of directory dir,
// sorted; other names are left out.
func numbered(dir string) ([]int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(names))
	for _, name := range names {
		if n, err := strconv.Atoi(name); err == nil {
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Sysctl returns the value of a kernel setting under /proc/sys, without
// its trailing newline. name is dotted ("kernel.yama.ptrace_scope") or, for
// a name with a dot in one of its parts, a path below /proc/sys
// ("net/ipv4/conf/eth0.1/forwarding").
func Sysctl(name string) (string, error) {
	if !strings.Contains(name, "/") {
		name = strings.ReplaceAll(name, ".", "/")
	}
	b, err := read("/proc/sys/"+name, make([]byte, 128))
	if err != nil {
		return "", err
	}
	return string(trimNewline(b)), nil
}

// read reads the file at path whole, into buf (grown when it is full).
// /proc files have no size to size a buffer by; they are read until a read
// returns nothing.
func read(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	n := 0
	for {
		if n == len(buf) {
			buf = slices.Grow(buf, max(n, 512))
			buf = buf[:cap(buf)]
		}
		m, err := unix.Read(fd, buf[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		case m == 0:
			return buf[:n], nil
		}
		n += m
	}
}

func trimNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b[:len(b)-1]
	}
	return b
}

// ErrNoField is what Status accessors return for a field the file does not
// have: one an older kernel lacks, or a misspelt name.
var ErrNoField = errors.New("no such field")

// malformed is the error for a file whose contents do not parse.
func malformed(path string, err error) error {
	return fmt.Errorf("%s: malformed: %w", path, err)
}
