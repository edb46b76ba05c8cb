package stopper

import (
	"fmt"
	"os"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// stopKind is what kind of ptrace stop a thread is in.
type stopKind uint8

const (
	stopNone      stopKind = iota
	stopSyscall            // syscall-entry or -exit stop
	stopSignal             // signal-delivery-stop: t.sig is the signal
	stopGroup              // group-stop (job control), resumed with PTRACE_LISTEN
	stopEvent              // PTRACE_EVENT_* stop, or an interrupt
	stopStep               // after a single step or block step
	stopInterrupt          // PTRACE_INTERRUPT or a new child's first stop
	stopTrigger            // the SIGSTOP of a kernel trigger, suppressed
)

// task is the stopper's state of one thread. Only the ptrace thread touches
// it.
type task struct {
	tid, tgid int
	sync      core.Events // events to report synchronously

	seized    bool
	own       bool // a process this program started: it waits for its exit
	running   bool // not in a ptrace stop (or in a PTRACE_LISTEN group-stop)
	gone      bool
	reporting bool // a report about the current stop is being made
	held      bool // the engines keep it stopped until Resume
	// resumeAfter is a Resume that came while the report was finishing.
	resumeAfter core.Action
	wantStop    bool // an engine asked for a stop; an interrupt is on its way
	detach      bool // let go at the next stop
	newChild    bool // auto-attached child whose first stop is not decided yet
	pending     bool // child: its parent's CLONE report decides about it

	kind   stopKind
	mode   int     // last restart request: PTRACE_CONT, PTRACE_SYSCALL, ...
	sig    int     // signal to deliver when it leaves a signal-delivery-stop
	caught uint64  // signals with handlers, at the last signal stop
	si     siginfo // the signal's siginfo at the last signal-delivery-stop
	// pushed holds the siginfo of each signal a hold pushed back on the
	// queue, by number: the kernel queues it again as a tgkill from the
	// tracer, and its next delivery gets the original back.
	pushed   map[int]siginfo
	step     core.Action // SingleStep or BlockStep for the next restart
	stepping bool        // the last restart was a step
	stepWith core.Action // which step it was
	lastNr   int         // syscall number at the last entry stop
	// lastArgs are the arguments at the last entry stop, as the call runs
	// them (after the engines' changes); entered says they belong to the
	// call the thread is in.
	lastArgs [6]uint64
	entered  bool
	abortRet *int64 // an aborted syscall's return value, set at its exit stop
	// skipped: the call now between its entry and exit stops was
	// skipped (SyscallAbort), so its exit is reported with number -1, as
	// the kernel's tracepoint and core.Syscall say.
	skipped  bool
	inject   int     // signal to send before resuming (Interrupt + SignalDeliver)
	children []*task // clone children waiting for this task's CLONE report
	// ev is the event of the report being made, as the engines change it;
	// orig is what the stop said.
	ev, orig core.Event
	// seccomp: the program runs under the launch filter; syscall entries
	// come as PTRACE_EVENT_SECCOMP stops and the thread runs with
	// PTRACE_CONT, except for one PTRACE_SYSCALL to reach the exit stop
	// of a trapped call when exits are wanted (exitNext).
	seccomp, exitNext bool
	// launching: a program Launch started, still running the launcher
	// before its execve. Its system call and signal stops are the
	// launcher's, not the program's, and are reported to no engine.
	launching bool
	// mem is /proc/TID/mem plus one (0: not open), for Examine.
	mem int
	// stopSince is when the current stop's first report was asked for
	// (monotonicNow), 0 when no report was: the start of what Stats
	// counts.
	stopSince uint64
}

// needed reports whether the stopper must keep the thread. A thread under
// the launch filter is always kept: without a tracer its trapped calls
// would fail with ENOSYS.
func (t *task) needed() bool {
	return t.sync != 0 || t.held || t.wantStop || t.abortRet != nil || t.seccomp
}

// wantMode is the restart request that gives the stops the task needs.
func (t *task) wantMode() int {
	if t.seccomp {
		if t.exitNext {
			return unix.PTRACE_SYSCALL
		}
		return unix.PTRACE_CONT
	}
	if t.sync&core.EventSyscall != 0 || t.abortRet != nil {
		return unix.PTRACE_SYSCALL
	}
	return unix.PTRACE_CONT
}

// stopped handles one wait status of t.
func (s *Stopper) stopped(t *task, ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		s.forget(t)
		return
	}
	if !ws.Stopped() {
		return
	}
	t.running = false
	sig := ws.StopSignal()
	cause := int(ws>>16) & 0xff
	if t.launching && s.launcherStop(t, sig, cause) {
		return
	}
	switch {
	case sig == unix.SIGTRAP|0x80:
		t.kind = stopSyscall
		s.syscallStop(t)
	case cause == ptraceEventStop && isStopSignal(sig):
		t.kind = stopGroup
		if t.sync&core.EventJctl != 0 {
			s.report(t, core.Event{Type: core.EventJctl, Jctl: core.Jctl{Type: core.JctlStopped, Notify: core.JctlStopped, Signo: int(sig)}})
			return
		}
		s.cont(t)
	case cause == ptraceEventStop:
		t.kind = stopInterrupt
		s.interruptStop(t)
	case cause != 0:
		t.kind = stopEvent
		s.eventStop(t, cause)
	default:
		s.signalStop(t, int(sig))
	}
}

// launcherStop passes over a stop of the launcher's own (see
// task.launching), and reports whether it did: a system call stop resumes,
// a signal is delivered as it came. The execve's entry is the program's
// (strace's first line), and its exec stop ends the launcher's part; they,
// the stops engines asked for (interrupts) and the exit are handled as any
// thread's.
func (s *Stopper) launcherStop(t *task, sig unix.Signal, cause int) bool {
	switch {
	case cause == unix.PTRACE_EVENT_EXEC:
		t.launching = false
		return false
	case sig == unix.SIGTRAP|0x80, cause == unix.PTRACE_EVENT_SECCOMP:
		if info, err := getSyscallInfo(t.tid); err == nil && info.Op != ptraceSyscallInfoExit &&
			(info.Nr == unix.SYS_EXECVE || info.Nr == unix.SYS_EXECVEAT) {
			// The program's execve, the first call strace shows.
			return false
		}
		t.kind = stopSyscall
		t.entered = false
	case cause == ptraceEventStop && isStopSignal(sig):
		t.kind = stopGroup
	case cause != 0:
		return false
	default:
		t.kind, t.sig = stopSignal, int(sig)
	}
	s.cont(t)
	return true
}

func (s *Stopper) syscallStop(t *task) {
	info, err := getSyscallInfo(t.tid)
	if err != nil {
		s.cont(t)
		return
	}
	switch info.Op {
	case ptraceSyscallInfoEntry, ptraceSyscallInfoSeccmp:
		t.lastNr, t.lastArgs, t.entered, t.skipped = int(info.Nr), info.Args, true, false
		t.exitNext = info.Op == ptraceSyscallInfoSeccmp && t.sync&core.EventSyscallExit != 0
		if t.sync&core.EventSyscallEntry == 0 {
			s.cont(t)
			return
		}
		s.report(t, core.Event{Type: core.EventSyscallEntry, Syscall: core.Syscall{Nr: int(info.Nr), Args: info.Args, Resumes: -1}})
	case ptraceSyscallInfoExit:
		t.exitNext = false
		entered := t.entered
		t.entered = false
		if t.abortRet != nil {
			s.setReturn(t, *t.abortRet)
			t.abortRet = nil
		}
		if t.sync&core.EventSyscallExit == 0 {
			s.cont(t)
			return
		}
		ev := core.Event{Type: core.EventSyscallExit, Syscall: core.Syscall{Nr: t.lastNr, Ret: int64(info.Nr), Args: t.lastArgs, Resumes: -1}}
		if t.skipped {
			ev.Syscall.Nr, t.skipped = -1, false
		}
		if !entered {
			// Seized in the middle of the call, or its entry came
			// while the thread ran without syscall stops (a vfork
			// parent resumed from its event stop): read what the
			// registers still hold (syscallRegs).
			if nr, args, err := syscallRegs(t.tid); err == nil {
				ev.Syscall.Nr, ev.Syscall.Args = nr, args
			}
		}
		s.report(t, ev)
	default:
		s.cont(t)
	}
}

func (s *Stopper) interruptStop(t *task) {
	switch {
	case t.newChild:
		t.newChild = false
		if t.pending {
			return // the parent's CLONE report decides
		}
		s.cont(t)
	case t.wantStop:
		t.wantStop = false
		s.report(t, core.Event{Type: core.EventQuiesce})
	default:
		// Our own interrupt to change the restart mode or to detach, or
		// one that raced with another stop. A step it cut short is
		// started again.
		if t.stepping {
			t.step = t.stepWith
		}
		s.cont(t)
	}
}

func (s *Stopper) eventStop(t *task, cause int) {
	msg, _ := eventMsg(t.tid)
	switch cause {
	case unix.PTRACE_EVENT_CLONE, unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK:
		child := s.tasks[int(msg)]
		if child == nil {
			child = &task{tid: int(msg)}
			s.tasks[child.tid] = child
		}
		// Attached by the kernel before it runs; its first stop is a
		// PTRACE_EVENT_STOP.
		child.seized, child.running, child.newChild = true, true, true
		child.tgid = t.tgid
		child.seccomp = t.seccomp // the filter is inherited
		if cause != unix.PTRACE_EVENT_CLONE {
			child.tgid = child.tid
		}
		if ws, ok := s.early[child.tid]; ok {
			// Its first stop came first; handle it once the parent's
			// event is decided.
			delete(s.early, child.tid)
			defer s.stopped(child, ws)
		}
		if t.sync&core.EventClone == 0 {
			s.cont(t)
			return
		}
		child.pending = true
		t.children = append(t.children, child)
		s.report(t, core.Event{Type: core.EventClone, Clone: core.Clone{
			Child: child.tid, Thread: cause == unix.PTRACE_EVENT_CLONE && child.tgid == t.tgid}})
	case unix.PTRACE_EVENT_EXEC:
		t.closeMem() // the old address space's
		if old := int(msg); old != t.tid {
			// A non-leader exec'd and now has the leader's tid; its
			// state moves there, the old leader's is gone.
			if nt := s.tasks[old]; nt != nil {
				delete(s.tasks, old)
				nt.tid, nt.running, nt.kind = t.tid, false, stopEvent
				nt.closeMem()
				s.tasks[t.tid] = nt
				t.gone = true
				t = nt
			}
		}
		t.tgid = t.tid
		if t.sync&core.EventExec == 0 {
			s.cont(t)
			return
		}
		exe, _ := procfs.Process(t.tid).Exe()
		s.report(t, core.Event{Type: core.EventExec, Exec: core.Exec{Filename: exe, OldTid: int(msg)}})
	case unix.PTRACE_EVENT_SECCOMP:
		// A trapped call of a launched program: its entry.
		t.kind = stopSyscall
		s.syscallStop(t)
	case unix.PTRACE_EVENT_EXIT:
		if t.sync&core.EventExit == 0 {
			s.cont(t)
			return
		}
		s.report(t, core.Event{Type: core.EventExit, Exit: core.Exit{Code: int(msg), OrigCode: int(msg)}})
	default:
		s.cont(t)
	}
}

func (s *Stopper) signalStop(t *task, sig int) {
	t.kind = stopSignal
	si, err := getSiginfo(t.tid)
	if err != nil {
		s.forget(t)
		return
	}
	// The kernel's trap after a step: TRAP_TRACE, TRAP_BRANCH, or
	// TRAP_BRKPT for the first step after an exec stop; a SIGTRAP sent by
	// a process has a user si_code instead.
	if t.stepping && sig == int(unix.SIGTRAP) && si.Code >= trapBrkpt && si.Code <= trapBranch {
		// The step finished; the trap is ours, not the program's.
		t.kind = stopStep
		t.stepping = false
		s.report(t, core.Event{Type: core.EventQuiesce})
		return
	}
	t.stepping = false
	if orig, ok := t.pushed[sig]; ok && si.Code == siTkill && int(si.Pid) == os.Getpid() {
		// The delivery of a signal a hold pushed back: it is the
		// original sender's signal again.
		delete(t.pushed, sig)
		if setSiginfo(t.tid, &orig) == nil {
			si = orig
		}
	}
	if sig == int(unix.SIGSTOP) && si.Code == siKernel && s.triggers != nil {
		// The kernel's SIGSTOP after a call that matched a trigger: ours,
		// not the program's; the signal is suppressed.
		if ev, ok := s.triggers.TakeTrigger(t.tid); ok {
			t.kind = stopTrigger
			s.report(t, *ev)
			return
		}
	}
	t.sig, t.si = sig, si
	ignored, caught, err := dispositions(t.tid)
	if err != nil {
		s.cont(t)
		return
	}
	t.caught = caught
	typ := classify(sig, ignored, caught)
	if t.sync&typ == 0 {
		s.cont(t)
		return
	}
	s.report(t, core.Event{Type: typ, Signal: core.Signal{
		Signo: sig, Code: int(si.Code), Errno: int(si.Errno), Sender: int(si.Pid), Info: si.kernel()}})
}

// si_code values (include/uapi/asm-generic/siginfo.h): SI_KERNEL marks a
// signal the kernel sent (bpf_send_signal_thread), the TRAP_ codes the
// trap after a step.
const (
	siKernel   = 0x80
	siTkill    = -6
	trapBrkpt  = 1
	trapBranch = 3
)

// report asks for a report of ev about t's current stop. It is made by
// drain, after whatever the ptrace thread is doing now: a report never
// starts inside another (a callback that resumes another thread). The event
// lives in the task until the report is done (engines must not keep it,
// as with the passive source's events), so that a stop allocates nothing.
func (s *Stopper) report(t *task, ev core.Event) {
	ev.Tid, ev.Tgid, ev.Sync = t.tid, t.tgid, true
	if ev.Time == 0 {
		ev.Time = monotonicNow()
	}
	if t.stopSince == 0 {
		t.stopSince = monotonicNow()
	}
	t.reporting = true
	t.ev, t.orig = ev, ev
	s.pending = append(s.pending, t)
}

// deliver makes t's report on the ptrace thread if the core can take it
// now, else on a goroutine whose action comes back through afterReport.
func (s *Stopper) deliver(t *task) {
	if act, ok := s.rep.TryDeliver(&t.ev); ok {
		s.afterReport(t, act)
		return
	}
	go func() {
		act := s.rep.Deliver(&t.ev)
		// Nobody waits for the answer: the report's goroutine ends here.
		s.post(func() { s.afterReport(t, act) })
	}()
}

// afterReport carries out what the engines decided about a stop.
func (s *Stopper) afterReport(t *task, act core.Action) {
	orig, ev := &t.orig, &t.ev
	t.reporting = false
	if t.gone {
		return
	}
	switch ev.Type {
	case core.EventSyscallEntry:
		s.applyEntry(t, orig, ev, act)
	case core.EventSyscallExit:
		// At an exit stop or a trigger's stop alike, rax holds the
		// return value the program is about to see.
		if ev.Syscall.Ret != orig.Syscall.Ret {
			s.setReturn(t, ev.Syscall.Ret)
		}
	case core.EventQuiesce:
		if ev.Signal.Signo != 0 && act.SignalAction() == core.SignalDeliver {
			t.inject = ev.Signal.Signo
		}
	case core.EventClone:
		for _, c := range t.children {
			c.pending = false
			if !c.newChild && !c.running && !c.gone {
				s.cont(c) // its first stop came during the report
			}
		}
		t.children = nil
	default:
		if ev.Type&core.EventSignalAll != 0 {
			t.sig = deliverAs(act, ev.Type, ev.Signal.Signo, t.caught)
			si := t.si
			si.Signo = int32(ev.Signal.Signo)
			switch {
			case act.Held():
				// Push the signal back on the thread's queue now (the
				// seed's push_back_signal): it is seen again when the
				// thread runs, and is not lost if this tracer dies while
				// holding the thread. Its siginfo comes back at that
				// delivery (signalStop). With SignalStop the thread
				// stops first, and takes the signal once continued.
				if unix.Tgkill(t.tgid, t.tid, unix.Signal(ev.Signal.Signo)) == nil {
					if t.pushed == nil {
						t.pushed = make(map[int]siginfo)
					}
					t.pushed[ev.Signal.Signo] = si
				}
				t.sig = 0
				if act.SignalAction() == core.SignalStop {
					t.sig = int(unix.SIGSTOP)
				}
			case t.sig != 0 && t.sig != int(t.si.Signo):
				// Rewritten: the kernel would make the new signal come
				// from the tracer; it keeps the original's sender.
				si.Signo = int32(t.sig)
				setSiginfo(t.tid, &si)
			}
		}
	}
	a := act.ResumeAction()
	if a == core.Stop {
		if t.resumeAfter == 0 {
			t.held = true
			return
		}
		a = t.resumeAfter
	}
	t.resumeAfter = 0
	s.resume(t, a)
}

func (s *Stopper) applyEntry(t *task, orig, ev *core.Event, act core.Action) {
	abort := act.SyscallAction() == core.SyscallAbort
	if !abort && ev.Syscall.Args == orig.Syscall.Args && ev.Syscall.Nr == orig.Syscall.Nr {
		return
	}
	what := "changing the system call"
	if abort {
		what = "aborting the system call"
	}
	var regs core.Registers
	if err := getRegs(t.tid, &regs); err != nil {
		s.notApplied(t, what, fmt.Errorf("reading its registers: %w", err))
		return
	}
	var err error
	switch {
	case abort && t.seccomp:
		// A call skipped at its seccomp stop returns what the return
		// register holds.
		ret := ev.Syscall.Ret
		err = skipSyscall(t.tid, &regs, &ret)
	case abort:
		// The return value is written at the exit stop, which the
		// abort makes sure of.
		ret := ev.Syscall.Ret
		t.abortRet = &ret
		err = skipSyscall(t.tid, &regs, nil)
	default:
		err = changeSyscall(t.tid, &regs, ev.Syscall.Nr, ev.Syscall.Args)
		if err == nil {
			t.lastNr, t.lastArgs = ev.Syscall.Nr, ev.Syscall.Args
		}
	}
	if err != nil {
		t.abortRet = nil
		s.notApplied(t, what, fmt.Errorf("writing its registers: %w", err))
		return
	}
	t.skipped = abort
}

func (s *Stopper) setReturn(t *task, ret int64) {
	var regs core.Registers
	if err := getRegs(t.tid, &regs); err != nil {
		s.notApplied(t, "setting the return value", fmt.Errorf("reading its registers: %w", err))
		return
	}
	setReturnRegister(&regs, ret)
	if err := setRegs(t.tid, &regs); err != nil {
		s.notApplied(t, "setting the return value", fmt.Errorf("writing its registers: %w", err))
	}
}

// resume restarts a stopped thread as the resume action says: Report and
// Interrupt first make the QUIESCE report they ask for, steps step.
func (s *Stopper) resume(t *task, a core.Action) error {
	switch a {
	case core.Report, core.Interrupt:
		s.report(t, core.Event{Type: core.EventQuiesce})
		return nil
	case core.SingleStep, core.BlockStep:
		t.step = a
	}
	return s.cont(t)
}

// cont restarts a stopped thread in the mode its needs call for, or
// detaches from it when nobody needs it stopped any more.
func (s *Stopper) cont(t *task) error {
	if t.reporting || t.running || t.gone {
		return nil
	}
	if t.wantStop && t.kind != stopGroup {
		// Asked to stop while it waited here: report that instead.
		t.wantStop = false
		s.report(t, core.Event{Type: core.EventQuiesce})
		return nil
	}
	if t.inject != 0 {
		unix.Tgkill(t.tgid, t.tid, unix.Signal(t.inject))
		t.inject = 0
	}
	sig := t.sig
	t.sig = 0
	if t.kind != stopSignal {
		sig = 0 // only a signal-delivery-stop delivers on restart
	}
	req := t.wantMode()
	switch {
	case !t.needed() || t.detach && !t.held:
		req = unix.PTRACE_DETACH
	case t.kind == stopGroup:
		req = ptraceListen
	case t.step == core.SingleStep:
		req = unix.PTRACE_SINGLESTEP
	case t.step == core.BlockStep:
		req = blockStep
	}
	t.stepping = req == unix.PTRACE_SINGLESTEP || req == blockStep
	if req != unix.PTRACE_SYSCALL {
		t.entered = false // the exit stop of this call, if any, is not seen
	}
	t.stepWith, t.step = t.step, 0
	err := restart(req, t.tid, sig)
	if err != nil {
		s.forget(t)
		return err
	}
	t.kind = stopNone
	if t.stopSince != 0 {
		s.metrics.ended(t.stopSince)
		t.stopSince = 0
	}
	if req == unix.PTRACE_DETACH {
		s.forget(t)
	} else {
		t.running, t.mode = true, req
	}
	return nil
}

// monotonicNow is CLOCK_MONOTONIC in nanoseconds, the clock of the BPF
// records' timestamps, without a system call: the runtime's monotonic
// reading (vDSO) since a base taken once.
func monotonicNow() uint64 {
	return monoBase + uint64(time.Since(monoStart))
}

// monoBase and monoStart are one instant on both clocks. The base is the
// middle of two readings around time.Now, from the closest pair of a few
// tries: a goroutine preempted between the readings (a loaded machine)
// would otherwise put every stamp early by the pause, before the BPF
// stamp of the event that preceded it, and the log engine matches
// synchronous entries with passive exits by those times.
var monoBase, monoStart = func() (uint64, time.Time) {
	var base uint64
	var start time.Time
	best := uint64(1<<63 - 1)
	for range 16 {
		var t1, t2 unix.Timespec
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &t1)
		now := time.Now()
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &t2)
		a, b := uint64(t1.Nano()), uint64(t2.Nano())
		if b-a < best {
			best, base, start = b-a, a+(b-a)/2, now
		}
		if best < 2000 {
			break
		}
	}
	return base, start
}()

// tgidOf and tracerOf read /proc/TID/status.
func tgidOf(tid int) int { return statusField(tid, "Tgid") }

func tracerOf(tid int) int { return statusField(tid, "TracerPid") }

// statusField is 0 when the thread is gone.
func statusField(tid int, name string) int {
	s, err := procfs.Process(tid).Status()
	if err != nil {
		return 0
	}
	n, _ := s.Int(name)
	return n
}

// ownChild reports whether t is a process this program started: its exit
// status is for the program's own wait, not the stopper's.
func ownChild(t *task) bool {
	return t.tgid == t.tid && statusField(t.tid, "PPid") == os.Getpid()
}
