package stopper

import (
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// auditArch is the seccomp_data.arch of the calls the launch filter stops:
// native 64-bit calls only, so an int 0x80 call (the i386 ABI, other
// numbers) is never taken for one of the table's.
const auditArch = unix.AUDIT_ARCH_X86_64

// blockStep is the request of core.BlockStep: x86 steps to the next taken
// branch (PTRACE_SINGLEBLOCK).
const blockStep = 33

// syscallRegs reads the call a thread stopped in it is making from its
// registers, where PTRACE_GET_SYSCALL_INFO has nothing to say (an exit
// stop whose entry was not seen): the number the kernel ran in orig_rax,
// the arguments in the ABI's order.
func syscallRegs(tid int) (nr int, args [6]uint64, err error) {
	var r core.Registers
	if err := getRegs(tid, &r); err != nil {
		return 0, args, err
	}
	x := r.Raw()
	return int(x.Orig_rax), [6]uint64{x.Rdi, x.Rsi, x.Rdx, x.R10, x.R8, x.R9}, nil
}

// skipSyscall makes the kernel skip the call a thread is stopped at the
// entry of: orig_rax -1. At a seccomp stop, which has no exit stop to come,
// ret is what the call returns (rax); at a syscall-entry stop ret is nil
// and the exit stop writes it.
func skipSyscall(tid int, r *core.Registers, ret *int64) error {
	x := r.Raw()
	x.Orig_rax = ^uint64(0)
	if ret != nil {
		x.Rax = uint64(*ret)
	}
	return setRegs(tid, r)
}

// changeSyscall makes a thread stopped at a call's entry run call nr with
// args instead.
func changeSyscall(tid int, r *core.Registers, nr int, args [6]uint64) error {
	x := r.Raw()
	x.Orig_rax = uint64(nr)
	x.Rdi, x.Rsi, x.Rdx, x.R10, x.R8, x.R9 = args[0], args[1], args[2], args[3], args[4], args[5]
	return setRegs(tid, r)
}

// setReturnRegister puts ret where a returning call leaves its value.
func setReturnRegister(r *core.Registers, ret int64) { r.Raw().Rax = uint64(ret) }
