/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * helpers.h: what the programs of utrace.bpf.c share: the flags lookup and
 * filters, record reservation with loss counting, and the classifications
 * (signal disposition, path arguments, clone flags).
 */
#ifndef UTRACE_HELPERS_H
#define UTRACE_HELPERS_H

#include "maps.h"

/*
 * Ring-buffer wake-ups for syscall records are batched: the reader is woken
 * only once more than wakeup_bytes are pending, and otherwise finds the
 * records when it polls (package loader reads with a deadline). Other
 * records are rare and use the kernel's default (wake the reader when it has
 * caught up). Set at load time.
 */
const volatile __u64 wakeup_bytes = 64 << 10;

/*
 * QUERY_EVERY bounds the bytes of syscall records a CPU submits between
 * two looks at how full the ring is: a look is a helper call, which costs
 * as much as an empty program on some machines, and a wake-up that comes
 * a few records late costs nothing.
 */
#define QUERY_EVERY 4096

/*
 * Pointer fields. A pointer loaded straight from a trusted BTF pointer
 * (task->signal in a tp_btf program) costs the verifier a search of the
 * kernel's BTF by name, on every path it explores through the load
 * (btf_nested_type_is_trusted, a linear scan in 6.18): eight such loads
 * made utrace_fork take 0.45 s to load. Pointers that are only compared,
 * or whose fields are read once, are read with BPF_CORE_READ instead; a
 * direct load is kept only where a helper needs the trusted pointer
 * (bpf_task_storage_get on group_leader).
 */

/* Kernel constants that are macros, and so not in vmlinux.h. */
#define SIG_DFL 0
#define SIG_IGN 1

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGWINCH 28
#define SIGSYS 31

#define SI_USER 0
#define SI_QUEUE (-1)
#define SI_MESGQ (-3)
#define SI_TKILL (-6)
#define SI_KERNEL 0x80

#define CLD_STOPPED 5
#define CLD_CONTINUED 6

#define CSIGNAL 0x000000ff
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_THREAD 0x00010000

#define __TASK_STOPPED 0x00000004

/* signal_struct.flags */
#define SIGNAL_STOP_STOPPED 0x00000001
#define SIGNAL_STOP_CONTINUED 0x00000002
#define SIGNAL_GROUP_EXIT 0x00000004
#define SIGNAL_CLD_CONTINUED 0x00000020

/* task_struct.jobctl bits (include/linux/sched/jobctl.h; JOBCTL_STOPPED since 5.19) */
#define JOBCTL_TRAP_STOP (1UL << 19) /* a ptracer's trap is due (set by an attach) */
#define JOBCTL_STOPPED (1UL << 26)   /* in a group stop */

#define ENOENT 2
#define ENOMEM 12
#define EINVAL 22

/*
 * The system calls the programs single out, by number. The numbers are the
 * architecture's (exit is 60 on x86-64, 93 on arm64), so package loader
 * sets them at load time from core/sysabi, their one table (-1 until it
 * does).
 */
const volatile __s32 nr_exit = -1;
const volatile __s32 nr_exit_group = -1;
const volatile __s32 nr_restart_syscall = -1;
const volatile __s32 nr_execveat = -1;

#define ERESTART_RESTARTBLOCK 516

/*
 * kernel_ptr_ok reports whether p, a pointer a tracepoint passed, may be
 * read with bpf_probe_read_kernel: not NULL, not one of the small values
 * the kernel passes for "no siginfo" (SEND_SIG_PRIV is 1), not an
 * ERR_PTR (the last MAX_ERRNO addresses).
 */
#define MAX_ERRNO 4095
static __always_inline bool kernel_ptr_ok(const void *p)
{
	unsigned long a = (unsigned long)p;

	barrier_var(a);
	return a >= 4096 && a < (unsigned long)-MAX_ERRNO;
}

/*
 * clamp returns v, or max if v is larger, in one register the verifier
 * can follow: written in C, the compiler may compare one copy of v and
 * pass on another, whose bounds the verifier then does not know.
 */
static __always_inline __u64 clamp(__u64 v, __u64 max)
{
	asm volatile("if %[v] <= %[max] goto +1\n\t"
		     "%[v] = %[max]"
		     : [v] "+r"(v)
		     : [max] "r"(max));
	return v;
}

/* task_flags_of returns t's flags, or NULL when t wants no events. */
static __always_inline struct task_flags *task_flags_of(struct task_struct *t)
{
	return bpf_task_storage_get(&flags, t, 0, 0);
}

/* task_stats_of returns t's syscall aggregates, or NULL when t does not count. */
static __always_inline struct task_stats *task_stats_of(struct task_struct *t)
{
	return bpf_task_storage_get(&tstats, t, 0, 0);
}

/* count adds one to a slot of the counters map. */
static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		(*c)++;
}

/*
 * comm_ok reports whether f's comm filter, if any, lets t's events through:
 * with OPT_COMM_FILTER, only while t->comm equals f->comm.
 */
static __always_inline bool comm_ok(struct task_flags *f, struct task_struct *t)
{
	__u64 comm[COMM_LEN / 8] = {};
	__u64 want[COMM_LEN / 8] = {};

	if (!(f->opts & OPT_COMM_FILTER))
		return true;
	bpf_probe_read_kernel(comm, sizeof(comm), t->comm);
	__builtin_memcpy(want, f->comm, sizeof(want));
	return comm[0] == want[0] && comm[1] == want[1];
}

/*
 * wants reports whether f asks for event ev and its comm filter passes.
 */
static __always_inline bool wants(struct task_flags *f, struct task_struct *t, __u32 ev)
{
	return (f->events & EVBIT(ev)) && comm_ok(f, t);
}

/* count_ok applies ts's counting filter to nr. */
static __always_inline bool count_ok(struct task_stats *ts, long nr)
{
	if (!ts->filtered)
		return true;
	if (nr < 0 || nr >= SYSCALL_MAX)
		return false;
	return ts->count_set[(nr >> 6) & 7] & (1ULL << (nr & 63));
}

/*
 * syscall_ok applies f's syscall-number filter to nr. A call a ptracer
 * skipped (nr -1: an engine aborted it at its synchronous entry) always
 * passes: its exit is how the engines that saw that entry learn the
 * result, whatever call it was.
 */
static __always_inline bool syscall_ok(struct task_flags *f, long nr)
{
	if (!(f->opts & OPT_SYSCALL_FILTER) || nr == -1)
		return true;
	if (nr < 0 || nr >= SYSCALL_MAX)
		return false;
	return f->syscalls[(nr >> 6) & 7] & (1ULL << (nr & 63));
}

/*
 * needs returns the REC_NEED_* and REC_COUNTED bits of a thread with flags
 * f and stats ts, either of which may be NULL.
 */
static __always_inline __u32 needs(struct task_flags *f, struct task_stats *ts)
{
	__u32 n = 0;

	if (f && (f->events & (EVBIT(EV_SYSCALL_ENTRY) | EVBIT(EV_SYSCALL_EXIT))))
		n |= REC_NEED_SYSCALL;
	if (f && (f->events & EVBIT(EV_JCTL)))
		n |= REC_NEED_JCTL;
	if (ts && !ts->stopped)
		n |= REC_COUNTED;
	if (f && f->ntrig)
		n |= REC_NEED_TRIGGER;
	return n;
}

/*
 * fresh_stats gives task t fresh syscall counts, counting only the calls
 * in count_set when filtered, and adding their durations to "hists" with
 * histogram; NULL when there was no room.
 */
static __always_inline struct task_stats *fresh_stats(struct task_struct *t, __u32 filtered, const __u64 *count_set,
						      __u32 histogram)
{
	__u32 zero = 0;
	struct task_stats *z = bpf_map_lookup_elem(&zero_stats, &zero);
	struct task_stats *ts;

	if (!z)
		return 0;
	ts = bpf_task_storage_get(&tstats, t, z, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts)
		return 0;
	ts->filtered = filtered;
	ts->histogram = histogram;
#pragma unroll
	for (int i = 0; i < SYSCALL_MAX / 64; i++)
		ts->count_set[i] = count_set[i];
	return ts;
}

/*
 * log2_u64 returns floor(log2(v)), and 0 for v = 0: the histogram slot of
 * a duration of v ns. A binary search in five shifts, no loop (BCC's
 * bpf_log2l does the same).
 */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (__u32)(v >> 1);
}

/* hist_add counts a call to syscall nr that took d ns in its histogram. */
static __always_inline void hist_add(__u32 nr, __u64 d)
{
	struct syscall_hist *h = bpf_map_lookup_elem(&hists, &nr);
	__u32 slot = log2_u64(d);

	/*
	 * The mask bounds the index for the verifier; the barrier keeps the
	 * compiler from folding it into log2_u64's last step, which leaves
	 * the index unbounded to 6.1's verifier.
	 */
	barrier_var(slot);
	slot &= HIST_SLOTS - 1;
	if (h)
		__sync_fetch_and_add(&h->slot[slot], 1);
}

/* tid_bits_of returns the TID_BIT_* bits of tid. */
static __always_inline __u32 tid_bits_of(__u32 tid)
{
	__u32 key = (tid % TID_BITS_TIDS) / 32;
	__u64 *w = bpf_map_lookup_elem(&tid_bits, &key);

	if (!w)
		return 0;
	return (*w >> (2 * (tid % 32))) & 3;
}

/* set_tid_bits sets the TID_BIT_* bits that needs n calls for on tid. */
static __always_inline void set_tid_bits(__u32 tid, __u32 n)
{
	__u32 key = (tid % TID_BITS_TIDS) / 32;
	__u64 bits = 0;
	__u64 *w;

	if (n & REC_NEED_SYSCALL)
		bits |= TID_BIT_SYSCALL;
	if (n & REC_COUNTED)
		bits |= TID_BIT_COUNT;
	if (!bits)
		return;
	w = bpf_map_lookup_elem(&tid_bits, &key);
	if (w)
		__sync_fetch_and_or(w, bits << (2 * (tid % 32)));
}

/*
 * reserve reserves size bytes for a record of type ev, counting the loss
 * when the ring buffer is full. size must be a constant at each call site.
 */
static __always_inline void *reserve(__u64 size, __u32 ev)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);

	if (!rec)
		count(ev);
	return rec;
}

/* fill_hdr fills a record header about task t. */
static __always_inline void fill_hdr(struct rec_hdr *h, __u32 ev, __u32 flags, struct task_struct *t)
{
	h->type = ev;
	h->flags = flags;
	h->tid = t->pid;   /* thread id */
	h->tgid = t->tgid; /* process id */
	h->time = bpf_ktime_get_ns();
}

/*
 * batched_wakeup returns the ring-buffer flag for a syscall record of size
 * bytes: a forced wake-up once wakeup_bytes are pending, looked at every
 * QUERY_EVERY bytes (or wakeup_bytes, if fewer) of this CPU's records.
 */
static __always_inline __u64 batched_wakeup(__u64 size)
{
	__u32 key = 0;
	__u64 *since = bpf_map_lookup_elem(&ring_pace, &key);

	if (since) {
		*since += size;
		if (*since < QUERY_EVERY && *since < wakeup_bytes)
			return BPF_RB_NO_WAKEUP;
		*since = 0;
	}
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									      : BPF_RB_NO_WAKEUP;
}

/* submit_batched commits a syscall record of size bytes with a batched wake-up. */
static __always_inline void submit_batched(void *rec, __u64 size)
{
	bpf_ringbuf_submit(rec, batched_wakeup(size));
}

/*
 * signal_class classifies the delivery of signal sig whose action has
 * handler into one of the EV_SIGNAL* events, as utrace does: the handler
 * decides, and for SIG_DFL the signal's default action.
 */
static __always_inline __u32 signal_class(int sig, unsigned long handler)
{
	if (handler == SIG_IGN)
		return EV_SIGNAL_IGN;
	if (handler != SIG_DFL)
		return EV_SIGNAL;
	switch (sig) {
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return EV_SIGNAL_CORE;
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
	case SIGCONT:
		return EV_SIGNAL_IGN;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return EV_SIGNAL_STOP;
	}
	return EV_SIGNAL_TERM;
}

/* handler_of returns the handler of signal sig in task t's sighand (SIG_DFL if unreadable). */
static __always_inline unsigned long handler_of(struct task_struct *t, int sig)
{
	unsigned long sh = (unsigned long)BPF_CORE_READ(t, sighand);
	unsigned long handler = SIG_DFL;

	if (sig <= 0 || sig > 64 || !sh)
		return SIG_DFL;
	bpf_probe_read_kernel(&handler, sizeof(handler),
			      (void *)(sh + bpf_core_field_offset(struct sighand_struct, action) +
				       (sig - 1) * bpf_core_type_size(struct k_sigaction)));
	return handler;
}

/* sig_info is what a signal record says about a signal. */
struct sig_info {
	int signo;
	int code;
	int err;
	int sender;
	unsigned long handler;
};

/* sender_of returns si_pid where si_code says there is one, else 0. */
static __always_inline int sender_of(int sig, int code, int pid)
{
	if (code == SI_USER || code == SI_QUEUE || code == SI_TKILL || code == SI_MESGQ ||
	    (sig == SIGCHLD && code > 0))
		return pid;
	return 0;
}

/*
 * find_queued looks in the pending list at kernel address head (a struct
 * sigpending, whose list comes first) for signal si->signo and fills in its
 * siginfo. It gives up after a few entries, leaving the code 0.
 */
static __always_inline void find_queued(unsigned long head, struct sig_info *si)
{
	unsigned long pos = 0;

	if (bpf_probe_read_kernel(&pos, sizeof(pos), (void *)head))
		return;
	for (int i = 0; i < 8; i++) {
		struct sigqueue *q = (struct sigqueue *)pos;

		if (!pos || pos == head)
			return;
		if (BPF_CORE_READ(q, info.si_signo) == si->signo) {
			si->code = BPF_CORE_READ(q, info.si_code);
			si->err = BPF_CORE_READ(q, info.si_errno);
			si->sender = sender_of(si->signo, si->code, BPF_CORE_READ(q, info._sifields._kill._pid));
			return;
		}
		pos = (unsigned long)BPF_CORE_READ(q, list.next);
	}
}

/*
 * group_fatal_signal finds the signal behind a SIGKILL delivered without
 * siginfo. When a signal whose default action terminates (and dumps no
 * core) is sent to a process that does not handle it, the kernel turns it
 * into a SIGKILL for every thread at once (complete_signal), so it is never
 * delivered itself: signal_deliver sees SIGKILL, with the original signal
 * left in signal->group_exit_code and still pending. utrace would have
 * reported that signal, as SIGNAL_TERM, in the thread it was sent to: this
 * thread if it is in its private pending set, or the thread the kernel
 * picked for a process-wide signal (signal->curr_target). SIGKILL itself,
 * and the implicit SIGKILL of exit_group and exec, are not reported, as in
 * utrace.
 */
static __always_inline bool group_fatal_signal(struct task_struct *task, struct sig_info *si)
{
	unsigned long cur = bpf_get_current_task(); /* task, as an address */
	int sig = BPF_CORE_READ(task, signal, group_exit_code);
	unsigned long sh;
	__u64 bit;

	if (!(BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT) || sig <= 0 || sig >= 64 || sig == SIGKILL)
		return false;
	bit = 1ULL << ((sig - 1) & 63);
	si->signo = sig;
	si->code = 0;
	si->err = 0;
	si->sender = 0;
	if (task->pending.signal.sig[0] & bit) {
		find_queued(cur + bpf_core_field_offset(struct task_struct, pending), si);
	} else if ((BPF_CORE_READ(task, signal, shared_pending.signal.sig[0]) & bit) &&
		   (void *)BPF_CORE_READ(task, signal, curr_target) == (void *)task) {
		unsigned long saddr = (unsigned long)BPF_CORE_READ((struct task_struct *)cur, signal);

		find_queued(saddr + bpf_core_field_offset(struct signal_struct, shared_pending), si);
	} else {
		return false;
	}
	sh = (unsigned long)BPF_CORE_READ((struct task_struct *)cur, sighand);
	si->handler = 0;
	bpf_probe_read_kernel(&si->handler, sizeof(si->handler),
			      (void *)(sh + bpf_core_field_offset(struct sighand_struct, action) +
				       (sig - 1) * bpf_core_type_size(struct k_sigaction)));
	return true;
}

/*
 * derived_group_dead stands in for sched_process_exit's group_dead on
 * kernels whose tracepoint does not pass it. do_exit decrements the
 * process's live count (signal->live) before the tracepoint, and the
 * thread that takes it to zero has group_dead; but another thread that
 * decremented it earlier may reach the tracepoint after that and read zero
 * too. So the first thread to pass the tracepoint with the count at zero
 * claims group_dead in its leader's "dead_groups" entry, and the others
 * see the claim: exactly one thread of the process reports group_dead,
 * once every thread has begun to exit (not always the one the kernel
 * chose).
 */
static __always_inline bool derived_group_dead(struct task_struct *p)
{
	__u64 *claimed;

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return false;
	claimed = bpf_task_storage_get(&dead_groups, p->group_leader, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!claimed)
		return false;
	return __sync_lock_test_and_set(claimed, 1) == 0;
}

/*
 * clone_flags reconstructs the clone flags that made child from what it
 * shares with parent: sched_process_fork does not pass them, and reading them
 * at clone entry would need the syscall programs attached. CSIGNAL holds the
 * child's exit signal.
 */
static __always_inline __u64 clone_flags(struct task_struct *parent, struct task_struct *child)
{
	/* Compared, never followed: read as values (see "Pointer fields" above). */
	void *cmm = BPF_CORE_READ(child, mm);
	__u64 fl = 0;

	if (child->tgid == parent->tgid)
		fl |= CLONE_THREAD;
	else
		fl |= child->exit_signal & CSIGNAL;
	if (cmm && cmm == BPF_CORE_READ(parent, mm))
		fl |= CLONE_VM;
	if (BPF_CORE_READ(child, fs) == BPF_CORE_READ(parent, fs))
		fl |= CLONE_FS;
	if (BPF_CORE_READ(child, files) == BPF_CORE_READ(parent, files))
		fl |= CLONE_FILES;
	if (BPF_CORE_READ(child, sighand) == BPF_CORE_READ(parent, sighand))
		fl |= CLONE_SIGHAND;
	/* CLONE_VFORK leaves no trace before the tracepoint (vfork_done is set after it). */
	return fl;
}

/* ret_ok applies a trigger's return-value comparison (core.RetOp.Match). */
static __always_inline bool ret_ok(__u8 op, long ret, __s64 value)
{
	switch (op) {
	case RET_EQ:
		return ret == value;
	case RET_NE:
		return ret != value;
	case RET_LT:
		return ret < value;
	case RET_LE:
		return ret <= value;
	case RET_GT:
		return ret > value;
	case RET_GE:
		return ret >= value;
	}
	return true;
}

/*
 * prefix_ok reports whether path (8-byte aligned, at least TRIG_PREFIX_LEN
 * bytes) starts with tr's prefix: a bounded compare of 8 bytes at a time,
 * masked to prefix_len. A path shorter than the prefix has its NUL where
 * the prefix has none, so it does not match.
 */
static __always_inline bool prefix_ok(const char *path, const struct trigger *tr)
{
	const __u64 *p = (const __u64 *)path;
	const __u64 *q = (const __u64 *)tr->prefix;
	__u32 len = tr->prefix_len;

#pragma unroll
	for (int w = 0; w < TRIG_PREFIX_LEN / 8; w++) {
		__u64 mask = ~0ULL;

		if (len <= w * 8)
			break;
		if (len < (w + 1) * 8)
			mask = (1ULL << ((len - w * 8) * 8)) - 1; /* little endian: the first bytes are the low ones */
		if ((p[w] ^ q[w]) & mask)
			return false;
	}
	return true;
}

/*
 * trig_entry_for returns the path t's entry into syscall nr left in
 * "entry_paths", or NULL when there is none for this call (no path
 * argument, or the entry program was not attached when the call began).
 */
static __always_inline struct trig_entry *trig_entry_for(struct task_struct *t, long nr)
{
	struct trig_entry *e = bpf_task_storage_get(&entry_paths, t, 0, 0);

	return e && e->nr == nr ? e : 0;
}

/* triggers_on reports whether one of f's triggers watches syscall nr. */
static __always_inline bool triggers_on(struct task_flags *f, long nr)
{
	__u32 n = f->ntrig;

#pragma unroll
	for (int i = 0; i < TRIG_MAX; i++) {
		if (i >= n)
			break;
		if (f->trig[i].nr == nr)
			return true;
	}
	return false;
}

/*
 * trig_candidates returns the bit set of f's triggers on call nr whose
 * return-value condition ret meets, and in *prefixed those of them that
 * also want a path prefix. A global function: verified once, not on every
 * path of the programs that call it (the unrolled loops cost the
 * verifier 80,000 instructions inlined into utrace_sys_exit).
 */
__noinline int trig_candidates(struct task_flags *f, long nr, long ret, __u32 *prefixed)
{
	__u32 n, set = 0, pre = 0;

	if (!f || !prefixed)
		return 0;
	n = f->ntrig;
	for (int i = 0; i < TRIG_MAX; i++) {
		struct trigger *tr = &f->trig[i];

		if (i >= n)
			break;
		if (tr->nr != nr || !ret_ok(tr->op, ret, tr->value))
			continue;
		set |= 1 << i;
		if (tr->prefix_len)
			pre |= 1 << i;
	}
	*prefixed = pre;
	return set;
}

/*
 * trig_first returns the first trigger of set whose path prefix, if it is
 * in prefixed, the entry path e starts with, or -1. e may be NULL (no
 * path known): then only triggers without a prefix match.
 */
__noinline int trig_first(struct task_flags *f, __u32 set, __u32 prefixed, struct trig_entry *e)
{
	if (!f)
		return -1;
	for (int i = 0; i < TRIG_MAX; i++) {
		if (!(set & (1 << i)))
			continue;
		if ((prefixed & (1 << i)) && (!e || !prefix_ok(e->path, &f->trig[i])))
			continue;
		return i;
	}
	return -1;
}

/*
 * trigger_match returns the index of the first of f's triggers that the
 * call nr of thread t, which returned ret, matches, or -1. It is a pure
 * function of the flags, nr, ret and the entry path, so that the two exit
 * programs that evaluate it for one call (utrace_trig_exit, which fires,
 * and utrace_sys_exit, which then leaves out the passive record) agree,
 * whichever runs first. On a match *ep is the entry path record, or NULL.
 * The entry path is looked up only when a trigger with a prefix is a
 * candidate, or when ep asks for it.
 */
static __always_inline int trigger_match(struct task_flags *f, struct task_struct *t, long nr, long ret,
					 struct trig_entry **ep)
{
	struct trig_entry *e = 0;
	__u32 prefixed = 0;
	int set, i;

	set = trig_candidates(f, nr, ret, &prefixed);
	if (!set)
		return -1;
	if (prefixed || ep)
		e = trig_entry_for(t, nr);
	if (e)
		i = trig_first(f, set, prefixed, e);
	else
		i = trig_first(f, set, prefixed, 0);
	if (i >= 0 && ep)
		*ep = e;
	return i;
}

/*
 * The context of the per-syscall tracepoints (syscalls/sys_enter_NAME,
 * sys_exit_NAME) as the kernel passes it to BPF programs (struct
 * syscall_tp_t in kernel/trace/trace_syscalls.c): the common header, the
 * number, then the six argument registers or the return value.
 */
struct syscall_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 args[6];
};

struct syscall_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__s64 ret;
};

#endif /* UTRACE_HELPERS_H */
