package stopper

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

// Stopper is the synchronous backend: core.Stopper over ptrace.
//
// Linux ties a tracee to the OS thread that attached to it, so every ptrace
// call runs on one goroutine locked to its OS thread (the ptrace thread);
// the exported methods hand work to it and wait. Reports are made on other
// goroutines, one per stop, so that the ptrace thread never waits for an
// engine: callbacks may call Examine, Control and the rest, which need the
// ptrace thread, without deadlock. A thread makes its next stop only after
// the previous report resumed it, so each thread's reports stay in order.
type Stopper struct {
	deliver  func(*core.Event) core.Action
	triggers core.TriggerSource // may be nil

	reqs chan request
	quit chan struct{}
	done chan struct{}
	once sync.Once

	// Owned by the ptrace thread.
	tasks map[int]*task
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
		reqs:  make(chan request),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		tasks: make(map[int]*task),
	}
}

// UseTriggers tells the stopper where the kernel's trigger stops come from
// (see core.Trigger); call it before Start.
func (s *Stopper) UseTriggers(src core.TriggerSource) { s.triggers = src }

// Start starts the ptrace thread. deliver is called for every synchronous
// event, normally core.Tracer.Deliver; its result decides what the thread
// does next.
func (s *Stopper) Start(deliver func(*core.Event) core.Action) {
	s.deliver = deliver
	started := make(chan struct{})
	go s.loop(started)
	<-started
}

// Close lets go of every thread, resuming those held stopped, and stops the
// ptrace thread.
func (s *Stopper) Close() error {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	return nil
}

// post runs fn on the ptrace thread without waiting for it.
func (s *Stopper) post(fn func()) {
	select {
	case s.reqs <- request{fn: func() error { fn(); return nil }}:
	case <-s.done:
	}
}

// do runs fn on the ptrace thread and returns its error.
func (s *Stopper) do(fn func() error) error {
	r := request{fn: fn, reply: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-s.done:
		return ErrClosed
	}
	return <-r.reply
}

func (s *Stopper) loop(started chan<- struct{}) {
	// Never unlocked: when this goroutine ends its OS thread exits, and the
	// kernel detaches every tracee still attached, resuming those in a
	// ptrace stop. That is what makes a dying tracer harmless.
	runtime.LockOSThread()
	defer close(s.done)
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, unix.SIGCHLD)
	defer signal.Stop(sigchld)
	// SIGCHLD coalesces and may go to any thread; the ticker makes sure a
	// stop is never left unnoticed for long.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	close(started)
	for {
		select {
		case r := <-s.reqs:
			err := r.fn()
			if r.reply != nil {
				r.reply <- err
			}
			s.poll()
		case <-sigchld:
			s.poll()
		case <-tick.C:
			s.poll()
		case <-s.quit:
			s.shutdown()
			return
		}
	}
}

// poll collects every pending stop of the threads the stopper traces.
// It waits per tid, never for any child: the program may have children of
// its own (os/exec) whose exit status is not ours to take.
//
// The leader's tid (the tgid) is polled too even when only other threads
// are traced: after a non-leader execve the exec stop is reported under the
// leader's tid, which the exec'ing thread has taken over.
func (s *Stopper) poll() {
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
	t.gone = true
	if s.tasks[t.tid] == t {
		delete(s.tasks, t.tid)
	}
}

func (s *Stopper) shutdown() {
	for _, t := range s.tasks {
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
func (s *Stopper) SetSync(tid int, events core.Events) error {
	return s.do(func() error {
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
	})
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
	if err := seize(t.tid); err != nil {
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
	t.own = ownChild(t.tid)
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

// Examine implements core.Stopper. The thread must be in a ptrace stop. As
// the seed's utrace_finish_examine does with the scheduler's switch count,
// it compares the thread's context-switch counts before and after fn: a
// thread that ran meanwhile (SIGKILL wakes even a stopped thread) makes the
// result ErrAgain, and what fn read must be discarded.
func (s *Stopper) Examine(tid int, fn func(core.Stopped) error) error {
	return s.do(func() error {
		t := s.tasks[tid]
		if t == nil || t.running || t.gone {
			return fmt.Errorf("examine %d: %w", tid, core.ErrAgain)
		}
		before := switches(tid)
		st := &stopped{tid: tid}
		defer st.close()
		err := fn(st)
		var regs unix.PtraceRegs
		if getRegs(tid, &regs) != nil || switches(tid) != before {
			return fmt.Errorf("examine %d: thread woke: %w", tid, core.ErrAgain)
		}
		return err
	})
}

// switches reads the thread's voluntary and involuntary context-switch
// counts from /proc/TID/status, as one string.
func switches(tid int) string {
	return statusField2(tid, "voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")
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
