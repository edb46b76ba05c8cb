package loader

import (
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// TracerNice is the nice value a tracer's threads should run at (SetNice).
const TracerNice = -20

// SetNice sets every thread of this process to nice value n, normally
// TracerNice, and returns the nice value the calling thread had, for the
// programs the process starts (see stopper.LaunchOptions.Nice). Without
// CAP_SYS_NICE it cannot lower the value, and stops trying.
//
// The reader runs at real-time priority, but that is not enough for a Go
// program: under a load that keeps every CPU busy (200 threads making
// system calls as fast as they can), a thread at nice 0 that holds one of
// the runtime's Ps can wait tens of milliseconds for a CPU, and whatever
// needs that P waits with it: the garbage collector's stop-the-world, and
// through it the reader, whose ring then overflows. A tracer must keep up
// with what it traces; at nice -20 its threads get a CPU within a
// scheduling slice.
//
// Linux keeps nice per thread and a new thread inherits its creator's, so
// once every existing thread is set the runtime's later threads are too;
// the loop catches threads started while it runs.
func SetNice(n int) (orig int) {
	orig = niceOf(0)
	for range 5 {
		tids, err := procfs.Self.Tasks()
		if err != nil {
			return orig
		}
		changed := false
		for _, tid := range tids {
			if niceOf(tid) == n {
				continue
			}
			if unix.Setpriority(unix.PRIO_PROCESS, tid, n) != nil {
				return orig
			}
			changed = true
		}
		if !changed {
			break
		}
	}
	return orig
}

// niceOf returns tid's nice value (0: the calling thread's). The system
// call returns 20 - nice.
func niceOf(tid int) int {
	p, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return 0
	}
	return 20 - p
}
