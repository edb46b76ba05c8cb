package core

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
)

// procLookup describes a thread from /proc. /proc/TID exists for every
// thread id, not only for process leaders, though it is not listed; its
// stat and status give that thread's state. The seed refuses kernel
// threads with -EPERM ("utrace is for users"), which ThreadInfo.Kernel
// lets the tracer do.
func procLookup(tid int) (ThreadInfo, error) {
	var info ThreadInfo
	if tid <= 0 {
		return info, fmt.Errorf("tid %d: %w", tid, ErrInvalid)
	}
	dir := procfs.Process(tid)
	stat, err := dir.Stat()
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // it could not be read: gone
			return info, fmt.Errorf("thread %d: %w", tid, ErrDetached)
		}
		return info, fmt.Errorf("thread %d: %w", tid, err)
	}
	info.Kernel = stat.Kernel()
	info.Dead = stat.Dead()

	status, err := dir.Status()
	if err != nil {
		return info, fmt.Errorf("thread %d: %w", tid, ErrDetached)
	}
	if info.Tgid, err = status.Int("Tgid"); err != nil {
		return info, fmt.Errorf("thread %d: %w", tid, err)
	}
	return info, nil
}
