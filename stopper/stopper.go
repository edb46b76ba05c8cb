package stopper

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// Stopper is the synchronous backend: core.Stopper over ptrace.
//
// Linux ties a tracee to the OS thread that attached to it, so every ptrace
// call runs on one goroutine locked to its OS thread (the ptrace thread).
// It waits for stops in a blocking waitid, as a C tracer does (see wake.go),
// and makes each report right there: a synchronous callback runs on the
// ptrace thread, so a stop costs no hand-off between threads. Stopper
// methods called from such a callback run at once; called from other
// goroutines they hand their work to the ptrace thread and wait.
//
// When a thread's reports are busy on another goroutine (a passive report
// of the same thread, whose callback may itself be waiting for the ptrace
// thread), the report is made on a goroutine of its own instead, and its
// action comes back to the ptrace thread afterwards. A thread makes its next
// stop only after the previous report resumed it, so each thread's reports
// stay in order either way.
type Stopper struct {
	rep      Reporter
	triggers core.TriggerSource // may be nil

	mu       sync.Mutex
	queue    []request   // work for the ptrace thread, guarded by mu
	closed   bool        // guarded by mu
	work     atomic.Bool // the queue may have work
	kick     chan struct{}
	waiting  atomic.Bool // the ptrace thread is (about to be) blocked in waitid
	sweepDue atomic.Bool // a SIGCHLD came: collect exits
	ptid     int         // the ptrace thread's tid
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once

	// Owned by the ptrace thread.
	tasks   map[int]*task
	pending []*task // tasks with a report to make, in order
	early   map[int]unix.WaitStatus
	stops   int // stops collected, for the periodic sweep

	metrics stopMetrics              // see Stats
	onError func(tid int, err error) // see OnError
}

// Reporter receives the synchronous events: core.Tracer.
type Reporter interface {
	Deliver(*core.Event) core.Action
	TryDeliver(*core.Event) (core.Action, bool)
}

type request struct {
	fn    func() error
	reply chan error
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("stopper closed")

// New returns a stopper; Start makes it work.
func New() *Stopper {
	return &Stopper{
		kick:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		tasks: make(map[int]*task),
		early: make(map[int]unix.WaitStatus),
	}
}

// UseTriggers tells the stopper where the kernel's trigger stops come from
// (see core.Trigger); call it before Start.
func (s *Stopper) UseTriggers(src core.TriggerSource) { s.triggers = src }

// Start starts the ptrace thread. Every synchronous event is reported to
// rep, normally the core.Tracer; the action it returns decides what the
// thread does next.
func (s *Stopper) Start(rep Reporter) {
	s.rep = rep
	if runtime.GOMAXPROCS(0) < 2 {
		// The ptrace thread spends its life in blocking waitid calls.
		// With a single P (a program pinned to one CPU), the runtime's
		// monitor hands that P to other goroutines during each wait and
		// the thread must get it back at every stop; with a second P
		// there is always one idle when a stop comes.
		runtime.GOMAXPROCS(2)
	}
	started := make(chan struct{})
	go s.loop(started)
	<-started
}

// Close lets go of every thread, resuming those held stopped, and stops the
// ptrace thread.
func (s *Stopper) Close() error {
	s.once.Do(func() {
		close(s.quit)
		s.ring()
	})
	<-s.done
	return nil
}

// post runs fn on the ptrace thread without waiting for it.
func (s *Stopper) post(fn func()) {
	s.enqueue(request{fn: func() error { fn(); return nil }})
}

// do runs fn on the ptrace thread and returns its error. Called on the
// ptrace thread (from a synchronous callback), it runs fn at once.
func (s *Stopper) do(fn func() error) error {
	if s.onThread() {
		return fn()
	}
	r := request{fn: fn, reply: make(chan error, 1)}
	if !s.enqueue(r) {
		return ErrClosed
	}
	return <-r.reply
}

// onThread reports whether the caller runs on the ptrace thread: a
// synchronous callback. The goroutine is locked to it, so no other runs
// there.
func (s *Stopper) onThread() bool { return unix.Gettid() == s.ptid }

func (s *Stopper) enqueue(r request) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	s.work.Store(true)
	s.ring()
	return true
}

// ring wakes the ptrace thread: from its select, or from waitid.
func (s *Stopper) ring() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
	if s.waiting.Load() {
		unix.Tgkill(os.Getpid(), s.ptid, doorbell)
	}
}

func (s *Stopper) queued() bool { return s.work.Load() }

// runQueue runs the work other goroutines handed in.
func (s *Stopper) runQueue() {
	if !s.work.Swap(false) {
		return
	}
	s.mu.Lock()
	q := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, r := range q {
		err := r.fn()
		if r.reply != nil {
			r.reply <- err
		}
		s.drain()
	}
}

func (s *Stopper) loop(started chan<- struct{}) {
	// Never unlocked: when this goroutine ends its OS thread exits, and the
	// kernel detaches every tracee still attached, resuming those in a
	// ptrace stop. That is what makes a dying tracer harmless.
	runtime.LockOSThread()
	defer close(s.done)
	s.ptid = unix.Gettid()
	blocking := setupSignals()
	go s.bell(blocking)
	close(started)
	for {
		s.runQueue()
		if s.sweepDue.Swap(false) {
			s.sweep()
		}
		select {
		case <-s.quit:
			s.shutdown()
			return
		default:
		}
		if blocking && len(s.tasks) > 0 && s.wait() {
			continue
		}
		select {
		case <-s.kick:
		case <-s.quit:
		}
	}
}

// bell wakes the ptrace thread when it has something to collect: exits
// (SIGCHLD), and, when it cannot block in waitid, stops (every 10 ms). It
// also rings again for work that came just before the ptrace thread
// entered waitid, whose doorbell was then handled too early to interrupt
// it.
func (s *Stopper) bell(blocking bool) {
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, unix.SIGCHLD)
	defer signal.Stop(sigchld)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-sigchld:
			s.sweepDue.Store(true)
			s.ring()
		case <-tick.C:
			if !blocking || !doorbellOK() {
				s.sweepDue.Store(true)
				s.ring()
			} else if s.waiting.Load() && (s.sweepDue.Load() || s.queued()) {
				s.ring()
			}
		case <-s.done:
			return
		}
	}
}

// wait blocks until a tracee stops or the doorbell rings, and handles the
// stop. It reports false when there is nothing to wait for.
func (s *Stopper) wait() bool {
	s.waiting.Store(true)
	if s.queued() || s.sweepDue.Load() {
		s.waiting.Store(false)
		return true
	}
	pid, ws, err := waitStop()
	s.waiting.Store(false)
	switch err {
	case nil:
	case unix.EINTR:
		return true
	default:
		// ECHILD: what the stopper thinks it traces is gone; the sweep
		// finds out which.
		s.sweep()
		return false
	}
	s.collect(pid, ws)
	s.drain()
	if s.stops++; s.stops%256 == 0 {
		// waitid returns the first stopped tracee in attach order: now
		// and then collect every pending stop, so that a busy thread
		// cannot keep the others waiting.
		s.sweep()
	}
	return true
}

// collect handles a stop of pid that waitStop collected.
func (s *Stopper) collect(pid int, ws unix.WaitStatus) {
	t := s.tasks[pid]
	if t == nil {
		for _, o := range s.tasks {
			if o.tgid == pid {
				// The leader's tid after a non-leader execve: the exec
				// stop of the thread that took it over.
				t = &task{tid: pid, tgid: pid, seized: true}
				s.tasks[pid] = t
				break
			}
		}
	}
	if t == nil {
		// A new child whose first stop came before its parent's
		// clone event stop: it is handled once that registers it.
		s.early[pid] = ws
		return
	}
	s.stopped(t, ws)
}

// drain makes the reports that stops and requests asked for. Each is made
// on this thread when the core can take it at once (see Reporter.TryDeliver),
// else on a goroutine of its own.
func (s *Stopper) drain() {
	for i := 0; i < len(s.pending); i++ {
		t := s.pending[i]
		s.pending[i] = nil
		s.deliver(t)
	}
	s.pending = s.pending[:0]
}

// sweep collects every pending stop and exit of the threads the stopper
// traces.
// It waits per tid, never for any child: the program may have children of
// its own (os/exec) whose exit status is not ours to take.
//
// The leader's tid (the tgid) is polled too even when only other threads
// are traced: after a non-leader execve the exec stop is reported under the
// leader's tid, which the exec'ing thread has taken over.
func (s *Stopper) sweep() {
	defer s.drain()
	for again := true; again; {
		again = false
		tids := make(map[int]bool, len(s.tasks))
		for tid, t := range s.tasks {
			if t.seized {
				tids[tid] = true
				if _, ok := tids[t.tgid]; !ok && t.tgid != 0 {
					tids[t.tgid] = false
				}
			}
		}
		for tid, known := range tids {
			// Peek first at a process we are also the parent of (run,
			// tests): its exit belongs to whoever waits for it as a
			// parent. Other threads are waited for directly.
			what, err := peekStop, error(nil)
			if t := s.tasks[tid]; t == nil || t.own {
				what, err = peek(tid)
			}
			if err == unix.EINTR {
				again = true
				continue
			}
			t := s.tasks[tid]
			if err != nil {
				// ECHILD: no longer ours (detached or gone).
				if known && t != nil {
					s.forget(t)
				}
				continue
			}
			if what == peekNothing {
				continue
			}
			if what == peekExit && t != nil && t.own {
				s.forget(t)
				continue
			}
			var ws unix.WaitStatus
			pid, err := unix.Wait4(tid, &ws, unix.WNOHANG|unix.WALL, nil)
			if err != nil || pid != tid {
				continue
			}
			if t == nil {
				t = &task{tid: tid, tgid: tid, seized: true}
				s.tasks[tid] = t
			}
			s.stopped(t, ws)
			again = true
		}
	}
}

func (s *Stopper) forget(t *task) {
	t.closeMem()
	t.gone = true
	if s.tasks[t.tid] == t {
		delete(s.tasks, t.tid)
	}
}

func (s *Stopper) shutdown() {
	s.mu.Lock()
	s.closed = true
	q := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, r := range q {
		if r.reply != nil {
			r.reply <- ErrClosed
		}
	}
	for _, t := range s.tasks {
		t.closeMem()
		if t.seized && !t.running {
			restartOrDetach(unix.PTRACE_DETACH, t.tid, t.sig)
		}
	}
	s.tasks = nil
}

func restartOrDetach(req, tid, sig int) error {
	if sig < 0 {
		sig = 0
	}
	return restart(req, tid, sig)
}

// SetSync implements core.Stopper. A thread with synchronous events is
// seized; a thread without them, and not held, is let go of.
//
// Letting go (events 0) does not wait for the ptrace thread when called
// from another goroutine: there is nothing to report back, and a goroutine
// detaching an engine while a synchronous callback blocks on the ptrace
// thread (perhaps waiting for that very detach) must not wait for it.
func (s *Stopper) SetSync(tid int, events core.Events) error {
	set := func() error {
		t := s.tasks[tid]
		if t == nil {
			if events == 0 {
				return nil
			}
			t = s.newTask(tid)
		}
		t.sync = events
		if events != 0 {
			t.detach = false
			if err := s.seize(t); err != nil {
				return err
			}
			if t.running && t.mode != t.wantMode() {
				// The resume mode (PTRACE_CONT or PTRACE_SYSCALL) can only
				// change at a stop.
				return s.interrupt(t)
			}
			return nil
		}
		if t.needed() {
			return nil
		}
		return s.letGo(t)
	}
	if events == 0 && !s.onThread() {
		s.post(func() { set() })
		return nil
	}
	return s.do(set)
}

// Stop implements core.Stopper.
func (s *Stopper) Stop(tid int) error {
	return s.do(func() error {
		t := s.tasks[tid]
		if t == nil {
			t = s.newTask(tid)
		}
		if err := s.seize(t); err != nil {
			return err
		}
		if !t.running {
			// Stopped already. A report running or a hold tells the core;
			// a stop nobody reports yet (a new child waiting for its
			// parent's clone report to end) reports it instead of
			// resuming.
			if !t.reporting && !t.held {
				t.wantStop = true
			}
			return nil
		}
		t.wantStop = true
		t.detach = false
		return s.interrupt(t)
	})
}

// Resume implements core.Stopper.
func (s *Stopper) Resume(tid int, action core.Action) error {
	return s.do(func() error {
		t := s.tasks[tid]
		if t == nil {
			return fmt.Errorf("resume %d: %w", tid, core.ErrDetached)
		}
		if t.reporting {
			// The core counts the thread stopped as soon as its report
			// pass ends, a moment before the report's action reaches
			// this thread: let afterReport resume it.
			t.resumeAfter = action.ResumeAction()
			return nil
		}
		if !t.held {
			return nil
		}
		t.held = false
		return s.resume(t, action.ResumeAction())
	})
}

func (s *Stopper) newTask(tid int) *task {
	t := &task{tid: tid, tgid: tgidOf(tid), running: true}
	s.tasks[tid] = t
	return t
}

func (s *Stopper) seize(t *task) error {
	if t.seized {
		return nil
	}
	if err := seize(t.tid, t.seccomp); err != nil {
		delete(s.tasks, t.tid)
		if err == unix.EPERM {
			if tracer := tracerOf(t.tid); tracer != 0 {
				return fmt.Errorf("seize %d: already traced by process %d: %w", t.tid, tracer, err)
			}
		}
		return fmt.Errorf("seize %d: %w", t.tid, err)
	}
	// A seized thread runs on as after PTRACE_CONT.
	t.seized, t.running, t.mode = true, true, unix.PTRACE_CONT
	t.own = ownChild(t)
	return nil
}

func (s *Stopper) interrupt(t *task) error {
	if err := interrupt(t.tid); err != nil {
		return fmt.Errorf("interrupt %d: %w", t.tid, err)
	}
	return nil
}

// letGo detaches from a thread nobody needs stopped: at once when it is in
// a stop, else at the stop an interrupt brings.
func (s *Stopper) letGo(t *task) error {
	if !t.seized {
		s.forget(t)
		return nil
	}
	t.detach = true
	if t.running {
		return s.interrupt(t)
	}
	if t.reporting {
		return nil // afterReport resumes it, and detaches then
	}
	return s.cont(t)
}

// Examine implements core.Stopper. The thread must be in a ptrace stop. The
// seed's utrace_finish_examine compares the scheduler's switch count before
// and after; here the ptrace state says the same at a fraction of the cost
// (no /proc reads, which cost more than the rest of a stop). Only SIGKILL
// takes a thread out of a ptrace stop the stopper has not restarted, and a
// killed thread never runs its program's code again: what fn read is the
// state at the stop either way. A kill that has become a new stop (its
// exit event) or the exit itself waits to be collected, which only this
// thread does and peek sees; then the result is ErrAgain, as for a thread
// not stopped at all, and what fn read must be discarded. (A second
// PTRACE_GETREGS to see whether the thread still sits in its stop would
// cost the stepper, which examines every instruction, a tenth of a step.)
func (s *Stopper) Examine(tid int, fn func(core.Stopped) error) error {
	return s.do(func() error {
		t := s.tasks[tid]
		if t == nil || t.running || t.gone {
			return fmt.Errorf("examine %d: %w", tid, core.ErrAgain)
		}
		err := fn(&stopped{tid: tid, t: t})
		if what, perr := peek(tid); perr != nil || what != peekNothing {
			return fmt.Errorf("examine %d: thread woke: %w", tid, core.ErrAgain)
		}
		return err
	})
}

// Threads returns the tids the stopper has seized, for status displays.
func (s *Stopper) Threads() []int {
	var tids []int
	s.do(func() error {
		for tid, t := range s.tasks {
			if t.seized {
				tids = append(tids, tid)
			}
		}
		return nil
	})
	return tids
}
