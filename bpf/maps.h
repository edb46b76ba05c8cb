/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.h: the maps of utrace.bpf.c, each with its key and value.
 */
#ifndef UTRACE_MAPS_H
#define UTRACE_MAPS_H

#include "utrace.h"

/*
 * flags: per-task utrace flags.
 * key:   the task (a pidfd from user space, a task_struct pointer in BPF)
 * value: struct task_flags
 * A task without an entry is not watched; every program starts with this
 * lookup, which for such a task is its whole cost. The entry goes with the
 * task_struct, after sched_process_free.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_flags);
} flags SEC(".maps");

/*
 * events: the ring buffer of records (struct rec_*), shared by all CPUs so
 * that the records of one thread stay in order. Its size is set at load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/*
 * counters: per-CPU counters, never reset.
 * key:   slot: an event number (records of that type that found the ring
 *        buffer full and were lost), or CNT_INHERIT_FAILED, CNT_STATS_FAILED
 * value: count on this CPU; user space sums the CPUs
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * ring_pace: how often a CPU asks the ring buffer how full it is, for
 * batched wake-ups (see batched_wakeup).
 * key:   0
 * value: bytes of syscall records this CPU submitted since it last asked
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ring_pace SEC(".maps");

/*
 * tstats: per-task syscall aggregates of counting threads.
 * key:   the task (a pidfd from user space, a task_struct pointer in BPF)
 * value: struct task_stats
 * Created (zeroed) by user space when counting starts, or at fork for the
 * child of a followed counting thread; user space sets "stopped" when
 * counting stops, and the entry goes with the task. Kept in task storage
 * rather than in a hash map keyed by tid: the lookup costs less than half
 * (measured: counting 1.36x the empty-program floor instead of 1.52x), and
 * the syscall programs already hold the task.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_stats);
} tstats SEC(".maps");

/*
 * final_stats: the aggregates of counting threads that exited, copied from
 * tstats at sched_process_exit (a thread's task storage goes when it is
 * freed, which for a non-leader thread follows its exit at once).
 * key:   tid
 * value: struct syscall_stats
 * Deleted by user space once the thread is reaped, or when counting starts
 * afresh on the tid.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct syscall_stats);
} final_stats SEC(".maps");

/*
 * hists: log2 histograms of the durations of system calls, per syscall
 * number, summed over every thread that counts with task_stats.histogram
 * set (the calls its counting filter lets through; exit and exit_group,
 * counted at entry, have no duration and are not in them).
 * key:   syscall number, 0..SYSCALL_MAX-1
 * value: struct syscall_hist
 * Written by sys_exit with atomic adds, as BCC's histograms are: one
 * array shared by the CPUs costs 256 KiB whatever their number, where a
 * per-CPU one would cost that per CPU. Never reset: user space reads it
 * and takes differences. Every counted call lands in a slot (the key is
 * bounded as the counts' index is), so nothing is dropped.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_MAX);
	__type(key, __u32);
	__type(value, struct syscall_hist);
} hists SEC(".maps");

/*
 * zero_stats: one all-zero struct task_stats, never written: the initial
 * value of a followed child's tstats (too large for the BPF stack).
 * key:   0
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_stats);
} zero_stats SEC(".maps");

/*
 * tid_bits: two bits per tid (TID_BIT_*), tested by the syscall programs
 * before any lookup, so that a thread nobody watches costs a bit test.
 * key:   (tid % TID_BITS_TIDS) / 32
 * value: bits 2*(tid % 32) and 2*(tid % 32)+1
 * User space maps it and sets bits atomically; the fork and exec programs
 * set the bits of threads that inherit or take over a tid. User space
 * clears it all when the syscall programs are detached.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TID_BITS_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} tid_bits SEC(".maps");

/*
 * entry_paths: the path argument of a triggered-on call, read at its entry.
 * key:   the task (a task_struct pointer in BPF; user space does not use it)
 * value: struct trig_entry
 * Created by utrace_trig_enter when a thread first enters a system call
 * with a path argument that it has a trigger on; the entry goes with the
 * task. Per task, not per CPU: a call may sleep and migrate between entry
 * and exit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct trig_entry);
} entry_paths SEC(".maps");

/*
 * pending_stops: a trigger that fired and whose stop has not been taken.
 * key:   the task (a pidfd from user space, a task_struct pointer in BPF)
 * value: struct trig_pending
 * Created by utrace_trig_exit when a trigger fires (a thread has at most
 * one: it stops before it can make another call); read and deleted by user
 * space (Loader.TakeTrigger) once the thread has stopped. Its presence is
 * the mark by which the stopper knows a SIGSTOP with si_code SI_KERNEL for
 * its own.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct trig_pending);
} pending_stops SEC(".maps");

/*
 * dead_groups: which thread of a process reported group_dead, on kernels
 * whose sched_process_exit does not pass it (derived_group_dead()).
 * key:   the process's group leader (a task_struct pointer in BPF; user
 *        space does not use it)
 * value: 1 once some thread of the process has claimed group_dead (64 bits:
 *        the exchange that claims it is a 64-bit atomic)
 * Created by the first thread that exits after the process's live count
 * reached zero; the entry goes with the leader's task_struct, which the
 * kernel frees only after every other thread of the process.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} dead_groups SEC(".maps");

/*
 * store_reqs, store_flags, store_tstats, store_pending: the task-storage
 * mailbox of utrace_store (see struct store_req).
 * key:   0
 * value: the request; the boxes hold a value of "flags", "tstats" and
 *        "pending_stops" on its way in or out
 * Written and read by user space only around a run of the iterator, under
 * a lock of its own.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct store_req);
} store_reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_flags);
} store_flags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_stats);
} store_tstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trig_pending);
} store_pending SEC(".maps");

/*
 * cap_specs: what of each system call's memory the programs copy for
 * threads with OPT_CAPTURE (struct cap_spec).
 * key:   syscall number, 0..SYSCALL_MAX-1
 * value: struct cap_spec
 * Filled by the loader from package core/sysabi before any program runs,
 * and never written after.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_MAX);
	__type(key, __u32);
	__type(value, struct cap_spec);
} cap_specs SEC(".maps");

/*
 * calls: the system call a thread with OPT_CAPTURE is in (struct
 * call_state), written at its entry and taken at its exit.
 * key:   the task (a task_struct pointer in BPF; user space does not use it)
 * value: struct call_state
 * Created at the thread's first captured entry; the entry goes with the
 * task.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_state);
} calls SEC(".maps");

/*
 * cap_state is the state of putting one syscall record together: the
 * call, where the next region goes, and the loops over an item's elements.
 * It lives in the scratch buffer with the record, not on the stack: the
 * verifier does not follow values kept in maps, so the loops that advance
 * it are checked once instead of count by count.
 */
struct cap_state {
	__u64 args[6];
	__u64 sp;       /* the stack pointer at the call's entry */
	__s64 ret;
	__u64 off;      /* the next free byte of buf */
	__u64 limit;    /* regions must end below this offset */
	__u64 base;     /* an item's array */
	__u64 remain;   /* bytes its buffers still hold (iovec at exit), or of dirents */
	__u64 arr;      /* offset of argv's region in buf */
	__u32 nr;
	__u32 count;    /* elements seen */
	__u32 elems;    /* nonzero until an array's end is found */
	__u32 elem_len; /* bound of each element's copy */
	__u16 nregion;
	__u16 faulted;  /* entry items whose region was unreadable */
	__u16 retry;    /* at exit: entry items to copy again */
	__u8 exit;      /* copying at the call's exit */
	__u8 item;      /* the item being copied */
};

/* The record being put together, and its state; SCRATCH_BUF bytes of record. */
struct scratch {
	struct cap_state st;
	__u8 buf[SCRATCH_BUF];
};

/*
 * scratch_bufs: where a syscall record with regions is put together
 * before it is copied into the ring buffer with its real size
 * (bpf_ringbuf_reserve takes only constant sizes).
 * key:   0
 * value: struct scratch, per CPU (the syscall programs run with
 *        preemption disabled, so one CPU builds one record at a time)
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_bufs SEC(".maps");

/*
 * targets, target_flags, target_config: the target rules of monitor mode
 * (struct target_rule), each rule's template flags, and how many rules are
 * armed.
 * key:   the rule's index, 0..TARGET_MAX-1 (target_config: 0)
 * value: struct target_rule; struct task_flags, what a task the rule
 *        selects gets (the flags the monitor's engines would set, with
 *        OPT_FOLLOW when the rule follows); struct target_conf
 * Written by user space while target_config's nrules is 0, which it sets last
 * (and clears first when it changes the rules).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TARGET_MAX);
	__type(key, __u32);
	__type(value, struct target_rule);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TARGET_MAX);
	__type(key, __u32);
	__type(value, struct task_flags);
} target_flags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct target_conf);
} target_config SEC(".maps");

/*
 * match_bufs: the strings a target rule is matched against (comm and exec
 * filename), copied here so the matching loop indexes map memory.
 * key:   0
 * value: struct match_buf, this CPU's
 */
struct glob_state {
	__u32 plen;   /* bytes of pat */
	__u32 slen;   /* bytes of str */
	__u32 p;      /* the next byte of pat to match */
	__u32 s;      /* the next byte of str to match */
	__s32 star;   /* the last '*' met in pat; -1 none */
	__u32 mark;   /* where in str the bytes that star matches end */
	__s32 result; /* 1 once str matched; 0 otherwise */
	__u32 _pad;
};

/*
 * The state of one glob match lives here, not on the stack, for the same
 * reason as struct cap_state: the verifier checks the loop that advances
 * it once.
 */
struct match_buf {
	struct glob_state g;
	__u32 comm_len;       /* bytes of comm */
	__u32 exe_len;        /* bytes of exe; 0 none (a fork) */
	char pat[TGT_PAT_LEN]; /* the pattern being matched */
	char str[PATH_LEN];   /* the string being matched */
	char comm[PATH_LEN];  /* the task's comm */
	char exe[PATH_LEN];   /* the exec's file name */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct match_buf);
} match_bufs SEC(".maps");

#endif /* UTRACE_MAPS_H */
