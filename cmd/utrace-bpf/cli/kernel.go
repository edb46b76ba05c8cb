package cli

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

// kernelFacts is what the report is made from: the two backends' probes.
type kernelFacts struct {
	bpf  *loader.Kernel
	stop stopper.Kernel
}

// mechanisms says, for each thing an engine may use, whether it works on
// this kernel and, if not, why.
func (k kernelFacts) mechanisms() map[pipeline.Uses]string {
	m := map[pipeline.Uses]string{pipeline.UsesKernel: "", pipeline.UsesPassive: ""}
	if ok, why := k.stop.Ptrace(); !ok {
		m[pipeline.UsesPtrace] = why
	} else {
		m[pipeline.UsesPtrace] = ""
	}
	if ok, why := k.stop.Seccomp(); !ok {
		m[pipeline.UsesSeccomp] = why
	} else {
		m[pipeline.UsesSeccomp] = ""
	}
	if ok, why := k.bpf.Triggers(); !ok {
		m[pipeline.UsesTriggers] = why
	} else {
		m[pipeline.UsesTriggers] = ""
	}
	return m
}

// writeKernelReport prints what the running kernel offers, and which tiers
// and engines work on it. It returns a one-line error, for exit status 2,
// when the kernel lacks something nothing can replace.
func writeKernelReport(w io.Writer, k kernelFacts) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	yes := func(b bool, no string) string {
		if b {
			return "yes"
		}
		return "no: " + no
	}
	either := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	tracefs := k.bpf.Tracefs
	if tracefs == "" {
		tracefs = "not mounted (mounted at /sys/kernel/tracing when a trigger needs it)"
	}
	scope := "no Yama"
	if k.stop.PtraceScope >= 0 {
		scope = fmt.Sprintf("Yama ptrace_scope %d", k.stop.PtraceScope)
	}
	ptraceOK, ptraceWhy := k.stop.Ptrace()
	fmt.Fprintf(tw, "kernel\tLinux %s (%s); utrace-bpf supports %s and later\n", k.bpf.Release, runtime.GOARCH, loader.MinKernel)
	fmt.Fprintf(tw, "BTF (/sys/kernel/btf/vmlinux)\t%s\n", yes(k.bpf.BTF, "needs CONFIG_DEBUG_INFO_BTF=y"))
	fmt.Fprintf(tw, "BTF tracepoints (tp_btf)\t%s\n", yes(k.bpf.TpBTF, "Linux 5.5"))
	fmt.Fprintf(tw, "BPF ring buffer\t%s\n", yes(k.bpf.RingBuf, "Linux 5.8"))
	fmt.Fprintf(tw, "BPF task storage\t%s\n", yes(k.bpf.TaskStorage, "Linux 5.11"))
	fmt.Fprintf(tw, "sched_process_exit group_dead\t%s\n", either(k.bpf.ExitGroupDead, "yes", "no: derived in the kernel from the process's live count"))
	fmt.Fprintf(tw, "pidfds for threads (PIDFD_THREAD)\t%s\n", either(k.bpf.PidfdThread, "yes",
		"no (Linux 6.9): other threads' task storage through a task iterator, slower to set up"))
	fmt.Fprintf(tw, "per-syscall tracepoints\t%s\n", yes(k.bpf.SyscallTracepoints, "CONFIG_FTRACE_SYSCALLS"))
	fmt.Fprintf(tw, "tracefs\t%s\n", tracefs)
	fmt.Fprintf(tw, "bpf_send_signal_thread\t%s\n", yes(k.bpf.SendSignalThread, "Linux 5.5"))
	fmt.Fprintf(tw, "seccomp RET_TRACE\t%s\n", either(k.stop.SeccompTrace, "yes",
		"no: launched programs stop at every system call an engine needs synchronously"))
	fmt.Fprintf(tw, "ptrace\t%s (%s)\n", yes(ptraceOK, ptraceWhy), scope)
	tw.Flush()

	err := k.bpf.Check()
	mech := k.mechanisms()
	works := func(u pipeline.Uses) string {
		if err != nil {
			return "no: " + err.Error()
		}
		var why []string
		for bit := pipeline.UsesKernel; bit <= pipeline.UsesTriggers; bit <<= 1 {
			if u&bit != 0 && mech[bit] != "" {
				why = append(why, mech[bit])
			}
		}
		if len(why) == 0 {
			return "yes"
		}
		return "partly: " + strings.Join(why, "; ")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "tier\tworks\n")
	fmt.Fprintf(tw, "in kernel (counting, filters)\t%s\n", works(pipeline.UsesKernel))
	fmt.Fprintf(tw, "passive (ring buffer)\t%s\n", works(pipeline.UsesPassive))
	fmt.Fprintf(tw, "synchronous: ptrace stops\t%s\n", works(pipeline.UsesPtrace))
	fmt.Fprintf(tw, "synchronous: seccomp launch\t%s\n", works(pipeline.UsesSeccomp))
	fmt.Fprintf(tw, "synchronous: kernel triggers\t%s\n", works(pipeline.UsesTriggers))
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "engine\tworks\n")
	for _, name := range pipeline.Names() {
		t, _ := pipeline.Lookup(name)
		fmt.Fprintf(tw, "%s\t%s\n", name, works(t.Uses))
	}
	tw.Flush()
	if err != nil {
		return badInput("%s", err.Error())
	}
	return nil
}
