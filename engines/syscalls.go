package engines

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

func init() {
	Register(&Type{
		Name:    "syscalls",
		Summary: "strace-like log of system calls, as text or JSON lines",
		Uses:    UsesPassive,
		Options: []Option{
			{Name: "trace", Kind: String, Doc: "system calls or classes (file, network, process, signal, memory, desc, ipc), e.g. openat,read or file (default all)"},
			{Name: "path", Kind: String, Doc: "only calls whose path argument starts with this"},
			{Name: "failed", Kind: Bool, Default: "false", Doc: "only calls that returned an error"},
		},
		New: newSyscalls,
	})
}

// syscalls logs each call at its exit. It is passive: the thread never
// waits for it. The exit report carries the number and the argument
// registers (x86-64 keeps them across the call); the entry contributes the
// path the kernel captured. Strings behind other pointers are read from the
// process after the fact (best effort, as any passive tracer must).
//
// When another engine needs some calls synchronously, their entries come
// from the stopper while the exits still come from the ring buffer, a few
// milliseconds later: entries wait in a queue per thread, and an exit takes
// the latest entry older than itself (a thread makes one call at a time);
// entries older still lost their exits.
type syscalls struct {
	Base
	path   string
	failed bool

	mu      sync.Mutex
	pending map[int][]*callEntry // by tid: entries awaiting their exits, oldest first
	// launching holds launched programs still running the launcher: their
	// calls before the execve are the launcher's, not the program's.
	launching map[int]bool
}

type callEntry struct {
	nr   int
	args [6]uint64
	path string
	time uint64
}

func newSyscalls(name string, opts Options, out *Output) (Engine, error) {
	set, err := syscallSet(opts.Str("trace"))
	if err != nil {
		return nil, err
	}
	s := &syscalls{path: opts.Str("path"), failed: opts.BoolVal("failed"), pending: map[int][]*callEntry{}, launching: map[int]bool{}}
	s.Init(name, s, out, Needs{Events: core.EventSyscall | core.EventExec | core.EventDeath, Syscalls: set,
		PathEntriesOnly: true})
	return s, nil
}

// noReturn are the calls that do not come back to report an exit.
func noReturn(nr int) bool {
	return nr == unix.SYS_EXIT || nr == unix.SYS_EXIT_GROUP
}

// StartAtExec tells the engine that tid runs the launcher of a program
// until its execve: the log starts with that execve, as strace's does.
func (s *syscalls) StartAtExec(tid int) {
	s.mu.Lock()
	s.launching[tid] = true
	s.mu.Unlock()
}

// ReportSyscallEntry remembers the call until its exit.
func (s *syscalls) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	s.mu.Lock()
	if s.launching[ev.Tid] {
		if ev.Syscall.Nr != unix.SYS_EXECVE {
			s.mu.Unlock()
			return core.Resume | action.SyscallAction()
		}
		delete(s.launching, ev.Tid)
	}
	s.mu.Unlock()
	idx, hasPath := sysent.PathArg(ev.Syscall.Nr)
	if !hasPath && !noReturn(ev.Syscall.Nr) {
		// The exit report carries the number and the arguments; only a
		// path the kernel captured at entry is worth keeping.
		return core.Resume | action.SyscallAction()
	}
	path := sysent.NoPath
	if hasPath {
		// The kernel captured the path; it is empty both for an empty
		// path (AT_EMPTY_PATH) and for one whose page was not resident,
		// so an empty one is read again while the process may still be
		// there.
		path = ev.Syscall.Path
		if path == "" {
			if p, _, err := procMem(ev.Tid).ReadString(ev.Syscall.Args[idx], 4096); err == nil {
				path = p
			}
		}
	}
	if s.path != "" && (path == sysent.NoPath || !strings.HasPrefix(path, s.path)) {
		return core.Resume | action.SyscallAction()
	}
	c := &callEntry{nr: ev.Syscall.Nr, args: ev.Syscall.Args, path: path, time: ev.Time}
	if noReturn(c.nr) {
		if !s.failed {
			s.emit(ev, c, 0, false)
		}
		return core.Resume | action.SyscallAction()
	}
	s.mu.Lock()
	q := s.pending[ev.Tid]
	if len(q) >= maxPending {
		q = q[1:] // its exit was lost
	}
	// Entries arrive from two tiers at different delays; keep them in
	// the order the thread made them.
	i := sort.Search(len(q), func(i int) bool { return q[i].time > c.time })
	q = append(q, nil)
	copy(q[i+1:], q[i:])
	q[i] = c
	s.pending[ev.Tid] = q
	s.mu.Unlock()
	return core.Resume | action.SyscallAction()
}

// childReturn reports whether ev is a new thread's or process's return
// from the clone its parent made.
func childReturn(ev *core.Event) bool {
	switch ev.Syscall.Nr {
	case unix.SYS_CLONE, unix.SYS_CLONE3, unix.SYS_FORK, unix.SYS_VFORK:
		return ev.Syscall.Ret == 0
	}
	return false
}

// maxPending bounds the entries a thread may have waiting for exits.
const maxPending = 256

// takeEntry removes and returns the entry of the call whose exit came at
// time t with number nr (-1: a call a tracer skipped): the latest entry
// before t. Older ones are dropped; their exits were lost. launching
// reports a thread still running the launcher.
func (s *syscalls) takeEntry(tid, nr int, t uint64) (c *callEntry, launching bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.launching[tid] {
		return nil, true
	}
	q := s.pending[tid]
	if len(q) == 0 {
		return nil, false
	}
	i := len(q) - 1
	for i >= 0 && q[i].time > t {
		i--
	}
	if i < 0 {
		return nil, false
	}
	c = q[i]
	if rest := q[i+1:]; len(rest) == 0 {
		delete(s.pending, tid)
	} else {
		s.pending[tid] = append(q[:0:0], rest...)
	}
	if c.nr != nr && nr >= 0 {
		return nil, false
	}
	return c, false
}

// ReportSyscallExit logs the call.
func (s *syscalls) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	c, launching := s.takeEntry(ev.Tid, ev.Syscall.Nr, ev.Time)
	if launching {
		return core.Resume
	}
	var fromExit callEntry
	if c == nil {
		if ev.Syscall.Nr < 0 || s.path != "" || childReturn(ev) {
			// Nothing says what it was; or it was filtered out; or it is
			// a new child's return from the parent's fork, which strace
			// does not show either.
			return core.Resume
		}
		// A call without a path argument (or whose entry came before we
		// attached): the exit knows enough.
		fromExit = callEntry{nr: ev.Syscall.Nr, args: ev.Syscall.Args, path: sysent.NoPath}
		c = &fromExit
	} else if ev.Syscall.Nr >= 0 && ev.Syscall.Args != ([6]uint64{}) {
		c.args = ev.Syscall.Args
	}
	if s.failed && !sysent.IsError(ev.Syscall.Ret) {
		return core.Resume
	}
	s.emit(ev, c, ev.Syscall.Ret, true)
	return core.Resume
}

// ReportExec forgets the entry of the execve, whose exit the new program
// reports.
func (s *syscalls) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if ev.Exec.OldTid != 0 && ev.Exec.OldTid != ev.Tid {
		s.mu.Lock()
		if q := s.pending[ev.Exec.OldTid]; q != nil {
			s.pending[ev.Tid] = q
			delete(s.pending, ev.Exec.OldTid)
		}
		s.mu.Unlock()
	}
	return core.Resume
}

// ReportDeath logs a call cut short by the thread's death as strace does
// ("<unfinished ...>") and detaches.
func (s *syscalls) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	s.mu.Lock()
	q := s.pending[ev.Tid]
	delete(s.pending, ev.Tid)
	s.mu.Unlock()
	if !s.failed {
		for _, c := range q {
			s.emitUnfinished(ev, c)
		}
	}
	if ev.Exit.GroupDead && !s.failed && ev.Tid == ev.Tgid {
		r := NewRecord()
		r.Time, r.Event, r.Pid, r.Tid, r.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, s.Name()
		r.Text = append(r.Text, "+++ "...)
		ws := unix.WaitStatus(ev.Exit.Code)
		switch {
		case ws.Signaled():
			r.Text = append(r.Text, "killed by "+unix.SignalName(ws.Signal())...)
			if ws.CoreDump() {
				r.Text = append(r.Text, " (core dumped)"...)
			}
		default:
			r.Text = fmt.Appendf(r.Text, "exited with %d", ws.ExitStatus())
		}
		r.Text = append(r.Text, " +++"...)
		r.Fields = append(r.Fields, IntField("wait_status", int64(ev.Exit.Code)))
		s.Out.Emit(r)
	}
	return core.Detach
}

func (s *syscalls) emit(ev *core.Event, c *callEntry, ret int64, returned bool) {
	s.Count()
	// A *procMem from the pool: an int in an interface would cost an
	// allocation per call, and this runs for every call logged.
	mem := memPool.Get().(*procMem)
	defer memPool.Put(mem)
	*mem = procMem(ev.Tid)
	r := NewRecord()
	r.Time, r.Pid, r.Tid, r.Engine = ev.Time, ev.Tgid, ev.Tid, s.Name()
	r.Event = core.EventSyscallExit
	if !returned {
		r.Event = core.EventSyscallEntry
	}
	if s.Out.JSON() {
		var args []string
		if returned {
			args = sysent.ArgsExit(c.nr, c.args, ret, c.path, mem)
		} else {
			args = sysent.Args(c.nr, c.args, c.path, mem)
		}
		r.Fields = append(r.Fields, IntField("nr", int64(c.nr)), StrField("name", sysent.Name(c.nr)), StrsField("args", args))
		if returned {
			r.Fields = append(r.Fields, IntField("ret", ret))
			if sysent.IsError(ret) {
				r.Fields = append(r.Fields, StrField("errno", unix.ErrnoName(unix.Errno(-ret))))
			}
		}
	} else if returned {
		r.Text = sysent.FormatLine(r.Text, c.nr, c.args, ret, c.path, mem)
	} else {
		r.Text = sysent.FormatCall(r.Text, c.nr, c.args, c.path, mem)
		r.Text = append(r.Text, ") = ?"...)
	}
	s.Out.Emit(r)
}

func (s *syscalls) emitUnfinished(ev *core.Event, c *callEntry) {
	r := NewRecord()
	r.Time, r.Event, r.Pid, r.Tid, r.Engine = ev.Time, core.EventSyscallEntry, ev.Tgid, ev.Tid, s.Name()
	if s.Out.JSON() {
		r.Fields = append(r.Fields, IntField("nr", int64(c.nr)), StrField("name", sysent.Name(c.nr)),
			StrsField("args", sysent.Args(c.nr, c.args, c.path, nil)), StrField("unfinished", "thread died"))
	} else {
		r.Text = sysent.FormatCall(r.Text, c.nr, c.args, c.path, nil)
		r.Text = append(r.Text, sysent.Unfinished+" = ?"...)
	}
	s.Out.Emit(r)
}

// Summary prints nothing more than the run's report count.
func (s *syscalls) Summary(w io.Writer) {
	s.mu.Lock()
	n := len(s.pending)
	s.mu.Unlock()
	if n > 0 {
		fmt.Fprintf(w, "%s: %d calls still in progress when tracing ended\n", s.Name(), n)
	}
}

// procMem reads a live process's memory with process_vm_readv: what a
// passive tracer can do. The process may have changed it since.
type procMem int

var memPool = sync.Pool{New: func() any { return new(procMem) }}

func (m procMem) Read(addr uint64, n int) ([]byte, error) {
	buf := make([]byte, n)
	got, err := m.readAt(addr, buf)
	if err != nil {
		return nil, err
	}
	if got < n {
		return nil, unix.EFAULT
	}
	return buf, nil
}

func (m procMem) ReadString(addr uint64, max int) (string, bool, error) {
	var out []byte
	buf := make([]byte, 64)
	for len(out) <= max {
		n, err := m.readAt(addr+uint64(len(out)), buf)
		if n == 0 {
			if len(out) > 0 {
				break
			}
			return "", false, err
		}
		for i := 0; i < n; i++ {
			if buf[i] == 0 {
				out = append(out, buf[:i]...)
				return truncate(out, max)
			}
		}
		out = append(out, buf[:n]...)
	}
	return truncate(out, max)
}

func truncate(b []byte, max int) (string, bool, error) {
	if len(b) > max {
		return string(b[:max]), true, nil
	}
	return string(b), false, nil
}

// readAt reads up to len(p) bytes, stopping at the first unreadable page.
func (m procMem) readAt(addr uint64, p []byte) (int, error) {
	// Stay within one page so a string that ends just before an
	// unmapped page still reads.
	if room := 4096 - int(addr%4096); len(p) > room {
		p = p[:room]
	}
	local := []unix.Iovec{{Base: unsafe.SliceData(p), Len: uint64(len(p))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(p)}}
	n, err := unix.ProcessVMReadv(int(m), local, remote, 0)
	if n < 0 {
		n = 0
	}
	return n, err
}
