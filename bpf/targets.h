/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * targets.h: the target rules of monitor mode (struct target_rule), matched
 * in the kernel at exec and fork, and the process facts that exec and exit
 * records carry (what execsnoop and exitsnoop print).
 */
#ifndef UTRACE_TARGETS_H
#define UTRACE_TARGETS_H

#include "helpers.h"

/*
 * The longest glob match: the classic loop with one backtracking point
 * takes at most about pattern length × string length steps
 * (TGT_PAT_LEN × PATH_LEN); a match that would take more is no match.
 */
#define GLOB_STEPS (TGT_PAT_LEN * PATH_LEN)

/* glob_step is one step of matching m->pat against m->str (see struct glob_state). */
static long glob_step(__u32 i, void *unused)
{
	__u32 zero = 0;
	struct match_buf *m = bpf_map_lookup_elem(&match_bufs, &zero);
	struct glob_state *g;
	char pc = 0, sc;

	if (!m)
		return 1;
	g = &m->g;
	if (g->p < g->plen)
		pc = m->pat[g->p & (TGT_PAT_LEN - 1)];
	if (g->s >= g->slen) {
		/* The string is used up: what is left of the pattern must be stars. */
		if (pc == '*') {
			g->p++;
			return 0;
		}
		g->result = g->p >= g->plen;
		return 1;
	}
	sc = m->str[g->s & (PATH_LEN - 1)];
	if (pc == '*') {
		g->star = g->p++;
		g->mark = g->s;
		return 0;
	}
	if (pc && (pc == '?' || pc == sc)) {
		g->p++;
		g->s++;
		return 0;
	}
	if (g->star >= 0) {
		/* Let the last star take one byte more, and try again after it. */
		g->p = g->star + 1;
		g->s = ++g->mark;
		return 0;
	}
	return 1;
}

/*
 * glob_match reports whether the string str (slen bytes, in m) matches the
 * pattern pat (plen bytes, in a target rule): '*' matches any run of bytes,
 * '?' any one byte, every other byte itself.
 */
static __always_inline bool glob_match(struct match_buf *m, const char *pat, __u32 plen, const char *str, __u32 slen)
{
	if (bpf_probe_read_kernel(m->pat, sizeof(m->pat), pat) || bpf_probe_read_kernel(m->str, sizeof(m->str), str))
		return false;
	m->g.plen = plen;
	m->g.slen = slen;
	m->g.p = 0;
	m->g.s = 0;
	m->g.star = -1;
	m->g.mark = 0;
	m->g.result = 0;
	bpf_loop(GLOB_STEPS, glob_step, 0, 0);
	return m->g.result == 1;
}

/* str_len returns the length of a string that bpf_probe_read_*_str returned n for. */
static __always_inline __u32 str_len(long n)
{
	return n > 0 ? n - 1 : 0;
}

/* targets_armed reports whether any target rule is armed: the one lookup an exec or fork pays when none is. */
static __always_inline bool targets_armed(void)
{
	__u32 zero = 0;
	struct target_conf *c = bpf_map_lookup_elem(&target_config, &zero);

	return c && c->nrules;
}

/*
 * match_buf_for fills the per-CPU match buffer with task t's comm and, at
 * an exec, the file name it executed (filename, kernel memory; NULL at a
 * fork).
 */
static __always_inline struct match_buf *match_buf_for(struct task_struct *t, const char *filename)
{
	__u32 zero = 0;
	struct match_buf *m = bpf_map_lookup_elem(&match_bufs, &zero);

	if (!m)
		return 0;
	m->comm_len = str_len(bpf_probe_read_kernel_str(m->comm, sizeof(m->comm), t->comm));
	m->exe_len = 0;
	if (filename)
		m->exe_len = str_len(bpf_probe_read_kernel_str(m->exe, sizeof(m->exe), filename));
	return m;
}

/*
 * target_select returns the index of the first armed rule that task t
 * matches, or -1. It runs in t (an exec) or in its parent (a fork, t the
 * child), whose credentials and cgroup t has; m holds t's strings
 * (match_buf_for), with no file name at a fork, where exe rules do not
 * match.
 */
static __always_inline int target_select(struct task_struct *t, struct match_buf *m)
{
	__u32 zero = 0;
	struct target_conf *c = bpf_map_lookup_elem(&target_config, &zero);
	__u64 ugid;
	__u32 ppid;

	if (!c || !c->nrules)
		return -1;
	ugid = bpf_get_current_uid_gid();
	ppid = BPF_CORE_READ(t, real_parent, tgid);
	for (__u32 i = 0; i < TARGET_MAX; i++) {
		struct target_rule *r;
		__u32 key = i;

		if (i >= c->nrules)
			break;
		r = bpf_map_lookup_elem(&targets, &key);
		if (!r)
			break;
		/* The cheap tests first, the patterns last. */
		if ((r->fields & TGT_PID) && r->pid != t->tgid)
			continue;
		if ((r->fields & TGT_PPID) && r->ppid != ppid)
			continue;
		if ((r->fields & TGT_UID) && r->uid != (__u32)ugid)
			continue;
		if ((r->fields & TGT_GID) && r->gid != (__u32)(ugid >> 32))
			continue;
		if ((r->fields & TGT_CGROUP) && bpf_get_current_ancestor_cgroup_id(r->cgroup_level) != r->cgroup_id)
			continue;
		if ((r->fields & TGT_EXE) && (!m->exe_len || !glob_match(m, r->exe_pat, r->exe_len, m->exe, m->exe_len)))
			continue;
		if ((r->fields & TGT_COMM) && !glob_match(m, r->comm_pat, r->comm_len, m->comm, m->comm_len))
			continue;
		return i;
	}
	return -1;
}

/*
 * target_adopt gives task t rule i's template flags, and fresh counts when
 * the template counts, and sets its tid bits. It returns the record flags
 * that say so (REC_TARGETED and the needs), or 0 when there was no room
 * (counted in CNT_TARGET_FAILED).
 */
static __always_inline __u32 target_adopt(struct task_struct *t, __u32 i)
{
	__u32 zero = 0, key = i;
	struct task_flags *tmpl = bpf_map_lookup_elem(&target_flags, &key);
	struct target_conf *c = bpf_map_lookup_elem(&target_config, &zero);
	struct task_stats *ts = 0;
	struct task_flags *f;
	__u32 n;

	if (!tmpl || !c)
		return 0;
	f = bpf_task_storage_get(&flags, t, tmpl, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!f) {
		count(CNT_TARGET_FAILED);
		return 0;
	}
	if (c->count && !(ts = fresh_stats(t, c->filtered, c->count_set, c->histogram)))
		count(CNT_TARGET_FAILED);
	n = needs(f, ts);
	set_tid_bits(t->pid, n);
	return n | REC_TARGETED | REC_INHERITED;
}

/* ppid_of returns the process id of t's real parent. */
static __always_inline __u32 ppid_of(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, tgid);
}

/*
 * exec_facts fills what an exec record says about the process, as it is
 * now (current is t): parent, credentials, cgroup and comm.
 */
static __always_inline void exec_facts(struct rec_exec *r, struct task_struct *t)
{
	__u64 ugid = bpf_get_current_uid_gid();

	r->ppid = ppid_of(t);
	r->uid = ugid;
	r->gid = ugid >> 32;
	r->cgroup = bpf_get_current_cgroup_id();
	r->_pad = 0;
	if (bpf_get_current_comm(r->comm, sizeof(r->comm)))
		r->comm[0] = 0;
}

/*
 * exec_args copies the new image's argument strings, which exec has just
 * put at the top of its stack (mm->arg_start..arg_end), into r->args.
 */
static __always_inline void exec_args(struct rec_exec *r, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	unsigned long start, end;
	__u64 len = 0;

	r->args_len = 0;
	r->args_trunc = 0;
	if (!mm)
		return;
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	if (end > start)
		len = end - start;
	r->args_trunc = len > ARGS_LEN;
	len = clamp(len, ARGS_LEN);
	if (len && !bpf_probe_read_user(r->args, len, (const void *)start))
		r->args_len = len;
}

/*
 * argv_copy copies the strings of the NULL-terminated user array argv
 * into r->args, as a failed exec left them. Each string goes at an offset
 * below ARGS_LEN / 2 and takes at most ARGS_LEN / 2 bytes: bounds the
 * verifier can add up.
 */
static __always_inline void argv_copy(struct rec_exec *r, const char *const *argv)
{
	__u32 off = 0;

	r->args_len = 0;
	r->args_trunc = 0;
	for (int i = 0; i < ARGS_MAX; i++) {
		const char *arg = 0;
		__u32 at;
		long n;

		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return;
		if (off >= ARGS_LEN / 2) {
			r->args_trunc = 1;
			return;
		}
		/*
		 * The mask, not the test above, bounds the offset for the
		 * verifier (older ones follow impossible branches with
		 * impossible bounds); the barrier keeps the compiler from
		 * dropping it as redundant.
		 */
		at = off;
		barrier_var(at);
		at &= ARGS_LEN / 2 - 1;
		n = bpf_probe_read_user_str(&r->args[at], ARGS_LEN / 2, arg);
		if (n <= 0)
			return;
		if (n == ARGS_LEN / 2)
			r->args_trunc = 1;
		off += n;
		r->args_len = off;
	}
	r->args_trunc = 1;
}

#endif /* UTRACE_TARGETS_H */
