package core

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// pfKthread is PF_KTHREAD from include/linux/sched.h: the task is a kernel
// thread. The seed refuses those with -EPERM ("utrace is for users").
const pfKthread = 0x00200000

// procLookup describes a thread from /proc. /proc/TID exists for every
// thread id, not only for process leaders, though it is not listed.
func procLookup(tid int) (ThreadInfo, error) {
	var info ThreadInfo
	if tid <= 0 {
		return info, fmt.Errorf("tid %d: %w", tid, ErrInvalid)
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return info, fmt.Errorf("thread %d: %w", tid, ErrDetached)
	}
	// The command name may hold spaces and parentheses; the fields after
	// it start past the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return info, fmt.Errorf("thread %d: malformed stat", tid)
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); flags is field 9.
	if len(f) < 7 {
		return info, fmt.Errorf("thread %d: short stat", tid)
	}
	flags, err := strconv.ParseUint(string(f[6]), 10, 64)
	if err != nil {
		return info, fmt.Errorf("thread %d: stat flags: %w", tid, err)
	}
	info.Kernel = flags&pfKthread != 0
	info.Dead = f[0][0] == 'Z' || f[0][0] == 'X'

	status, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return info, fmt.Errorf("thread %d: %w", tid, ErrDetached)
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("Tgid:")); ok {
			info.Tgid, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return info, fmt.Errorf("thread %d: status Tgid: %w", tid, err)
			}
			break
		}
	}
	return info, nil
}
