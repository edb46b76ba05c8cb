package loader

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// storage names one of the task-storage maps user space reads and writes.
type storage uint32

// The numbering of STORE_FLAGS, STORE_TSTATS, STORE_PENDING (bpf/utrace.h).
const (
	storeFlags   storage = 0 // map "flags": struct task_flags
	storeTstats  storage = 1 // map "tstats": struct task_stats
	storePending storage = 2 // map "pending_stops": struct trig_pending
)

// The operations of the task-storage mailbox (STORE_* in bpf/utrace.h).
const (
	storeLookup        = 0
	storeUpdate        = 1
	storeUpdateExist   = 2
	storeDelete        = 3
	storeResultNotSeen = 1 // STORE_PENDING_RESULT: no task had the tid
)

// A threadRef names one thread to the task-storage maps. User space keys
// task storage by a pidfd, and pidfds exist for every thread only since
// Linux 6.9 (PIDFD_THREAD); before that only for process leaders. For the
// other threads of older kernels the ref goes through the task-storage
// mailbox, a task iterator program that finds the thread by tid and does
// the lookup, update or delete in the kernel (utrace_store).
type threadRef struct {
	l   *Loader
	tid int
	fd  int // the thread's pidfd, or -1: through the mailbox
}

// openThread returns a ref to thread tid. Errors wrap unix.ESRCH when no
// thread has the tid.
func (l *Loader) openThread(tid int) (threadRef, error) {
	fd, err := openPidfd(tid)
	switch {
	case err == nil:
		return threadRef{l: l, tid: tid, fd: fd}, nil
	case (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT)) && !kernel().PidfdThread:
		// A thread that is not a process leader, on a kernel without
		// PIDFD_THREAD (EINVAL there; ENOENT where the kernel has it
		// but emulateOld hides it).
		if _, err := unix.Getpgid(tid); errors.Is(err, unix.ESRCH) {
			return threadRef{}, fmt.Errorf("thread %d: %w", tid, err)
		}
		return threadRef{l: l, tid: tid, fd: -1}, nil
	}
	return threadRef{}, err
}

// openPidfd returns a pidfd for thread tid. Before Linux 6.9 there are
// pidfds for process leaders only, and for another thread this fails with
// an error wrapping unix.EINVAL.
func openPidfd(tid int) (int, error) {
	flags := 0
	if kernel().PidfdThread {
		flags = unix.PIDFD_THREAD
	}
	fd, err := unix.PidfdOpen(tid, flags)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open of thread %d: %w", tid, err)
	}
	return fd, nil
}

func (t threadRef) close() {
	if t.fd >= 0 {
		unix.Close(t.fd)
	}
}

func (t threadRef) mapOf(s storage) *ebpf.Map {
	switch s {
	case storeFlags:
		return t.l.objs.Flags
	case storeTstats:
		return t.l.objs.Tstats
	}
	return t.l.objs.PendingStops
}

// lookup reads the thread's entry of s into v. An error wraps
// ebpf.ErrKeyNotExist when the thread has none.
func (t threadRef) lookup(s storage, v any) error {
	if t.fd >= 0 {
		return t.mapOf(s).Lookup(uint32(t.fd), v)
	}
	return t.l.store.do(t.l, t.tid, s, storeLookup, v)
}

// update writes v as the thread's entry of s: with ebpf.UpdateExist only
// over an existing entry (else an error wrapping ebpf.ErrKeyNotExist).
func (t threadRef) update(s storage, v any, flags ebpf.MapUpdateFlags) error {
	if t.fd >= 0 {
		return t.mapOf(s).Update(uint32(t.fd), v, flags)
	}
	op := uint32(storeUpdate)
	if flags == ebpf.UpdateExist {
		op = storeUpdateExist
	}
	return t.l.store.do(t.l, t.tid, s, op, v)
}

// delete deletes the thread's entry of s. An error wraps
// ebpf.ErrKeyNotExist when it had none.
func (t threadRef) delete(s storage) error {
	if t.fd >= 0 {
		return t.mapOf(s).Delete(uint32(t.fd))
	}
	return t.l.store.do(t.l, t.tid, s, storeDelete, nil)
}

// storeMailbox runs the task-storage mailbox: one request at a time.
type storeMailbox struct {
	mu   sync.Mutex
	iter *link.Iter // attached on first use
	runs counter    // iterator runs, for Stats
}

func (m *storeMailbox) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.iter == nil {
		return nil
	}
	err := m.iter.Close()
	m.iter = nil
	return err
}

// do asks the mailbox program for op on thread tid's entry of s, with v
// the value going in (updates) or coming out (lookups).
func (m *storeMailbox) do(l *Loader, tid int, s storage, op uint32, v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.iter == nil {
		prog, err := l.objs.program(utraceProgUtraceStore)
		if err != nil {
			return fmt.Errorf("task-storage mailbox (for threads without a pidfd on this kernel): %w", err)
		}
		if m.iter, err = link.AttachIter(link.IterOptions{Program: prog}); err != nil {
			return fmt.Errorf("task-storage mailbox: attaching the task iterator: %w", err)
		}
	}
	box := l.objs.StoreFlags
	switch s {
	case storeTstats:
		box = l.objs.StoreTstats
	case storePending:
		box = l.objs.StorePending
	}
	const zero = uint32(0)
	if op == storeUpdate || op == storeUpdateExist {
		if err := box.Update(zero, v, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("task-storage mailbox: %w", err)
		}
	}
	req := utraceStoreReq{Tid: uint32(tid), Map: uint32(s), Op: op, Result: storeResultNotSeen}
	if err := l.objs.StoreReqs.Update(zero, &req, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("task-storage mailbox: %w", err)
	}
	rd, err := m.iter.Open()
	if err != nil {
		return fmt.Errorf("task-storage mailbox: running the task iterator: %w", err)
	}
	_, err = io.Copy(io.Discard, rd)
	rd.Close()
	m.runs.Add(1)
	if err != nil {
		return fmt.Errorf("task-storage mailbox: running the task iterator: %w", err)
	}
	if err := l.objs.StoreReqs.Lookup(zero, &req); err != nil {
		return fmt.Errorf("task-storage mailbox: %w", err)
	}
	switch errno := -req.Result; {
	case req.Result == storeResultNotSeen:
		return fmt.Errorf("thread %d: %w", tid, unix.ESRCH)
	case errno == int32(unix.ENOENT):
		return fmt.Errorf("thread %d: %w", tid, ebpf.ErrKeyNotExist)
	case req.Result < 0:
		return fmt.Errorf("thread %d: task storage: %w", tid, unix.Errno(errno))
	}
	if op == storeLookup {
		if err := box.Lookup(zero, v); err != nil {
			return fmt.Errorf("task-storage mailbox: %w", err)
		}
	}
	return nil
}
