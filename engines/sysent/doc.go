// Package sysent is the x86-64 Linux system call table and strace's way of
// printing calls, for tracers that want their output to read exactly like
// strace's:
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
//   - The table: Name, Number, NumArgs, Known, All, for every x86-64 call up
//     to MaxNr, with unknown numbers named "syscall_0x1a4" as strace does.
//   - Trace classes (%file, %network, %process, ...) with strace's
//     membership: Class, ParseClass, and Expand for whole -e trace= lists.
//   - PathArg / PathArgs / PathArgTable: which argument is the file name a
//     call acts on, for a BPF program that copies that one string at entry.
//     PathArgTable is sorted by number so it can be mirrored into C.
//   - Formatting: FormatCall (the call as entered), FormatCallExit (with
//     output arguments decoded once the return value is known),
//     FormatReturn, FormatLine (a whole, column-aligned line), and Args /
//     ArgsExit (each argument separately, for JSON).
//
// # No live process needed
//
// Formatting takes the six raw argument registers, the return value, the
// pre-captured path (or NoPath), and an optional Mem that reads the traced
// process's memory. With a nil Mem, everything that needs reading prints as
// an address, exactly as strace prints unreadable pointers, so a pure BPF
// tracer still gets valid strace syntax. Mem can be backed by
// process_vm_readv, by bytes captured in a ring buffer record, or, in
// tests, by a map.
//
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
// Known differences: rt_sigreturn prints no arguments (strace decodes the
// signal frame from the stack pointer, which a register snapshot lacks);
// in/out lengths (accept's addrlen) print the value after the call only
// ([16], not strace's [110 => 16]); ioctl requests outside a common set
// print in their _IOC(...) form, where strace knows thousands of names.
//
// Formatting appends to a caller-supplied buffer and, for values the
// caller already holds, allocates nothing; reads through Mem allocate
// whatever the Mem implementation does.
package sysent
