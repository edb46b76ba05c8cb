// Package loader is utrace-bpf's passive event source: it loads the eBPF
// programs of ../bpf into the kernel, keeps each watched thread's utrace
// flags in a BPF task-storage map, and reads the ring buffer the programs
// write to, decoding each record into a core.Event.
//
// A Loader implements core.Source, core.Aggregator and core.TriggerSource:
//
//	l, err := loader.Load(nil)
//	...
//	t := core.NewTracer(core.Config{Source: l})
//	l.Start(func(ev *core.Event) { t.Deliver(ev) })
//
// # Flags and filtering in the kernel
//
// SetWatch (or SetFlags, which adds a comm filter) stores a thread's flags
// in BPF task storage: the union of its engines' passive event masks,
// whether its children inherit them (Follow), an optional syscall-number
// set, whether its syscalls are counted (Count), and its triggers. Every BPF program
// first looks up the flags of the thread its event is about; a thread
// without flags costs that one lookup and nothing else. The syscall
// programs, which run on every system call of every process, test a bitmap
// of tids first (two bits per tid, an over-approximation of the threads
// that have syscall events or counts), so that there an unwatched thread
// costs a bit test instead of a lookup. Children of a followed thread get
// the flags in sched_process_fork, before they first run, so their first
// system calls are seen.
//
// # Triggers: BPF-triggered stops
//
// A watch's Triggers (core.Trigger: a system call number, an optional path
// prefix, a comparison of the return value) are evaluated in the kernel,
// and a matching call stops the thread by itself, with no ptrace stop for
// the calls that do not match:
//
//   - When the call completes, the program on syscalls/sys_exit_NAME
//     compares it with the thread's triggers. Evaluating at exit loses
//     nothing: a stop can only take effect when the call returns to user
//     mode anyway, and at exit the return value is known. The path is the
//     one read at entry (by the program on syscalls/sys_enter_NAME, for
//     calls with a path argument, as for passive entry records), so it is
//     the string the kernel used, not whatever the memory holds by exit.
//   - On a match it stores a pending record in the thread's task storage
//     (everything a core.Event needs: number, the six argument registers,
//     return value, path, time) and sends the thread SIGSTOP with
//     bpf_send_signal_thread (si_code SI_KERNEL). The thread takes it
//     before it runs another user instruction: for a thread the stopper
//     has seized, a signal-delivery-stop; for one nobody ptraces, a
//     job-control stop of its process.
//   - The passive EventSyscallExit record of that call is left out (the
//     raw sys_exit program evaluates the same triggers on the same data);
//     the entry record, if the watch wants entries, is not.
//   - At the stop the stopper calls TakeTrigger, which reads and deletes
//     the pending record and returns the synchronous, triggered
//     EventSyscallExit. Its presence is how a SIGSTOP with SI_KERNEL is
//     known for a trigger's.
//
// The per-syscall tracepoints are attached only for the numbers some
// thread has a trigger on, and only while it has (TriggerHooks lists
// them); the sys_enter one only for calls with a path argument. A thread
// with triggers and no passive syscall events does not need the
// raw_syscalls programs at all. Children of a followed thread inherit its
// triggers at fork with the rest of its flags; the CLONE bookkeeping record
// names the inherited numbers, so that the hooks stay while they are
// needed.
//
// Limits: at most MaxTriggers (8) triggers per thread and path prefixes
// of at most MaxPathPrefix (64) bytes, compared in the kernel over the
// first 256 bytes of the path read at entry; a prefix only on calls that
// have a path argument (the first path of rename, link and the like; the
// same table as passive entry records); a path whose page was not resident
// at entry is read as empty and matches no prefix. Only calls whose
// per-syscall tracepoint exists in the running kernel can be triggered on;
// SetFlags refuses anything else with core.ErrInvalid. The syscall and comm
// filters of the flags do not apply to triggers. A call already in progress
// when its trigger's hooks are attached is evaluated without its path (or,
// if the thread had a trigger on the same call before, with the path of its
// previous call of that number). Changing a thread's flags while it is
// inside a call that matches may give both the passive exit record and the
// stop, or neither, for that call. The return value is the one the
// tracepoint sees, which for a call a signal interrupted and the kernel
// will restart is an internal code (-512..-516), as in passive exit
// records. The per-syscall tracepoints are found through tracefs; where
// it is mounted nowhere, the loader mounts it at /sys/kernel/tracing (as
// root) before it first attaches one, and leaves it mounted.
//
// Costs: any per-syscall tracepoint puts every task on the kernel's slow
// syscall path, where a per-number bitmap is checked before a program
// runs; calls that have no trigger pay that and nothing of ours (measured:
// 1M getppid with a trigger on openat, 1.36x bare, the same as empty
// programs on those tracepoints; see test/bench/RESULTS-triggers.md). Calls
// of a triggered-on number pay a task-storage lookup, and the thread that
// has the trigger the evaluation.
//
// # Where events come from
//
//	SYSCALL_ENTRY/EXIT  raw_syscalls sys_enter/sys_exit: the number, the six
//	                    argument registers and the stack pointer. With
//	                    Capture (see below) the records carry the memory
//	                    the arguments point at, and an exit record the
//	                    entry's arguments, time and memory as well. A
//	                    thread that dies in a call reports it unfinished
//	                    (Syscall.Unfinished) at its death.
//	CLONE               sched_process_fork, in the parent before the child
//	                    runs. Clone.Flags is reconstructed from what the
//	                    child shares with the parent (CLONE_THREAD, _VM, _FS,
//	                    _FILES, _SIGHAND, and the exit signal; CLONE_VFORK
//	                    and the others leave no trace there).
//	EXEC                sched_process_exec; Exec.OldTid is the thread's tid
//	                    before a non-leader exec took over the leader's.
//	EXIT                sched_process_exit, immediately before DEATH, with
//	                    the same code: every way of exiting is covered
//	                    (exit, exit_group, a fatal signal, a sibling's exec)
//	                    without hooking syscalls. Exit.Code is the wait
//	                    status, as in DEATH.
//	DEATH               sched_process_exit: exit code and group_dead. Where
//	                    the tracepoint does not pass group_dead (6.12 and
//	                    before) it is derived in the kernel: the first
//	                    thread to exit after the process's live count
//	                    reached zero claims it, so exactly one thread of a
//	                    process reports it, after every thread began to
//	                    exit (not always the one the kernel chose).
//	REAP                sched_process_free. For the old leader of a process
//	                    in which a non-leader exec'd, the kernel has already
//	                    swapped the tids, so REAP names the exec'ing
//	                    thread's old tid.
//	SIGNAL*             signal_deliver, classified as utrace does: a handler
//	                    gives SIGNAL, SIG_IGN gives SIGNAL_IGN, SIG_DFL the
//	                    default action (CORE for QUIT ILL TRAP ABRT BUS FPE
//	                    SEGV XCPU XFSZ SYS; IGN for CHLD URG WINCH CONT;
//	                    STOP for STOP TSTP TTIN TTOU; TERM otherwise). As in
//	                    utrace, SIGKILL (and the implicit SIGKILL that
//	                    exit_group, exec or a fatal signal deal to the other
//	                    threads) is not reported. A fatal signal the process
//	                    does not handle is turned into a group SIGKILL by
//	                    the kernel when it is sent and never delivered
//	                    itself; it is reported as itself (SIGNAL_TERM with
//	                    its number, code and sender), once, by the thread it
//	                    was sent to. A signal the thread ignores (SIG_IGN,
//	                    or a default action of ignoring, as SIGCHLD's) is
//	                    discarded by the kernel when sent and never
//	                    delivered: signal_generate reports it there, as
//	                    SIGNAL_IGN with Signal.Discarded (utrace, too, kept
//	                    ignored signals for engines that wanted them).
//	                    Signal.Info is the kernel's siginfo.
//	JCTL                sched_switch: a watched thread that switches out in
//	                    TASK_STOPPED (a job-control stop, not a ptrace stop)
//	                    reports CLD_STOPPED; when SIGCONT makes it run again
//	                    it reports CLD_CONTINUED. Every thread of a stopped
//	                    process reports. Jctl.Notify is exact for a single
//	                    thread and a best guess when several threads stop at
//	                    once.
//	QUIESCE             none: it is synchronous only, and ignored here.
//
// # Captured memory
//
// A passive tracer cannot read a thread's memory after the fact and call
// it the call's argument: the thread has moved on. With Flags.Capture the
// programs copy, when the kernel uses it, the memory the call's arguments
// point at, as package core/sysabi says for each call (its Captures, which
// the loader writes into the "cap_specs" map at load: the programs have no
// table of their own): inputs at the call's entry (paths whole, strings
// and buffers up to Options.StringLimit, structures, argv, a count of
// envp), outputs at its exit when it succeeded (read's data, stat's
// struct, pipe's fds, wait4's status, sockaddrs). What is unreadable at
// entry (a page not yet faulted in: BPF cannot fault) is copied again at
// exit, when the kernel has faulted it in; what stays unreadable is marked
// so (core.RegionFault), and a decoder prints its address, as strace
// prints unreadable pointers. Records are variable in size, put together
// in a per-CPU buffer and copied into the ring buffer with their real
// size. The cost is paid only for threads whose flags have Capture.
//
// # Cost
//
// The programs on sys_enter and sys_exit run for every system call of every
// process, and the one on sched_switch for every context switch. The loader
// attaches them only while some thread's flags need them (syscall events or
// Count; JCTL), as it does the per-syscall tracepoints of triggers,
// including for threads that inherited flags in the kernel, and detaches
// them after: the kernel tells it through bookkeeping records for
// CLONE, EXEC and REAP that are not delivered to engines. The other programs
// run on rare events and stay attached. Measured costs are in
// test/bench/RESULTS-passive.md (go run ./test/bench -only passive).
//
// Syscall records wake the reader only once Options.WakeupBytes are pending;
// the reader also polls every Options.PollInterval while the syscall
// programs are attached, so records never wait longer than that. Other
// records wake it at once; with no syscall programs attached the reader
// looks only once a second on its own. Records are decoded
// without reflection into one reused core.Event, and delivered from a
// single goroutine, so the events of a thread arrive in order.
//
// # Losses
//
// A record that finds the ring buffer full is lost and counted, per event
// type, in a per-CPU array; Stats reports delivered and lost records per
// type. Nothing is lost silently.
//
// # Counting
//
// With Count, every system call of the thread is aggregated in the kernel,
// with no record: sys_enter notes the entry time and sys_exit adds the
// call, its error and its duration to the thread's counts, indexed by
// syscall number, in a second task-storage map (exit and exit_group,
// which never return, are counted at entry). The syscall-number filter and
// the comm filter apply to records, not to counting. SyscallStats reads the
// counts. Counting starts from zero each time it is turned on; turning it
// off keeps what was counted. When the thread exits its counts are copied
// to a hash map, where they stay readable until the thread is reaped and
// its REAP event delivered.
//
// With Histograms too, sys_exit also adds the call's duration to a log2
// histogram of its syscall number (SyscallHistogram), in an array map that
// every thread counting with histograms shares: the histograms are the
// loader's, not a thread's, and never reset (callers take differences).
// It costs an atomic add per call; counting without histograms pays one
// branch for it.
//
// Counts live in task storage rather than in a hash map keyed by tid
// because the hash lookup costs about 44 ns more per system call (measured:
// counting at 1.52x the empty-program floor instead of 1.36x); they move to
// a hash map only when the thread exits.
//
// # Kernels
//
// Loading needs root (CAP_BPF and CAP_PERFMON) and a kernel with BTF
// (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF), BTF tracepoints, the
// ring buffer and BPF task storage (5.11+); MinKernel (6.1) is the oldest
// the kernel matrix (test/kernels) proves. ProbeKernel says what the
// running kernel offers, from its BTF and the kernel's feature probes,
// never from the build the objects were compiled on: they are CO-RE, and
// where a tracepoint's prototype differs between kernels the object holds
// one program per prototype and Load picks the one the running kernel's
// BTF describes (programVariants). Where the kernel lacks something, a
// fallback serves:
//
//   - sched_process_exit without group_dead: derived (see DEATH above).
//   - No pidfds for threads (PIDFD_THREAD, before 6.9): user space has no
//     key for the task storage of a thread that is not a process leader,
//     so its flags, counts and pending triggers are read and written
//     through a task iterator program (utrace_store) that finds the
//     thread by tid in the kernel. It visits every task of the system:
//     about 65 µs an operation with a hundred threads running (measured
//     here; a pidfd's costs a few µs), growing with their number. Threads
//     that inherit their flags at fork need none.
//   - tracefs not mounted: mounted when first needed (see Triggers).
//
// The maps are created by Load with the programs that stay attached; the
// others (sys_enter and sys_exit, sched_switch, the trigger and mailbox
// programs) are verified and loaded the first time a watch needs them.
// The objects are generated by bpf2go and committed; see gen.go to
// regenerate them.
package loader
