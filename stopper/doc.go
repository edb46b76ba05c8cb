// Package stopper is the synchronous tier of utrace-bpf: the only ptracer.
// It implements core.Stopper, holding a thread in a ptrace stop while every
// engine's callback runs, so that their actions take effect exactly:
// aborting a system call or changing its arguments or return value,
// ignoring, rewriting, holding or injecting a signal, keeping the thread
// stopped, single-stepping.
//
// A thread is seized (PTRACE_SEIZE) only while some engine needs it
// synchronously (core calls SetSync or Stop) and let go of (PTRACE_DETACH)
// as soon as none does, so a thread watched only passively runs without any
// ptrace cost and gdb or strace can attach to it.
//
// Stops are classified as ptrace(2) describes them: syscall-entry and -exit
// stops (PTRACE_O_TRACESYSGOOD, PTRACE_GET_SYSCALL_INFO), signal-delivery
// stops, group-stops (resumed with PTRACE_LISTEN), PTRACE_EVENT stops
// (clone, fork, vfork, exec, exit) and PTRACE_INTERRUPT stops. A stop an
// engine asked for with Control(Stop) is reported as a QUIESCE with event 0;
// the trap after a step likewise.
//
// The ptrace thread waits for stops in a blocking waitid and makes each
// report right there (core.Tracer.TryDeliver), as a C tracer's loop does,
// so that a stop and its report cost what a minimal ptrace loop costs; when
// the core cannot take the report at once (a passive report of the same
// thread is running), the report is made on a goroutine instead. For this
// the stopper changes two signal settings of the process (see wake.go): the
// Go runtime's SIGCHLD handler gets SA_NOCLDSTOP, so that tracee stops do not
// send the program a SIGCHLD each, and signal 62 (SIGRTMAX-2) loses
// SA_RESTART and serves as the ptrace thread's doorbell. It also raises
// GOMAXPROCS to 2 when it is 1.
//
// Differences from the seed, forced by ptrace:
//
//   - ptrace cannot change a signal's disposition. SignalTerm and SignalCore
//     are carried out by delivering a signal whose default action does it
//     (SIGTERM, SIGQUIT, SIGABRT or SIGSEGV, whichever the program does not
//     catch), SIGKILL when it catches them all; SignalStop and SignalTSTP by
//     SIGSTOP. An action that is the signal's own disposition's delivers the
//     signal itself, so that the program dies of what it would untraced.
//   - SignalHold suppresses the signal now and queues it again at once
//     (tgkill), so it is seen at the thread's next delivery, and survives
//     the tracer's death; at that delivery the stopper puts the original
//     siginfo back (PTRACE_SETSIGINFO), so the handler sees the original
//     sender, not the tracer's tgkill (only if the tracer died meanwhile
//     does it see the tgkill). With SignalStop as well, the thread stops
//     first (SIGSTOP in the signal's place) and takes the signal once
//     continued, detached or not.
//   - A signal rewritten to another keeps its siginfo but the number:
//     ptrace would make it the tracer's SI_USER.
//   - A program Launch starts reports nothing before its execve: its stops
//     until then are the launcher's (the handshake's system calls).
//   - A signal injected from a QUIESCE report (Interrupt, then
//     SignalDeliver with ev.Signal.Signo set) is sent with tgkill before the
//     thread resumes; ptrace ignores a signal given when restarting from a
//     non-signal stop.
//   - An exit code changed in a synchronous ReportExit is not applied.
//
// Any wait in the tracer's process sees its tracees' ptrace stops, so a
// program that also started the traced process must not wait for it while
// the stopper traces it; the stopper waits per thread id and leaves the exit
// of the program's own children to the program.
package stopper
