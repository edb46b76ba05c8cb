package core

import (
	"math/bits"
	"time"
)

// The tracer talks to the two backends through the interfaces in this file;
// core imports neither implementation. The passive backend (package loader,
// eBPF) sees events in the kernel and reports them while the thread runs on.
// The synchronous backend (package stopper, ptrace) holds threads stopped.
// Both deliver events by calling Tracer.Deliver.

// Watch is what the passive source must report for one thread: the union of
// the passive needs of the engines attached to it. It is kept in the
// thread's BPF task storage, where the programs test it first.
type Watch struct {
	// Events to report passively. Zero means the thread is not watched.
	Events Events
	// Follow makes new children and threads inherit this watch in the
	// kernel before they first run, so their first events are seen. It is
	// set while some engine on the thread wants EventClone.
	Follow bool
	// Syscalls, when non-nil, limits syscall events to these numbers.
	Syscalls *SyscallSet
	// Count asks for in-kernel per-syscall aggregation (calls, errors,
	// time) without any per-event traffic; see Aggregator.
	Count bool
	// CountSyscalls, when non-nil, limits the counting to these numbers:
	// the union of the syscall filters of the counting engines.
	CountSyscalls *SyscallSet
	// Histograms, with Count, also counts each counted call's duration
	// in the kernel's log2 histogram of its syscall number, which sums
	// the calls of every thread so watched; see HistogramAggregator.
	Histograms bool
	// ExitEntriesOnly limits syscall-entry events to exit and exit_group,
	// which never return: every engine that wants entries said, with
	// SetExitEntriesOnly, that the exit report (which carries the number,
	// the arguments and the entry's regions) serves it for the others. It
	// halves the records of a full syscall log.
	ExitEntriesOnly bool
	// Capture asks for Syscall.Regions: the memory the calls' arguments
	// point at, copied when the kernel uses it.
	Capture bool
	// EnterTimes asks for Syscall.EnterTime in passive exits of captured
	// calls.
	EnterTimes bool
	// FdPaths asks, with Capture, for what the calls' descriptors are
	// open on (Syscall.Regions with RegionFdPath), told when the kernel
	// uses them: strace's -y and -yy.
	FdPaths FdPaths
	// Triggers are the conditions on which the kernel stops the thread
	// by itself (see Trigger): the union of its engines' triggers.
	Triggers []Trigger
}

// FdPaths says how much a syscall record tells of the files its
// descriptors are open on.
type FdPaths uint8

// The levels of FdPaths, each telling what the one before it does.
const (
	FdPathsNone   FdPaths = iota // the numbers alone
	FdPathsNames                 // the paths, as /proc/PID/fd links read (strace -y)
	FdPathsDetail                // and sockets' protocols and addresses, devices' numbers (-yy)
)

// Trigger is a condition on a system call that the eBPF programs evaluate
// in the kernel. When a call matches, the thread is stopped before it runs
// another user instruction (bpf_send_signal_thread(SIGSTOP), recognised and
// suppressed by the stopper) and a synchronous EventSyscallExit is reported
// with Event.Triggered set; a callback may change ev.Syscall.Ret. Calls
// that do not match cost a check in the kernel and nothing else: no ptrace
// stop, no ring-buffer record. The call has run by the time of the report;
// to keep a call from running use synchronous syscall entries instead.
type Trigger struct {
	Nr         int    // system call number
	PathPrefix string // its path argument must start with this; "" matches any
	Op         RetOp  // compare the return value with Value; RetAny matches any
	Value      int64
}

// RetOp compares a system call's return value in a Trigger.
type RetOp uint8

// Return-value comparisons.
const (
	RetAny RetOp = iota
	RetEq
	RetNe
	RetLt
	RetLe
	RetGt
	RetGe
)

// Match reports whether ret satisfies the comparison.
func (op RetOp) Match(ret, value int64) bool {
	switch op {
	case RetEq:
		return ret == value
	case RetNe:
		return ret != value
	case RetLt:
		return ret < value
	case RetLe:
		return ret <= value
	case RetGt:
		return ret > value
	case RetGe:
		return ret >= value
	}
	return true
}

// TriggerSource is implemented by sources that evaluate Triggers. The
// stopper asks it, at a SIGSTOP the kernel sent, whether the stop was a
// trigger's and for the event that fired it.
type TriggerSource interface {
	TakeTrigger(tid int) (*Event, bool)
}

// SyscallLimit bounds the system call numbers of the native ABI that
// sets, filters and the kernel's per-call maps hold: every architecture's
// table ends below it (x86-64's at 471, arm64's, the generic one, too).
const SyscallLimit = 512

// SyscallSet is a set of the native ABI's system call numbers, below
// SyscallLimit.
type SyscallSet [SyscallLimit / 64]uint64

// Add puts nr in the set; numbers outside it are ignored.
func (s *SyscallSet) Add(nr int) {
	if nr >= 0 && nr < SyscallLimit {
		s[nr/64] |= 1 << (nr % 64)
	}
}

// Has reports whether nr is in the set.
func (s *SyscallSet) Has(nr int) bool {
	return nr >= 0 && nr < SyscallLimit && s[nr/64]&(1<<(nr%64)) != 0
}

func (s *SyscallSet) union(o *SyscallSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// Source is the passive event source.
type Source interface {
	// SetWatch installs w as tid's watch; a zero Watch stops watching.
	SetWatch(tid int, w Watch) error
}

// SyscallStats is an in-kernel aggregate for one system call number.
type SyscallStats struct {
	Calls  uint64
	Errors uint64
	Time   time.Duration // total time inside the call
}

// Aggregator is implemented by sources that aggregate in the kernel.
type Aggregator interface {
	// SyscallStats returns tid's counts per syscall number, for threads
	// whose Watch has Count set.
	SyscallStats(tid int) (map[int]SyscallStats, error)
}

// HistogramSlots is how many slots a Histogram has: enough for any
// duration in nanoseconds that fits 64 bits.
const HistogramSlots = 64

// Histogram is a log2 histogram of durations in nanoseconds: slot i
// counts the durations d with 2^i <= d < 2^(i+1), slot 0 also d = 0 (the
// buckets of BCC's bpf_log2l).
type Histogram [HistogramSlots]uint64

// HistogramSlot returns the slot of a Histogram that counts a duration of d ns.
func HistogramSlot(d uint64) int {
	if d == 0 {
		return 0
	}
	return bits.Len64(d) - 1
}

// HistogramAggregator is implemented by sources that count call durations
// in log2 histograms in the kernel.
type HistogramAggregator interface {
	// SyscallHistogram returns the histogram of the durations of the
	// calls to syscall nr that threads whose Watch had Count and
	// Histograms made since the source started, summed over the threads.
	SyscallHistogram(nr int) (Histogram, error)
}

// Stopper is the synchronous backend.
//
// A Stopper must not call Tracer.Deliver from inside one of its own methods:
// engines call Stop and Resume from their callbacks, while the thread's
// reports are serialized. It delivers synchronous events (Sync
// set) through Tracer.Deliver while the thread is held stopped, and acts on
// the action Deliver returns: for Stop it keeps the thread stopped until
// Resume is called; otherwise it resumes the thread at once, applying the
// signal or syscall action and any change the callbacks made to the event.
type Stopper interface {
	// SetSync sets the events tid must report synchronously. When it is
	// zero and the thread is not held stopped, the stopper lets go of the
	// thread entirely (a thread nobody needs to stop runs without ptrace).
	SetSync(tid int, events Events) error
	// Stop asks tid to stop. Once it has, the stopper delivers a
	// synchronous EventQuiesce (unless another synchronous event came
	// first).
	Stop(tid int) error
	// Resume lets a thread held stopped go on. action is a resume action;
	// Report and Interrupt ask for another synchronous EventQuiesce report
	// before the thread runs user code (Interrupt also breaks a blocking
	// system call), SingleStep and BlockStep resume for one instruction or
	// one block and then report a synchronous EventQuiesce.
	Resume(tid int, action Action) error
	// Examine calls fn with the state of tid, which must be held stopped.
	// It returns ErrAgain if the thread ran during the examination.
	Examine(tid int, fn func(Stopped) error) error
}

// Stopped is the state of a thread held stopped, valid only during the
// Examine callback that received it.
//
// What it offers is the same on every architecture, except for what
// archStopped adds (x86-64's debug registers).
type Stopped interface {
	archStopped
	Tid() int
	// Registers reads the general registers; SetRegisters writes them
	// back. A write the kernel refuses (a value it does not allow in
	// that register) returns its error and changes nothing.
	Registers() (*Registers, error)
	SetRegisters(*Registers) error
	// Regset reads register set note (NotePRStatus, NoteFPRegs, or an
	// architecture's own) into p with PTRACE_GETREGSET and returns how
	// many bytes the kernel filled.
	Regset(note int, p []byte) (int, error)
	// SetRegset writes register set note from p (PTRACE_SETREGSET).
	SetRegset(note int, p []byte) error
	// Siginfo returns the siginfo_t of the signal the thread stopped with
	// (PTRACE_GETSIGINFO), SiginfoSize bytes as the kernel lays them out.
	// A thread not stopped for a signal has none (an error).
	Siginfo() ([]byte, error)
	// ReadMemory and WriteMemory access the thread's address space;
	// WriteMemory works on read-only (text) pages too.
	ReadMemory(addr uintptr, p []byte) (int, error)
	WriteMemory(addr uintptr, p []byte) (int, error)
}

// ThreadInfo is what the tracer needs to know about a thread it attaches to.
type ThreadInfo struct {
	Tgid   int
	Kernel bool // a kernel thread, which cannot be traced
	Dead   bool // a zombie: it will not run again, only be reaped
}

// ThreadLookup finds a live thread. It returns an error wrapping unix.ESRCH
// when there is none.
type ThreadLookup func(tid int) (ThreadInfo, error)
