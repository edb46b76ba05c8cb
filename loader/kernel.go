package loader

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// MinKernel is the oldest kernel release utrace-bpf supports: the oldest
// the kernel matrix (test/kernels) runs on.
const MinKernel = "6.1"

// ErrKernel matches (errors.Is) the errors of Load and Kernel.Check that
// say the running kernel lacks something utrace-bpf cannot do without.
var ErrKernel = errors.New("kernel not supported")

// kernelError is such an error: a one-line message that matches ErrKernel.
type kernelError struct{ msg string }

func (e *kernelError) Error() string        { return e.msg }
func (e *kernelError) Is(target error) bool { return target == ErrKernel }

// Kernel is what the running kernel offers utrace-bpf, probed from its BTF
// and with the kernel's own feature probes (package features), never
// assumed from the build the BPF objects were compiled on.
type Kernel struct {
	// Release is uname's release, e.g. "6.1.0-50-cloud-amd64".
	Release string

	// Required: without any of these nothing loads.
	BTF         bool // /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)
	TpBTF       bool // BTF-typed tracepoint programs on the tracepoints utrace-bpf uses
	RingBuf     bool // BPF_MAP_TYPE_RINGBUF (5.8)
	TaskStorage bool // BPF_MAP_TYPE_TASK_STORAGE (5.11)

	// Optional: without these a fallback serves, or one feature is missing.

	// ExitGroupDead is set when sched_process_exit passes group_dead
	// (newer than 6.12); without it group_dead is derived in the kernel
	// from the process's live count.
	ExitGroupDead bool
	// PidfdThread is set when pidfd_open takes PIDFD_THREAD (6.9): user
	// space names any thread to task storage by a pidfd. Without it only
	// process leaders have pidfds, and the other threads' storage is
	// reached through a task iterator program (slower: it visits every
	// task).
	PidfdThread bool
	// SyscallTracepoints is set when the per-syscall tracepoints
	// (syscalls/sys_enter_NAME, CONFIG_FTRACE_SYSCALLS) exist: kernel
	// triggers need them.
	SyscallTracepoints bool
	// Tracefs is where tracefs is mounted, "" when it is not (it is
	// mounted at /sys/kernel/tracing when a trigger first needs it).
	Tracefs string
	// SendSignalThread is set when tracepoint programs may call
	// bpf_send_signal_thread (5.5): kernel triggers stop threads with it.
	SendSignalThread bool
}

// Missing returns what the kernel lacks that nothing can replace, one
// phrase each, naming the feature and the release that brought it.
func (k *Kernel) Missing() []string {
	var m []string
	if !k.BTF {
		m = append(m, "kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF=y)")
	}
	if !k.TpBTF {
		m = append(m, "BTF-typed tracepoint programs (tp_btf, Linux 5.5)")
	}
	if !k.RingBuf {
		m = append(m, "the BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8)")
	}
	if !k.TaskStorage {
		m = append(m, "BPF task storage (BPF_MAP_TYPE_TASK_STORAGE, Linux 5.11)")
	}
	return m
}

// Check returns nil when k has everything utrace-bpf needs, or an error
// matching ErrKernel that names, on one line, the first thing missing and
// the minimum release.
func (k *Kernel) Check() error {
	m := k.Missing()
	if len(m) == 0 {
		return nil
	}
	return &kernelError{fmt.Sprintf("this kernel (Linux %s) has no %s, which utrace-bpf needs (it supports Linux %s and later, built with BTF)",
		k.Release, m[0], MinKernel)}
}

// Triggers reports whether kernel triggers (core.Trigger) can work here,
// and if not, why.
func (k *Kernel) Triggers() (bool, string) {
	switch {
	case !k.SendSignalThread:
		return false, "no bpf_send_signal_thread for tracepoint programs (Linux 5.5)"
	case !k.SyscallTracepoints:
		return false, "no per-syscall tracepoints (CONFIG_FTRACE_SYSCALLS)"
	}
	return true, ""
}

// ProbeKernel probes the running kernel. It needs the privilege to load
// BPF programs for some probes; without it they read as missing. The
// result is computed once per process.
func ProbeKernel() *Kernel { return probeKernel() }

// Prepare starts probing the kernel, and with it decoding the kernel's
// BTF, in the background, for a program that will call Open: the decoding
// is the longest step of starting and needs nothing the program does
// before Open, so it overlaps with that work.
func Prepare() { go probeKernel() }

// kernelBTF holds the kernel's BTF, decoded once, for the probes and for
// the programs' CO-RE relocations and attach targets: decoding it (and
// indexing its names) is the most expensive part of starting.
var kernelBTF = btf.NewCache()

var probeKernel = sync.OnceValue(func() *Kernel {
	k := &Kernel{Release: release()}
	_, err := os.Stat("/sys/kernel/btf/vmlinux")
	k.BTF = err == nil
	if k.BTF {
		if spec, err := kernelBTF.Kernel(); err == nil {
			k.TpBTF = true
			for _, tp := range []string{"sys_enter", "sys_exit", "sched_process_fork", "sched_process_exec",
				"sched_process_exit", "sched_process_free", "signal_deliver", "signal_generate"} {
				if _, ok := tracepointParams(spec, tp); !ok {
					k.TpBTF = false
				}
			}
			n, _ := tracepointParams(spec, "sched_process_exit")
			k.ExitGroupDead = n >= 2
		}
	}
	k.RingBuf = features.HaveMapType(ebpf.RingBuf) == nil
	k.TaskStorage = haveTaskStorage()
	k.SendSignalThread = features.HaveProgramHelper(ebpf.TracePoint, asm.FnSendSignalThread) == nil
	k.PidfdThread = havePidfdThread()
	k.Tracefs = tracefsMount()
	k.SyscallTracepoints = haveSyscallTracepoints(k.Tracefs)
	return k
})

// emulateOld makes the loader behave as on the oldest kernels it supports:
// no group_dead from sched_process_exit, no PIDFD_THREAD. Tests set it
// (export_test.go) to check the fallbacks on any kernel.
var emulateOld atomic.Bool

// kernel returns the running kernel as the loader uses it: probed, less
// what emulateOld hides.
func kernel() *Kernel {
	k := probeKernel()
	if !emulateOld.Load() {
		return k
	}
	old := *k
	old.ExitGroupDead = false
	old.PidfdThread = false
	return &old
}

// tracepointParams returns how many arguments the kernel's tracepoint tp
// passes to BPF programs: the parameters of its btf_trace_TP typedef, less
// the leading void *data.
func tracepointParams(spec *btf.Spec, tp string) (int, bool) {
	var td *btf.Typedef
	if err := spec.TypeByName("btf_trace_"+tp, &td); err != nil {
		return 0, false
	}
	ptr, ok := td.Type.(*btf.Pointer)
	if !ok {
		return 0, false
	}
	proto, ok := ptr.Target.(*btf.FuncProto)
	if !ok || len(proto.Params) == 0 {
		return 0, false
	}
	return len(proto.Params) - 1, true
}

func release() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return string(u.Release[:bytes.IndexByte(u.Release[:], 0)])
}

// haveTaskStorage looks for task storage maps in the kernel's BTF (their
// helper, bpf_task_storage_get) rather than by creating one: creating
// and closing a local-storage map waits for an RCU grace period, 28 ms
// to hundreds here, the most expensive part of starting.
func haveTaskStorage() bool {
	spec, err := kernelBTF.Kernel()
	if err != nil {
		return features.HaveMapType(ebpf.TaskStorage) == nil
	}
	var fn *btf.Func
	return spec.TypeByName("bpf_task_storage_get", &fn) == nil
}

// havePidfdThread asks pidfd_open for a pidfd of this thread with
// PIDFD_THREAD: kernels before 6.9 refuse the flag with EINVAL.
func havePidfdThread() bool {
	fd, err := unix.PidfdOpen(unix.Gettid(), unix.PIDFD_THREAD)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// haveSyscallTracepoints looks for the per-syscall tracepoints: in
// tracefs when it is mounted, else in the kernel's BTF, whose syscall
// metadata type exists only with CONFIG_FTRACE_SYSCALLS.
func haveSyscallTracepoints(tracefs string) bool {
	if tracefs != "" {
		_, err := os.Stat(tracefs + "/events/syscalls/sys_exit_openat")
		return err == nil
	}
	spec, err := kernelBTF.Kernel()
	if err != nil {
		return false
	}
	var s *btf.Struct
	return spec.TypeByName("syscall_metadata", &s) == nil
}
