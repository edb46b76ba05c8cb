package loader

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// checkTriggers refuses triggers the kernel side cannot hold or evaluate.
func checkTriggers(ts []core.Trigger) error {
	if len(ts) > trigMax {
		return fmt.Errorf("%d triggers: at most %d fit in a thread's table in the kernel: %w", len(ts), trigMax, core.ErrInvalid)
	}
	for _, t := range ts {
		var why string
		switch {
		case t.Nr < 0 || t.Nr >= syscallMax:
			why = fmt.Sprintf("system call number out of range 0..%d", syscallMax-1)
		case sysabi.Tracepoint(t.Nr) == "":
			why = fmt.Sprintf("no tracepoint is known for system call %d", t.Nr)
		case t.Op > core.RetGe:
			why = fmt.Sprintf("unknown return-value comparison %d", t.Op)
		case len(t.PathPrefix) > trigPrefixLen:
			why = fmt.Sprintf("path prefix of %d bytes, at most %d are compared in the kernel", len(t.PathPrefix), trigPrefixLen)
		case strings.IndexByte(t.PathPrefix, 0) >= 0:
			why = "NUL in the path prefix"
		case t.PathPrefix != "" && !hasPathArg(t.Nr):
			why = fmt.Sprintf("system call %d (%s) has no path argument", t.Nr, sysabi.Tracepoint(t.Nr))
		default:
			continue
		}
		return fmt.Errorf("trigger {nr %d, path prefix %q, op %d, value %d}: %s: %w", t.Nr, t.PathPrefix, t.Op, t.Value, why, core.ErrInvalid)
	}
	return nil
}

// trigLinks are the per-syscall tracepoint links of one system call
// number, attached while some thread has a trigger on it.
type trigLinks struct {
	enter link.Link // syscalls/sys_enter_NAME; nil for calls without a path argument
	exit  link.Link // syscalls/sys_exit_NAME
}

func (t *trigLinks) close() error {
	var errs []error
	if t.enter != nil {
		errs = append(errs, t.enter.Close())
	}
	errs = append(errs, t.exit.Close())
	return errors.Join(errs...)
}

// attachTrigger attaches the trigger programs to the tracepoints of system
// call nr: the exit program always, the entry program (which reads the
// path) for calls with a path argument. The entry goes first, so that a
// call that begins once both are attached has its path.
func (l *Loader) attachTrigger(nr int) (*trigLinks, error) {
	name := sysabi.Tracepoint(nr)
	if name == "" {
		return nil, fmt.Errorf("trigger on system call %d: no tracepoint is known for it: %w", nr, core.ErrInvalid)
	}
	if err := ensureTracefs(); err != nil {
		return nil, fmt.Errorf("trigger on system call %d (%s): %w", nr, name, err)
	}
	tp := func(kind, prog string) (link.Link, error) {
		p, err := l.objs.program(prog)
		if err != nil {
			return nil, err
		}
		lk, err := link.Tracepoint("syscalls", kind+name, p, nil)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("trigger on system call %d: this kernel has no tracepoint syscalls/%s%s (the call is not implemented, or configured out): %w", nr, kind, name, core.ErrInvalid)
			}
			return nil, fmt.Errorf("trigger on system call %d: attaching to tracepoint syscalls/%s%s: %w", nr, kind, name, err)
		}
		return lk, nil
	}
	var t trigLinks
	var err error
	if hasPathArg(nr) {
		if t.enter, err = tp("sys_enter_", utraceProgUtraceTrigEnter); err != nil {
			return nil, err
		}
	}
	if t.exit, err = tp("sys_exit_", utraceProgUtraceTrigExit); err != nil {
		if t.enter != nil {
			t.enter.Close()
		}
		return nil, err
	}
	return &t, nil
}

// syncTriggersLocked attaches the per-syscall tracepoints of the numbers
// some thread has a trigger on and detaches the others. l.mu must be held.
func (l *Loader) syncTriggersLocked() error {
	var errs []error
	for nr, t := range l.trigLinks {
		if l.trigUsers[nr] <= 0 {
			errs = append(errs, t.close())
			delete(l.trigLinks, nr)
		}
	}
	for nr, users := range l.trigUsers {
		if users > 0 && l.trigLinks[nr] == nil {
			t, err := l.attachTrigger(nr)
			if err != nil {
				return errors.Join(append(errs, err)...)
			}
			l.trigLinks[nr] = t
		}
	}
	return errors.Join(errs...)
}

// TriggerHook describes the per-syscall tracepoints attached for the
// triggers on one system call.
type TriggerHook struct {
	Nr    int
	Name  string // the tracepoints are syscalls/sys_enter_Name and sys_exit_Name
	Entry bool   // sys_enter_Name is attached too (the call has a path argument)
}

// TriggerHooks lists, by number, the system calls whose per-syscall
// tracepoints are attached because some thread has a trigger on them.
func (l *Loader) TriggerHooks() []TriggerHook {
	l.mu.Lock()
	defer l.mu.Unlock()
	var r []TriggerHook
	for nr, t := range l.trigLinks {
		r = append(r, TriggerHook{Nr: nr, Name: sysabi.Tracepoint(nr), Entry: t.enter != nil})
	}
	slices.SortFunc(r, func(a, b TriggerHook) int { return a.Nr - b.Nr })
	return r
}

// TakeTrigger reads and deletes the pending trigger record of thread tid
// and returns it as a synchronous, triggered EventSyscallExit, or false
// when none is pending. It implements core.TriggerSource. Call it while
// the thread is stopped (at the SIGSTOP the trigger sent): a thread that
// runs could fire another trigger between the read and the delete.
//
// It costs two bpf(2) calls on the thread's pidfd (lookup, delete), which
// the loader keeps open for threads whose triggers were set by SetFlags;
// for a thread that inherited its triggers the pidfd is opened at its
// first TakeTrigger and kept. Cached pidfds are closed when the thread's
// triggers are removed, when it execs from a non-leader thread and when it
// is reaped (at most maxPidfds are kept; beyond that each call opens and
// closes one). On a miss it checks that the cached pidfd's thread lives
// (pidfd_send_signal with signal 0); if not, the tid may name another
// thread by now, and the lookup is retried on a fresh pidfd, which
// replaces the cached one. The stopper calls TakeTrigger only at a SIGSTOP
// the kernel sent, so misses are rare anyway. Measured here: a hit costs
// about 3-4 µs, a miss about 2 µs (go run ./test/bench -only triggers;
// BenchmarkTakeTriggerMiss), against 40-50 µs for the stop itself.
func (l *Loader) TakeTrigger(tid int) (*core.Event, bool) {
	c := &l.pidfds
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || tid <= 0 {
		return nil, false
	}
	var p utraceTrigPending
	fd, cached := c.fds[tid]
	if cached {
		th := threadRef{l: l, tid: tid, fd: fd}
		if err := th.lookup(storePending, &p); err == nil {
			return l.taken(th, &p), true
		}
		if unix.PidfdSendSignal(fd, 0, nil, 0) == nil {
			return nil, false // the thread lives: nothing pending
		}
		// The pidfd's thread is gone; the tid may name another now.
		c.evictLocked(tid)
	}
	th, err := l.openThread(tid)
	if err != nil {
		return nil, false
	}
	err = th.lookup(storePending, &p)
	var ev *core.Event
	if err == nil {
		ev = l.taken(th, &p)
	}
	if th.fd < 0 || !c.putLocked(tid, th.fd) {
		th.close()
	}
	return ev, err == nil
}

// taken deletes the pending record just read through th and turns it
// into an event. c.mu is held.
func (l *Loader) taken(th threadRef, p *utraceTrigPending) *core.Event {
	// The thread is stopped and cannot fire again before it runs; if the
	// delete fails the record is stale, and the next trigger replaces it.
	th.delete(storePending)
	l.trigTaken.Add(1)
	return &core.Event{
		Type:      core.EventSyscallExit,
		Tid:       int(p.Tid),
		Tgid:      int(p.Tgid),
		Time:      p.Time,
		Sync:      true,
		Triggered: true,
		Syscall: core.Syscall{
			Nr:      int(p.Nr),
			Args:    p.Args,
			Ret:     p.Ret,
			Path:    cstring(unsafe.Slice((*byte)(unsafe.Pointer(&p.Path[0])), len(p.Path))),
			Resumes: -1,
		},
	}
}

// maxPidfds bounds the pidfds kept for TakeTrigger.
const maxPidfds = 1024

// pidfdCache keeps pidfds of threads that have triggers, for TakeTrigger.
type pidfdCache struct {
	mu     sync.Mutex
	fds    map[int]int // tid -> pidfd
	closed bool
}

// put keeps fd as tid's pidfd, replacing (and closing) any other. It
// reports false, and does not take fd, when the cache is full or closed.
func (c *pidfdCache) put(tid, fd int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.putLocked(tid, fd)
}

func (c *pidfdCache) putLocked(tid, fd int) bool {
	if c.closed {
		return false
	}
	if old, ok := c.fds[tid]; ok {
		unix.Close(old)
	} else if len(c.fds) >= maxPidfds {
		return false
	}
	if c.fds == nil {
		c.fds = make(map[int]int)
	}
	c.fds[tid] = fd
	return true
}

// evict closes tid's cached pidfd, if any.
func (c *pidfdCache) evict(tid int) {
	c.mu.Lock()
	c.evictLocked(tid)
	c.mu.Unlock()
}

func (c *pidfdCache) evictLocked(tid int) {
	if fd, ok := c.fds[tid]; ok {
		unix.Close(fd)
		delete(c.fds, tid)
	}
}

// close closes every cached pidfd; the cache takes no more.
func (c *pidfdCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fd := range c.fds {
		unix.Close(fd)
	}
	c.fds = nil
	c.closed = true
}

// hasPathArg reports whether system call nr has a path argument that a
// trigger's prefix can match (sysabi.PathArg, which the capture table
// gives the programs).
func hasPathArg(nr int) bool {
	_, ok := sysabi.PathArg(nr)
	return ok
}
