package sysent

import (
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// An FdPather is a Mem that knows what a call's descriptors were open on
// when the call used them (strace -y): those it was given at its entry,
// and (exit) those it created. path is a file's path, printed escaped;
// name what prints as is after it: all of a name the kernel makes up
// (pipe:[5], TCP:[127.0.0.1:80]), or -yy's <char 1:3> after a device's
// path. deleted says that the file was unlinked. ok is false when that is
// not known; the descriptor then prints as a number alone, as strace
// prints one it cannot resolve.
type FdPather interface {
	FdPath(fd int, exit bool) (path, name []byte, deleted, ok bool)
}

// fdPath appends "<path>" after descriptor fd where the Mem knows it.
func (p *printer) fdPath(fd int64, exit bool) {
	p.b = appendFdPath(p.b, p.mem, fd, exit)
}

// appendFdPath appends strace's "<path>" for descriptor fd (or
// AT_FDCWD: the working directory), escaped as strace escapes strings,
// '<' and '>' too, so that the path cannot end the brackets early.
func appendFdPath(b []byte, mem Mem, fd int64, exit bool) []byte {
	fp, ok := mem.(FdPather)
	if !ok || fd < 0 && fd != unix.AT_FDCWD {
		return b
	}
	path, name, deleted, ok := fp.FdPath(int(fd), exit)
	if !ok {
		return b
	}
	b = append(b, '<')
	b = appendEscaped(b, path, false, "<>")
	b = append(b, name...)
	b = append(b, '>')
	if deleted {
		// strace's: /proc's " (deleted)" outside the brackets, unspaced.
		b = append(b, "(deleted)"...)
	}
	return b
}

// appendFdReturn appends the return value of a call that created
// descriptor ret, with its path.
func appendFdReturn(b []byte, mem Mem, ret int64) []byte {
	b = strconv.AppendInt(b, ret, 10)
	return appendFdPath(b, mem, ret, true)
}

// returnsFd reports whether a successful call nr with args returned a
// descriptor: fcntl only for its F_DUPFD commands.
func returnsFd(nr int, args *[6]uint64) bool {
	if sysabi.FdResultOf(nr) != sysabi.FdValue {
		return false
	}
	if callName(nr) == "fcntl" {
		return args != nil && (args[1] == fDupfd || args[1] == fDupfdCloexec)
	}
	return true
}

// fcntl's commands that return a descriptor.
const (
	fDupfd        = 0
	fDupfdCloexec = 1030
)

// FdNames returns the descriptors of a call with what they were open on,
// as strace -y prints each ("3</etc/hosts>"), for structured output: its
// descriptor arguments at its entry, then, with returned, the descriptor
// it returned. Those the Mem does not know are left out.
func FdNames(nr int, args [6]uint64, ret int64, returned bool, mem Mem) []string {
	var names []string
	add := func(fd int64, exit bool) {
		b := strconv.AppendInt(nil, fd, 10)
		if fd == unix.AT_FDCWD {
			b = append(b[:0], "AT_FDCWD"...)
		}
		n := len(b)
		if b = appendFdPath(b, mem, fd, exit); len(b) > n {
			names = append(names, string(b))
		}
	}
	set := sysabi.FdArgs(nr)
	for i := range 6 {
		if set&(1<<i) != 0 {
			add(int64(int32(args[i])), false)
		}
	}
	if returned && !IsError(ret) && returnsFd(nr, &args) {
		add(ret, true)
	}
	return names
}
