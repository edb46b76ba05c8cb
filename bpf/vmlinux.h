/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vmlinux.h: the kernel's types, for CO-RE, of the architecture the object
 * is built for (bpf2go defines __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 for
 * -target amd64 or arm64). The types differ where the architectures do:
 * struct pt_regs above all, which regs.h reads. Both headers are bpftool's
 * dump of a kernel's BTF (bpftool btf dump file FILE format c); CO-RE
 * relocates each field access to the running kernel, so they need only
 * have every type and field the programs name.
 *
 *   vmlinux_x86.h    x86-64, Linux 6.18: /sys/kernel/btf/vmlinux of the
 *                    development machine.
 *   vmlinux_arm64.h  arm64, Linux 6.18: include/aarch64/vmlinux_6.18.h of
 *                    the libbpf/vmlinux.h repository at commit 679a3da9
 *                    ("Enable CONFIG_FTRACE_SYSCALLS"), dumped from a
 *                    v6.18 tinyconfig build with BPF, BTF, tracing and
 *                    kprobes (its kconfigs/config.common). Its 6.19
 *                    successor declares anonymous members of named struct
 *                    types, which clang 14 rejects without -fms-extensions.
 */
#ifndef UTRACE_VMLINUX_H
#define UTRACE_VMLINUX_H

#if defined(__TARGET_ARCH_x86)
#include "vmlinux_x86.h"
#elif defined(__TARGET_ARCH_arm64)
#include "vmlinux_arm64.h"
#else
#error "define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 (bpf2go does for -target amd64 and arm64)"
#endif

#endif /* UTRACE_VMLINUX_H */
