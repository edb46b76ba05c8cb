package cli

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

func fullKernel() *loader.Kernel {
	return &loader.Kernel{Release: "6.1.0-50-cloud-amd64", BTF: true, TpBTF: true, RingBuf: true, TaskStorage: true,
		SyscallTracepoints: true, SendSignalThread: true}
}

// A kernel with every required feature reports every engine working; the
// fallbacks of older kernels are named.
func TestKernelReportOldKernel(t *testing.T) {
	var b bytes.Buffer
	if err := writeKernelReport(&b, kernelFacts{bpf: fullKernel(), stop: stopper.Kernel{PtraceScope: 1, SeccompTrace: true}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"derived in the kernel", "task iterator", "Yama ptrace_scope 1", "not mounted"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "syscalls" && f[1] != "yes" {
			t.Errorf("syscalls engine: %q", line)
		}
	}
}

// Without kernel triggers and with ptrace disabled, the engines that need
// them say so; the others work.
func TestKernelReportDegraded(t *testing.T) {
	k := fullKernel()
	k.SyscallTracepoints = false
	var b bytes.Buffer
	if err := writeKernelReport(&b, kernelFacts{bpf: k, stop: stopper.Kernel{PtraceScope: 3, SeccompTrace: true}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"syscalls": "yes", "counter": "yes", "proctree": "yes",
		"inject": "partly: kernel.yama.ptrace_scope is 3", "gdbremote": "partly: kernel.yama.ptrace_scope is 3"}
	for _, line := range strings.Split(b.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if w, ok := want[f[0]]; ok {
			if got := strings.Join(f[1:], " "); !strings.HasPrefix(got, w) {
				t.Errorf("%s: %q, want %q...", f[0], got, w)
			}
			delete(want, f[0])
		}
	}
	if len(want) != 0 {
		t.Errorf("engines missing from the report: %v\n%s", want, b.String())
	}
	if !strings.Contains(b.String(), "CONFIG_FTRACE_SYSCALLS") {
		t.Errorf("report does not say why triggers are off:\n%s", b.String())
	}
}

// A kernel without task storage gets one line naming it and the minimum
// release, as a bad-input error (exit status 2).
func TestKernelReportUnsupported(t *testing.T) {
	k := fullKernel()
	k.Release, k.TaskStorage = "5.4.0", false
	var b bytes.Buffer
	err := writeKernelReport(&b, kernelFacts{bpf: k, stop: stopper.Kernel{PtraceScope: -1, SeccompTrace: true}})
	var ce *configError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a bad-input error (exit status 2)", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "task storage") || !strings.Contains(msg, "6.1") {
		t.Errorf("message %q: want one line naming task storage and 6.1", msg)
	}
}

// This machine's kernel is supported: check --kernel says so.
func TestCheckKernelHere(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") == "" {
		t.Skip("the kernel's BPF feature probes need root (CI unset, so skipping)")
	}
	if code := execute([]string{"check", "--kernel"}); code != 0 {
		t.Errorf("check --kernel on this machine's kernel: exit status %d", code)
	}
}
