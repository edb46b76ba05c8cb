package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// PFKthread is PF_KTHREAD (include/linux/sched.h) in Stat.Flags: the task
// is a kernel thread.
const PFKthread = 0x00200000

// Stat is what utrace-bpf reads of a stat file (proc_pid_stat(5)).
type Stat struct {
	Pid   int
	Comm  string // the command name, as the kernel has it (any bytes but NUL)
	State byte   // R, S, D, T, t, Z, X, ...
	Ppid  int
	Flags uint64 // PF_* (include/linux/sched.h)
	Nice  int
}

// Kernel reports whether the task is a kernel thread.
func (s Stat) Kernel() bool { return s.Flags&PFKthread != 0 }

// Dead reports whether the task has exited: a zombie (Z) not yet reaped,
// or on its way out (X).
func (s Stat) Dead() bool { return s.State == 'Z' || s.State == 'X' }

// Stat reads the directory's stat file.
func (d Dir) Stat() (Stat, error) {
	// Stat lines are some 300 bytes; 52 fields of 20 digits at most would
	// still fit.
	var b [1280]byte
	path := d.Path("stat")
	text, err := read(path, b[:])
	if err != nil {
		return Stat{}, err
	}
	s, err := parseStat(text)
	if err != nil {
		return Stat{}, malformed(path, err)
	}
	return s, nil
}

// parseStat parses "pid (comm) state ppid pgrp session tty tpgid flags ...".
// The command name may hold spaces and parentheses, so it ends at the last
// ')'.
func parseStat(b []byte) (Stat, error) {
	var s Stat
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return s, errors.New("no (command name)")
	}
	var err error
	if s.Pid, err = strconv.Atoi(string(bytes.TrimSpace(b[:open]))); err != nil {
		return s, fmt.Errorf("pid: %w", err)
	}
	// Field n of proc_pid_stat(5), from 3 on, is f[n-3].
	var f [17][]byte
	rest, i := b[end+1:], 0
	for ; i < len(f); i++ {
		if f[i], rest = nextField(rest); len(f[i]) == 0 {
			break
		}
	}
	if i < len(f) {
		return s, fmt.Errorf("%d fields after the command name, want %d at least", i, len(f))
	}
	if len(f[0]) != 1 {
		return s, fmt.Errorf("state %q", string(f[0]))
	}
	s.State = f[0][0]
	if s.Ppid, err = strconv.Atoi(string(f[1])); err != nil {
		return s, fmt.Errorf("ppid: %w", err)
	}
	if s.Flags, err = strconv.ParseUint(string(f[6]), 10, 64); err != nil {
		return s, fmt.Errorf("flags: %w", err)
	}
	if s.Nice, err = strconv.Atoi(string(f[16])); err != nil {
		return s, fmt.Errorf("nice: %w", err)
	}
	s.Comm = string(b[open+1 : end])
	return s, nil
}

// nextField returns the first blank-separated field of b ("" at the end)
// and what follows it. The parsers loop over it rather than have a
// function fill a slice of fields: those would escape to the heap, and
// with them the stack buffer the file was read into.
func nextField(b []byte) (field, rest []byte) {
	b = bytes.TrimLeft(b, " \t\n")
	end := bytes.IndexAny(b, " \t\n")
	if end < 0 {
		end = len(b)
	}
	return b[:end], b[end:]
}
