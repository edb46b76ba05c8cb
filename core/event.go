package core

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
	Nr   int       // x86-64 system call number; -1 when a tracer skipped it
	Args [6]uint64 // raw argument registers
	Ret  int64     // at exit: the return value (negative errno on failure); at entry with SyscallAbort: what the caller sees
	Path string    // for calls with a path argument: the path, bounded in length
}

// Failed reports whether Ret is a negative errno, as the kernel returns them.
func (s *Syscall) Failed() bool { return s.Ret < 0 && s.Ret >= -4095 }

// Signal describes a signal about to be delivered.
type Signal struct {
	Signo int // signal number; a synchronous callback may change it
	Code  int // si_code
	Errno int // si_errno
	// Sender is the sending process where si_code says there is one.
	Sender int
}

// Clone describes a new thread or process, reported by its creator before
// the child runs.
type Clone struct {
	Child  int    // tid of the new thread
	Thread bool   // CLONE_THREAD: a thread in the same process
	Flags  uint64 // clone flags, where the source knows them
}

// Exec describes a successful execve.
type Exec struct {
	Filename string // the path passed to execve, bounded in length
	// OldTid is the tid the thread had before the exec. It differs from
	// Event.Tid when a non-leader thread exec'd and took over the leader's
	// tid; the tracer moves the thread's engines along with it.
	OldTid int
}

// Exit describes a thread exit (EventExit) or death (EventDeath).
type Exit struct {
	Code      int  // wait status the parent will see; a synchronous ReportExit may change it
	OrigCode  int  // the real status, unchanged by engines
	GroupDead bool // the last thread of the process died
}

// Jctl describes a job-control stop or continue.
type Jctl struct {
	Type   int // CLD_STOPPED or CLD_CONTINUED
	Notify int // nonzero when this thread notifies the parent; the si_code of its SIGCHLD
}
