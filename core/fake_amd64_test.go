package core

import "golang.org/x/sys/unix"

// The fake thread has no debug registers.

func (f fakeStopped) DebugRegister(int) (uint64, error)  { return 0, unix.EIO }
func (f fakeStopped) SetDebugRegister(int, uint64) error { return unix.EIO }
