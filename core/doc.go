// Package core is the utrace engine model: many independent tracing engines
// attached to the same threads, each choosing its events and steering the
// thread, as the utrace kernel patch (2008) specified. It knows nothing of
// how events are produced; the eBPF source (package loader) and the ptrace
// stopper (package stopper) plug in through the Source and Stopper
// interfaces. An engine author needs only this package.
//
// # Engines and threads
//
// A tracing engine is any value (its "ops") that implements some of the
// Report* interfaces: QuiesceReporter, SignalReporter, CloneReporter,
// ExecReporter, SyscallEntryReporter, SyscallExitReporter, ExitReporter,
// DeathReporter, ReapReporter, JctlReporter. Tracer.Attach attaches it to one
// thread and returns an *Engine, the handle for everything else. Engines work
// on threads; an engine that wants a whole process attaches to each thread,
// usually from its ReportClone callback. Many engines can be attached to a
// thread, and they do not know about each other.
//
// An attached engine does nothing until Engine.SetEvents asks for events
// (EventSyscallEntry, EventSignalAll, ...). Each event bit needs its
// reporter; SetEvents refuses a bit whose interface ops lacks.
//
// # Reports and actions
//
// When an event happens, every engine that asked for it gets its callback,
// in attach order, one event at a time per thread. A callback receives the
// action chosen so far by the engines before it and returns the action it
// wants; an Action combines a resume action (Stop, Report, Interrupt,
// SingleStep, BlockStep, Resume, Detach) with, for signal reports, a signal
// action (SignalDeliver, SignalIgn, SignalTerm, SignalCore, SignalStop,
// SignalTSTP, and the SignalHold flag) or, for syscall-entry reports, a
// syscall action (SyscallRun, SyscallAbort). The encoding is the seed's.
// The *Event a callback receives is valid only during the callback: the
// backends reuse it for the thread's next event, so an engine that needs it
// later keeps a copy.
//
// The resume actions are ordered from most to least constrained, and the
// thread does the most constrained one any engine chose: one engine's Stop
// beats another's Resume. Stop is sticky: an engine that returned Stop keeps
// the thread stopped, across later reports, until that same engine returns
// something else or calls Control. Two engines holding a thread stopped must
// both let go before it runs. Detach only detaches the engine that returns
// it.
//
// Signal actions chain: each signal callback sees the signal action the
// previous engine returned, and may change it (and ev.Signal.Signo); the last
// one decides. For syscall entry the last engine's syscall action wins
// outright; SyscallAbort skips the call, and the caller sees ev.Syscall.Ret.
//
// # Three tiers
//
// Stopping a thread costs a ptrace round trip; seeing an event in the kernel
// costs almost nothing. So events are reported in the cheapest way that
// serves:
//
//   - In kernel only: SetSyscallFilter and SetCounting let the eBPF
//     programs filter and aggregate without sending events to user space
//     (Tracer.SyscallStats).
//   - Passive: by default an event is reported while the thread runs on.
//     The callback's action can take effect only as Resume or Detach at
//     once; Stop, Report, Interrupt or a step escalate: the thread is
//     stopped soon and a synchronous QUIESCE report follows, the seed's
//     "-EINPROGRESS, a report_quiesce comes soon".
//   - Synchronous: events the engine names in SetSync are reported with the
//     thread held in a ptrace stop while every engine's callback runs
//     (ev.Sync is set); the actions take effect exactly there. The stopper
//     lets go of the thread when no engine needs this any more, so a thread
//     watched only passively can still be debugged by gdb or strace.
//
// The tier is chosen per thread and event: when one engine needs an event
// synchronously, every engine on the thread gets it synchronously, and no
// engine gets an event twice.
//
// Synchronous reports are preceded by a ReportQuiesce, with the event's bit,
// to engines that set EventQuiesce; a stop with no event of its own (after
// Control(Stop), Report or a step) makes a ReportQuiesce with event 0, or,
// after Interrupt, a ReportSignal with SignalReport, in which an engine may
// inject a signal by returning SignalDeliver with ev.Signal.Signo set.
//
// # Control, SetEvents and Barrier from outside
//
// Engine.Control and Engine.SetEvents may be called at any time, from any
// goroutine, including callbacks. They never block on the thread. Their
// errors, the seed's, say exactly what will and will not happen next:
// ErrInProgress (the thread is running; the request takes effect at the next
// report, or a callback may be running now), ErrAlready (a DEATH or REAP
// report may already be running), ErrDetached (the engine is detached; every
// call on it returns this). Engine.Barrier waits until no callback to the
// engine is running, so after Control(Detach) and Barrier an engine can free
// what its callbacks use. Engine.Examine reads and writes the registers (the
// general ones, register sets such as the XSAVE area, the debug registers)
// and memory of a thread the engine holds stopped, and its siginfo; where a
// debugger engine put a breakpoint byte (Tracer.Shadow), every engine's
// Examine shows the program's own byte.
//
// # Teardown
//
// SIGKILL is never delayed: a thread held stopped still dies. EventDeath is
// reported when the thread has died, EventReap when it is reaped; REAP is
// always last and comes after DEATH has returned, and after REAP every
// engine is detached. A DEATH callback may detach; then no REAP comes.
//
// # Differences from the seed
//
// The seed runs callbacks on the traced thread in the kernel. Here they run
// in the tracer process: passive reports arrive after the fact; synchronous
// reports run while the thread sits in a ptrace stop, normally on the
// stopper's ptrace thread itself, one at a time for all threads (a stop costs
// no hand-off between OS threads that way). A synchronous callback that
// blocks therefore holds up the synchronous reports of every thread, not only
// its own; the seed already asks callbacks not to block but to return Stop
// and resume the thread later with Control, and that works here as there. Engines are garbage
// collected values, so the seed's reference counting (utrace_engine_get/put)
// has no counterpart: a detached *Engine stays valid and returns
// ErrDetached. Callbacks run in the tracer, so Barrier cannot recognize a
// call from the engine's own callback (the seed returns at once for
// current); do not do that. A tid taken over by a non-leader execve carries
// its engines along (Engine.Tid changes); the old leader's engines see REAP.
// If the kernel's record of a death was lost, a DEATH with exit code -1 is
// reported before REAP so the DEATH-before-REAP rule still holds.
package core
