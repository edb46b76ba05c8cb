// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * floor.bpf.c: empty programs on the hooks of the syscall programs in
 * utrace.bpf.c, of the same types (tp_btf for the raw syscall hooks, a
 * tracepoint program for the per-syscall tracepoints of triggers). The
 * benchmark (test/bench) attaches them to measure the floor: what any
 * program on those hooks costs before it does anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long nr)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/*
 * An empty tracepoint program, for the per-syscall tracepoints that the
 * trigger programs use (syscalls/sys_enter_NAME, sys_exit_NAME): what
 * having any of them attached costs the other system calls.
 */
SEC("tracepoint")
int floor_syscall_tp(void *ctx)
{
	return 0;
}
