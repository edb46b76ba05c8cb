package core_test

import (
	"fmt"
	"os"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// execLogger is an engine: it implements only the reporters it needs.
type execLogger struct{}

func (execLogger) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	fmt.Printf("thread %d exec %s\n", ev.Tid, ev.Exec.Filename)
	return core.Resume
}

func (execLogger) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	fmt.Printf("thread %d died, status %#x\n", ev.Tid, ev.Exit.Code)
	return core.Detach
}

// An engine attaches to a thread, asks for events, and gets a callback for
// each. Here the events are delivered by hand; in the program the eBPF
// source and the ptrace stopper deliver them.
func Example() {
	// No backends: the events come from Deliver below, and the lookup
	// pretends thread 42 exists.
	tr := core.NewTracer(core.Config{Lookup: func(tid int) (core.ThreadInfo, error) {
		return core.ThreadInfo{Tgid: tid}, nil
	}})
	tid := 42
	e, err := tr.Attach(tid, core.AttachCreate, execLogger{}, nil)
	if err != nil {
		panic(err)
	}
	if err := e.SetEvents(core.EventExec | core.EventDeath); err != nil {
		panic(err)
	}
	tr.Deliver(&core.Event{Type: core.EventExec, Tid: tid, Exec: core.Exec{Filename: "/bin/true"}})
	tr.Deliver(&core.Event{Type: core.EventDeath, Tid: tid, Exit: core.Exit{Code: 0x100}})
	fmt.Println(e.Control(core.Resume) == core.ErrDetached)
	// Output:
	// thread 42 exec /bin/true
	// thread 42 died, status 0x100
	// true
}

// ignoreUSR1 turns SIGUSR1 deliveries into no-ops; rewriteTerm turns a
// terminating SIGTERM into a SIGUSR1 delivery.
type ignoreUSR1 struct{}

func (ignoreUSR1) ReportSignal(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if ev.Signal.Signo == 10 {
		return core.Resume | core.SignalIgn
	}
	return core.Resume | action.SignalAction() // leave it as the engines before us chose
}

type rewriteTerm struct{}

func (rewriteTerm) ReportSignal(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if ev.Signal.Signo == 15 {
		ev.Signal.Signo = 10
		return core.Resume | core.SignalDeliver
	}
	return core.Resume | action.SignalAction()
}

// Engines on one thread see each other's choices: the signal action passes
// from engine to engine in attach order, and the thread does what the last
// one chose. (The change takes effect for synchronous reports; see SetSync.)
func ExampleSignalReporter() {
	tr := core.NewTracer(core.Config{})
	tid := os.Getpid()
	for _, ops := range []any{ignoreUSR1{}, rewriteTerm{}} {
		e, _ := tr.Attach(tid, core.AttachCreate, ops, nil)
		e.SetEvents(core.EventSignalAll)
	}
	usr1 := &core.Event{Type: core.EventSignal, Tid: tid, Signal: core.Signal{Signo: 10}}
	term := &core.Event{Type: core.EventSignalTerm, Tid: tid, Signal: core.Signal{Signo: 15}}
	fmt.Println(tr.Deliver(usr1))
	fmt.Println(tr.Deliver(term), term.Signal.Signo)
	// Output:
	// resume|signal_ign
	// resume 10
}

// Event masks are written as names in configs.
func ExampleParseEvents() {
	mask, err := core.ParseEvents("syscall, signal_term|exec")
	fmt.Println(mask, err)
	// Output: exec|syscall_entry|syscall_exit|signal_term <nil>
}

// Control and SetEvents report with the seed's errors, which match errnos.
func ExampleEngine_Control() {
	tr := core.NewTracer(core.Config{})
	e, _ := tr.Attach(os.Getpid(), core.AttachCreate, execLogger{}, nil)
	fmt.Println(e.Control(core.Detach))
	err := e.Control(core.Resume)
	fmt.Println(err == core.ErrDetached, err)
	// Output:
	// <nil>
	// true engine detached or thread gone
}
