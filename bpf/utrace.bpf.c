// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * utrace.bpf.c: the passive tier of utrace-bpf. Each program first looks
 * at the per-task utrace flags (map "flags") of the task its event is
 * about; a task without flags costs that one lookup (two in the exec, exit
 * and free programs, which also look for counts in "tstats"). The syscall
 * programs, which run for every system call of every task, test two bits
 * per tid ("tid_bits") before that, so there an unwatched task costs one
 * bit test.
 * For a watched task a program filters in the kernel (event mask,
 * syscall-number set, comm), then writes a record to the ring buffer
 * "events", or for a counting thread updates its aggregates ("tstats").
 *
 * All programs are BTF tracepoints (tp_btf): no tracefs, typed arguments,
 * direct loads from kernel structures, and the cost of a raw tracepoint.
 *
 * Where each event comes from:
 *
 *   SYSCALL_ENTRY/EXIT  sys_enter / sys_exit (raw_syscalls). These two run on
 *                       every syscall of every task, so package loader
 *                       attaches them only while some task's flags need them
 *                       (syscall events, or counting).
 *   CLONE               sched_process_fork, in the parent, before the child
 *                       first runs. With OPT_FOLLOW the child inherits the
 *                       parent's flags (and fresh counts) right there, so its
 *                       first syscalls are seen.
 *   EXEC                sched_process_exec; old_pid is the exec'ing thread's
 *                       tid before a non-leader exec took the leader's.
 *   EXIT                sched_process_exit, immediately before DEATH, with the
 *                       same code. It covers every way of exiting (exit,
 *                       exit_group, fatal signal, a sibling's exec) at no
 *                       cost to tasks that are not watched; a passive report
 *                       cannot change the exit anyway.
 *   DEATH               sched_process_exit: exit_code and group_dead.
 *   REAP                sched_process_free, when the last reference to the
 *                       reaped task goes (after an RCU grace period; it runs
 *                       in whatever context frees the task, so the task is
 *                       the tracepoint argument, not current).
 *   SIGNAL*             signal_deliver, classified by handler and default
 *                       action (signal_class()). As in utrace, SIGKILL is not
 *                       reported; a fatal signal that the kernel turned into
 *                       a group SIGKILL when it was sent is reported as
 *                       itself (group_fatal_signal()).
 *   JCTL                sched_switch, attached only while some task's flags
 *                       want JCTL: a watched task switched out in
 *                       TASK_STOPPED (a job-control stop, not a ptrace stop)
 *                       reports CLD_STOPPED; when it next runs, and SIGCONT
 *                       (not SIGKILL) woke it, it reports CLD_CONTINUED. So
 *                       every thread of a stopped group reports, as in utrace;
 *                       "notify" is a best guess (see utrace_sched_switch).
 *
 * Triggers (BPF-triggered stops, tier 3 of the design): a thread's flags
 * may hold up to TRIG_MAX conditions on system calls (number, path prefix,
 * return value). They are evaluated by utrace_trig_enter/utrace_trig_exit,
 * plain tracepoint programs that package loader attaches to the per-syscall
 * tracepoints syscalls/sys_enter_NAME and sys_exit_NAME, only for the
 * numbers some thread has a trigger on, and only while it has: a thread
 * with triggers and no passive syscall events does not need the raw_syscalls
 * programs, which run for every call of every task. (Any syscall tracepoint
 * does put every task on the kernel's slow syscall path, which checks a
 * per-number bitmap before it runs a program: see
 * test/bench/RESULTS-triggers.md.) The entry program is attached only for
 * calls with a path argument, whose path it reads into "entry_paths". The
 * exit program evaluates the triggers: evaluating at exit costs nothing in
 * precision, since a stop can only take effect when the call returns to
 * user mode anyway, and gives the return value. A match stores the event in
 * "pending_stops" and sends the thread SIGSTOP (bpf_send_signal_thread,
 * si_code SI_KERNEL), which it takes before its next user instruction; the
 * stopper recognises the stop by the pending record and reports a
 * synchronous EV_SYSCALL_EXIT in place of the passive one, which
 * utrace_sys_exit leaves out for a matching call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "capture.h"
#include "fdpath.h"
#include "regs.h"
#include "targets.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Put the record types in the BTF, for bpf2go -type and the ABI test. */
const struct rec_syscall *unused_rec_syscall __attribute__((unused));
const struct rec_region *unused_rec_region __attribute__((unused));
const struct cap_spec *unused_cap_spec __attribute__((unused));
const struct call_state *unused_call_state __attribute__((unused));
const struct rec_signal *unused_rec_signal __attribute__((unused));
const struct rec_clone *unused_rec_clone __attribute__((unused));
const struct rec_exec *unused_rec_exec __attribute__((unused));
const struct rec_exit *unused_rec_exit __attribute__((unused));
const struct rec_jctl *unused_rec_jctl __attribute__((unused));
const struct trig_pending *unused_trig_pending __attribute__((unused));

/*
 * syscall_hdr fills the fixed part of a syscall record; size and nregion
 * describe the regions that follow.
 */
static __always_inline void syscall_hdr(struct rec_syscall *r, struct task_struct *t, __u32 ev, long nr, long ret,
					const __u64 *args, __u64 sp, __u64 enter_time, __u32 size, __u16 nregion)
{
	fill_hdr(&r->h, ev, REC_DELIVER, t);
	r->nr = nr;
	r->ret = ret;
	for (int i = 0; i < 6; i++)
		r->args[i] = args[i];
	r->sp = sp;
	r->enter_time = enter_time;
	r->size = size;
	r->nregion = nregion;
	r->resumes = 0;
}

/* submit_fixed writes a syscall record without regions. */
static __always_inline void submit_fixed(struct task_struct *t, __u32 ev, long nr, long ret, const __u64 *args, __u64 sp)
{
	struct rec_syscall *r = reserve(sizeof(*r), ev);

	if (!r)
		return;
	syscall_hdr(r, t, ev, nr, ret, args, sp, 0, sizeof(*r), 0);
	submit_batched(r, sizeof(*r));
}

/*
 * submit_call writes the record of a call that has no regions straight
 * into the ring buffer, without the scratch buffer's copy: most calls
 * (getpid, close, a failed open's exit) have none.
 */
static __always_inline void submit_call(struct task_struct *t, __u32 ev, long nr, long ret, const __u64 *args, __u64 sp, __u64 enter_time,
					__u16 resumes)
{
	struct rec_syscall *r = reserve(sizeof(*r), ev);

	if (!r)
		return;
	syscall_hdr(r, t, ev, nr, ret, args, sp, enter_time, sizeof(*r), 0);
	r->resumes = resumes;
	submit_batched(r, sizeof(*r));
}

/*
 * keep_call keeps in cs the call the thread enters, for its exit. The
 * entry's time only when asked: a clock read costs as much as the rest of
 * the entry program on some machines (a VM's TSC).
 */
static __always_inline void keep_call(struct call_state *cs, long nr, const __u64 *args, __u64 sp,
				      struct task_flags *f)
{
	/* exit and exit_group do not return: nothing is in progress. */
	cs->nr = nr;
	cs->active = nr != nr_exit && nr != nr_exit_group;
	cs->time = cs->active && (f->opts & OPT_ENTER_TIME) ? bpf_ktime_get_ns() : 0;
	for (int i = 0; i < 6; i++)
		cs->args[i] = args[i];
	cs->sp = sp;
}

/* output_scratch copies the record of len bytes built in s into the ring buffer. */
static __always_inline void output_scratch(struct scratch *s, __u64 len, __u32 ev)
{
	len = clamp(len, SCRATCH_BUF);
	if (bpf_ringbuf_output(&events, s->buf, len, batched_wakeup(len)))
		count(ev);
}

/*
 * Syscall entry: for a counting thread the entry time; for a thread that
 * wants it a record with the number and arguments, and with OPT_CAPTURE
 * the memory its inputs point at, which is also kept in "calls" for the
 * exit record. The tid bits come first: a thread nobody watches costs a
 * bit test, not a task-storage lookup (13 ns instead of 37 per syscall,
 * both hooks, measured).
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(utrace_sys_enter, struct pt_regs *regs, long nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 bits = tid_bits_of(task->pid);
	struct call_state *cs;
	struct cap_spec *spec;
	struct task_flags *f;
	struct scratch *s;
	__u64 args[6];
	bool record;
	__u64 len;

	if (!bits)
		return 0;
	if (bits & TID_BIT_COUNT) {
		struct task_stats *ts = task_stats_of(task);

		if (ts && !ts->stopped && count_ok(ts, nr)) {
			ts->enter_time = bpf_ktime_get_ns();
			ts->enter_nr = nr;
			/*
			 * exit and exit_group never return: count them now, at
			 * the index of the load-time constant, whose value the
			 * verifier reads from the frozen .rodata (6.1's loses
			 * nr's). The mask bounds it where no loader set it.
			 */
			if (nr == nr_exit)
				ts->s.nr[nr_exit & (SYSCALL_MAX - 1)].calls++;
			else if (nr == nr_exit_group)
				ts->s.nr[nr_exit_group & (SYSCALL_MAX - 1)].calls++;
		}
	}
	if (!(bits & TID_BIT_SYSCALL))
		return 0;
	f = task_flags_of(task);
	if (!f || !(f->events & (EVBIT(EV_SYSCALL_ENTRY) | EVBIT(EV_SYSCALL_EXIT))) || !syscall_ok(f, nr) ||
	    !comm_ok(f, task))
		return 0;
	/* exit and exit_group have no exit record to carry them. */
	record = (f->events & EVBIT(EV_SYSCALL_ENTRY)) &&
		 (!(f->opts & OPT_EXIT_ENTRIES) || nr == nr_exit || nr == nr_exit_group);
	syscall_args(regs, args);
	if (!(f->opts & OPT_CAPTURE)) {
		if (record)
			submit_fixed(task, EV_SYSCALL_ENTRY, nr, 0, args, user_sp(regs));
		return 0;
	}

	cs = bpf_task_storage_get(&calls, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cs) {
		if (record)
			submit_fixed(task, EV_SYSCALL_ENTRY, nr, 0, args, user_sp(regs));
		return 0;
	}
	spec = cap_spec_of(nr);
	if (!spec || (!spec->nentry && !(fd_paths(f) && spec->fd_args))) {
		/* Nothing to copy: no scratch buffer, no regions to keep. */
		keep_call(cs, nr, args, user_sp(regs), f);
		cs->len = 0;
		cs->nregion = 0;
		cs->faulted = 0;
		if (record)
			submit_call(task, EV_SYSCALL_ENTRY, nr, 0, args, user_sp(regs), 0,
				    nr == nr_restart_syscall ? cs->restart : 0);
		return 0;
	}
	s = scratch_buf();
	if (!s) {
		if (record)
			submit_fixed(task, EV_SYSCALL_ENTRY, nr, 0, args, user_sp(regs));
		return 0;
	}
	cap_begin(s, nr, args, user_sp(regs), 0, sizeof(struct rec_syscall), sizeof(struct rec_syscall) + CALL_BUF, false);
	bpf_loop(spec->nentry > CAP_ITEMS ? CAP_ITEMS : spec->nentry, entry_item, 0, 0);
	s = scratch_buf(); /* the state is the map's: look again after the loop */
	if (!s)
		return 0;
	if (fd_paths(f))
		cap_fd_args(s, spec->fd_args, fd_detail(f));

	keep_call(cs, nr, args, user_sp(regs), f);
	len = clamp(s->st.off - sizeof(struct rec_syscall), CALL_BUF);
	cs->nregion = s->st.nregion;
	if (len && bpf_probe_read_kernel(cs->buf, len, &s->buf[sizeof(struct rec_syscall)]))
		len = 0, cs->nregion = 0;
	cs->len = len;
	cs->faulted = s->st.faulted;

	if (record) {
		syscall_hdr((struct rec_syscall *)s->buf, task, EV_SYSCALL_ENTRY, nr, 0, args, user_sp(regs), 0,
			    sizeof(struct rec_syscall) + len, cs->nregion);
		if (nr == nr_restart_syscall)
			((struct rec_syscall *)s->buf)->resumes = cs->restart;
		output_scratch(s, sizeof(struct rec_syscall) + len, EV_SYSCALL_ENTRY);
	}
	return 0;
}

/*
 * count_exit adds the finished syscall to the thread's aggregates, and
 * its duration to its histogram when the thread counts with histograms.
 */
static __always_inline void count_exit(struct task_stats *ts, long ret)
{
	struct syscall_stat *st;
	__u64 start = ts->enter_time;
	long nr = ts->enter_nr;
	__u64 d;

	if (!start)
		return; /* entry not seen: counting began mid-call */
	ts->enter_time = 0;
	if (nr < 0 || nr >= SYSCALL_MAX)
		return;
	st = &ts->s.nr[nr];
	st->calls++;
	if (ret < 0 && ret >= -4095)
		st->errors++;
	d = bpf_ktime_get_ns() - start;
	st->time_ns += d;
	/* The one branch counting without histograms pays. */
	if (ts->histogram)
		hist_add(nr, d);
}

/*
 * Syscall exit: counting, and a record with the return value, unless the
 * call fires one of the thread's triggers (see utrace_trig_exit). With
 * OPT_CAPTURE the record carries the entry's arguments and regions, the
 * entry regions that were unreadable then copied again, and the memory
 * the call's outputs point at.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(utrace_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 bits = tid_bits_of(task->pid);
	struct call_state *cs;
	struct cap_spec *spec;
	struct task_flags *f;
	__u64 enter_time = 0;
	__u16 nregion = 0, retry = 0;
	bool exit_items, fd_exit;
	struct scratch *s;
	__u64 args[6], sp;
	__u64 len = 0;
	long nr;

	if (!bits)
		return 0;
	if (bits & TID_BIT_COUNT) {
		struct task_stats *ts = task_stats_of(task);

		if (ts && !ts->stopped)
			count_exit(ts, ret);
	}
	if (!(bits & TID_BIT_SYSCALL))
		return 0;
	f = task_flags_of(task);
	if (!f)
		return 0;
	nr = syscall_nr(regs);
	cs = f->opts & OPT_CAPTURE ? bpf_task_storage_get(&calls, task, 0, 0) : 0;
	/*
	 * rt_sigreturn sets the number to -1 as it restores the interrupted
	 * registers: the entry says which call this is. (A call a ptracer
	 * skipped has -1 too, but then sys_enter did not run, and there is
	 * no entry in progress.)
	 */
	if (nr < 0 && cs && cs->active)
		nr = cs->nr;
	/*
	 * What restart_syscall will resume, whether or not this call is
	 * traced: strace knows it from having seen the call.
	 */
	if (ret == -ERESTART_RESTARTBLOCK && nr != nr_restart_syscall && nr >= 0 && (f->opts & OPT_CAPTURE)) {
		if (!cs)
			cs = bpf_task_storage_get(&calls, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (cs)
			cs->restart = nr + 1;
	}
	if (!(f->events & EVBIT(EV_SYSCALL_EXIT)) || !syscall_ok(f, nr) || !comm_ok(f, task))
		return 0;
	/* A call that fires a trigger is reported by the stop instead. */
	if (f->ntrig && trigger_match(f, task, nr, ret, 0) >= 0)
		return 0;

	syscall_args(regs, args);
	sp = user_sp(regs);
	if (!(f->opts & OPT_CAPTURE)) {
		submit_fixed(task, EV_SYSCALL_EXIT, nr, ret, args, user_sp(regs));
		return 0;
	}
	if (cs && cs->active && restart_code(ret) && sigkill_pending(task)) {
		/*
		 * A call interrupted to die (a group exit, SIGKILL): it never
		 * returns to user space, and strace shows it unfinished. Keep
		 * it in progress: the death reports it so (emit_unfinished).
		 */
		return 0;
	}
	if (cs && cs->nr == nr && cs->active) {
		/* The entry's arguments (an execve's are gone) and regions. */
		for (int i = 0; i < 6; i++)
			args[i] = cs->args[i];
		sp = cs->sp;
		enter_time = cs->time;
		len = clamp(cs->len, CALL_BUF);
		retry = cs->faulted;
	}
	if (cs)
		cs->active = 0;
	spec = cap_spec_of(nr);
	exit_items = spec && spec->nexit && (!is_error(ret) || interrupted(ret));
	fd_exit = spec && spec->fd_ret && fd_paths(f) && !is_error(ret);
	if (!len && !retry && !exit_items && !fd_exit) {
		/* No regions: straight into the ring buffer. */
		submit_call(task, EV_SYSCALL_EXIT, nr, ret, args, sp, enter_time,
			    nr == nr_restart_syscall && cs ? cs->restart : 0);
		return 0;
	}
	s = scratch_buf();
	if (!s) {
		submit_fixed(task, EV_SYSCALL_EXIT, nr, ret, args, sp);
		return 0;
	}
	if (len && cs && bpf_probe_read_kernel(&s->buf[sizeof(struct rec_syscall)], len, cs->buf))
		len = 0;
	else if (len && cs)
		nregion = cs->nregion;
	cap_begin(s, nr, args, sp, ret, sizeof(struct rec_syscall) + len, SCRATCH_BUF, true);
	s->st.nregion = nregion;
	s->st.retry = retry;
	if (spec) {
		if (retry && spec->nentry)
			bpf_loop(spec->nentry > CAP_ITEMS ? CAP_ITEMS : spec->nentry, entry_item, 0, 0);
		if (exit_items)
			bpf_loop(spec->nexit > CAP_ITEMS ? CAP_ITEMS : spec->nexit, exit_item, 0, 0);
	}
	s = scratch_buf();
	if (!s)
		return 0;
	if (fd_exit)
		cap_fd_ret(s, spec->fd_ret, fd_detail(f));
	len = clamp(s->st.off, SCRATCH_BUF);
	syscall_hdr((struct rec_syscall *)s->buf, task, EV_SYSCALL_EXIT, nr, ret, args, sp, enter_time, len, s->st.nregion);
	if (nr == nr_restart_syscall && cs)
		((struct rec_syscall *)s->buf)->resumes = cs->restart;
	output_scratch(s, len, EV_SYSCALL_EXIT);
	return 0;
}

/*
 * fork_targeted handles the fork of a parent nobody watches: a new process
 * that an armed target rule selects gets the rule's template before it
 * first runs, and a CLONE record flagged REC_TARGETED says so. New threads
 * of an unwatched process are left alone: the rules select processes.
 */
static __always_inline int fork_targeted(struct task_struct *parent, struct task_struct *child)
{
	struct match_buf *m;
	struct rec_clone *r;
	__u32 rflags;
	int i;

	if (child->tgid != child->pid || !targets_armed())
		return 0;
	m = match_buf_for(child, 0);
	if (!m)
		return 0;
	i = target_select(child, m);
	if (i < 0)
		return 0;
	rflags = target_adopt(child, i);
	if (!rflags)
		return 0;
	r = reserve(sizeof(*r), EV_CLONE);
	if (!r)
		return 0;
	fill_hdr(&r->h, EV_CLONE, rflags | REC_DELIVER, parent);
	r->child = child->pid;
	r->thread = 0;
	r->flags = clone_flags(parent, child);
	r->ntrig = 0;
	r->target = i + 1;
#pragma unroll
	for (int j = 0; j < TRIG_MAX; j++)
		r->trig_nr[j] = 0;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * Fork, in the parent, before the child runs: with OPT_FOLLOW the child
 * inherits the parent's flags, and a fresh tstats if the parent counts, and
 * its tid bits are set; then the CLONE record. The record is also written,
 * as bookkeeping, when the child inherited something that needs programs.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(utrace_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_flags *pf = task_flags_of(parent);
	struct rec_clone *r;
	__u32 rflags = 0;

	if (!pf)
		return fork_targeted(parent, child);
	if (pf->opts & OPT_FOLLOW) {
		/* The parent's flags are the initial value of the child's. */
		struct task_flags *cf = bpf_task_storage_get(&flags, child, pf, BPF_LOCAL_STORAGE_GET_F_CREATE);
		struct task_stats *cs = 0;

		if (cf) {
			cf->state = 0;
			struct task_stats *ps = task_stats_of(parent);

			/* Fresh counts, the parent's filter. */
			if (ps && !ps->stopped && !(cs = fresh_stats(child, ps->filtered, ps->count_set, ps->histogram)))
				count(CNT_INHERIT_FAILED);
			rflags = REC_INHERITED | needs(cf, cs);
			set_tid_bits(child->pid, rflags);
		} else {
			count(CNT_INHERIT_FAILED);
		}
	}
	if (wants(pf, parent, EV_CLONE))
		rflags |= REC_DELIVER;
	else if (!(rflags & (REC_NEED_SYSCALL | REC_NEED_JCTL | REC_COUNTED | REC_NEED_TRIGGER)))
		return 0;

	r = reserve(sizeof(*r), EV_CLONE);
	if (!r)
		return 0;
	fill_hdr(&r->h, EV_CLONE, rflags, parent);
	r->child = child->pid;
	r->thread = child->tgid == parent->tgid;
	r->flags = clone_flags(parent, child);
	/* The child's triggers are the parent's: it got a copy of pf. */
	r->ntrig = 0;
	r->target = 0;
#pragma unroll
	for (int i = 0; i < TRIG_MAX; i++) {
		r->trig_nr[i] = 0;
		if ((rflags & REC_INHERITED) && i < pf->ntrig) {
			r->trig_nr[i] = pf->trig[i].nr;
			r->ntrig = i + 1;
		}
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * Exec: the filename, the tid before the exec and the process's facts
 * (argv, parent, credentials, cgroup). When a non-leader exec moved the
 * thread to the leader's tid, its tid bits are set for that tid, and the
 * record is also written as bookkeeping if it needs programs. A process
 * nobody watches is matched against the armed target rules: the first
 * that selects it gives it its template flags here, before the new image's
 * first instruction, and the record, flagged REC_TARGETED, tells user space
 * which rule did.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(utrace_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_flags *f = task_flags_of(p);
	struct rec_exec *r;
	__u32 rflags, target = 0;

	if (!f && targets_armed()) {
		struct match_buf *m = match_buf_for(p, bprm->filename);
		int i = m ? target_select(p, m) : -1;

		if (i >= 0 && (rflags = target_adopt(p, i))) {
			target = i + 1;
			goto record;
		}
	}
	rflags = needs(f, task_stats_of(p));
	if (old_pid != p->pid)
		set_tid_bits(p->pid, rflags);
	if (f && wants(f, p, EV_EXEC))
		rflags |= REC_DELIVER;
	else if (old_pid == p->pid || !rflags)
		return 0;

record:
	if (target)
		rflags |= REC_DELIVER;
	r = reserve(sizeof(*r), EV_EXEC);
	if (!r)
		return 0;
	fill_hdr(&r->h, EV_EXEC, rflags, p);
	r->old_tid = old_pid;
	r->target = target;
	r->ret = 0;
	exec_facts(r, p);
	if (bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), bprm->filename) < 0)
		r->filename[0] = 0;
	exec_args(r, p);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * A failed exec (attached to syscalls/sys_exit_execve and
 * sys_exit_execveat): for a thread that wants EXEC, a record with the
 * call's -errno, its path and argv as the thread still has them (a failed
 * exec leaves the old image in place), so that a process monitor sees the
 * attempts that execsnoop shows.
 */
SEC("tracepoint")
int utrace_exec_failed(struct syscall_exit_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_flags *f;
	struct rec_exec *r;
	__u64 args[6];
	const char *path;
	const char *const *argv;
	long ret = ctx->ret;

	if (ret >= 0)
		return 0;
	f = task_flags_of(task);
	if (!f || !wants(f, task, EV_EXEC))
		return 0;
	syscall_args((struct pt_regs *)bpf_task_pt_regs(task), args);
	if (ctx->nr == nr_execveat) {
		/* execveat(dirfd, path, argv, envp, flags) */
		path = (const char *)args[1];
		argv = (const char *const *)args[2];
	} else {
		/* execve(path, argv, envp) */
		path = (const char *)args[0];
		argv = (const char *const *)args[1];
	}
	r = reserve(sizeof(*r), EV_EXEC);
	if (!r)
		return 0;
	fill_hdr(&r->h, EV_EXEC, REC_DELIVER, task);
	r->old_tid = task->pid;
	r->target = 0;
	r->ret = ret;
	exec_facts(r, task);
	if (bpf_probe_read_user_str(r->filename, sizeof(r->filename), path) < 0)
		r->filename[0] = 0;
	argv_copy(r, argv);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* emit_exit writes an EXIT or DEATH record about p. */
static __always_inline void emit_exit(struct task_struct *p, __u32 ev, bool group_dead)
{
	struct rec_exit *r = reserve(sizeof(*r), ev);

	if (!r)
		return;
	fill_hdr(&r->h, ev, REC_DELIVER, p);
	r->code = p->exit_code;
	r->group_dead = group_dead;
	/* A process's lifetime is its leader's, which the last thread may outlive. */
	r->start_time = group_dead ? BPF_CORE_READ(p, group_leader, start_time) : p->start_time;
	r->ppid = ppid_of(p);
	r->_pad = 0;
	if (bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), p->comm) < 0)
		r->comm[0] = 0;
	bpf_ringbuf_submit(r, 0);
}

/*
 * emit_unfinished reports the system call thread p (current) was in when
 * it died, if any, as strace shows one ("<unfinished ...>"): an entry
 * record with the regions copied at its entry, flagged REC_UNFINISHED.
 */
static __always_inline void emit_unfinished(struct task_struct *p)
{
	struct call_state *cs = bpf_task_storage_get(&calls, p, 0, 0);
	struct scratch *s = scratch_buf();
	struct rec_syscall *r;
	__u64 len;

	if (!cs || !s || !cs->active)
		return;
	len = clamp(cs->len, CALL_BUF);
	if (len && bpf_probe_read_kernel(&s->buf[sizeof(struct rec_syscall)], len, cs->buf))
		return;
	r = (struct rec_syscall *)s->buf;
	syscall_hdr(r, p, EV_SYSCALL_ENTRY, cs->nr, 0, cs->args, cs->sp, cs->time, sizeof(*r) + len, cs->nregion);
	r->h.flags |= REC_UNFINISHED;
	if (cs->nr == nr_restart_syscall)
		r->resumes = cs->restart;
	cs->active = 0;
	output_scratch(s, sizeof(*r) + len, EV_SYSCALL_ENTRY);
}

/*
 * on_exit runs in the dying thread (p is current) once exit_code is final:
 * a counting thread's aggregates are saved to final_stats (its task
 * storage goes when it is freed), then EXIT and DEATH.
 */
static __always_inline void on_exit(struct task_struct *p, bool group_dead)
{
	struct task_flags *f = task_flags_of(p);
	struct task_stats *ts = task_stats_of(p);

	if (ts) {
		__u32 tid = p->pid;

		if (bpf_map_update_elem(&final_stats, &tid, &ts->s, BPF_ANY))
			count(CNT_STATS_FAILED);
	}
	if (!f || !comm_ok(f, p))
		return;
	if ((f->opts & OPT_CAPTURE) && (f->events & EVBIT(EV_SYSCALL_ENTRY)))
		emit_unfinished(p);
	if (f->events & EVBIT(EV_EXIT))
		emit_exit(p, EV_EXIT, group_dead);
	if (f->events & EVBIT(EV_DEATH))
		emit_exit(p, EV_DEATH, group_dead);
}

/*
 * Exit, where sched_process_exit passes group_dead (Linux 6.16 and later,
 * where the tracepoint gained it). The loader picks this program or
 * utrace_exit_derived from the prototype in the running kernel's BTF.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(utrace_exit, struct task_struct *p, bool group_dead)
{
	on_exit(p, group_dead);
	return 0;
}

/*
 * Exit, where sched_process_exit passes only the task: group_dead is
 * derived (derived_group_dead()).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(utrace_exit_derived, struct task_struct *p)
{
	on_exit(p, derived_group_dead(p));
	return 0;
}

/*
 * Reap: the task is freed. Also written as bookkeeping for tasks whose
 * flags needed programs or that counted syscalls, so that the loader can
 * detach programs and free the final_stats entry.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(utrace_free, struct task_struct *p)
{
	struct task_flags *f = task_flags_of(p);
	struct task_stats *ts = task_stats_of(p);
	struct rec_hdr *r;
	__u32 rflags;

	rflags = needs(f, ts);
	/* A thread with tstats has an entry in final_stats (utrace_exit). */
	if (ts)
		rflags |= REC_FINAL_STATS;
	if (f && wants(f, p, EV_REAP))
		rflags |= REC_DELIVER;
	else if (!rflags)
		return 0;

	r = reserve(sizeof(*r), EV_REAP);
	if (!r)
		return 0;
	fill_hdr(r, EV_REAP, rflags, p);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * Signal delivery, in the receiving thread: number, siginfo, class. SIGKILL
 * is not reported, as in utrace, but the fatal signal some SIGKILLs stand
 * for is (group_fatal_signal()).
 *
 * info and ka are read only through bpf_probe_read_kernel, behind an
 * address test: the kernel passes NULL for both on the group-exit path
 * (SEND_SIG_NOINFO), and newer verifiers (6.12 and later) treat info as a
 * scalar that may encode an error (SEND_SIG_PRIV is 1), refusing a direct
 * load, where older ones took it for a valid pointer.
 */
SEC("tp_btf/signal_deliver")
int BPF_PROG(utrace_signal, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_flags *f = task_flags_of(task);
	struct sig_info si = {};
	struct rec_signal *r;
	__u32 ev;

	if (!f || !(f->events & (EVBIT(EV_SIGNAL) | EVBIT(EV_SIGNAL_IGN) | EVBIT(EV_SIGNAL_STOP) |
				 EVBIT(EV_SIGNAL_TERM) | EVBIT(EV_SIGNAL_CORE))))
		return 0;
	if (sig == SIGKILL) {
		/* A SIGKILL is always delivered on the group-exit path, without siginfo. */
		if (!group_fatal_signal(task, &si))
			return 0;
	} else {
		si.signo = sig;
		if (kernel_ptr_ok(ka))
			si.handler = (unsigned long)BPF_CORE_READ(ka, sa.sa_handler);
		/* A dequeued signal has its siginfo; without one the fields stay 0. */
		if (kernel_ptr_ok(info)) {
			si.code = BPF_CORE_READ(info, si_code);
			si.err = BPF_CORE_READ(info, si_errno);
			si.sender = sender_of(sig, si.code, BPF_CORE_READ(info, _sifields._kill._pid));
		}
	}
	ev = signal_class(si.signo, si.handler);
	if (!wants(f, task, ev))
		return 0;

	r = reserve(sizeof(*r), ev);
	if (!r)
		return 0;
	fill_hdr(&r->h, ev, REC_DELIVER, task);
	r->signo = si.signo;
	r->code = si.code;
	r->si_errno = si.err;
	r->sender = si.sender;
	__builtin_memset(r->info, 0, sizeof(r->info));
	if (sig != SIGKILL && kernel_ptr_ok(info))
		bpf_probe_read_kernel(r->info, sizeof(r->info), info);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * Signal generation, in the sender: a signal that the receiving task
 * ignores (SIG_IGN, or a default action of ignoring, as SIGCHLD's) is
 * discarded there and never delivered, so signal_deliver never sees it.
 * utrace kept such signals for engines that wanted SIGNAL_IGN (and a
 * ptracer sees them at delivery, as strace shows them): they are reported
 * here, as SIGNAL_IGN with REC_DISCARDED, and REC_IN_SYSCALL when the
 * thread was inside a system call, on whose return a tracer that stops at
 * delivery would have seen it. Attached with the other programs that stay
 * attached; for tasks nobody watches it costs the flags lookup.
 */
SEC("tp_btf/signal_generate")
int BPF_PROG(utrace_signal_discarded, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	struct task_flags *f;
	struct call_state *cs;
	struct rec_signal *r;
	__u32 rflags = REC_DELIVER | REC_DISCARDED;

	if (result != TRACE_SIGNAL_IGNORED)
		return 0;
	f = task_flags_of(task);
	if (!f || !wants(f, task, EV_SIGNAL_IGN))
		return 0;
	/*
	 * Discarded because the thread ignores it, not because its process
	 * is exiting or exec'ing (which discards every signal but SIGKILL).
	 */
	if (signal_class(sig, handler_of(task, sig)) != EV_SIGNAL_IGN)
		return 0;
	cs = bpf_task_storage_get(&calls, task, 0, 0);
	if (cs && cs->active)
		rflags |= REC_IN_SYSCALL;

	r = reserve(sizeof(*r), EV_SIGNAL_IGN);
	if (!r)
		return 0;
	fill_hdr(&r->h, EV_SIGNAL_IGN, rflags, task);
	__builtin_memset(r->info, 0, sizeof(r->info));
	r->signo = sig;
	r->code = 0;
	r->si_errno = 0;
	r->sender = 0;
	if (kernel_ptr_ok(info)) {
		bpf_probe_read_kernel(r->info, sizeof(r->info), info);
		r->code = BPF_CORE_READ(info, si_code);
		r->si_errno = BPF_CORE_READ(info, si_errno);
		r->sender = sender_of(sig, r->code, BPF_CORE_READ(info, _sifields._kill._pid));
	} else {
		/* SEND_SIG_NOINFO (NULL): from user space, as SI_USER; SEND_SIG_PRIV: from the kernel. */
		r->code = info ? SI_KERNEL : SI_USER;
		*(__s32 *)&r->info[0] = sig;
		*(__s32 *)&r->info[8] = r->code;
		if (!info) {
			r->sender = bpf_get_current_pid_tgid() >> 32;
			*(__s32 *)&r->info[16] = r->sender;
			*(__u32 *)&r->info[20] = (__u32)bpf_get_current_uid_gid();
		}
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* emit_jctl writes a JCTL record about t. */
static __always_inline void emit_jctl(struct task_struct *t, __s32 type, __s32 notify)
{
	struct rec_jctl *r = reserve(sizeof(*r), EV_JCTL);

	if (!r)
		return;
	fill_hdr(&r->h, EV_JCTL, REC_DELIVER, t);
	r->type = type;
	r->notify = notify;
	/* do_signal_stop leaves the stop signal there while the group is stopped. */
	r->signo = type == CLD_STOPPED ? BPF_CORE_READ(t, signal, group_exit_code) & 0x7f : 0;
	r->_pad = 0;
	bpf_ringbuf_submit(r, 0);
}

/*
 * Context switch, attached only while some task wants JCTL. prev is
 * current. A watched prev that blocks in TASK_STOPPED is in a job-control
 * stop (ptrace stops are TASK_TRACED): CLD_STOPPED. A watched next that had
 * stopped so runs again: CLD_CONTINUED if SIGCONT woke it, nothing if
 * SIGKILL or a ptracer's attach did.
 *
 * notify approximates utrace's: for a stop, set when the group stop is
 * complete as this thread switches out (exact for one thread; with several
 * threads stopping at once more than one may see it); for a continue, set
 * while no thread has notified the parent yet (SIGNAL_CLD_CONTINUED still
 * pending, or the group's flags not yet changed from stopped).
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(utrace_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct task_flags *f;

	if (!preempt && (prev_state & __TASK_STOPPED)) {
		f = task_flags_of(prev);
		if (f && (f->events & EVBIT(EV_JCTL)) && !(f->state & STATE_JCTL_STOPPED)) {
			__s32 notify = 0;

			f->state |= STATE_JCTL_STOPPED;
			if ((BPF_CORE_READ(prev, signal, flags) & SIGNAL_STOP_STOPPED) &&
			    BPF_CORE_READ(prev, signal, group_stop_count) == 0)
				notify = CLD_STOPPED;
			if (comm_ok(f, prev))
				emit_jctl(prev, CLD_STOPPED, notify);
		}
	}

	f = task_flags_of(next);
	if (f && (f->state & STATE_JCTL_STOPPED)) {
		unsigned int sflags = BPF_CORE_READ(next, signal, flags);
		bool continued;

		f->state &= ~STATE_JCTL_STOPPED;
		/*
		 * SIGCONT clears each thread's JOBCTL_STOPPED and wakes it
		 * before it sets SIGNAL_STOP_CONTINUED (prepare_signal, under
		 * siglock, which this does not take): a thread woken first may
		 * run on another CPU before the group's flags say so. SIGKILL
		 * clears JOBCTL_STOPPED too, but leaves SIGKILL pending; a
		 * ptracer's attach sets JOBCTL_TRAP_STOP before it wakes the
		 * thread into a ptrace stop.
		 */
		continued = !(next->jobctl & (JOBCTL_STOPPED | JOBCTL_TRAP_STOP)) && !sigkill_pending(next);
		if (continued && (f->events & EVBIT(EV_JCTL)) && comm_ok(f, next))
			emit_jctl(next, CLD_CONTINUED,
				  (sflags & (SIGNAL_CLD_CONTINUED | SIGNAL_STOP_STOPPED)) ? CLD_CONTINUED : 0);
	}
	return 0;
}

/*
 * Entry of a system call with a path argument that some thread has a
 * trigger on (attached to syscalls/sys_enter_NAME for those calls only):
 * for a thread with a trigger on this call, the path, read now, as the
 * kernel is about to use it, into "entry_paths" for the exit program.
 */
SEC("tracepoint")
int utrace_trig_enter(struct syscall_enter_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_flags *f = task_flags_of(task);
	struct cap_spec *spec;
	struct trig_entry *e;
	long nr = ctx->nr;
	__u64 a0, a1, a2;
	int parg;

	if (!f || !f->ntrig)
		return 0;
	spec = cap_spec_of(nr);
	parg = spec ? spec->path_arg : 0;
	if (!parg || !triggers_on(f, nr))
		return 0;
	e = bpf_task_storage_get(&entry_paths, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e) {
		count(CNT_TRIG_STORE_FAILED);
		return 0;
	}
	/* Each load as it is: the verifier refuses a computed ctx offset. */
	a0 = ctx->args[0];
	a1 = ctx->args[1];
	a2 = ctx->args[2];
	barrier_var(a0);
	barrier_var(a1);
	barrier_var(a2);
	e->nr = nr;
	/* Fails (empty path, which matches no prefix) when the page is not resident. */
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)(parg == 1 ? a0 : parg == 2 ? a1 : a2)) < 0)
		e->path[0] = 0;
	return 0;
}

/*
 * Exit of a system call some thread has a trigger on (attached to
 * syscalls/sys_exit_NAME for those calls only): for a thread whose trigger
 * matches, the pending record, then SIGSTOP. The record is stored first:
 * the thread cannot stop before this program returns, and the stopper
 * reads the record only once it has. With no room for the record no signal
 * is sent (a stop nobody could recognise would be a plain SIGSTOP); the
 * failure is counted.
 */
SEC("tracepoint")
int utrace_trig_exit(struct syscall_exit_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_flags *f = task_flags_of(task);
	struct trig_entry *e = 0;
	struct trig_pending *p;
	long nr = ctx->nr, ret = ctx->ret;
	int i;

	if (!f || !f->ntrig)
		return 0;
	i = trigger_match(f, task, nr, ret, &e);
	if (i < 0)
		return 0;

	p = bpf_task_storage_get(&pending_stops, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p) {
		count(CNT_TRIG_STORE_FAILED);
		return 0;
	}
	/* A fresh record is zero; one with a time was never taken. */
	if (p->time)
		count(CNT_TRIG_REPLACED);
	p->tid = task->pid;
	p->tgid = task->tgid;
	p->time = bpf_ktime_get_ns();
	p->nr = nr;
	p->ret = ret;
	syscall_args((struct pt_regs *)bpf_task_pt_regs(task), p->args);
	p->index = i;
	p->_pad = 0;
	if (e)
		__builtin_memcpy(p->path, e->path, sizeof(p->path));
	else
		p->path[0] = 0;

	if (bpf_send_signal_thread(SIGSTOP) < 0) {
		bpf_task_storage_delete(&pending_stops, task);
		count(CNT_TRIG_SIGNAL_FAILED);
		return 0;
	}
	count(CNT_TRIG_FIRED);
	return 0;
}

/*
 * store_op does op on task t's entry in task-storage map m through box, a
 * value of size bytes on its way in or out (see struct store_req). Map
 * values are kernel memory, so bpf_probe_read_kernel copies them.
 */
static __always_inline int store_op(void *m, struct task_struct *t, __u32 op, void *box, __u32 size)
{
	void *v;

	switch (op) {
	case STORE_LOOKUP:
		v = bpf_task_storage_get(m, t, 0, 0);
		if (!v)
			return -ENOENT;
		return bpf_probe_read_kernel(box, size, v);
	case STORE_UPDATE:
		v = bpf_task_storage_get(m, t, box, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!v)
			return -ENOMEM;
		return bpf_probe_read_kernel(v, size, box);
	case STORE_UPDATE_EXIST:
		v = bpf_task_storage_get(m, t, 0, 0);
		if (!v)
			return -ENOENT;
		return bpf_probe_read_kernel(v, size, box);
	case STORE_DELETE:
		return bpf_task_storage_delete(m, t);
	}
	return -EINVAL;
}

/*
 * The task-storage mailbox, for kernels without PIDFD_THREAD: a task
 * iterator that package loader runs to look up, update or delete the
 * task-storage entry of the one thread store_req names (see struct
 * store_req). It visits every task of the system, so it serves only the
 * rare updates of threads that are not process leaders; loaded on first
 * use.
 */
SEC("iter/task")
int utrace_store(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct store_req *req;
	__u32 zero = 0;
	void *box;

	if (!task)
		return 0;
	req = bpf_map_lookup_elem(&store_reqs, &zero);
	if (!req || task->pid != req->tid)
		return 0;
	switch (req->map) {
	case STORE_FLAGS:
		box = bpf_map_lookup_elem(&store_flags, &zero);
		if (box)
			req->result = store_op(&flags, task, req->op, box, sizeof(struct task_flags));
		break;
	case STORE_TSTATS:
		box = bpf_map_lookup_elem(&store_tstats, &zero);
		if (box)
			req->result = store_op(&tstats, task, req->op, box, sizeof(struct task_stats));
		break;
	case STORE_PENDING:
		box = bpf_map_lookup_elem(&store_pending, &zero);
		if (box)
			req->result = store_op(&pending_stops, task, req->op, box, sizeof(struct trig_pending));
		break;
	default:
		req->result = -EINVAL;
	}
	return 0;
}
