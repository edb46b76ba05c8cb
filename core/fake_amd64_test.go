package core

import "golang.org/x/sys/unix"

// The fake thread has no state beyond its general registers.

func (f fakeStopped) Regset(int, []byte) (int, error) { return 0, unix.EIO }
func (f fakeStopped) SetRegset(int, []byte) error     { return unix.EIO }
func (f fakeStopped) DebugRegister(int) (uint64, error) {
	return 0, unix.EIO
}
func (f fakeStopped) SetDebugRegister(int, uint64) error { return unix.EIO }
func (f fakeStopped) Siginfo() ([]byte, error)           { return nil, unix.EIO }
