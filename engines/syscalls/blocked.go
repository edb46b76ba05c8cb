package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

// Blocked calls.
//
// The log prints a call at its exit, from the record the kernel makes
// then, so a call that blocks would show nothing until it returns, where
// strace shows its entry at once: "read(0, " (and "read(0,  <unfinished
// ...>" once another line comes), then "<... read resumed>...) = 6" at its
// exit. The kernel side could report entries too, but that is a record
// more per call for every call that might block (read, write, poll,
// futex: most of a log) to learn about the few that do. Instead the
// engine looks at its threads' /proc/TID/syscall every sampleEvery: a
// thread no record came from since the last look, blocked in the same
// call at two looks in a row, has been in it for a while, and that call
// is shown unfinished. That costs nothing per call, and per look one read
// of a small /proc file for each quiet thread; a thread whose call is
// shown is not looked at again until the call's exit comes. A thread
// blocked when tracing begins (attach -p) is shown at its first look, at
// once: nothing can be on its way about it.
//
// The entry line shows what strace's entry shows: the arguments up to the
// first the kernel fills in (sysent.FormatUnfinished), with the memory
// the inputs point at read while the thread is still in the call, which
// is checked after the read. Outputs are never read then: the exit's
// record brings them, and the resumed line prints them.

// sampleEvery is how often the engine looks at its quiet threads: a call
// blocked for one to two periods is shown unfinished.
const sampleEvery = 100 * time.Millisecond

// blockedCall is a call a look at /proc/TID/syscall found a thread in.
type blockedCall struct {
	nr     int
	args   [6]uint64
	sp, pc uint64
	at     uint64 // CLOCK_MONOTONIC ns before the look: the call's exit comes later
}

// same reports whether c and d are the same call as far as registers
// tell.
func (c *blockedCall) same(d *blockedCall) bool {
	return c.nr == d.nr && c.args == d.args && c.sp == d.sp && c.pc == d.pc
}

// watched is what the engine knows of one thread's calls between looks.
// Guarded by syscalls.mu.
type watched struct {
	tgid int
	busy bool // a record of the thread came since the last look
	// seen is the call the last look found the thread blocked in.
	seen   blockedCall
	seenOK bool
	// shown is the call printed unfinished, whose exit prints resumed.
	shown *blockedCall
	// restart is 1 + the last call to return ERESTART_RESTARTBLOCK: the
	// one a blocked restart_syscall resumes (0: none seen).
	restart int
}

// watch starts looking at thread tid of process tgid.
func (s *syscalls) watch(tid, tgid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threads[tid] = &watched{tgid: tgid, busy: true}
	if !s.sampling && !s.closed {
		s.sampling = true
		go s.sampleLoop()
	}
}

// Attach implements pipeline.Stage: a thread that tracing finds blocked
// in a call is shown in it at once, as strace shows one it attaches to.
func (s *syscalls) Attach(tr *core.Tracer, tid int, follow bool) error {
	if err := s.Base.Attach(tr, tid, follow); err != nil {
		return err
	}
	s.mu.Lock()
	w := s.threads[tid]
	if w != nil {
		w.busy = false
	}
	s.mu.Unlock()
	if w != nil {
		s.look(tid, true)
	}
	return nil
}

// sampleLoop looks at the quiet threads every sampleEvery, until none is
// left or the log ended.
func (s *syscalls) sampleLoop() {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	var quiet []int
	for range t.C {
		s.mu.Lock()
		if len(s.threads) == 0 || s.closed {
			s.sampling = false
			s.mu.Unlock()
			return
		}
		quiet = quiet[:0]
		for tid, w := range s.threads {
			switch {
			case w.shown != nil || s.launching[tid]:
			case w.busy:
				w.busy, w.seenOK = false, false
			default:
				quiet = append(quiet, tid)
			}
		}
		s.mu.Unlock()
		for _, tid := range quiet {
			s.look(tid, false)
		}
	}
}

// look reads the call thread tid is blocked in and shows it unfinished
// when it is the one the last look saw too, or at once.
func (s *syscalls) look(tid int, atOnce bool) {
	s.mu.Lock()
	w := s.threads[tid]
	if w == nil {
		s.mu.Unlock()
		return
	}
	tgid := w.tgid
	s.mu.Unlock()
	c, ok := currentCall(tgid, tid)

	s.mu.Lock()
	defer s.mu.Unlock()
	if w != s.threads[tid] || w.busy || w.shown != nil || s.closed || s.launching[tid] {
		// A record came meanwhile (the thread is not blocked), or the
		// thread still runs the launcher, whose calls are not logged.
		return
	}
	again := ok && w.seenOK && w.seen.same(&c)
	w.seen, w.seenOK = c, ok
	if !ok || !again && !atOnce || !s.showsUnfinished(c.nr) {
		return
	}
	// Held while the line is made and written: the exit, whose report
	// takes the lock, prints its resumed line after this one.
	pm := s.limited(procMem(tid)).(shownProcMem)
	pm.resumes = w.restart
	var mem sysent.Mem = pm
	if !s.selected(tgid, c.nr, mem, &c.args, 0, false) {
		return
	}
	ev := &core.Event{Type: core.EventSyscallEntry, Time: c.at, Tid: tid, Tgid: tgid}
	r := s.record(ev)
	s.entryView(r, c.nr, &c.args, mem, pipeline.StrField("unfinished", "blocked"), sysent.FormatUnfinished)
	// The inputs were read while the thread was in the call only if it
	// still is.
	if now, ok := currentCall(tgid, tid); !ok || !now.same(&c) {
		return
	}
	s.Out.Emit(r)
	w.shown = &c
}

// showsUnfinished reports whether a blocked call nr gets an unfinished
// line: not with strace -z or -Z, which print a call only once its result
// says it is wanted, nor for the calls that never return.
func (s *syscalls) showsUnfinished(nr int) bool {
	return !s.failed && !s.successful && !noReturn(nr) && (s.set == nil || s.set.Has(nr))
}

// resumes reports whether the exit of call nr at time t of thread tid,
// which returned ret, is that of the call shown unfinished, which it
// forgets; it notes that a record of the thread came.
func (s *syscalls) resumes(tid, nr int, ret int64, t uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.threads[tid]
	if w == nil {
		return false
	}
	w.busy = true
	if ret == -errRestartBlock && nr >= 0 {
		w.restart = nr + 1
	}
	c := w.shown
	if c == nil || t < c.at {
		// No call shown, or the record is of an earlier call.
		return false
	}
	w.shown = nil
	return c.nr == nr
}

// errRestartBlock is the kernel's ERESTART_RESTARTBLOCK: the call is
// resumed by restart_syscall.
const errRestartBlock = 516

// currentCall returns the call thread tid of process tgid is blocked in,
// from its syscall file, with the time before the look; false for a thread
// that runs, or is stopped outside a system call.
func currentCall(tgid, tid int) (blockedCall, bool) {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	sc, err := procfs.Thread(tgid, tid).Syscall()
	if err != nil || sc.Running || sc.Nr < 0 {
		return blockedCall{}, false
	}
	return blockedCall{nr: sc.Nr, args: sc.Args, sp: sc.SP, pc: sc.PC, at: uint64(ts.Nano())}, true
}
