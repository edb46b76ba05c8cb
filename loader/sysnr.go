package loader

import (
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// syscallNumbers are the programs' load-time constants that hold the
// number of a system call they single out (bpf/helpers.h), and the calls'
// names. The numbers are the architecture's; package sysabi has them for
// the one the loader is built for.
var syscallNumbers = []struct{ variable, syscall string }{
	{utraceVarNrExit, "exit"},
	{utraceVarNrExitGroup, "exit_group"},
	{utraceVarNrRestartSyscall, "restart_syscall"},
	{utraceVarNrExecveat, "execveat"},
}

// setSyscallNumbers sets spec's system call numbers from package sysabi.
func setSyscallNumbers(spec *ebpf.CollectionSpec) error {
	for _, v := range syscallNumbers {
		nr, ok := sysabi.Number(v.syscall)
		if !ok {
			return fmt.Errorf("setting %s: no system call %s in package sysabi", v.variable, v.syscall)
		}
		vs, ok := spec.Variables[v.variable]
		if !ok {
			return fmt.Errorf("setting %s: the BPF object has no such variable", v.variable)
		}
		if err := vs.Set(int32(nr)); err != nil {
			return fmt.Errorf("setting %s: %w", v.variable, err)
		}
	}
	return nil
}
