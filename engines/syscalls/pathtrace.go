package syscalls

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

// pathTrace is strace's -P: only the calls that access one of a set of
// files, by a path argument equal to one of them, or by a file descriptor
// argument open on one. strace asks /proc/PID/fd at each call; a passive
// engine cannot (the call is over, the descriptor may be closed), so it
// keeps each process's descriptors open on the files itself, from the
// calls that make, copy and close descriptors: open, openat, openat2 and
// creat of a path in the set; dup, dup2, dup3 and fcntl's F_DUPFD of such
// a descriptor; close, close_range; O_CLOEXEC, FD_CLOEXEC and exec; the
// table copied at fork and shared with CLONE_FILES. A descriptor is on a
// file when the path it was opened by, made absolute (with the process's
// working directory, or the dirfd's path read from /proc when the call
// returns) and its symlinks resolved, is in the set: what strace's
// /proc/PID/fd link would say. The working directories are followed too
// (read from /proc when the engine attaches, while the process is there
// for sure; inherited at fork; changed by chdir and fchdir), since a
// short-lived process is often gone from /proc when its calls are
// reported. A descriptor received another way
// (SCM_RIGHTS, pidfd_getfd, accept, inherited from before tracing began)
// is not known to be on a file.
type pathTrace struct {
	paths map[string]bool

	mu     sync.Mutex
	tables map[int]*fdTable // by process
	cwds   map[int]string   // by process: its working directory, where known
}

// fdTable is one process's descriptors open on the traced files, each
// with its close-on-exec flag.
type fdTable struct {
	fds map[int32]bool
}

// fdCalls are the calls that change which descriptors are open on the
// files: the engine sees them whatever the trace= set is.
var fdCalls = []string{"open", "openat", "openat2", "creat", "dup", "dup2", "dup3", "fcntl", "close", "close_range", "chdir", "fchdir"}

// newPathTrace makes a -P filter for the comma-separated paths, or nil.
func newPathTrace(spec string) *pathTrace {
	if spec == "" {
		return nil
	}
	pt := &pathTrace{paths: map[string]bool{}, tables: map[int]*fdTable{}, cwds: map[int]string{}}
	for _, p := range strings.Split(spec, ",") {
		if p != "" {
			pt.paths[p] = true
		}
	}
	return pt
}

// watch widens set, the calls to log, by the calls that change the
// descriptor tables; nil (all calls) stays nil.
func (pt *pathTrace) watch(set *core.SyscallSet) *core.SyscallSet {
	if set == nil {
		return nil
	}
	w := *set
	for _, name := range fdCalls {
		if nr, ok := sysabi.Number(name); ok {
			w.Add(nr)
		}
	}
	return &w
}

// table returns process pid's table, made empty if it has none.
// pt.mu is held.
func (pt *pathTrace) table(pid int) *fdTable {
	t := pt.tables[pid]
	if t == nil {
		t = &fdTable{fds: map[int32]bool{}}
		pt.tables[pid] = t
	}
	return t
}

// isPath reports whether the string at addr is one of the files.
func (pt *pathTrace) isPath(mem sysent.Mem, addr uint64) bool {
	if mem == nil {
		return false
	}
	s, _, err := mem.ReadString(addr, sysabi.PathMax)
	return err == nil && pt.paths[string(s)]
}

// fdFirst are the calls without a layout of arguments whose first argument
// is a file descriptor.
var fdFirst = map[string]bool{"ioctl": true, "fcntl": true, "setsockopt": true, "getsockopt": true}

// matches reports whether call nr of process pid, with args, accesses one
// of the files. It is asked before the call's effect on the table is
// applied: close(fd) matches a descriptor it is closing.
func (pt *pathTrace) matches(pid, nr int, args *[6]uint64, mem sysent.Mem) bool {
	name := sysabi.Name(nr)
	pt.mu.Lock()
	t := pt.tables[pid]
	onFile := func(fd uint64) bool { return t.has(fd) }
	defer pt.mu.Unlock()
	switch name {
	case "symlink", "symlinkat":
		// The first argument is the link's text, not a file looked up.
		idx, _ := sysabi.PathArg(nr)
		return pt.isPath(mem, args[idx]) || name == "symlinkat" && onFile(args[1])
	case "mount":
		return pt.isPath(mem, args[0]) || pt.isPath(mem, args[1])
	case "execve", "execveat":
		if idx, ok := sysabi.PathArg(nr); ok && pt.isPath(mem, args[idx]) {
			return true
		}
		return name == "execveat" && onFile(args[0])
	}
	if fdFirst[name] {
		return onFile(args[0])
	}
	l, _ := sysabi.LayoutOf(nr)
	for i, k := range l.Args {
		switch k {
		case sysabi.ArgPath:
			if pt.isPath(mem, args[i]) {
				return true
			}
		case sysabi.ArgFD, sysabi.ArgDirFD:
			if onFile(args[i]) {
				return true
			}
		case sysabi.ArgPollfds:
			if t != nil && i+1 < len(args) && pollsFile(t, mem, args[i], args[i+1]) {
				return true
			}
		case sysabi.ArgFdSet:
			if t != nil && selectsFile(t, mem, args[i], args[0]) {
				return true
			}
		}
	}
	return false
}

// pollsFile reports whether the n struct pollfd at addr name a descriptor
// of t.
func pollsFile(t *fdTable, mem sysent.Mem, addr, n uint64) bool {
	if mem == nil || addr == 0 || n == 0 || n > 1024 {
		return false
	}
	b, err := mem.Read(addr, int(n)*8)
	if err != nil {
		return false
	}
	for i := 0; i+8 <= len(b); i += 8 {
		if t.has(uint64(binary.NativeEndian.Uint32(b[i:]))) {
			return true
		}
	}
	return false
}

// selectsFile reports whether the fd_set at addr, of nfds descriptors,
// has one of t's.
func selectsFile(t *fdTable, mem sysent.Mem, addr, nfds uint64) bool {
	if mem == nil || addr == 0 || nfds == 0 || nfds > 1024 {
		return false
	}
	b, err := mem.Read(addr, int((nfds+63)/64*8))
	if err != nil {
		return false
	}
	for fd := range t.fds {
		if fd >= 0 && uint64(fd) < nfds && b[fd/8]&(1<<(fd%8)) != 0 {
			return true
		}
	}
	return false
}

// has reports whether descriptor fd is open on one of the files; t may be
// nil, a process with none.
func (t *fdTable) has(fd uint64) bool {
	if t == nil {
		return false
	}
	_, ok := t.fds[int32(fd)]
	return ok
}

// update applies a call's effect on process pid's descriptor table: it
// returned ret.
func (pt *pathTrace) update(pid, nr int, args *[6]uint64, mem sysent.Mem, ret int64) {
	name := sysabi.Name(nr)
	pt.mu.Lock()
	defer pt.mu.Unlock()
	t := pt.tables[pid]
	set := func(fd int32, on, cloexec bool) {
		if !on {
			if t != nil {
				delete(t.fds, fd)
			}
			return
		}
		if t == nil {
			t = pt.table(pid)
		}
		t.fds[fd] = cloexec
	}
	on := func(fd uint64) bool { return t.has(fd) }
	switch name {
	case "close":
		// The descriptor is gone even when close fails (EINTR, EIO).
		set(int32(args[0]), false, false)
		return
	case "close_range":
		if ret < 0 || t == nil {
			return
		}
		for fd := range t.fds {
			if uint64(uint32(fd)) >= uint64(uint32(args[0])) && uint64(uint32(fd)) <= uint64(uint32(args[1])) {
				if args[2]&unix.CLOSE_RANGE_CLOEXEC != 0 {
					t.fds[fd] = true
				} else {
					delete(t.fds, fd)
				}
			}
		}
		return
	}
	if ret < 0 {
		return
	}
	switch name {
	case "chdir":
		if mem != nil {
			if b, _, err := mem.ReadString(args[0], sysabi.PathMax); err == nil {
				pt.chdir(pid, string(b), 0, false)
				return
			}
		}
		delete(pt.cwds, pid)
	case "fchdir":
		pt.chdir(pid, "", int32(args[0]), true)
	case "open", "creat", "openat", "openat2":
		// The descriptor is new: on the file if the path was one.
		flags := uint64(0)
		switch name {
		case "open":
			flags = args[1]
		case "openat":
			flags = args[2]
		case "openat2":
			if mem != nil {
				if b, err := mem.Read(args[2], 8); err == nil {
					flags = binary.NativeEndian.Uint64(b)
				}
			}
		}
		dirfd := int32(unix.AT_FDCWD)
		if name == "openat" || name == "openat2" {
			dirfd = int32(args[0])
		}
		set(int32(ret), pt.opensFile(pid, dirfd, mem, pathOf(nr, args)), flags&unix.O_CLOEXEC != 0)
	case "dup":
		set(int32(ret), on(args[0]), false)
	case "dup2":
		set(int32(args[1]), on(args[0]), false)
	case "dup3":
		set(int32(args[1]), on(args[0]), args[2]&unix.O_CLOEXEC != 0)
	case "fcntl":
		switch args[1] {
		case unix.F_DUPFD:
			set(int32(ret), on(args[0]), false)
		case unix.F_DUPFD_CLOEXEC:
			set(int32(ret), on(args[0]), true)
		case unix.F_SETFD:
			if on(args[0]) {
				t.fds[int32(args[0])] = args[2]&unix.FD_CLOEXEC != 0
			}
		}
	}
}

// opensFile reports whether the path at addr, looked up from dirfd by
// process pid, is one of the files once made absolute and resolved.
func (pt *pathTrace) opensFile(pid int, dirfd int32, mem sysent.Mem, addr uint64) bool {
	if mem == nil {
		return false
	}
	b, _, err := mem.ReadString(addr, sysabi.PathMax)
	if err != nil {
		return false
	}
	p := string(b)
	if pt.paths[p] {
		return true
	}
	if !filepath.IsAbs(p) {
		dir, ok := pt.cwdOf(pid)
		if dirfd != unix.AT_FDCWD {
			dir, ok = procLink(pid, "fd/"+strconv.Itoa(int(dirfd)))
		}
		if !ok {
			return false
		}
		p = filepath.Join(dir, p)
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	return pt.paths[p]
}

// attached learns the working directory of process pid, whose thread tid
// the engine attaches to now, unless it is known (a child's, inherited).
func (pt *pathTrace) attached(pid, tid int) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if _, ok := pt.cwds[pid]; ok {
		return
	}
	if d, ok := procLink(tid, "cwd"); ok {
		pt.cwds[pid] = d
	}
}

// cwdOf returns process pid's working directory: followed, or read from
// /proc at the first asking. pt.mu is held.
func (pt *pathTrace) cwdOf(pid int) (string, bool) {
	if d, ok := pt.cwds[pid]; ok {
		return d, true
	}
	d, ok := procLink(pid, "cwd")
	if ok {
		pt.cwds[pid] = d
	}
	return d, ok
}

// procLink reads the symlink /proc/PID/name.
func procLink(pid int, name string) (string, bool) {
	d, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/" + name)
	return d, err == nil
}

// chdir follows process pid's working directory to path (chdir) or to
// where descriptor fd is (fchdir); unknown, it is forgotten.
func (pt *pathTrace) chdir(pid int, path string, fd int32, byFD bool) {
	dir, ok := "", false
	switch {
	case byFD:
		dir, ok = procLink(pid, "fd/"+strconv.Itoa(int(fd)))
	case filepath.IsAbs(path):
		dir, ok = path, true
	default:
		if cwd, known := pt.cwdOf(pid); known {
			dir, ok = filepath.Join(cwd, path), true
		}
	}
	if ok {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		pt.cwds[pid] = dir
	} else {
		delete(pt.cwds, pid)
	}
}

// pathOf is the address of call nr's path argument.
func pathOf(nr int, args *[6]uint64) uint64 {
	idx, _ := sysabi.PathArg(nr)
	return args[idx]
}

// clone gives a new process its descriptors: the parent's table itself
// with CLONE_FILES, else a copy of it. Threads share their process's.
func (pt *pathTrace) clone(parent int, c *core.Clone) {
	if c.Thread {
		return
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if d, ok := pt.cwdOf(parent); ok {
		pt.cwds[c.Child] = d
	}
	t := pt.tables[parent]
	if t == nil {
		return
	}
	if c.Flags&unix.CLONE_FILES != 0 {
		pt.tables[c.Child] = t
		return
	}
	cp := &fdTable{fds: make(map[int32]bool, len(t.fds))}
	for fd, cloexec := range t.fds {
		cp.fds[fd] = cloexec
	}
	pt.tables[c.Child] = cp
}

// exec closes process pid's close-on-exec descriptors. (An exec unshares
// a table shared by CLONE_FILES first; the other sharers keep theirs.)
func (pt *pathTrace) exec(pid int) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	t := pt.tables[pid]
	if t == nil {
		return
	}
	cp := &fdTable{fds: map[int32]bool{}}
	for fd, cloexec := range t.fds {
		if !cloexec {
			cp.fds[fd] = false
		}
	}
	pt.tables[pid] = cp
}

// exit forgets process pid's table.
func (pt *pathTrace) exit(pid int) {
	pt.mu.Lock()
	delete(pt.tables, pid)
	delete(pt.cwds, pid)
	pt.mu.Unlock()
}

// ReportClone gives a new process its descriptor table (paths=), then
// follows it.
func (s *syscalls) ReportClone(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if s.pt != nil {
		s.pt.clone(ev.Tgid, &ev.Clone)
	}
	return s.Base.ReportClone(e, action, ev)
}
