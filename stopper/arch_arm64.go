package stopper

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// auditArch is the seccomp_data.arch of the calls the launch filter stops.
const auditArch = unix.AUDIT_ARCH_AARCH64

// blockStep is the request of core.BlockStep: arm64 has no block step, so
// it single-steps, as the seed does where arch_has_block_step() is false.
const blockStep = unix.PTRACE_SINGLESTEP

// syscallNr reads the number of the call the kernel will run for a thread
// stopped at its entry, or ran, at its exit: arm64 keeps it apart from x8
// (which the caller set, and a tracer's change of which is not seen), in
// the NT_ARM_SYSTEM_CALL register set.
func syscallNr(tid int) (int, error) {
	var nr int32
	err := regset(unix.PTRACE_GETREGSET, tid, core.NoteArmSystemCall, unsafe.Pointer(&nr), unsafe.Sizeof(nr))
	return int(nr), err
}

func setSyscallNr(tid int, nr int) error {
	v := int32(nr)
	return regset(unix.PTRACE_SETREGSET, tid, core.NoteArmSystemCall, unsafe.Pointer(&v), unsafe.Sizeof(v))
}

// syscallRegs reads the call a thread stopped in it is making, where
// PTRACE_GET_SYSCALL_INFO has nothing to say (an exit stop whose entry was
// not seen). arm64 overwrites x0 with the return value and ptrace shows no
// orig_x0, so the first argument is lost at an exit stop: it reads as 0.
func syscallRegs(tid int) (nr int, args [6]uint64, err error) {
	var r core.Registers
	if err := getRegs(tid, &r); err != nil {
		return 0, args, err
	}
	if nr, err = syscallNr(tid); err != nil {
		return 0, args, err
	}
	x := r.Raw()
	return nr, [6]uint64{0, x.Regs[1], x.Regs[2], x.Regs[3], x.Regs[4], x.Regs[5]}, nil
}

// skipSyscall makes the kernel skip the call a thread is stopped at the
// entry of: the system call number -1, after which the kernel leaves x0
// as it is. At a seccomp stop ret is what the call returns; at a
// syscall-entry stop ret is nil and the exit stop writes it.
func skipSyscall(tid int, r *core.Registers, ret *int64) error {
	if ret != nil {
		r.Raw().Regs[0] = uint64(*ret)
		if err := setRegs(tid, r); err != nil {
			return err
		}
	}
	return setSyscallNr(tid, -1)
}

// changeSyscall makes a thread stopped at a call's entry run call nr with
// args instead: the kernel reads the arguments from x0-x5 after the stop.
func changeSyscall(tid int, r *core.Registers, nr int, args [6]uint64) error {
	x := r.Raw()
	copy(x.Regs[:6], args[:])
	if err := setRegs(tid, r); err != nil {
		return err
	}
	return setSyscallNr(tid, nr)
}

// setReturnRegister puts ret where a returning call leaves its value.
func setReturnRegister(r *core.Registers, ret int64) { r.Raw().Regs[0] = uint64(ret) }
