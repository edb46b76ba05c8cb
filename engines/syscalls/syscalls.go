// Package syscalls is the syscalls engine: strace's log of system calls,
// as strace prints it (engines/sysent formats each call) or as JSON lines.
// It is passive where it can be: the kernel captures what the arguments
// point at when the call uses it (core.Syscall.Regions), so the log shows
// the data the call saw, not memory read later; only options that need a
// stopped thread (none of the log's own) make it synchronous.
package syscalls

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "syscalls",
		Summary: "strace-like log of system calls, as text or JSON lines",
		Uses:    pipeline.UsesPassive,
		Options: []pipeline.Option{
			{Name: "trace", Kind: pipeline.String, Doc: "system calls or classes (file, network, process, signal, memory, desc, ipc, or strace's %classes), e.g. openat,read or file (default all)"},
			{Name: "path", Kind: pipeline.String, Doc: "only calls whose path argument starts with this"},
			{Name: "paths", Kind: pipeline.String, Doc: "only calls that access these files (comma-separated), as strace -P: by a path argument equal to one, or a descriptor argument open on one (followed through open, dup, fcntl, close, fork and exec)"},
			{Name: "failed", Kind: pipeline.Bool, Default: "false", Doc: "only calls that returned an error (strace -Z)"},
			{Name: "successful", Kind: pipeline.Bool, Default: "false", Doc: "only calls that returned without an error (strace -z)"},
			{Name: "timing", Kind: pipeline.Bool, Default: "false", Doc: "the time spent in each call, as strace -T: <0.000123>; JSON duration_ns"},
			{Name: "numbers", Kind: pipeline.Bool, Default: "false", Doc: "each call's number before its name, as strace -n: [ 257] openat(...)"},
			{Name: "exits", Kind: pipeline.Bool, Default: "true", Doc: "the +++ exited with N +++ lines (false: strace -qq)"},
			{Name: "signals", Kind: pipeline.String, Doc: "the signals whose deliveries are logged, as strace -e signal=: names or numbers, ! for all but, none; default all"},
			{Name: "hex", Kind: pipeline.Int, Default: "0", Doc: "strings in hex: 1 those not printable (strace -x), 2 all (strace -xx)"},
			{Name: "xlat", Kind: pipeline.String, Default: "abbrev", Doc: "how named constants print, as strace -X: abbrev (O_RDONLY|O_CLOEXEC), raw (0x80000) or verbose (0x80000 /* O_RDONLY|O_CLOEXEC */)"},
			{Name: "strings", Kind: pipeline.Int, Default: "32", Doc: "bytes of each string and buffer shown, as strace -s (the kernel copies that many)"},
			{Name: "detach_on", Kind: pipeline.String, Doc: "execve: stop tracing a process at its execve, logged as strace -b execve logs it: execve(\"/bin/true\", [\"/bin/true\"], 0x... /* 3 vars */ <detached ...> (a launched program's first execve excepted); JSON detached"},
			{Name: "fd_paths", Kind: pipeline.String, Default: "none", Doc: "what each descriptor is open on, told by the kernel when the call used it: paths (strace -y: 3</etc/hosts>), detail (-yy: sockets' protocols and addresses too), none; JSON fd_paths"},
			{Name: "time", Kind: pipeline.String, Doc: "a time stamp before each line, as strace: t (-t, wall clock), tt (-tt, with microseconds), ttt (-ttt, seconds since the epoch), r (-r, since the previous call's entry); JSON time (RFC 3339)"},
		},
		New: newSyscalls,
	})
}

// syscalls logs each call at its exit, from one record that the kernel
// side made with everything the line prints: the number, the arguments as
// they were at entry, and the memory the arguments point at, copied when
// the kernel used it (core.Syscall.Regions). It is passive: the thread
// never waits for it, and nothing is read from it after the fact.
//
// When another engine needs some calls synchronously, those calls also
// reach this engine at their entry, from the stopper, while the thread
// waits: the entry is formatted then, from the thread's memory, which is
// what it is at that moment. It serves at the exit only for a call an
// engine skipped (the kernel then saw no entry): such a call is marked
// "(INJECTED)", as strace marks the calls it injects into.
type syscalls struct {
	pipeline.Base
	set        *core.SyscallSet // the calls to log; nil: all
	path       string
	pt         *pathTrace  // strace -P; nil: no such filter
	detach     *execDetach // strace -b execve; nil: no detaching
	failed     bool
	successful bool
	timing     bool      // strace -T
	stamp      stampKind // strace -t, -tt, -ttt, -r
	clock      wallClock
	strLimit   int              // strace -s
	hex        int              // strace -x, -xx
	fdPaths    core.FdPaths     // strace -y, -yy
	xlat       sysent.XlatStyle // strace -X
	numbers    bool
	exits      bool
	sigs       *[65]bool     // the signals to log; nil: all
	lastEntry  atomic.Uint64 // -r: the previous call's entry time

	// live counts the threads being traced, as strace counts its
	// tracees: its lines get "[pid N]" leaders on standard error once
	// there is more than one.
	live atomic.Int64

	mu      sync.Mutex
	pending map[int][]*syncEntry // by tid: synchronous entries awaiting their exits, oldest first
	// launching holds launched programs still running the launcher: their
	// calls before the exec are the launcher's, not the program's. execAt
	// is when the exec came: the synchronous tier reports it ahead of the
	// passive one, whose reports of the launcher's last calls may come
	// after it, and are told apart by their time.
	launching map[int]bool
	execAt    map[int]uint64
	// later holds, by tid, lines of signals the kernel discarded while
	// the thread was in a system call: strace shows them when the call
	// returns, after its line.
	later  map[int][]*pipeline.Record
	nlater atomic.Int64 // lines in later: most exits need not look
	// threads are the threads looked at for blocked calls (blocked.go),
	// by the sampler goroutine while sampling; closed: the log ended.
	threads  map[int]*watched
	sampling bool
	closed   bool
}

// syncEntry is a call as a synchronous entry report saw it.
type syncEntry struct {
	nr   int
	args [6]uint64
	time uint64
	text []byte // the call's entry view, decoded while the thread waited
	// delayed: an engine before this one held the call at its entry.
	delayed bool
}

func newSyscalls(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	set, err := pipeline.SyscallSet(opts.Str("trace"))
	if err != nil {
		return nil, err
	}
	stamp, err := parseStamp(opts.Str("time"))
	if err != nil {
		return nil, err
	}
	sigs, err := signalSet(opts.Str("signals"))
	if err != nil {
		return nil, err
	}
	xlat, err := sysent.ParseXlatStyle(opts.Str("xlat"))
	if err != nil {
		return nil, err
	}
	s := &syscalls{set: set, path: opts.Str("path"), failed: opts.BoolVal("failed"), successful: opts.BoolVal("successful"),
		numbers: opts.BoolVal("numbers"), exits: opts.BoolVal("exits"), sigs: sigs,
		timing: opts.BoolVal("timing"), stamp: stamp, clock: newWallClock(), strLimit: int(opts.IntVal("strings")), hex: int(opts.IntVal("hex")), xlat: xlat,
		pending: map[int][]*syncEntry{}, launching: map[int]bool{}, execAt: map[int]uint64{}, later: map[int][]*pipeline.Record{},
		pt: newPathTrace(opts.Str("paths")), threads: map[int]*watched{}}
	if s.detach, err = newExecDetach(opts.Str("detach_on")); err != nil {
		return nil, err
	}
	filter := set
	if s.pt != nil {
		filter = s.pt.watch(set)
	}
	if s.failed && s.successful {
		return nil, fmt.Errorf("failed and successful together select nothing")
	}
	if s.fdPaths, err = parseFdPaths(opts.Str("fd_paths")); err != nil {
		return nil, err
	}
	if s.hex < 0 || s.hex > 2 {
		return nil, fmt.Errorf("hex %d: want 0, 1 (strace -x) or 2 (-xx)", s.hex)
	}
	if s.strLimit < 0 || s.strLimit > maxStringLimit {
		return nil, fmt.Errorf("strings %d: want 0 to %d", s.strLimit, maxStringLimit)
	}
	// Signals passively only: a signal line is a delivery the thread
	// really got, after every synchronous engine had its say, in order
	// with its other lines.
	s.Init(name, s, out, pipeline.Needs{
		Watch: core.Watch{Events: core.EventSyscall | core.EventExec | core.EventDeath | core.EventSignalAll | core.EventJctl,
			Syscalls: filter, ExitEntriesOnly: true, Capture: true,
			// A call's time stamp and duration are its entry's.
			EnterTimes: s.timing || s.stamp != stampNone, FdPaths: s.fdPaths},
		PassiveOnly: core.EventSignalAll | core.EventJctl,
	})
	s.OnAttach = func(e *core.Engine) {
		s.live.Add(1)
		if s.pt != nil {
			s.pt.attached(e.Tgid(), e.Tid())
		}
		s.watch(e.Tid(), e.Tgid())
	}
	return s, nil
}

// parseFdPaths parses the fd_paths option.
func parseFdPaths(v string) (core.FdPaths, error) {
	switch v {
	case "", "none":
		return core.FdPathsNone, nil
	case "paths":
		return core.FdPathsNames, nil
	case "detail":
		return core.FdPathsDetail, nil
	}
	return 0, fmt.Errorf("fd_paths %q: want none, paths (strace -y) or detail (-yy)", v)
}

// signalSet parses strace's -e signal= set: names (with or without SIG)
// or numbers, "all", "none", a leading ! for all but those. nil is all.
func signalSet(spec string) (*[65]bool, error) {
	if spec == "" || spec == "all" {
		return nil, nil
	}
	var set [65]bool
	neg := strings.HasPrefix(spec, "!")
	spec = strings.TrimPrefix(spec, "!")
	if spec != "none" {
		for _, name := range strings.Split(spec, ",") {
			n, err := pipeline.ParseSignal(name)
			if err != nil || n <= 0 || n > 64 {
				return nil, fmt.Errorf("signals: %q is not a signal", name)
			}
			set[n] = true
		}
	}
	if neg {
		for i := range set {
			set[i] = !set[i]
		}
	}
	return &set, nil
}

// logsSignal reports whether deliveries of signo are logged.
func (s *syscalls) logsSignal(signo int) bool {
	return s.sigs == nil || signo > 0 && signo <= 64 && s.sigs[signo]
}

// maxStringLimit is the most bytes of a string the kernel side copies
// (loader.MaxStringLimit, which engines do not import).
const maxStringLimit = 8190

// StringLimit is how many bytes of each string and buffer the log shows:
// the passive source must copy as many.
func (s *syscalls) StringLimit() int { return s.strLimit }

// limited gives mem the engine's string limit, hex mode and style of
// named constants. Memory from the kernel's copies keeps its other faces
// (argv, counts, the stack).
func (s *syscalls) limited(mem sysent.Mem) sysent.Mem {
	switch m := mem.(type) {
	case *regionMem:
		m.limit, m.hex, m.xlat = s.strLimit+1, s.hex, s.xlat
	case procMem:
		return shownProcMem{procMem: m, limit: s.strLimit, hex: s.hex, xlat: s.xlat, fdPaths: s.fdPaths}
	}
	return mem
}

// shownProcMem is a stopped thread's memory with the engine's string
// limit, hex mode and style of named constants.
type shownProcMem struct {
	procMem
	limit, hex int
	xlat       sysent.XlatStyle
	resumes    int // 1 + the call a restart_syscall resumes, 0 if not known
	fdPaths    core.FdPaths
}

// FdPath implements sysent.FdPather from /proc/TID/fd, read while the
// thread waits in the call: what its descriptors are open on then. The
// links say no more of sockets than their inodes, so -yy's detail is the
// kernel side's only.
func (m shownProcMem) FdPath(fd int, exit bool) (path, name []byte, deleted, ok bool) {
	if m.fdPaths == core.FdPathsNone {
		return nil, nil, false, false
	}
	d := procfs.Process(int(m.procMem)) // /proc/TID: the thread's own view
	var link string
	var err error
	if fd == unix.AT_FDCWD {
		link, err = d.Cwd()
	} else {
		link, err = d.Fd(fd)
	}
	if err != nil {
		return nil, nil, false, false
	}
	if !strings.HasPrefix(link, "/") {
		return nil, []byte(link), false, true // pipe:[5], socket:[7], anon_inode:[eventfd]
	}
	if p, ok := strings.CutSuffix(link, " (deleted)"); ok {
		return []byte(p), nil, true, true
	}
	return []byte(link), nil, false, true
}

func (m shownProcMem) StringLimit() int            { return m.limit }
func (m shownProcMem) HexStrings() int             { return m.hex }
func (m shownProcMem) XlatStyle() sysent.XlatStyle { return m.xlat }
func (m shownProcMem) Resumes() (int, bool)        { return m.resumes - 1, m.resumes > 0 }

// goneMem is the memory of a thread that died: every read fails, as a
// nil sysent.Mem's, but the engine's style of named constants holds.
type goneMem sysent.XlatStyle

var errGone = errors.New("the thread is gone")

func (goneMem) ReadString(uint64, int) ([]byte, bool, error) { return nil, false, errGone }
func (goneMem) Read(uint64, int) ([]byte, error)             { return nil, errGone }
func (m goneMem) XlatStyle() sysent.XlatStyle                { return sysent.XlatStyle(m) }

// noReturn are the calls that do not come back to report an exit.
func noReturn(nr int) bool {
	return nr == unix.SYS_EXIT || nr == unix.SYS_EXIT_GROUP
}

// StartAtExec tells the engine that tid runs the launcher of a program
// until its exec: the log starts with that execve, as strace's does.
func (s *syscalls) StartAtExec(tid int) {
	s.mu.Lock()
	s.launching[tid] = true
	s.mu.Unlock()
}

// isLaunching reports whether an event of tid at time t is the launcher's.
func (s *syscalls) isLaunching(tid int, t uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.launching[tid] || t < s.execAt[tid]
}

// ReportExec ends the launcher's part: the exec report comes just before
// the exit of the execve that made it, which is the log's first line. A
// non-leader exec moves the thread's pending entries to its new tid.
func (s *syscalls) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.launching[ev.Tid] && s.detach != nil {
		s.detach.launched(ev.Tid)
	}
	if s.launching[ev.Tid] {
		// Synchronous entries come straight from the stopper, ahead of
		// the passive exec report: those from before the exec are the
		// launcher's.
		q := s.pending[ev.Tid]
		i := 0
		for i < len(q) && q[i].time < ev.Time {
			i++
		}
		if i == len(q) {
			delete(s.pending, ev.Tid)
		} else {
			s.pending[ev.Tid] = q[i:]
		}
		s.execAt[ev.Tid] = ev.Time
	}
	delete(s.launching, ev.Tid)
	if s.pt != nil {
		s.pt.exec(ev.Tgid)
	}
	if old := ev.Exec.OldTid; old != 0 && old != ev.Tid {
		delete(s.launching, old)
		if w := s.threads[old]; w != nil {
			delete(s.threads, old)
			w.busy, w.shown = true, nil
			s.threads[ev.Tid] = w
		}
		if q := s.pending[old]; q != nil {
			s.pending[ev.Tid] = q
			delete(s.pending, old)
		}
	}
	return core.Resume
}

// selected applies the trace=, path=, paths= and failed= filters to a
// call of process pid.
func (s *syscalls) selected(pid, nr int, mem sysent.Mem, args *[6]uint64, ret int64, returned bool) bool {
	if s.set != nil && !s.set.Has(nr) {
		return false
	}
	if s.failed && (!returned || !sysent.IsError(ret)) {
		return false
	}
	if s.successful && (!returned || sysent.IsError(ret)) {
		return false
	}
	if s.path != "" {
		idx, ok := sysabi.PathArg(nr)
		if !ok || mem == nil {
			return false
		}
		p, _, err := mem.ReadString(args[idx], sysabi.PathMax)
		if err != nil || !bytes.HasPrefix(p, []byte(s.path)) {
			return false
		}
	}
	return s.pt == nil || s.pt.matches(pid, nr, args, mem)
}

// ReportSyscallEntry logs the calls that never return (exit, exit_group),
// whose entry record is all there is, and keeps synchronous entries.
func (s *syscalls) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	keep := core.Resume | action.SyscallAction()
	sc := &ev.Syscall
	if ev.Sync {
		// Kept even while the launcher runs: the passive exec report
		// that ends it may come after the program's first synchronous
		// entries, and sorts them out (ReportExec).
		// The thread waits: its memory is the call's input now.
		mem := procMem(ev.Tid)
		if !s.selected(ev.Tgid, sc.Nr, mem, &sc.Args, 0, false) {
			return keep
		}
		c := &syncEntry{nr: sc.Nr, args: sc.Args, time: ev.Time, text: sysent.FormatCall(nil, sc.Nr, sc.Args, s.limited(mem)),
			delayed: sc.Delayed}
		s.mu.Lock()
		q := s.pending[ev.Tid]
		if len(q) >= maxPending {
			q = q[1:] // its exit was lost
		}
		s.pending[ev.Tid] = append(q, c)
		s.mu.Unlock()
		return keep
	}
	if !noReturn(sc.Nr) && !sc.Unfinished || s.isLaunching(ev.Tid, ev.Time) {
		return keep
	}
	resumed := s.resumes(ev.Tid, sc.Nr, 0, ev.Time)
	mem := getRegionMem(ev)
	defer putRegionMem(mem)
	if s.selected(ev.Tgid, sc.Nr, mem, &sc.Args, 0, false) {
		s.emit(ev, sc.Nr, &sc.Args, mem, 0, false, resumed, false, nil)
	}
	return keep
}

// maxPending bounds the entries a thread may have waiting for exits.
const maxPending = 256

// takeEntry removes and returns the synchronous entry of the call whose
// exit came at time t with number nr and arguments args (nr -1: a call an
// engine skipped): the oldest entry with the same number and arguments
// that is not later than t by more than entrySkew, else the latest entry
// before t. Older ones are dropped; their exits were lost. The arguments
// decide where the times cannot: the stopper stamps an entry when it
// handles the stop, which may be a little off the kernel's stamp of the
// exit just before it.
func (s *syscalls) takeEntry(tid, nr int, args *[6]uint64, t uint64) *syncEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.pending[tid]
	i := -1
	if nr >= 0 {
		for j, c := range q {
			if c.time > t+entrySkew {
				break
			}
			if c.nr == nr && c.args == *args {
				i = j
				break
			}
		}
	}
	if i < 0 {
		i = len(q) - 1
		for i >= 0 && q[i].time > t {
			i--
		}
	}
	if i < 0 {
		return nil
	}
	c := q[i]
	if rest := q[i+1:]; len(rest) == 0 {
		delete(s.pending, tid)
	} else {
		s.pending[tid] = append(q[:0:0], rest...)
	}
	if c.nr != nr && nr >= 0 {
		return nil
	}
	return c
}

// entrySkew bounds how much later than its exit's time a call's entry
// may be stamped.
const entrySkew = uint64(time.Millisecond)

// ReportSyscallExit logs the call.
func (s *syscalls) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if s.isLaunching(ev.Tid, ev.Time) && !s.programsExit(ev) {
		return core.Resume
	}
	sc := &ev.Syscall
	defer s.emitLater(ev.Tid)
	resumed := s.resumes(ev.Tid, sc.Nr, sc.Ret, ev.Time)
	entry := s.takeEntry(ev.Tid, sc.Nr, &sc.Args, ev.Time)
	delayed := sc.Delayed || entry != nil && entry.delayed
	if sc.Nr < 0 {
		// A call an engine skipped: the kernel saw no entry, and the
		// exit has no number. The synchronous entry says what it was.
		if entry == nil || (s.failed && !sysent.IsError(sc.Ret)) {
			return core.Resume
		}
		s.emit(ev, entry.nr, &entry.args, nil, sc.Ret, true, false, delayed, entry.text)
		return core.Resume
	}
	if childReturn(ev) {
		// A new child's return from the parent's fork, which strace
		// does not show either.
		return core.Resume
	}
	if s.detach != nil && s.detach.at(ev) {
		return s.detached(ev)
	}
	var mem sysent.Mem
	if ev.Sync {
		// Reported while the thread waits (a trigger, or an engine's
		// synchronous exit): its memory holds the call's outputs now.
		mem = procMem(ev.Tid)
	} else {
		m := getRegionMem(ev)
		defer putRegionMem(m)
		mem = m
	}
	selected := s.selected(ev.Tgid, sc.Nr, mem, &sc.Args, sc.Ret, true)
	if s.pt != nil {
		s.pt.update(ev.Tgid, sc.Nr, &sc.Args, mem, sc.Ret)
	}
	if !selected {
		return core.Resume
	}
	s.emit(ev, sc.Nr, &sc.Args, mem, sc.Ret, true, resumed, delayed, nil)
	return core.Resume
}

// programsExit reports whether ev, a synchronous exit that came while the
// thread seemed to run the launcher still, is the launched program's: the
// stopper reports it straight away, ahead of the passive exec report that
// ends the launcher's part. The launcher makes no synchronous call but its
// execve (its filter is installed just before), so the exit of any other
// call whose synchronous entry was seen is the program's.
func (s *syscalls) programsExit(ev *core.Event) bool {
	if !ev.Sync {
		return false
	}
	switch sysabi.Name(ev.Syscall.Nr) {
	case "execve", "execveat":
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.launching[ev.Tid] {
		return false
	}
	for _, c := range s.pending[ev.Tid] {
		if c.nr == ev.Syscall.Nr {
			return true
		}
	}
	return false
}

// childReturn reports whether ev is a new thread's or process's return
// from the clone its parent made.
func childReturn(ev *core.Event) bool {
	switch sysabi.Name(ev.Syscall.Nr) {
	case "clone", "clone3", "fork", "vfork":
		return ev.Syscall.Ret == 0
	}
	return false
}

// ReportSignal logs a signal's delivery as strace does:
// --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, ...} ---.
func (s *syscalls) ReportSignal(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if !s.failed && s.path == "" && s.logsSignal(ev.Signal.Signo) && !s.isLaunching(ev.Tid, ev.Time) {
		info := ev.Signal.Siginfo()
		r := s.record(ev)
		if s.Out.JSON() {
			r.Fields = append(r.Fields, pipeline.IntField("signo", int64(ev.Signal.Signo)), pipeline.StrField("signal", sysent.SignalName(ev.Signal.Signo)),
				pipeline.StrField("siginfo", string(sysent.AppendSiginfoIn(nil, info[:], s.xlat))))
		} else {
			r.Text = sysent.AppendSignalIn(r.Text, info[:], s.xlat)
		}
		if ev.Signal.Discarded && ev.Signal.InSyscall {
			s.mu.Lock()
			s.later[ev.Tid] = append(s.later[ev.Tid], r)
			s.nlater.Add(1)
			s.mu.Unlock()
		} else {
			s.Out.Emit(r)
		}
	}
	return core.Resume | action.SignalAction()
}

// ReportJctl logs a thread's entering a job-control stop as strace does:
// --- stopped by SIGSTOP ---. (A continue has no line: strace shows the
// SIGCONT.)
func (s *syscalls) ReportJctl(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if ev.Jctl.Type == core.JctlStopped && ev.Jctl.Signo > 0 && !s.failed && s.path == "" && !s.isLaunching(ev.Tid, ev.Time) {
		r := s.record(ev)
		if s.Out.JSON() {
			r.Fields = append(r.Fields, pipeline.StrField("stopped_by", sysent.SignalName(ev.Jctl.Signo)))
		} else {
			r.Text = append(r.Text, "--- stopped by "...)
			r.Text = append(r.Text, sysent.SignalName(ev.Jctl.Signo)...)
			r.Text = append(r.Text, " ---"...)
		}
		s.Out.Emit(r)
	}
	return core.Resume
}

// emitLater writes the signal lines held for tid until its call returned.
func (s *syscalls) emitLater(tid int) {
	if s.nlater.Load() == 0 {
		return
	}
	s.mu.Lock()
	q := s.later[tid]
	delete(s.later, tid)
	s.nlater.Add(-int64(len(q)))
	s.mu.Unlock()
	for _, r := range q {
		s.Out.Emit(r)
	}
}

// ReportDeath logs a call cut short by the thread's death as strace does
// ("<unfinished ...>"), the thread's exit, and detaches. strace reports a
// process leader's exit only once its whole group is gone, with the
// group's status: so does this, at the death that has GroupDead.
func (s *syscalls) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	s.mu.Lock()
	q := s.pending[ev.Tid]
	delete(s.pending, ev.Tid)
	launching := s.launching[ev.Tid]
	delete(s.launching, ev.Tid)
	delete(s.execAt, ev.Tid)
	delete(s.threads, ev.Tid)
	s.mu.Unlock()
	s.live.Add(-1)
	s.emitLater(ev.Tid)
	if s.pt != nil && ev.Exit.GroupDead {
		s.pt.exit(ev.Tgid)
	}
	if s.path != "" || launching {
		return core.Detach
	}
	// strace -z and -Z leave out the calls that never returned, not the
	// exits.
	if !s.failed && !s.successful {
		for _, c := range q {
			s.emitUnfinished(ev, c)
		}
	}
	if !s.exits {
		return core.Detach
	}
	if ev.Tid != ev.Tgid {
		s.emitExit(ev, ev.Tid)
	}
	if ev.Exit.GroupDead {
		s.emitExit(ev, ev.Tgid)
	}
	return core.Detach
}

// emitExit logs "+++ exited with N +++" (or "+++ killed by SIG +++") for
// thread tid, with the status of death ev.
func (s *syscalls) emitExit(ev *core.Event, tid int) {
	r := s.record(ev)
	r.Tid = tid
	if !s.Out.JSON() {
		r.Text = s.Out.AppendLeader(r.Text[:0], tid, s.live.Load() > 0)
		r.Text = s.appendStamp(r.Text, ev.Time)
	}
	ws := unix.WaitStatus(ev.Exit.Code)
	if s.Out.JSON() {
		r.Fields = append(r.Fields, pipeline.IntField("wait_status", int64(ev.Exit.Code)))
	} else {
		r.Text = append(r.Text, "+++ "...)
		switch {
		case ws.Signaled():
			r.Text = append(r.Text, "killed by "...)
			r.Text = append(r.Text, sysent.SignalName(int(ws.Signal()))...)
			if ws.CoreDump() {
				r.Text = append(r.Text, " (core dumped)"...)
			}
		default:
			r.Text = append(r.Text, "exited with "...)
			r.Text = strconv.AppendInt(r.Text, int64(ws.ExitStatus()), 10)
		}
		r.Text = append(r.Text, " +++"...)
	}
	s.Out.Emit(r)
}

// record starts a record about ev, with its leader and time stamp.
func (s *syscalls) record(ev *core.Event) *pipeline.Record {
	return s.recordAt(ev, ev.Time)
}

// recordAt starts a record about ev whose time stamp is at (a call's
// entry, as strace stamps a call's line).
func (s *syscalls) recordAt(ev *core.Event, at uint64) *pipeline.Record {
	r := pipeline.NewRecord()
	r.Time, r.Event, r.Pid, r.Tid, r.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, s.Name()
	if s.Out.JSON() {
		if s.stamp != stampNone {
			r.Fields = append(r.Fields, pipeline.StrField("time", s.clock.wall(at).Format(time.RFC3339Nano)))
		}
		return r
	}
	r.Led = true
	r.Text = s.Out.AppendLeader(r.Text, ev.Tid, s.live.Load() > 1)
	r.Text = s.appendStamp(r.Text, at)
	return r
}

// emit logs one call: at its exit (returned) or, for a call that never
// returns, at its entry. resumed says its entry was shown unfinished
// (blocked.go): the line is strace's "<... read resumed>", stamped with
// the exit's time, as strace stamps it. entryText, if not nil, is the
// call's entry view, decoded at a synchronous entry, for a call an engine
// skipped.
func (s *syscalls) emit(ev *core.Event, nr int, args *[6]uint64, mem sysent.Mem, ret int64, returned, resumed, delayed bool, entryText []byte) {
	s.Count()
	at := ev.Time
	if ev.Syscall.EnterTime != 0 && !resumed {
		at = ev.Syscall.EnterTime
	}
	r := s.recordAt(ev, at)
	r.Event = core.EventSyscallExit
	if !returned {
		r.Event = core.EventSyscallEntry
	}

	injected := entryText != nil
	mem = s.limited(mem)
	if s.Out.JSON() {
		var a []string
		if returned && !injected {
			a = sysent.ArgsExit(nr, *args, ret, mem)
		} else {
			a = sysent.Args(nr, *args, mem)
		}
		r.Fields = append(r.Fields, pipeline.IntField("nr", int64(nr)), pipeline.StrField("name", sysabi.Name(nr)), pipeline.StrsField("args", a))
		if returned {
			r.Fields = append(r.Fields, pipeline.IntField("ret", ret))
			if sysent.IsError(ret) {
				r.Fields = append(r.Fields, pipeline.StrField("errno", unix.ErrnoName(unix.Errno(-ret))))
			}
		}
		if injected {
			r.Fields = append(r.Fields, pipeline.StrField("injected", "true"))
		}
		if delayed && returned {
			r.Fields = append(r.Fields, pipeline.StrField("delayed", "true"))
		}
		if d, ok := s.duration(ev, returned); ok {
			r.Fields = append(r.Fields, pipeline.IntField("duration_ns", int64(d)))
		}
		if s.fdPaths != core.FdPathsNone {
			if names := sysent.FdNames(nr, *args, ret, returned && !injected, mem); len(names) > 0 {
				r.Fields = append(r.Fields, pipeline.StrsField("fd_paths", names))
			}
		}
	} else {
		if s.numbers {
			// strace -n: "[%4d] ", inside the column of " = ".
			r.Text = fmt.Appendf(r.Text, "[%4d] ", nr)
		}
		switch {
		case injected:
			r.Text = append(r.Text, entryText...)
			r.Text = append(r.Text, ')')
			r.Text = sysent.PadToReturn(r.Text)
			r.Text = sysent.FormatReturn(r.Text, nr, ret)
			r.Text = append(r.Text, " (INJECTED)"...)
		case resumed && (returned || ev.Syscall.Unfinished):
			r.Text = sysent.FormatResumed(r.Text, nr, *args, ret, returned, mem)
		case returned:
			r.Text = sysent.FormatLine(r.Text, nr, *args, ret, mem)
		case ev.Syscall.Unfinished:
			r.Text = sysent.FormatUnfinished(r.Text, nr, *args, mem)
			r.Text = append(sysent.PadToReturn(append(r.Text, ')')), " = ?"...)
		default:
			r.Text = sysent.FormatCall(r.Text, nr, *args, mem)
			r.Text = append(r.Text, ")"...)
			r.Text = sysent.FormatReturn(sysent.PadToReturn(r.Text), nr, 0)
		}
		if delayed && returned {
			r.Text = append(r.Text, " (DELAYED)"...)
		}
		if d, ok := s.duration(ev, returned); ok {
			r.Text = appendDuration(r.Text, d)
		} else if s.timing && returned {
			// The entry was not seen (the call began before tracing
			// did): strace's mark for a time it does not know.
			r.Text = append(r.Text, " <unavailable>"...)
		}
	}
	s.Out.Emit(r)
}

// duration returns the time the call of exit ev took, with timing on and
// its entry seen.
func (s *syscalls) duration(ev *core.Event, returned bool) (uint64, bool) {
	if !s.timing || !returned || ev.Syscall.EnterTime == 0 || ev.Syscall.EnterTime > ev.Time {
		return 0, false
	}
	return ev.Time - ev.Syscall.EnterTime, true
}

// entryView fills r with a call's entry: in JSON its number, name,
// arguments and mark; in text strace's -n number, then what format makes
// of the call.
func (s *syscalls) entryView(r *pipeline.Record, nr int, args *[6]uint64, mem sysent.Mem, mark pipeline.Field,
	format func(b []byte, nr int, args [6]uint64, mem sysent.Mem) []byte) {
	if s.Out.JSON() {
		r.Fields = append(r.Fields, pipeline.IntField("nr", int64(nr)), pipeline.StrField("name", sysabi.Name(nr)),
			pipeline.StrsField("args", sysent.Args(nr, *args, mem)), mark)
		return
	}
	if s.numbers {
		r.Text = fmt.Appendf(r.Text, "[%4d] ", nr)
	}
	r.Text = format(r.Text, nr, *args, mem)
}

func (s *syscalls) emitUnfinished(ev *core.Event, c *syncEntry) {
	r := s.record(ev)
	r.Event = core.EventSyscallEntry
	if s.Out.JSON() {
		r.Fields = append(r.Fields, pipeline.IntField("nr", int64(c.nr)), pipeline.StrField("name", sysabi.Name(c.nr)),
			pipeline.StrField("unfinished", "thread died"))
	} else {
		r.Text = sysent.FormatUnfinished(r.Text, c.nr, c.args, goneMem(s.xlat))
		r.Text = append(sysent.PadToReturn(append(r.Text, ')')), " = ?"...)
	}
	s.Out.Emit(r)
}

// Summary says how many calls were still in progress at the end.
func (s *syscalls) Summary(w io.Writer) {
	s.mu.Lock()
	s.closed = true // no unfinished lines after the summary
	n := 0
	for _, q := range s.pending {
		n += len(q)
	}
	s.mu.Unlock()
	if n > 0 {
		fmt.Fprintf(w, "%s: %d calls still in progress when tracing ended\n", s.Name(), n)
	}
}

// procMem reads a stopped thread's memory with process_vm_readv: for
// synchronous reports, while the thread waits and its memory is the
// call's.
type procMem int

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

func (m procMem) ReadString(addr uint64, max int) ([]byte, bool, error) {
	var out []byte
	buf := make([]byte, 64)
	for len(out) <= max {
		n, err := m.readAt(addr+uint64(len(out)), buf)
		if n == 0 {
			if len(out) > 0 {
				break
			}
			return nil, false, err
		}
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			out = append(out, buf[:i]...)
			return truncate(out, max)
		}
		out = append(out, buf[:n]...)
	}
	return truncate(out, max)
}

func truncate(b []byte, max int) ([]byte, bool, error) {
	if len(b) > max {
		return b[:max], true, nil
	}
	return b, false, nil
}

// readAt reads up to len(p) bytes, stopping at the first unreadable page.
func (m procMem) readAt(addr uint64, p []byte) (int, error) {
	// Stay within one page so a string that ends just before an
	// unmapped page still reads.
	if room := 4096 - int(addr%4096); len(p) > room {
		p = p[:room]
	}
	local := []unix.Iovec{{Base: &p[0], Len: uint64(len(p))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(p)}}
	n, err := unix.ProcessVMReadv(int(m), local, remote, 0)
	if n < 0 {
		n = 0
	}
	return n, err
}
