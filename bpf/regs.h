/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * regs.h: a system call's number, arguments and user stack pointer, read
 * from the user registers (struct pt_regs) that the raw syscall
 * tracepoints pass and that bpf_task_pt_regs returns. This is the one
 * place that knows which register holds what; everything else is
 * architecture-neutral.
 *
 *               arguments 0..5           number     stack
 *   x86-64      di si dx r10 r8 r9       orig_ax    sp
 *   arm64       orig_x0 x1..x5           syscallno  sp
 *
 * Both keep the argument registers across the call, except that arm64
 * returns in x0, the first argument's register: the kernel keeps the
 * argument in orig_x0, so the arguments read the same at entry and exit.
 * A call a ptracer skipped, and rt_sigreturn, which restores the
 * interrupted registers, have number -1 on both.
 *
 * The fields are loaded directly (the pointers are trusted BTF pointers, and
 * vmlinux.h makes every access a CO-RE relocation), not with
 * PT_REGS_PARMn_CORE_SYSCALL: those are a bpf_probe_read_kernel each, on
 * the hottest path there is, and libbpf 1.1's stop at the fifth argument.
 */
#ifndef UTRACE_REGS_H
#define UTRACE_REGS_H

#include "vmlinux.h"

/*
 * syscall_args copies the call's six arguments into args; syscall_nr
 * returns its number.
 */
#if defined(__TARGET_ARCH_x86)

static __always_inline void syscall_args(const struct pt_regs *regs, __u64 *args)
{
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
}

static __always_inline long syscall_nr(const struct pt_regs *regs)
{
	return regs->orig_ax;
}

#elif defined(__TARGET_ARCH_arm64)

static __always_inline void syscall_args(const struct pt_regs *regs, __u64 *args)
{
	args[0] = regs->orig_x0;
	args[1] = regs->regs[1];
	args[2] = regs->regs[2];
	args[3] = regs->regs[3];
	args[4] = regs->regs[4];
	args[5] = regs->regs[5];
}

static __always_inline long syscall_nr(const struct pt_regs *regs)
{
	return regs->syscallno; /* an s32: -1 stays -1 */
}

#else
#error "define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64"
#endif

/* user_sp is the user stack pointer, named sp on both. */
static __always_inline __u64 user_sp(const struct pt_regs *regs)
{
	return regs->sp;
}

#endif /* UTRACE_REGS_H */
