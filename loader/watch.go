package loader

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Flags are a thread's utrace flags as the BPF programs see them: its
// core.Watch, plus the filter only this source has. EventQuiesce has no
// passive source and is ignored; Syscalls filters reports, not counting
// (CountSyscalls does) or triggers; triggers are at most MaxTriggers, path
// prefixes of at most MaxPathPrefix bytes, on calls with a path argument.
type Flags struct {
	core.Watch
	// Comm, when not empty, limits reports (not counting, not triggers)
	// to the times when the thread's command name (comm, at most 15 bytes)
	// equals it. Combined with Follow it picks out the descendants that run
	// a given program.
	Comm string
}

// Limits of triggers, per thread.
const (
	// MaxTriggers is how many triggers a thread's flags can hold.
	MaxTriggers = trigMax
	// MaxPathPrefix is the longest Trigger.PathPrefix, in bytes.
	MaxPathPrefix = trigPrefixLen
)

// needBits are what a thread's flags require of the lazily attached
// raw-tracepoint programs, as the loader knows it.
type needBits uint8

const (
	needSyscall needBits = 1 << iota // syscall events: sys_enter, sys_exit
	needCount                        // counting syscalls: sys_enter, sys_exit
	needJctl                         // JCTL: sched_switch
)

// need is what a thread's flags require of the lazily attached programs:
// the raw-tracepoint programs, and the per-syscall tracepoints of the
// numbers it has triggers on.
type need struct {
	bits needBits
	trig core.SyscallSet
	// The counting filter and histograms, when counting: to know when
	// they change.
	countFiltered bool
	countSet      core.SyscallSet
	countHist     bool
}

func (n need) zero() bool { return n == need{} }

func (n need) union(o need) need {
	n.bits |= o.bits
	for i := range n.trig {
		n.trig[i] |= o.trig[i]
	}
	return n
}

func needsOf(f *Flags) need {
	var n need
	if f.Events&core.EventSyscall != 0 {
		n.bits |= needSyscall
	}
	if f.Count {
		n.bits |= needCount
		n.countHist = f.Histograms
		if f.CountSyscalls != nil {
			n.countFiltered, n.countSet = true, *f.CountSyscalls
		}
	}
	if f.Events&core.EventJctl != 0 {
		n.bits |= needJctl
	}
	for _, t := range f.Triggers {
		n.trig.Add(t.Nr)
	}
	return n
}

// needsFromRecord decodes the REC_NEED_* and REC_COUNTED bits of a record
// header. (Trigger numbers come from the record's body, or from the
// loader's books.)
func needsFromRecord(flags uint32) needBits {
	var n needBits
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
	if old.bits&(needSyscall|needCount) != 0 {
		l.nSyscall--
	}
	if old.bits&needJctl != 0 {
		l.nJctl--
	}
	if n.bits&(needSyscall|needCount) != 0 {
		l.nSyscall++
	}
	if n.bits&needJctl != 0 {
		l.nJctl++
	}
	if old.trig != n.trig {
		for nr := range syscallMax {
			was, is := old.trig.Has(nr), n.trig.Has(nr)
			switch {
			case was && !is:
				l.trigUsers[nr]--
			case is && !was:
				l.trigUsers[nr]++
			}
		}
	}
	if n.zero() {
		delete(l.needs, tid)
	} else {
		l.needs[tid] = n
	}
	if tid == targetsTid {
		return // not a thread: no bits
	}
	var bits uint64
	if n.bits&needSyscall != 0 {
		bits |= tidBitSyscall
	}
	if n.bits&needCount != 0 {
		bits |= tidBitCount
	}
	l.tidBits.set(tid, bits)
}

// SetWatch installs w as tid's flags; a zero Watch stops watching tid. It
// implements core.Source. It clears a comm filter set by SetFlags.
func (l *Loader) SetWatch(tid int, w core.Watch) error {
	return l.SetFlags(tid, Flags{Watch: w})
}

// SetFlags installs f as tid's flags: the events (with the filters and
// Follow), counting and triggers. Flags without events, Count or triggers
// stop watching tid. Programs the flags need are attached before the flags
// are set, so the thread's next events are seen, and programs they no
// longer need are detached after. Removing the flags of a thread that is
// gone succeeds; setting them fails with an error wrapping unix.ESRCH.
// Flags the kernel cannot hold (too many triggers, a prefix too long, a
// trigger on a call without a tracepoint) fail with an error wrapping
// core.ErrInvalid.
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
	if err := checkTriggers(f.Triggers); err != nil {
		return fmt.Errorf("watching thread %d: %w", tid, err)
	}
	f.Events &^= core.EventQuiesce
	watched := f.Events != 0 || len(f.Triggers) > 0

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("watching thread %d: loader: %w", tid, os.ErrClosed)
	}

	th, err := l.openThread(tid)
	if err != nil {
		if errors.Is(err, unix.ESRCH) && !watched && !f.Count {
			l.setNeedLocked(tid, need{})
			l.pidfds.evict(tid)
			return l.syncLinksLocked()
		}
		return fmt.Errorf("watching thread %d: %w", tid, err)
	}
	keepFd := false
	defer func() {
		if !keepFd {
			th.close()
		}
	}()

	old := l.needs[tid]
	n := needsOf(&f)
	switch {
	case f.Count && old.bits&needCount == 0:
		// Counting starts afresh.
		ts := new(utraceTaskStats)
		encodeCounting(ts, &f.Watch)
		if err := th.update(storeTstats, ts, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("watching thread %d: starting syscall counts: %w", tid, err)
		}
		if err := l.objs.FinalStats.Delete(uint32(tid)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("watching thread %d: clearing old syscall counts: %w", tid, err)
		}
	case !f.Count && old.bits&needCount != 0:
		if err := stopCounting(th); err != nil {
			return fmt.Errorf("watching thread %d: stopping syscall counts: %w", tid, err)
		}
	case f.Count && (old.countFiltered != n.countFiltered || old.countSet != n.countSet || old.countHist != n.countHist):
		// Counting goes on with another filter, or with histograms
		// turned on or off. (A call counted between the lookup and the
		// update is lost: filters change when engines come and go,
		// rarely.)
		var ts utraceTaskStats
		if err := th.lookup(storeTstats, &ts); err == nil {
			encodeCounting(&ts, &f.Watch)
			if err := th.update(storeTstats, &ts, ebpf.UpdateExist); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("watching thread %d: updating the counting filter: %w", tid, err)
			}
		}
	}
	// What either the old or the new flags need stays attached until the
	// new flags are in place: a trigger's exit program must not go while
	// the raw sys_exit program, seeing the old flags, leaves out the
	// record of a call the trigger matches.
	l.setNeedLocked(tid, old.union(n))
	if err := l.syncLinksLocked(); err != nil {
		l.setNeedLocked(tid, old)
		return errors.Join(fmt.Errorf("watching thread %d: %w", tid, err), l.syncLinksLocked())
	}

	if !watched {
		err = th.delete(storeFlags)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			err = nil
		}
	} else {
		var v utraceTaskFlags
		// Keep the runtime state the programs keep in the value. This is
		// best effort: a program may change it between the two calls.
		if err := th.lookup(storeFlags, &v); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			l.setNeedLocked(tid, old)
			return errors.Join(fmt.Errorf("watching thread %d: reading its flags: %w", tid, err), l.syncLinksLocked())
		}
		f.encode(&v)
		err = th.update(storeFlags, &v, ebpf.UpdateAny)
	}
	if err != nil {
		l.setNeedLocked(tid, old)
		return errors.Join(fmt.Errorf("watching thread %d: updating its flags: %w", tid, err), l.syncLinksLocked())
	}
	l.setNeedLocked(tid, n)
	if len(f.Triggers) > 0 && th.fd >= 0 {
		// TakeTrigger will want this thread's pidfd: keep it.
		keepFd = l.pidfds.put(tid, th.fd)
	} else {
		l.pidfds.evict(tid)
	}
	if err := l.syncLinksLocked(); err != nil {
		return fmt.Errorf("watching thread %d: detaching programs no longer needed: %w", tid, err)
	}
	return nil
}

// encodeCounting writes w's counting configuration into ts: the filter
// set (nil: count every call) and whether the calls go to histograms.
func encodeCounting(ts *utraceTaskStats, w *core.Watch) {
	ts.Filtered = 0
	ts.CountSet = [8]uint64{}
	if w.CountSyscalls != nil {
		ts.Filtered = 1
		ts.CountSet = *w.CountSyscalls
	}
	ts.Histogram = 0
	if w.Histograms {
		ts.Histogram = 1
	}
}

// stopCounting marks the thread's counts stopped; they stay readable.
func stopCounting(th threadRef) error {
	var v utraceTaskStats
	if err := th.lookup(storeTstats, &v); err != nil {
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		return err
	}
	v.Stopped = 1
	return th.update(storeTstats, &v, ebpf.UpdateExist)
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
	if f.ExitEntriesOnly {
		v.Opts |= optExitEntries
	}
	if f.Capture {
		v.Opts |= optCapture
	}
	if f.EnterTimes {
		v.Opts |= optEnterTime
	}
	switch f.FdPaths {
	case core.FdPathsDetail:
		v.Opts |= optFdPaths | optFdDetail
	case core.FdPathsNames:
		v.Opts |= optFdPaths
	}
	v.Comm = [commLen]int8{}
	if f.Comm != "" {
		v.Opts |= optCommFilter
		for i := 0; i < len(f.Comm); i++ {
			v.Comm[i] = int8(f.Comm[i])
		}
	}
	v.Ntrig = uint32(len(f.Triggers))
	v.Trig = [trigMax]utraceTrigger{}
	for i, t := range f.Triggers {
		tr := &v.Trig[i]
		tr.Nr = int32(t.Nr)
		tr.Op = uint8(t.Op)
		tr.Value = t.Value
		tr.PrefixLen = uint8(len(t.PathPrefix))
		for j := 0; j < len(t.PathPrefix); j++ {
			tr.Prefix[j] = int8(t.PathPrefix[j])
		}
	}
}

// Flags returns tid's flags as the kernel holds them, which for a thread
// that inherited them at fork are its parent's. A thread without flags
// gives the zero Flags.
func (l *Loader) Flags(tid int) (Flags, error) {
	th, err := l.openThread(tid)
	if err != nil {
		return Flags{}, fmt.Errorf("reading flags of thread %d: %w", tid, err)
	}
	defer th.close()
	var f Flags
	var ts utraceTaskStats
	switch err := th.lookup(storeTstats, &ts); {
	case err == nil:
		f.Count = ts.Stopped == 0
		f.Histograms = f.Count && ts.Histogram != 0
	case !errors.Is(err, ebpf.ErrKeyNotExist):
		return Flags{}, fmt.Errorf("reading syscall counts of thread %d: %w", tid, err)
	}
	var v utraceTaskFlags
	if err := th.lookup(storeFlags, &v); err != nil {
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return f, nil
		}
		return Flags{}, fmt.Errorf("reading flags of thread %d: %w", tid, err)
	}
	f.Events = core.Events(v.Events)
	f.Follow = v.Opts&optFollow != 0
	f.ExitEntriesOnly = v.Opts&optExitEntries != 0
	f.Capture = v.Opts&optCapture != 0
	f.EnterTimes = v.Opts&optEnterTime != 0
	switch {
	case v.Opts&optFdDetail != 0:
		f.FdPaths = core.FdPathsDetail
	case v.Opts&optFdPaths != 0:
		f.FdPaths = core.FdPathsNames
	}
	if v.Opts&optSyscallFilter != 0 {
		set := core.SyscallSet(v.Syscalls)
		f.Syscalls = &set
	}
	if v.Opts&optCommFilter != 0 {
		f.Comm = cstring8(v.Comm[:])
	}
	for i := range min(int(v.Ntrig), trigMax) {
		tr := &v.Trig[i]
		f.Triggers = append(f.Triggers, core.Trigger{
			Nr:         int(tr.Nr),
			PathPrefix: cstring8(tr.Prefix[:min(int(tr.PrefixLen), trigPrefixLen)]),
			Op:         core.RetOp(tr.Op),
			Value:      tr.Value,
		})
	}
	return f, nil
}

// cstring8 returns the NUL-terminated string at the start of b.
func cstring8(b []int8) string {
	if len(b) == 0 {
		return ""
	}
	return cstring(unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), len(b)))
}
