package stopper_test

import (
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// badRegister makes r a register set the kernel refuses: arm64's
// valid_user_regs rejects a pstate that returns to EL1.
func badRegister(r *core.Registers) { r.Raw().Pstate = 0x5 } // EL1h

// refusedErrno is what the refusal is.
const refusedErrno = unix.EINVAL
