/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * utrace.h: the ABI between the BPF programs in utrace.bpf.c and package
 * loader. Everything here is mirrored in Go (loader/abi.go); a loader test
 * checks the sizes and offsets against the BTF of the compiled object, so a
 * change here that is not made there fails the tests.
 *
 * Ids: the kernel calls a thread's id "pid" (task->pid) and a process id
 * "tgid" (task->tgid); user space calls them tid and pid. Records carry both,
 * named tid and tgid, as seen in the initial pid namespace.
 */
#ifndef UTRACE_H
#define UTRACE_H

/*
 * Event numbers: the bit positions of core.Events, in the seed's order
 * (UTRACE_EVENT(type)). A record's type is one of these numbers; a thread's
 * event mask is a set of 1 << number.
 */
enum utrace_event {
	EV_QUIESCE = 0,       /* no passive source: synchronous stops only */
	EV_REAP = 1,          /* sched_process_free */
	EV_CLONE = 2,         /* sched_process_fork, reported by the parent */
	EV_EXEC = 3,          /* sched_process_exec */
	EV_EXIT = 4,          /* sched_process_exit, just before EV_DEATH */
	EV_DEATH = 5,         /* sched_process_exit */
	EV_SYSCALL_ENTRY = 6, /* raw_syscalls sys_enter */
	EV_SYSCALL_EXIT = 7,  /* raw_syscalls sys_exit */
	EV_SIGNAL = 8,        /* signal_deliver, handler will run */
	EV_SIGNAL_IGN = 9,    /* signal_deliver, no-op */
	EV_SIGNAL_STOP = 10,  /* signal_deliver, default action stops */
	EV_SIGNAL_TERM = 11,  /* signal_deliver, default action terminates */
	EV_SIGNAL_CORE = 12,  /* signal_deliver, default action dumps core */
	EV_JCTL = 13,         /* sched_switch: job-control stop or continue */
	NR_EVENTS = 14,
};

#define EVBIT(ev) (1U << (ev))

/* task_flags.opts */
#define OPT_FOLLOW 0x1         /* children and threads inherit the flags at fork */
#define OPT_SYSCALL_FILTER 0x2 /* syscall records only for nrs in syscalls[] (counting covers all) */
#define OPT_COMM_FILTER 0x4    /* report only while the task's comm equals comm[] */
#define OPT_EXIT_ENTRIES 0x8   /* entry records only for exit and exit_group, which never return: the
                                  exit record carries the number, arguments and entry data of the others */
#define OPT_CAPTURE 0x10       /* syscall records carry the memory the decoder prints (see struct cap_spec) */
#define OPT_ENTER_TIME 0x20    /* syscall exit records carry the time of the call's entry (with OPT_CAPTURE) */
#define OPT_FD_PATHS 0x40      /* with OPT_CAPTURE: the files open on the calls' descriptors (strace -y) */
#define OPT_FD_DETAIL 0x80     /* with OPT_FD_PATHS: sockets' protocol and addresses, devices' numbers (-yy) */

/* task_flags.state, kept by the programs */
#define STATE_JCTL_STOPPED 0x1 /* switched out in TASK_STOPPED; the next switch-in is a continue */

#define SYSCALL_MAX 512 /* syscall numbers 0..511 can be filtered, counted and triggered on */
#define PATH_LEN 256    /* bound of path strings in records, with the NUL */
#define COMM_LEN 16     /* TASK_COMM_LEN */

/*
 * Triggers (core.Trigger): conditions on a system call that the programs
 * evaluate when the call completes (sys_exit: the stop can only take effect
 * when the call returns to user mode anyway, and there the return value is
 * known). A thread holds at most TRIG_MAX of them, in its task_flags; a
 * path prefix is compared over at most TRIG_PREFIX_LEN bytes.
 */
#define TRIG_MAX 8
#define TRIG_PREFIX_LEN 64

/* trigger.op: the numbering of core.RetOp */
#define RET_ANY 0
#define RET_EQ 1
#define RET_NE 2
#define RET_LT 3
#define RET_LE 4
#define RET_GT 5
#define RET_GE 6

/*
 * One trigger: the call matches when its number is nr, its path argument
 * (read at entry: the one cap_specs names) starts with the prefix_len bytes of
 * prefix, and its return value compares with value as op says.
 */
struct trigger {
	__s32 nr;                      /* system call number, 0..SYSCALL_MAX-1 */
	__u8 op;                       /* RET_* */
	__u8 prefix_len;               /* 0..TRIG_PREFIX_LEN; 0 = any path (or none) */
	__u16 _pad;
	__s64 value;                   /* compared with the return value */
	char prefix[TRIG_PREFIX_LEN];  /* no NUL in the first prefix_len bytes; NUL padded */
};

/*
 * task_flags is the value of the per-task storage map "flags": a thread's
 * utrace flags, present while the thread's engines want some event or have
 * a trigger. Go writes the configuration; the programs keep the runtime
 * state (Go preserves it on update, best effort) and copy the whole to
 * children at fork when OPT_FOLLOW is set, triggers included.
 */
struct task_flags {
	/* Configuration, written by Go. */
	__u32 events;                     /* EVBIT set: the union of the passive masks of the thread's engines */
	__u32 opts;                       /* OPT_* */
	__u64 syscalls[SYSCALL_MAX / 64]; /* with OPT_SYSCALL_FILTER: bit nr set = report syscall nr */
	char comm[COMM_LEN];              /* with OPT_COMM_FILTER: the comm to match, NUL padded */
	/* Runtime state, written by the programs. */
	__u32 state;                      /* STATE_* */
	__u32 _pad;
	/* Configuration, written by Go: the triggers, trig[0..ntrig). */
	__u32 ntrig;                      /* 0..TRIG_MAX */
	__u32 _pad2;
	struct trigger trig[TRIG_MAX];
};

/*
 * trig_entry is the value of the per-task storage map "entry_paths": the
 * path argument of the thread's current (or last) call to a system call it
 * has a trigger on, read at sys_enter by utrace_trig_enter. Created by that
 * program the first time it needs it; it goes with the task.
 */
struct trig_entry {
	__s64 nr;            /* the call whose entry filled path; -1 none */
	char path[PATH_LEN]; /* NUL-terminated; empty if the page was not resident */
};

/*
 * trig_pending is the value of the per-task storage map "pending_stops": a
 * trigger that fired, written by utrace_trig_exit just before it sends the
 * thread SIGSTOP, and read and deleted by Go (Loader.TakeTrigger) when the
 * thread has stopped. Everything the synchronous EV_SYSCALL_EXIT report
 * needs is here.
 */
struct trig_pending {
	__u32 tid;           /* task->pid */
	__u32 tgid;          /* task->tgid */
	__u64 time;          /* bpf_ktime_get_ns() at the call's exit; never 0 */
	__s64 nr;            /* system call number */
	__s64 ret;           /* its return value */
	__u64 args[6];       /* the arguments at exit (regs.h) */
	__u32 index;         /* the trigger that matched: trig[index] */
	__u32 _pad;
	char path[PATH_LEN]; /* the path argument read at entry, "" if none */
};

/* A thread's syscall aggregates, indexed by syscall number. */
struct syscall_stat {
	__u64 calls;   /* completed calls; exit and exit_group counted at entry */
	__u64 errors;  /* calls that returned -4095..-1 */
	__u64 time_ns; /* total time between entry and exit */
};

struct syscall_stats {
	struct syscall_stat nr[SYSCALL_MAX];
};

/*
 * A log2 histogram of system call durations: slot[i] counts the calls
 * that took d nanoseconds, 2^i <= d < 2^(i+1); slot 0 also d = 0 (BCC's
 * bpf_log2l buckets, which libbpf-tools' print_log2_hist prints).
 */
#define HIST_SLOTS 64

struct syscall_hist {
	__u64 slot[HIST_SLOTS];
};

/*
 * task_stats is the value of the per-task storage map "tstats", present
 * from the time the thread's syscalls are first counted until it is freed.
 * Only the thread itself writes it, so the updates need no atomics.
 */
struct task_stats {
	__u32 stopped;            /* set by Go: counting stopped, s keeps what was counted */
	__u32 filtered;           /* set by Go: count only the calls in count_set */
	__u32 histogram;          /* set by Go: also add each counted call's duration to "hists" */
	__u32 _pad;
	__u64 count_set[SYSCALL_MAX / 64]; /* with filtered: bit nr set = count syscall nr */
	__u64 enter_time;         /* bpf_ktime_get_ns() at the current syscall's entry, 0 = none */
	__s64 enter_nr;           /* that syscall's number */
	struct syscall_stats s;
};

/*
 * The tid bitmap "tid_bits" has two bits per tid (modulo TID_BITS_TIDS),
 * which the syscall programs test before any lookup: TID_BIT_SYSCALL set
 * when the tid's thread may have syscall events in "flags", TID_BIT_COUNT
 * when it may have "tstats". It over-approximates: a bit may be set for a
 * thread that has nothing (another tid with the same bits, or one that is
 * gone), never clear for one that has something.
 */
#define TID_BITS_TIDS 65536
#define TID_BITS_WORDS (TID_BITS_TIDS / 32)
#define TID_BIT_SYSCALL 0x1
#define TID_BIT_COUNT 0x2

/* rec_hdr.flags */
#define REC_DELIVER 0x1      /* the subject asked for this event: hand it to the engines */
#define REC_INHERITED 0x2    /* CLONE: the child got the parent's flags (OPT_FOLLOW) */
#define REC_NEED_SYSCALL 0x4 /* the subject's flags want syscall events: sys_enter/sys_exit needed */
#define REC_NEED_JCTL 0x8    /* the subject's flags need the sched_switch program */
#define REC_COUNTED 0x10     /* the subject counts syscalls: sys_enter/sys_exit needed */
#define REC_FINAL_STATS 0x20 /* REAP: the subject left an entry in "final_stats" to free */
#define REC_NEED_TRIGGER 0x40 /* the subject has triggers: per-syscall tracepoints needed */
#define REC_UNFINISHED 0x80   /* SYSCALL_ENTRY: the call the thread was in when it died, reported at its death */
#define REC_DISCARDED 0x100   /* SIGNAL_IGN: ignored when sent, so discarded: reported at its sending */
#define REC_IN_SYSCALL 0x200  /* SIGNAL_IGN with REC_DISCARDED: the thread was in a system call then */
#define REC_TARGETED 0x400    /* EXEC, CLONE: a target rule selected the thread (the exec'ing one, the
                                 child) and gave it the rule's template flags (see struct target_rule) */

/*
 * Every record starts with rec_hdr. Records without REC_DELIVER are
 * bookkeeping for the loader (which threads need which programs attached,
 * when stats entries can go) and are not given to engines. For CLONE, EXEC
 * and REAP the REC_NEED_* / REC_COUNTED bits describe the thread the record
 * is about: the child for CLONE, the exec'ing thread for EXEC, the reaped
 * one for REAP.
 */
struct rec_hdr {
	__u32 type;  /* enum utrace_event */
	__u32 flags; /* REC_* */
	__u32 tid;   /* thread id: task->pid, the low half of bpf_get_current_pid_tgid() */
	__u32 tgid;  /* process id: task->tgid, the high half of bpf_get_current_pid_tgid() */
	__u64 time;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/*
 * EV_SYSCALL_ENTRY, EV_SYSCALL_EXIT. With OPT_CAPTURE the record is
 * followed by nregion regions of the thread's memory (struct rec_region,
 * each followed by its bytes padded to 8), which the programs copied when
 * the kernel used them: an exit record carries the regions copied at the
 * call's entry, then those copied at its exit.
 */
struct rec_syscall {
	struct rec_hdr h;
	__s64 nr;          /* syscall number (regs.h); -1 when a ptracer skipped the call */
	__s64 ret;         /* exit: return value, -errno on failure; entry: 0 */
	__u64 args[6];     /* the arguments (regs.h): at exit those of the call's entry, where it was seen */
	__u64 enter_time;  /* exit: bpf_ktime_get_ns() at the call's entry; 0 when it was not seen */
	__u64 sp;          /* the stack pointer at the call's entry (or exit, when that was not seen) */
	__u32 size;        /* bytes in the whole record, regions included */
	__u16 nregion;     /* regions that follow */
	__u16 resumes;     /* restart_syscall, with OPT_CAPTURE: 1 + the call it resumes (the thread's
	                      last to return -ERESTART_RESTARTBLOCK); 0 unknown */
};

/* rec_region.flags */
#define REG_STRING 0x1    /* a NUL-terminated string: len excludes the NUL */
#define REG_TRUNC 0x2     /* the memory went on past what was copied */
#define REG_FAULT 0x4     /* unreadable when copied (len 0) */
#define REG_EXIT 0x8      /* copied at the call's exit (else at its entry) */
#define REG_COUNT 0x10    /* not memory: a __u32 count of the elements of the array at addr */
#define REG_EXEC_ARGS 0x20 /* execve at exit: the new image's argument strings, NUL-separated */
#define REG_EXEC_FN 0x40  /* execve at exit: the file name the new image was executed as */
#define REG_FD_PATH 0x80  /* not memory: with REG_STRING, what is open on descriptor addr, as
                             /proc/PID/fd/addr reads (at the call's entry, or with REG_EXIT at its exit) */
#define REG_FD_NAMED 0x100 /* with REG_FD_PATH: a name the kernel makes up (pipe:[5], TCP:[...]), not a path */
#define REG_FD_DEVICE 0x200 /* with REG_FD_PATH: a path, then -yy's <char 1:3> */
#define REG_FD_DELETED 0x400 /* with REG_FD_PATH: the file was unlinked (d_path's " (deleted)") */

/* One region of a syscall record; len bytes follow, padded to 8. */
struct rec_region {
	__u64 addr;  /* where the bytes are in the thread's memory */
	__u32 len;   /* bytes that follow */
	__u16 flags; /* REG_* */
	__u8 item;   /* the capture item: entry items 0..CAP_ITEMS-1, exit items CAP_ITEMS.. */
	__u8 _pad;
};

/*
 * Captures (package core/sysabi's Capture, whose numbering these follow):
 * what of a system call's memory the programs copy, per syscall number,
 * in the map "cap_specs" that the loader fills from the sysabi table.
 */
#define CAP_STRING 1      /* NUL-terminated string at arg, at most max bytes (0: the string limit) */
#define CAP_FIXED 2       /* size bytes at arg */
#define CAP_LEN_ARG 3     /* arg[aux] bytes at arg, at most max (0: the string limit) */
#define CAP_LEN_RET 4     /* at exit: ret bytes at arg, at most max (0: the string limit) */
#define CAP_LEN_PTR 5     /* *(u32 *)arg[aux] bytes at arg, at most max */
#define CAP_ARRAY 6       /* arg[aux] (AUX_RET: ret) elements of size bytes at arg, at most max */
#define CAP_STR_ARRAY 7   /* argv: the NULL-terminated pointer array at arg and its strings, at most max */
#define CAP_STR_COUNT 8   /* envp: how many pointers the NULL-terminated array at arg has (REG_COUNT) */
#define CAP_IOVEC 9       /* struct iovec[arg[aux]] at arg and the buffers, at most max elements;
                             at exit the buffers hold ret bytes in all */
#define CAP_MSGHDR 10     /* struct msghdr at arg, its name, its iovec (as CAP_IOVEC) and control */
#define CAP_FD_SET 11     /* fd_set at arg for arg[aux] descriptors */
#define CAP_DEREF 12      /* size bytes at the pointer stored at arg + 8*aux */
#define CAP_DIRENTS 13    /* at exit: how many linux_dirent64 the ret bytes at arg hold (REG_COUNT) */
#define CAP_EXEC_NEW 14   /* execve at exit: the new image's arguments and file name (REG_EXEC_*) */
#define CAP_STACK 15      /* size bytes at the stack pointer + 8*aux, as at the call's entry */

#define AUX_RET 0xff      /* cap_item.aux: the count is the return value */
#define COND_NONE 0xff    /* cap_item.cond_arg: unconditional */
#define COND_INTR 0xfe    /* cap_item.cond_arg, exit items: only when a signal interrupted the
                             call (a restart code), not when it succeeded */
#define CAP_ITEMS 6       /* capture items per phase and call */

/* cap_spec.fd_ret: the descriptors a call creates, resolved at its exit */
#define FD_RET_NONE 0     /* none */
#define FD_RET_VALUE 1    /* the return value */
#define FD_RET_PAIR 2     /* FD_RET_PAIR + i: the int[2] at argument i (pipe, socketpair) */

struct cap_item {
	__u8 how;       /* CAP_* */
	__u8 arg;       /* the argument holding the address */
	__u8 aux;       /* the argument holding the length or count, or AUX_RET */
	__u8 cond_arg;  /* copy only when (arg[cond_arg] & cond_mask) == cond_val; COND_NONE: always */
	__u16 size;     /* CAP_FIXED, CAP_DEREF: bytes; CAP_ARRAY: bytes per element */
	__u16 max;      /* bound, in bytes or elements (see CAP_*) */
	__u64 cond_mask;
	__u64 cond_val;
};

/*
 * The captures of one system call. Exit items are copied only when the
 * call succeeded (what they point at is the kernel's output), or, those
 * with COND_INTR, only when a signal interrupted it (a sleep's remaining
 * time is written then); entry items
 * that were unreadable at entry are copied again at exit, whatever the
 * result: by then the kernel has faulted in what it read.
 */
struct cap_spec {
	__u8 nentry;    /* items at entry: entry[0..nentry) */
	__u8 nexit;     /* items at exit: exit[0..nexit) */
	__u8 path_arg;  /* 1 + the argument triggers' path prefixes apply to; 0 none */
	__u8 fd_args;   /* with OPT_FD_PATHS: bit i set = argument i is a descriptor, resolved at entry */
	__u8 fd_ret;    /* with OPT_FD_PATHS, at a successful exit: FD_RET_* */
	__u8 _pad[3];
	struct cap_item entry[CAP_ITEMS];
	struct cap_item exit[CAP_ITEMS];
};

/* Bounds of what records carry. */
#define PATH_MAX 4096     /* a path region, with the NUL */
#define REGION_MAX 8192   /* bytes of one region */
#define CALL_BUF 12288    /* bytes of the regions of one call's entry */
#define SCRATCH_BUF 32512 /* bytes of a syscall record and its regions, at most (a per-CPU
                             map value, with its state, stays within 32 KiB) */

/*
 * call_state is the value of the per-task storage map "calls": the
 * system call a thread with OPT_CAPTURE is in, from its entry to its exit,
 * with the regions copied at entry, which the exit record carries.
 */
struct call_state {
	__s64 nr;        /* the call; -1 none */
	__u64 time;      /* with OPT_ENTER_TIME, bpf_ktime_get_ns() at its entry; else 0 */
	__u64 args[6];   /* its arguments at entry (an execve's are gone by its exit) */
	__u64 sp;        /* the stack pointer at entry */
	__u32 len;       /* bytes of regions in buf */
	__u16 nregion;   /* regions in buf */
	__u16 faulted;   /* bit i: entry item i was unreadable at entry; copied again at exit */
	__u16 restart;   /* 1 + the thread's last call to return -ERESTART_RESTARTBLOCK: what a
	                    restart_syscall resumes; 0 none seen */
	__u16 active;    /* 1 while the thread is in call nr (a fresh entry is all zeros) */
	__u16 _pad[2];
	__u8 buf[CALL_BUF];
};

/* EV_SIGNAL* */
#define SIGINFO_LEN 48 /* sizeof(struct kernel_siginfo) on 64-bit kernels */

struct rec_signal {
	struct rec_hdr h;
	__s32 signo;
	__s32 code;   /* si_code */
	__s32 si_errno;
	__s32 sender; /* si_pid for SI_USER, SI_QUEUE, SI_TKILL, SI_MESGQ and SIGCHLD; else 0 */
	__u8 info[SIGINFO_LEN]; /* the kernel's siginfo as delivered; zero where there was none */
};

/* EV_CLONE */
struct rec_clone {
	struct rec_hdr h;
	__u32 child;  /* the child's tid */
	__u32 thread; /* 1 when CLONE_THREAD */
	__u64 flags;  /* clone flags reconstructed from what the child shares (see clone_flags()) */
	/* With REC_INHERITED: the syscall numbers of the triggers the child inherited. */
	__u32 ntrig;
	__u16 trig_nr[TRIG_MAX];
	__u32 target; /* with REC_TARGETED: 1 + the index of the rule in "targets" that selected the child */
};

/*
 * EV_EXEC: a successful exec (sched_process_exec), or, with ret < 0, a
 * failed one (the exit of execve or execveat, for threads that want EXEC).
 * The process facts are those after the exec (before it, for a failed one).
 */
#define ARGS_LEN 1024 /* bytes of argv strings an exec record carries */
#define ARGS_MAX 32   /* argv strings a failed exec's record carries */

struct rec_exec {
	struct rec_hdr h;
	__u32 old_tid;           /* tid before the exec; differs from h.tid when a non-leader exec'd */
	__u32 target;            /* with REC_TARGETED: 1 + the index of the rule in "targets" */
	__s64 ret;               /* 0, or the failed call's -errno */
	__u32 ppid;              /* real_parent->tgid */
	__u32 uid;               /* real uid */
	__u32 gid;               /* real gid */
	__u32 args_len;          /* bytes of args: the argv strings, each NUL-terminated */
	__u64 cgroup;            /* the cgroup v2 id (bpf_get_current_cgroup_id) */
	__u32 args_trunc;        /* 1 when argv went on past args */
	__u32 _pad;
	char comm[COMM_LEN];     /* the comm the exec gave (a failed one: the thread's) */
	char filename[PATH_LEN]; /* bprm->filename, or the failed call's path argument; NUL-terminated */
	char args[ARGS_LEN];
};

/* EV_EXIT, EV_DEATH */
struct rec_exit {
	struct rec_hdr h;
	__s32 code;       /* task->exit_code: the wait status the parent sees */
	__u32 group_dead; /* 1 when the last thread of the process died */
	__u64 start_time; /* CLOCK_MONOTONIC start of the thread (of the process, with group_dead) */
	__u32 ppid;       /* real_parent->tgid */
	__u32 _pad;
	char comm[COMM_LEN];
};

/* EV_JCTL */
struct rec_jctl {
	struct rec_hdr h;
	__s32 type;   /* CLD_STOPPED or CLD_CONTINUED */
	__s32 notify; /* nonzero (the SIGCHLD si_code) when this thread presumably notifies the parent */
	__s32 signo;  /* CLD_STOPPED: the signal that stopped the group; 0 otherwise */
	__s32 _pad;
};

/* EV_REAP has the header only. */

/*
 * Targets (monitor mode): rules that select processes in the kernel, at
 * the moment they start to apply: evaluated at every exec and every fork
 * of a process nobody watches, so the flags are in place before the
 * process's next instruction. A rule matches when every field it sets
 * (TGT_*) does; the first matching rule gives the task its template,
 * target_flags[index] (and fresh counts when target_conf says so).
 */
#define TARGET_MAX 32
#define TGT_PAT_LEN 128 /* a pattern, with the NUL: '*' any run, '?' any byte, the rest literal */

#define TGT_COMM 0x1   /* comm matches comm_pat (at a fork: the child's, which is the parent's) */
#define TGT_EXE 0x2    /* the exec's filename matches exe_pat (never at a fork) */
#define TGT_UID 0x4    /* real uid */
#define TGT_GID 0x8    /* real gid */
#define TGT_CGROUP 0x10 /* in cgroup cgroup_id or below it: its ancestor at cgroup_level is it */
#define TGT_PID 0x20   /* tgid */
#define TGT_PPID 0x40  /* real_parent->tgid */

struct target_rule {
	__u32 fields;       /* TGT_* */
	__u32 uid;
	__u32 gid;
	__u32 pid;
	__u32 ppid;
	__u32 cgroup_level; /* depth of cgroup_id below the root (the root is 0) */
	__u64 cgroup_id;
	__u32 comm_len;     /* bytes of comm_pat, < TGT_PAT_LEN */
	__u32 exe_len;      /* bytes of exe_pat, < TGT_PAT_LEN */
	char comm_pat[TGT_PAT_LEN];
	char exe_pat[TGT_PAT_LEN];
};

/* The value of "target_config": how many rules are armed, and the template's counting. */
struct target_conf {
	__u32 nrules;      /* rules in targets[0..nrules); 0: none armed */
	__u32 count;       /* a selected task counts its syscalls (fresh tstats) */
	__u32 filtered;    /* with count: count only the calls in count_set */
	__u32 histogram;   /* with count: a selected task's counted calls go to "hists" too */
	__u64 count_set[SYSCALL_MAX / 64];
};

/*
 * Slots of the per-CPU "counters" array: one loss counter per event number,
 * then error counters.
 */
#define CNT_INHERIT_FAILED NR_EVENTS     /* a followed parent's child got no flags or stats (allocation failed) */
#define CNT_STATS_FAILED (NR_EVENTS + 1) /* a dying counted thread's stats found "final_stats" full */
#define CNT_TRIG_FIRED (NR_EVENTS + 2)   /* triggers that matched, stored their record and sent SIGSTOP */
#define CNT_TRIG_STORE_FAILED (NR_EVENTS + 3) /* a matching call, or an entry path, found no room in task storage */
#define CNT_TRIG_REPLACED (NR_EVENTS + 4) /* a trigger replaced a pending record nobody took */
#define CNT_TRIG_SIGNAL_FAILED (NR_EVENTS + 5) /* bpf_send_signal_thread failed: record dropped */
#define CNT_TARGET_FAILED (NR_EVENTS + 6) /* a task a target rule selected got no flags or stats (allocation failed) */
#define NR_COUNTERS (NR_EVENTS + 7)

/*
 * The task-storage mailbox (the "store_*" maps, program utrace_store): on
 * kernels without PIDFD_THREAD (before 6.9) user space has no key for the
 * task storage of a thread that is not a process leader, so it asks the
 * task iterator program to do the lookup, update or delete for it. User
 * space fills store_req (and the value box of the map named), runs the
 * iterator, and reads back the result (and the box).
 */
#define STORE_FLAGS 0   /* map "flags", box "store_flags" */
#define STORE_TSTATS 1  /* map "tstats", box "store_tstats" */
#define STORE_PENDING 2 /* map "pending_stops", box "store_pending" */

#define STORE_LOOKUP 0       /* copy the entry into the box */
#define STORE_UPDATE 1       /* create the entry or replace it with the box */
#define STORE_UPDATE_EXIST 2 /* replace an existing entry with the box */
#define STORE_DELETE 3       /* delete the entry */

#define STORE_PENDING_RESULT 1 /* store_req.result before the thread is found */

struct store_req {
	__u32 tid;    /* the thread: task->pid */
	__u32 map;    /* STORE_FLAGS, STORE_TSTATS, STORE_PENDING */
	__u32 op;     /* STORE_LOOKUP ... STORE_DELETE */
	__s32 result; /* written by the program: 0 done, -ENOENT no entry, -ENOMEM
			 no room, -EINVAL bad request; STORE_PENDING_RESULT when
			 no task had the tid */
};

#endif /* UTRACE_H */
