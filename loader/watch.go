package loader

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Flags are a thread's utrace flags as the BPF programs see them: the
// fields of a core.Watch and the filters only this source has.
type Flags struct {
	// Events to report. EventQuiesce has no passive source and is ignored.
	Events core.Events
	// Follow makes children and new threads inherit the flags (and
	// counting) in the kernel, before they first run. It needs Events.
	Follow bool
	// Syscalls, when non-nil, limits syscall events to these numbers.
	// Counting covers every system call regardless.
	Syscalls *core.SyscallSet
	// Count aggregates every system call of the thread in the kernel,
	// without records; see SyscallStats.
	Count bool
	// Comm, when not empty, limits reports (not counting) to the times
	// when the thread's command name (comm, at most 15 bytes) equals it.
	// Combined with Follow it picks out the descendants that run a given
	// program.
	Comm string
}

// need is what a thread's flags require of the lazily attached programs,
// as the loader knows it.
type need uint8

const (
	needSyscall need = 1 << iota // syscall events: sys_enter, sys_exit
	needCount                    // counting syscalls: sys_enter, sys_exit
	needJctl                     // JCTL: sched_switch
)

func needsOf(f *Flags) need {
	var n need
	if f.Events&core.EventSyscall != 0 {
		n |= needSyscall
	}
	if f.Count {
		n |= needCount
	}
	if f.Events&core.EventJctl != 0 {
		n |= needJctl
	}
	return n
}

// needsFromRecord decodes the REC_NEED_* and REC_COUNTED bits of a record
// header.
func needsFromRecord(flags uint32) need {
	var n need
	if flags&recNeedSyscall != 0 {
		n |= needSyscall
	}
	if flags&recCounted != 0 {
		n |= needCount
	}
	if flags&recNeedJctl != 0 {
		n |= needJctl
	}
	return n
}

// setNeedLocked records tid's needs, keeps the counts of threads that need
// each program, and sets tid's bits in the tid bitmap. l.mu must be held.
func (l *Loader) setNeedLocked(tid int, n need) {
	old := l.needs[tid]
	if old&(needSyscall|needCount) != 0 {
		l.nSyscall--
	}
	if old&needJctl != 0 {
		l.nJctl--
	}
	if n&(needSyscall|needCount) != 0 {
		l.nSyscall++
	}
	if n&needJctl != 0 {
		l.nJctl++
	}
	if n == 0 {
		delete(l.needs, tid)
	} else {
		l.needs[tid] = n
	}
	var bits uint64
	if n&needSyscall != 0 {
		bits |= tidBitSyscall
	}
	if n&needCount != 0 {
		bits |= tidBitCount
	}
	l.tidBits.set(tid, bits)
}

// SetWatch installs w as tid's flags; a zero Watch stops watching tid. It
// implements core.Source. It clears a comm filter set by SetFlags.
func (l *Loader) SetWatch(tid int, w core.Watch) error {
	return l.SetFlags(tid, Flags{Events: w.Events, Follow: w.Follow, Syscalls: w.Syscalls, Count: w.Count})
}

// SetFlags installs f as tid's flags: the events (with the filters and
// Follow) and counting. Flags without events and without Count stop
// watching tid. Programs the flags need are attached before the flags are
// set, so the thread's next events are seen. Removing the flags of a thread
// that is gone succeeds; setting them fails with an error wrapping
// unix.ESRCH.
func (l *Loader) SetFlags(tid int, f Flags) error {
	if tid <= 0 {
		return fmt.Errorf("watching thread %d: %w", tid, core.ErrInvalid)
	}
	if bad := f.Events &^ core.EventAll; bad != 0 {
		return fmt.Errorf("watching thread %d: unknown event bits %#x: %w", tid, uint32(bad), core.ErrInvalid)
	}
	if len(f.Comm) >= commLen {
		return fmt.Errorf("watching thread %d: comm %q longer than %d bytes: %w", tid, f.Comm, commLen-1, core.ErrInvalid)
	}
	f.Events &^= core.EventQuiesce

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("watching thread %d: loader: %w", tid, os.ErrClosed)
	}

	fd, err := openThread(tid)
	if err != nil {
		if errors.Is(err, unix.ESRCH) && f.Events == 0 && !f.Count {
			l.setNeedLocked(tid, 0)
			return l.syncLinksLocked()
		}
		return fmt.Errorf("watching thread %d: %w", tid, err)
	}
	defer unix.Close(fd)
	key := uint32(fd)

	old := l.needs[tid]
	n := needsOf(&f)
	switch {
	case f.Count && old&needCount == 0:
		// Counting starts afresh.
		if err := l.objs.Tstats.Update(key, new(utraceTaskStats), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("watching thread %d: starting syscall counts: %w", tid, err)
		}
		if err := l.objs.FinalStats.Delete(uint32(tid)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("watching thread %d: clearing old syscall counts: %w", tid, err)
		}
	case !f.Count && old&needCount != 0:
		if err := l.stopCounting(key); err != nil {
			return fmt.Errorf("watching thread %d: stopping syscall counts: %w", tid, err)
		}
	}
	l.setNeedLocked(tid, n)
	if err := l.syncLinksLocked(); err != nil {
		l.setNeedLocked(tid, old)
		return errors.Join(fmt.Errorf("watching thread %d: %w", tid, err), l.syncLinksLocked())
	}

	if f.Events == 0 {
		err = l.objs.Flags.Delete(key)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			err = nil
		}
	} else {
		var v utraceTaskFlags
		// Keep the runtime state the programs keep in the value. This is
		// best effort: a program may change it between the two calls.
		if err := l.objs.Flags.Lookup(key, &v); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("watching thread %d: reading its flags: %w", tid, err)
		}
		f.encode(&v)
		err = l.objs.Flags.Update(key, &v, ebpf.UpdateAny)
	}
	if err != nil {
		l.setNeedLocked(tid, old)
		return errors.Join(fmt.Errorf("watching thread %d: updating its flags: %w", tid, err), l.syncLinksLocked())
	}
	return nil
}

// stopCounting marks the thread's counts stopped; they stay readable.
func (l *Loader) stopCounting(key uint32) error {
	var v utraceTaskStats
	if err := l.objs.Tstats.Lookup(key, &v); err != nil {
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		return err
	}
	v.Stopped = 1
	return l.objs.Tstats.Update(key, &v, ebpf.UpdateExist)
}

// encode writes the configuration fields of f into v.
func (f *Flags) encode(v *utraceTaskFlags) {
	v.Events = uint32(f.Events &^ core.EventQuiesce)
	v.Opts = 0
	if f.Follow {
		v.Opts |= optFollow
	}
	v.Syscalls = [8]uint64{}
	if f.Syscalls != nil {
		v.Opts |= optSyscallFilter
		v.Syscalls = *f.Syscalls
	}
	v.Comm = [commLen]int8{}
	if f.Comm != "" {
		v.Opts |= optCommFilter
		for i := 0; i < len(f.Comm); i++ {
			v.Comm[i] = int8(f.Comm[i])
		}
	}
}

// Flags returns tid's flags as the kernel holds them, which for a thread
// that inherited them at fork are its parent's. A thread without flags
// gives the zero Flags.
func (l *Loader) Flags(tid int) (Flags, error) {
	fd, err := openThread(tid)
	if err != nil {
		return Flags{}, fmt.Errorf("reading flags of thread %d: %w", tid, err)
	}
	defer unix.Close(fd)
	var f Flags
	var ts utraceTaskStats
	switch err := l.objs.Tstats.Lookup(uint32(fd), &ts); {
	case err == nil:
		f.Count = ts.Stopped == 0
	case !errors.Is(err, ebpf.ErrKeyNotExist):
		return Flags{}, fmt.Errorf("reading syscall counts of thread %d: %w", tid, err)
	}
	var v utraceTaskFlags
	if err := l.objs.Flags.Lookup(uint32(fd), &v); err != nil {
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return f, nil
		}
		return Flags{}, fmt.Errorf("reading flags of thread %d: %w", tid, err)
	}
	f.Events = core.Events(v.Events)
	f.Follow = v.Opts&optFollow != 0
	if v.Opts&optSyscallFilter != 0 {
		set := core.SyscallSet(v.Syscalls)
		f.Syscalls = &set
	}
	if v.Opts&optCommFilter != 0 {
		var b []byte
		for _, c := range v.Comm {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		f.Comm = string(b)
	}
	return f, nil
}

// openThread returns a pidfd for thread tid, the key of the task storage
// map from user space.
func openThread(tid int) (int, error) {
	fd, err := unix.PidfdOpen(tid, unix.PIDFD_THREAD)
	if errors.Is(err, unix.EINVAL) {
		// Before Linux 6.9 there are pidfds for process leaders only.
		fd, err = unix.PidfdOpen(tid, 0)
		if errors.Is(err, unix.EINVAL) {
			return -1, fmt.Errorf("pidfd_open: %w (thread %d is not a process leader, and this kernel has no PIDFD_THREAD: Linux 6.9 or later needed)", err, tid)
		}
	}
	if err != nil {
		return -1, fmt.Errorf("pidfd_open: %w", err)
	}
	return fd, nil
}
