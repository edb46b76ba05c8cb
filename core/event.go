package core

import "encoding/binary"

// Event is one occurrence of an event on one thread, as a backend delivers
// it to Tracer.Deliver and as callbacks receive it. It is a flat record with
// a payload per kind so that backends decode into it without allocation or
// reflection; only the payload that belongs to Type is meaningful.
//
// For a synchronous event (Sync set) the thread is held in a ptrace stop
// while the callbacks run, and the callbacks may change the payload: the
// arguments or return value of a system call, the signal number, the exit
// code. The stopper applies those changes when the thread resumes. For a
// passive event the thread has already moved on and changes have no effect.
type Event struct {
	Type Events // exactly one bit; EventQuiesce for a stop that has no event of its own
	Tid  int    // thread id, in the initial pid namespace
	Tgid int    // process id
	Time uint64 // CLOCK_MONOTONIC nanoseconds when the kernel saw it
	Sync bool   // the thread is held stopped while engines are called
	// Triggered marks a synchronous EventSyscallExit made by a Trigger:
	// the kernel stopped the thread after a matching call.
	Triggered bool

	Syscall Syscall // EventSyscallEntry, EventSyscallExit
	Signal  Signal  // EventSignal*, and signal reports from Report/Interrupt
	Clone   Clone   // EventClone
	Exec    Exec    // EventExec
	Exit    Exit    // EventExit, EventDeath
	Jctl    Jctl    // EventJctl
}

// Syscall describes a system call at entry or exit.
type Syscall struct {
	Nr   int       // system call number (package sysabi); -1 when a tracer skipped it (such an exit passes every engine's syscall filter)
	Args [6]uint64 // raw argument registers; at a passive exit those of the call's entry
	Ret  int64     // at exit: the return value (negative errno on failure); at entry with SyscallAbort: what the caller sees
	// Path is the path argument the call acts on (sysabi.PathArg), for
	// synchronous events and triggers, bounded in length; "" when not
	// known. Passive events carry it in Regions instead.
	Path string
	// SP is the stack pointer at the call's entry (at its exit where the
	// entry was not seen), in passive events: a decoder's way to the
	// signal frame of rt_sigreturn.
	SP uint64
	// EnterTime is, at a passive exit, when the call was entered
	// (CLOCK_MONOTONIC nanoseconds), for engines that asked
	// (Engine.SetEnterTimes); 0 when not asked or not seen.
	EnterTime uint64
	// Unfinished marks a passive entry report of the call the thread was
	// in when it died, made at its death (the call never returned), with
	// the regions copied at its entry. Only engines that asked for
	// captures get these.
	Unfinished bool
	// Delayed is set by an engine that holds the thread at the call's
	// entry or exit to delay it (strace's inject delay_enter=, delay_exit=),
	// for the engines after it in the same synchronous report: a log marks
	// such a call "(DELAYED)", as strace does.
	Delayed bool
	// Resumes is, for restart_syscall in passive events of engines that
	// asked for captures, the call it resumes: the thread's last to
	// return ERESTART_RESTARTBLOCK, traced or not; -1 when not known.
	Resumes int
	// Regions is the thread's memory that the call's arguments point at,
	// copied when the kernel used it (passive events of engines that
	// asked, with Engine.SetCapture): at an exit, what was copied at the
	// call's entry, then at its exit. Valid during the callback only.
	Regions []Region
}

// Region is a piece of a traced thread's memory, copied by the kernel side
// at a system call's entry or exit (see Syscall.Regions).
type Region struct {
	Addr  uint64 // where it is in the thread's memory
	Data  []byte // the bytes (a string's without its NUL); valid during the callback only
	Flags RegionFlags
}

// RegionFlags describe a Region. The numbering is the BPF programs' (REG_*
// in bpf/utrace.h).
type RegionFlags uint16

// The region flags.
const (
	RegionString    RegionFlags = 1 << iota // a NUL-terminated string, Data without the NUL
	RegionTruncated                         // the memory goes on past Data
	RegionFault                             // unreadable when copied: no Data
	RegionExit                              // copied at the call's exit, else at its entry
	RegionCount                             // not memory: Data is a little-endian uint32 count of the array at Addr
	RegionExecArgs                          // execve at exit: the new image's argument strings, NUL-separated
	RegionExecFn                            // execve at exit: the file name the new image was executed as
	RegionFdPath                            // not memory: with RegionString, what descriptor Addr is open on (see Watch.FdPaths)
	RegionFdNamed                           // with RegionFdPath: a name the kernel makes up (pipe:[5], TCP:[...]), not a path
	RegionFdDevice                          // with RegionFdPath: a path followed by the device's numbers, <char 1:3>
	RegionFdDeleted                         // with RegionFdPath: the file was unlinked
)

// Failed reports whether Ret is a negative errno, as the kernel returns them.
func (s *Syscall) Failed() bool { return s.Ret < 0 && s.Ret >= -4095 }

// Signal describes a signal about to be delivered.
type Signal struct {
	Signo int // signal number; a synchronous callback may change it
	Code  int // si_code
	Errno int // si_errno
	// Sender is the sending process where si_code says there is one.
	Sender int
	// Discarded marks a signal the thread ignores (SIG_IGN, or a default
	// action of ignoring), which the kernel discarded when it was sent, so
	// that it is never delivered: it is reported, as EventSignalIgn, at
	// its sending, as utrace reported ignored signals to engines that
	// wanted them. InSyscall says the thread was in a system call then,
	// on whose return a tracer that stops at delivery would have seen it.
	Discarded, InSyscall bool
	// Info is the kernel's siginfo as delivered (struct kernel_siginfo
	// of 64-bit Linux, little endian), for decoders; zero where there was
	// none.
	Info [48]byte
}

// Siginfo is the signal's siginfo for decoders: the kernel's, or where a
// report has none, one built from the fields (si_signo, si_errno, si_code,
// si_pid at the offsets every 64-bit Linux ABI uses).
func (s *Signal) Siginfo() [48]byte {
	info := s.Info
	if info == ([48]byte{}) {
		binary.LittleEndian.PutUint32(info[0:], uint32(s.Signo))
		binary.LittleEndian.PutUint32(info[4:], uint32(s.Errno))
		binary.LittleEndian.PutUint32(info[8:], uint32(s.Code))
		binary.LittleEndian.PutUint32(info[16:], uint32(s.Sender))
	}
	return info
}

// Clone describes a new thread or process, reported by its creator before
// the child runs.
type Clone struct {
	Child  int    // tid of the new thread
	Thread bool   // CLONE_THREAD: a thread in the same process
	Flags  uint64 // clone flags, where the source knows them
	// Target is 1 + the index of the target rule (see Exec.Target) that
	// selected the child of a parent nobody traces; 0 for the others.
	Target int
}

// Exec describes a successful execve, or with Ret < 0 a failed one (see
// FailedExecReporter). The passive source fills every field (and sets
// Facts); the synchronous one only Filename and OldTid.
type Exec struct {
	Filename string // the path passed to execve, bounded in length
	// OldTid is the tid the thread had before the exec. It differs from
	// Event.Tid when a non-leader thread exec'd and took over the leader's
	// tid; the tracer moves the thread's engines along with it.
	OldTid int
	// Ret is 0, or the negative errno of an exec that failed, which
	// left the thread running its old program.
	Ret int64
	// Target is 1 + the index of the target rule that selected the
	// process at this exec, for a process nobody traced before it (the
	// rules are the passive source's; see loader.Target); 0 otherwise.
	Target int
	// Facts says that the fields below are known.
	Facts bool
	// Comm is the name the new image runs under (the thread's own for a
	// failed exec).
	Comm string
	// Args is the argument vector, bounded in length: ArgsTruncated says
	// that it went on.
	Args          []string
	ArgsTruncated bool
	// Ppid, UID and GID are the parent's process id and the real user
	// and group ids after the exec.
	Ppid, UID, GID int
	// Cgroup is the cgroup v2 id of the process.
	Cgroup uint64
}

// Exit describes a thread exit (EventExit) or death (EventDeath).
type Exit struct {
	Code      int  // wait status the parent will see; a synchronous ReportExit may change it
	OrigCode  int  // the real status, unchanged by engines
	GroupDead bool // the last thread of the process died
	// Facts says that the fields below are known (the passive source
	// fills them).
	Facts bool
	// Start is when the thread (with GroupDead, the process) started,
	// CLOCK_MONOTONIC nanoseconds.
	Start uint64
	Ppid  int    // the parent's process id
	Comm  string // the thread's name
}

// Jctl describes a job-control stop or continue.
type Jctl struct {
	Type   int // JctlStopped or JctlContinued
	Notify int // nonzero when this thread notifies the parent; the si_code of its SIGCHLD
	Signo  int // JctlStopped: the signal that stopped the process (SIGSTOP, SIGTSTP...); 0 when not known
}

// The types of Jctl: the si_codes of the SIGCHLD that tells the parent
// (CLD_STOPPED and CLD_CONTINUED).
const (
	JctlStopped   = 5
	JctlContinued = 6
)
