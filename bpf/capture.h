/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * capture.h: copying the memory a system call's arguments point at into
 * the regions of its record, when the kernel uses it: inputs at the call's
 * entry, outputs at its exit (struct cap_spec, filled from core/sysabi).
 *
 * A passive tracer cannot read the thread's memory later and call it the
 * call's argument: by then the thread has moved on (a buffer read and
 * overwritten, a stat struct reused). What cannot be read when copied (a
 * page not yet faulted in: BPF cannot fault) is marked REG_FAULT, and an
 * entry item so marked is copied again at the call's exit, when the kernel
 * has faulted in what it read; the decoder prints what stays unreadable as
 * an address, as strace prints an unreadable pointer.
 *
 * Records are put together in a per-CPU scratch buffer ("scratch_bufs"),
 * with the state of the copying (struct cap_state), and copied into the
 * ring buffer with their real size. Every loop over items and array
 * elements is a bpf_loop, and the work of each step a global function
 * (cap_*), which the verifier checks once, on its own, instead of once per
 * path through its callers; the state it advances is in the map, where
 * the verifier does not follow it, so the loops converge at once.
 */
#ifndef UTRACE_CAPTURE_H
#define UTRACE_CAPTURE_H

#include "helpers.h"

/*
 * str_limit is strace's -s: how many bytes of a string or buffer a record
 * carries (strings one more is read, to know that they go on). Set at load
 * time; at most REGION_MAX - 2.
 */
const volatile __u32 str_limit = 32;

/* Regions start below HALF, so that one of REGION_MAX bytes always fits. */
#define HALF 16384
#define MAX_REGIONS 128
#define ARGV_MAX 64      /* argv elements copied at most */
#define ENVP_MAX 4096    /* envp elements counted at most */
#define DIRENTS_MAX 4096 /* dirents counted at most */
#define AT_EXECFN 31

static __always_inline struct scratch *scratch_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch_bufs, &zero);
}

static __always_inline struct cap_spec *cap_spec_of(long nr)
{
	__u32 key = nr;

	if (nr < 0 || nr >= SYSCALL_MAX)
		return 0;
	return bpf_map_lookup_elem(&cap_specs, &key);
}

/* restart_code reports whether ret is one of the kernel's restart codes (-512..-516). */
static __always_inline bool restart_code(long ret)
{
	return ret <= -512 && ret >= -516;
}

/* sigkill_pending reports whether t has SIGKILL pending: it is about to die. */
static __always_inline bool sigkill_pending(struct task_struct *t)
{
	return t->pending.signal.sig[0] & (1ULL << (SIGKILL - 1));
}

/* is_error reports whether a return value is a negative errno. */
static __always_inline bool is_error(long ret)
{
	return ret < 0 && ret >= -4095;
}

/*
 * interrupted reports whether a signal interrupted a call, to be restarted
 * or to fail with EINTR once the handler ran: the restart codes, which
 * sys_exit sees before signal delivery rewrites them.
 */
static __always_inline bool interrupted(long ret)
{
	return restart_code(ret);
}

/*
 * new_region returns the header of the next region, with room for *n
 * bytes after it (*n is cut to fit), or NULL when the record is full.
 */
static __always_inline struct rec_region *new_region(struct scratch *s, __u64 *n)
{
	struct cap_state *c = &s->st;
	__u64 off = c->off;
	__u64 room;

	if (c->nregion >= MAX_REGIONS || off >= HALF || off + sizeof(struct rec_region) >= c->limit)
		return 0;
	room = clamp(c->limit - off - sizeof(struct rec_region), REGION_MAX);
	/*
	 * The room left, then the constant bound again: older verifiers (6.1)
	 * learn nothing from comparing two ranges, only from a constant.
	 */
	*n = clamp(clamp(*n, room), REGION_MAX);
	return (struct rec_region *)&s->buf[off & (HALF - 1)];
}

/* end_region finishes region r of len bytes and flags. */
static __always_inline void end_region(struct scratch *s, struct rec_region *r, __u64 addr, __u64 len, __u16 flags)
{
	struct cap_state *c = &s->st;

	if (c->exit)
		flags |= REG_EXIT;
	if ((flags & REG_FAULT) && !c->exit && c->item < CAP_ITEMS)
		c->faulted |= 1 << c->item;
	r->addr = addr;
	r->len = len;
	r->flags = flags;
	r->item = c->item;
	r->_pad = 0;
	c->off += sizeof(*r) + ((len + 7) & ~7ULL);
	c->nregion++;
}

/*
 * cap_mem appends a region with the n bytes of user memory at addr; more
 * says that the memory goes on past them (REG_TRUNC).
 */
__noinline int cap_mem(__u64 addr, __u64 n, int more)
{
	struct scratch *s = scratch_buf();
	struct rec_region *r;
	__u64 want = n;

	if (!s || !addr)
		return 0;
	r = new_region(s, &n);
	if (!r)
		return 0;
	if (n < want)
		more = 1;
	if (bpf_probe_read_user(r + 1, n, (void *)addr)) {
		end_region(s, r, addr, 0, REG_FAULT);
		return 0;
	}
	end_region(s, r, addr, n, more ? REG_TRUNC : 0);
	return 0;
}

/*
 * cap_str appends a region with the NUL-terminated string at addr, of at
 * most max bytes. Room for one byte more and the NUL is read, to know
 * whether it goes on.
 */
__noinline int cap_str(__u64 addr, __u32 max)
{
	struct scratch *s = scratch_buf();
	struct rec_region *r;
	__u64 n = (__u64)max + 2;
	bool cut;
	long got;

	if (!s || !addr)
		return 0;
	r = new_region(s, &n);
	if (!r || n == 0)
		return 0;
	cut = n < (__u64)max + 2;
	got = bpf_probe_read_user_str(r + 1, n, (void *)addr);
	if (got <= 0) {
		end_region(s, r, addr, 0, REG_FAULT | REG_STRING);
		return 0;
	}
	got--; /* the NUL */
	if (got > max || (cut && got == n - 1)) {
		/* Longer than max, or than the room left: it went on. */
		end_region(s, r, addr, got > max ? max : got, REG_STRING | REG_TRUNC);
		return 0;
	}
	end_region(s, r, addr, got, REG_STRING);
	return 0;
}

/* cap_count appends a REG_COUNT region: count elements of the array at addr. */
__noinline int cap_count(__u64 addr, __u32 count, int more)
{
	struct scratch *s = scratch_buf();
	struct rec_region *r;
	__u64 n = 4;

	if (!s)
		return 0;
	r = new_region(s, &n);
	if (!r || n < 4)
		return 0;
	*(__u32 *)(r + 1) = count;
	end_region(s, r, addr, 4, REG_COUNT | (more ? REG_TRUNC : 0));
	return 0;
}

/*
 * argv_slot returns where in s->buf pointer i of the argv array being
 * copied goes (in the array's region at st.arr), or -1 past the buffer.
 */
static __always_inline long argv_slot(struct scratch *s, __u32 i)
{
	__u64 at = s->st.arr + sizeof(struct rec_region) + 8 * (__u64)i;

	return at > SCRATCH_BUF - 8 ? -1 : (long)at;
}

/*
 * argv, first pass: the pointers, one at a time (a NULL at the end of a
 * mapping must not make the whole array unreadable), into the array's
 * region at st.arr, up to and with the NULL.
 */
static long argv_ptr(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();
	long at;
	__u64 p;

	if (!s || (at = argv_slot(s, i)) < 0)
		return 1;
	if (bpf_probe_read_user(&p, sizeof(p), (void *)(s->st.base + 8 * (__u64)i)))
		return 1;
	*(__u64 *)&s->buf[at & 32767] = p;
	s->st.count++;
	if (!p) {
		s->st.elems = 0; /* found the end */
		return 1;
	}
	return 0;
}

/* argv, second pass: the string of each pointer copied. */
static long argv_str(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();
	long at;
	__u64 p;

	if (!s || (at = argv_slot(s, i)) < 0)
		return 1;
	p = *(__u64 *)&s->buf[at & 32767];
	if (!p)
		return 1;
	cap_str(p, s->st.elem_len);
	return 0;
}

/* cap_argv copies argv: the pointer array at addr, then its strings. */
__noinline int cap_argv(__u64 addr, __u32 max)
{
	struct scratch *s = scratch_buf();
	struct rec_region *r;
	__u64 n;

	if (!s || !addr)
		return 0;
	max = max > ARGV_MAX ? ARGV_MAX : max;
	n = 8 * ((__u64)max + 1);
	r = new_region(s, &n);
	if (!r)
		return 0;
	s->st.arr = s->st.off;
	s->st.base = addr;
	s->st.count = 0;
	s->st.elems = 1;
	bpf_loop(n / 8, argv_ptr, 0, 0);
	/* The state is the map's: look again after the loop. */
	s = scratch_buf();
	if (!s)
		return 0;
	r = (struct rec_region *)&s->buf[s->st.arr & (HALF - 1)];
	if (!s->st.count) {
		end_region(s, r, addr, 0, REG_FAULT);
		return 0;
	}
	end_region(s, r, addr, 8 * (__u64)(s->st.count & 127), s->st.elems ? REG_TRUNC : 0);
	s->st.elem_len = str_limit;
	bpf_loop(s->st.count, argv_str, 0, 0);
	return 0;
}

/* envp: count the elements, 8 at a time. */
static long envp_chunk(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();
	__u64 p[8] = {};

	if (!s || bpf_probe_read_user(p, sizeof(p), (void *)(s->st.base + 64 * (__u64)i)))
		return 1;
	for (int j = 0; j < 8; j++) {
		if (!p[j]) {
			s->st.elems = 0; /* found the end */
			return 1;
		}
		s->st.count++;
	}
	return 0;
}

/* cap_envp counts the elements of envp (strace prints the count only). */
__noinline int cap_envp(__u64 addr)
{
	struct scratch *s = scratch_buf();

	if (!s || !addr)
		return 0;
	s->st.base = addr;
	s->st.count = 0;
	s->st.elems = 1;
	bpf_loop(ENVP_MAX / 8, envp_chunk, 0, 0);
	s = scratch_buf();
	if (s)
		cap_count(addr, s->st.count, s->st.elems != 0);
	return 0;
}

/* iovec: each element's buffer, at most elem_len bytes, at exit within remain. */
static long iov_elem(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();
	__u64 iov[2] = {};
	__u64 n, max;

	if (!s || bpf_probe_read_user(iov, sizeof(iov), (void *)(s->st.base + 16 * (__u64)i)))
		return 1;
	n = iov[1];
	if (s->st.exit) {
		if (!s->st.remain)
			return 1;
		if (n > s->st.remain)
			n = s->st.remain;
		s->st.remain -= n;
	}
	max = s->st.elem_len;
	cap_mem(iov[0], n > max ? max : n, n > max);
	return 0;
}

/* cap_iovec copies an iovec array of count elements at addr and its buffers. */
__noinline int cap_iovec(__u64 addr, __u64 count, __u32 max)
{
	struct scratch *s;
	int more = count > max;

	if (!addr)
		return 0;
	if (more)
		count = max;
	cap_mem(addr, count * 16, more);
	s = scratch_buf();
	if (!s)
		return 0;
	s->st.base = addr;
	s->st.remain = s->st.exit && s->st.ret > 0 ? s->st.ret : 0;
	s->st.elem_len = str_limit;
	bpf_loop(count, iov_elem, 0, 0);
	return 0;
}

/* cap_msghdr copies a struct msghdr, its name, its iovec and its control. */
__noinline int cap_msghdr(__u64 addr, __u32 max)
{
	__u64 m[7] = {};

	if (!addr)
		return 0;
	cap_mem(addr, sizeof(m), 0);
	if (bpf_probe_read_user(m, sizeof(m), (void *)addr))
		return 0;
	/* msg_name, msg_namelen; msg_iov, msg_iovlen; msg_control, msg_controllen */
	cap_mem(m[0], (__u32)m[1] > 128 ? 128 : (__u32)m[1], 0);
	cap_iovec(m[2], m[3], max);
	cap_mem(m[4], m[5] > 128 ? 128 : m[5], m[5] > 128);
	return 0;
}

/* dirents: walk the records by d_reclen. */
static long dirent_next(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();
	__u16 reclen = 0;

	if (!s || s->st.remain < 19)
		return 1;
	if (bpf_probe_read_user(&reclen, sizeof(reclen), (void *)(s->st.base + 16)) || !reclen ||
	    reclen > s->st.remain)
		return 1;
	s->st.count++;
	s->st.base += reclen;
	s->st.remain -= reclen;
	return 0;
}

/* cap_dirents counts the linux_dirent64 records in the ret bytes at addr. */
__noinline int cap_dirents(__u64 addr)
{
	struct scratch *s = scratch_buf();

	if (!s || !addr || s->st.ret <= 0)
		return 0;
	s->st.base = addr;
	s->st.remain = s->st.ret;
	s->st.count = 0;
	bpf_loop(DIRENTS_MAX, dirent_next, 0, 0);
	s = scratch_buf();
	if (s)
		cap_count(addr, s->st.count, s->st.remain != 0);
	return 0;
}

/* auxv: find AT_EXECFN in the new image's saved auxiliary vector. */
static long auxv_pair(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();
	__u64 pair[2] = {};

	if (!s || bpf_probe_read_kernel(pair, sizeof(pair), (void *)(s->st.base + 16 * (__u64)i)) || !pair[0])
		return 1;
	if (pair[0] == AT_EXECFN) {
		s->st.remain = pair[1];
		return 1;
	}
	return 0;
}

/*
 * cap_exec_new copies, at a successful execve's exit, what the new image
 * was given: its argument strings, and the file name it was executed as.
 * The kernel has just written both to the new stack.
 */
__noinline int cap_exec_new(void)
{
	/* Addresses as plain numbers: they are only read through probes. */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct scratch *s = scratch_buf();
	struct rec_region *r;
	__u64 start, end, n;

	if (!s || !mm)
		return 0;
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	if (end > start) {
		n = end - start;
		r = new_region(s, &n);
		if (r) {
			if (bpf_probe_read_user(r + 1, n, (void *)start))
				end_region(s, r, start, 0, REG_EXEC_ARGS | REG_FAULT);
			else
				end_region(s, r, start, n, REG_EXEC_ARGS | (n < end - start ? REG_TRUNC : 0));
		}
	}
	s->st.base = (__u64)mm + bpf_core_field_offset(struct mm_struct, saved_auxv);
	s->st.remain = 0;
	bpf_loop(bpf_core_field_size(struct mm_struct, saved_auxv) / 16, auxv_pair, 0, 0);
	s = scratch_buf();
	if (!s || !s->st.remain)
		return 0;
	start = s->st.remain;
	n = PATH_MAX;
	r = new_region(s, &n);
	if (r && n) {
		long got = bpf_probe_read_user_str(r + 1, n, (void *)start);

		if (got > 0)
			end_region(s, r, start, got - 1, REG_EXEC_FN | REG_STRING);
		else
			end_region(s, r, start, 0, REG_EXEC_FN | REG_STRING | REG_FAULT);
	}
	return 0;
}

/*
 * cap_one copies the capture item idx of the call the scratch state is
 * about: entry items 0..CAP_ITEMS-1, exit items CAP_ITEMS.. .
 */
__noinline int cap_one(__u32 idx)
{
	struct scratch *s = scratch_buf();
	struct cap_spec *spec;
	struct cap_item *it;
	__u64 i, addr, n;
	__u32 max, len32 = 0;

	if (!s || idx >= 2 * CAP_ITEMS)
		return 0;
	i = clamp(idx, 2 * CAP_ITEMS - 1); /* the checked index, in a register the verifier knows */
	spec = cap_spec_of(s->st.nr);
	if (!spec)
		return 0;
	it = i < CAP_ITEMS ? &spec->entry[i] : &spec->exit[i - CAP_ITEMS];
	if (it->arg >= 6 || (it->how != CAP_STACK && (it->aux == 6 || (it->aux > 6 && it->aux != AUX_RET))))
		return 0;
	if (i >= CAP_ITEMS && (it->cond_arg == COND_INTR) != is_error(s->st.ret))
		return 0; /* an output not written */
	if (i >= CAP_ITEMS && it->cond_arg == COND_INTR && !interrupted(s->st.ret))
		return 0;
	if (it->cond_arg != COND_NONE && it->cond_arg != COND_INTR &&
	    (it->cond_arg >= 6 || (s->st.args[it->cond_arg & 7] & it->cond_mask) != it->cond_val))
		return 0;
	s->st.item = i;
	addr = s->st.args[it->arg & 7];
	max = it->max ? it->max : str_limit;
	switch (it->how) {
	case CAP_STRING:
		cap_str(addr, max);
		break;
	case CAP_FIXED:
		cap_mem(addr, it->size, 0);
		break;
	case CAP_LEN_ARG:
		n = s->st.args[it->aux & 7];
		cap_mem(addr, n > max ? max : n, n > max);
		break;
	case CAP_LEN_RET:
		n = s->st.ret > 0 ? s->st.ret : 0;
		cap_mem(addr, n > max ? max : n, n > max);
		break;
	case CAP_LEN_PTR:
		if (bpf_probe_read_user(&len32, sizeof(len32), (void *)s->st.args[it->aux & 7]))
			return 0;
		cap_mem(addr, len32 > max ? max : len32, len32 > max);
		break;
	case CAP_ARRAY:
		n = it->aux == AUX_RET ? (s->st.ret > 0 ? s->st.ret : 0) : s->st.args[it->aux & 7];
		cap_mem(addr, (n > max ? max : n) * it->size, n > max);
		break;
	case CAP_STR_ARRAY:
		cap_argv(addr, max);
		break;
	case CAP_STR_COUNT:
		cap_envp(addr);
		break;
	case CAP_IOVEC:
		cap_iovec(addr, s->st.args[it->aux & 7], max);
		break;
	case CAP_MSGHDR:
		cap_msghdr(addr, max);
		break;
	case CAP_FD_SET:
		n = (s->st.args[it->aux & 7] + 63) / 64 * 8;
		cap_mem(addr, n > 128 ? 128 : n, n > 128);
		break;
	case CAP_DEREF:
		if (bpf_probe_read_user(&n, sizeof(n), (void *)(addr + 8 * (__u64)it->aux)))
			return 0;
		cap_mem(n, it->size, 0);
		break;
	case CAP_DIRENTS:
		cap_dirents(addr);
		break;
	case CAP_EXEC_NEW:
		if (s->st.ret == 0)
			cap_exec_new();
		break;
	case CAP_STACK:
		cap_mem(s->st.sp + 8 * (__u64)it->aux, it->size, 0);
		break;
	}
	return 0;
}

/* The callbacks over a call's items: entry (again at exit for those that faulted), exit. */
static long entry_item(__u32 i, void *unused)
{
	struct scratch *s = scratch_buf();

	if (!s || (s->st.exit && !(s->st.retry & (1 << (i & 15)))))
		return 0;
	cap_one(i);
	return 0;
}

static long exit_item(__u32 i, void *unused)
{
	cap_one(CAP_ITEMS + i);
	return 0;
}

/*
 * cap_begin starts the record of call nr in s: its arguments and return
 * value, regions from offset off up to limit.
 */
static __always_inline void cap_begin(struct scratch *s, long nr, const __u64 *args, __u64 sp, long ret,
				      __u64 off, __u64 limit, bool exit)
{
	struct cap_state *c = &s->st;

	for (int i = 0; i < 6; i++)
		c->args[i] = args[i];
	c->sp = sp;
	c->ret = ret;
	c->nr = nr;
	c->off = off;
	c->limit = limit;
	c->nregion = 0;
	c->faulted = 0;
	c->retry = 0;
	c->exit = exit;
	c->item = 0;
}

#endif /* UTRACE_CAPTURE_H */
