package stopper

import (
	"strconv"
	"strings"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
)

// Kernel is what the running kernel lets the stopper do: whether this
// process may ptrace others, and whether seccomp filters can make chosen
// system calls stop (SECCOMP_RET_TRACE). Everything else the stopper uses
// (PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_GET_SYSCALL_INFO) is older than
// the oldest kernel utrace-bpf supports.
type Kernel struct {
	// PtraceScope is Yama's kernel.yama.ptrace_scope, or -1 without Yama.
	// At 3 no process may ptrace another, root included.
	PtraceScope int
	// SeccompTrace is set when seccomp lists the "trace" action.
	SeccompTrace bool
}

// ProbeKernel reads the stopper's kernel settings from /proc.
func ProbeKernel() Kernel {
	k := Kernel{PtraceScope: -1}
	if v, err := procfs.Sysctl("kernel.yama.ptrace_scope"); err == nil {
		if n, err := strconv.Atoi(v); err == nil {
			k.PtraceScope = n
		}
	}
	if v, err := procfs.Sysctl("kernel.seccomp.actions_avail"); err == nil {
		for _, a := range strings.Fields(v) {
			if a == "trace" {
				k.SeccompTrace = true
			}
		}
	}
	return k
}

// Ptrace reports whether the synchronous tier can seize threads here, and
// if not, why.
func (k Kernel) Ptrace() (bool, string) {
	if k.PtraceScope >= 3 {
		return false, "kernel.yama.ptrace_scope is 3: ptrace is disabled until reboot"
	}
	return true, ""
}

// Seccomp reports whether launched programs can stop only at chosen system
// calls, and if not, why (then they stop at every call).
func (k Kernel) Seccomp() (bool, string) {
	if !k.SeccompTrace {
		return false, "seccomp has no \"trace\" action (CONFIG_SECCOMP_FILTER)"
	}
	return true, ""
}
