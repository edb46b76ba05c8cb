// Package sysent is strace's way of printing Linux system calls, for
// tracers that want their output to read exactly like strace's:
//
//	openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = 3
//	read(3, "vm\n", 4096)                   = 3
//	mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f4cbe324000
//	exit_group(0)                           = ?
//
// Why strace's format: it is the lingua franca of system call tracing.
// People know how to read it, diff it against a real strace run, and grep
// it with patterns they already have, so matching it byte for byte is worth
// more than any prettier layout. The expected strings in the tests were
// printed by strace 6.1 for the same arguments.
//
// # What is here
//
// The system call table itself (names, numbers, argument kinds, classes,
// path arguments, what the kernel side copies) is package core/sysabi;
// this package prints calls by it:
//
//   - FormatCall (the call as entered), FormatCallExit (with output
//     arguments decoded once the return value is known), FormatUnfinished
//     (strace's "read(3,  <unfinished ...>"), FormatResumed (its
//     "<... read resumed>..." at the exit), FormatReturn, FormatLine (a
//     whole, column-aligned line), and Args / ArgsExit (each argument
//     separately, for JSON).
//   - AppendSignal and AppendSiginfo: strace's "--- SIGCHLD {...} ---".
//
// # Memory
//
// Formatting takes the six raw argument registers, the return value, and
// a Mem that reads the traced process's memory. A passive tracer's Mem is
// what the kernel side copied when the kernel used it (see
// core.Syscall.Regions), never the process's memory read later; a stopped
// thread's memory may be read directly. Everything a Mem cannot give
// prints as an address, exactly as strace prints unreadable pointers, so
// the output is valid strace syntax whatever was captured. A Mem may also
// be a Counter (arrays counted in the kernel), an EntryReader (in/out
// arguments as they were at entry), a Stack (rt_sigreturn's frame) or an
// ArgvReader (execve's arguments as the new image got them).

// # Fidelity and limits
//
// Over 200 calls have argument decoders (open flags, mmap protections and
// flags, signals and signal sets, sockets and socket addresses, clone flags,
// wait statuses, fcntl/futex/prctl/ioctl commands, struct stat and statx,
// iovecs, msghdrs, epoll and poll arrays, rlimits, timespecs...). Like
// strace without -v, structures print abbreviated
// ({st_mode=S_IFREG|0644, st_size=35007, ...}); like strace's default -s 32,
// strings and buffers print their first 32 bytes and then "...". File names
// are not cut at 32 bytes (strace cuts them at PATH_MAX only).
// Calls without a decoder print their arguments in hex, as strace's
// printargs does, which is valid strace output, only less informative.
// Known differences: ioctl requests outside a common set print in their
// _IOC(...) form, where strace knows thousands of names.
//
// Formatting appends to a caller-supplied buffer and, for values the
// caller already holds, allocates nothing; reads through Mem allocate
// whatever the Mem implementation does.
package sysent
