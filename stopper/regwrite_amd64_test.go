package stopper_test

import (
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// badRegister makes r a register set the kernel refuses: x86-64's putreg
// rejects an fs base outside user space with EIO.
func badRegister(r *core.Registers) { r.Raw().Fs_base = 1 << 63 }

// refusedErrno is what the refusal is.
const refusedErrno = unix.EIO
