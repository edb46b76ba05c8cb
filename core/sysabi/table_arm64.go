package sysabi

// The arm64 system call numbers are the generic table's, in aarch64.go
// (compiled everywhere so that tests on any machine check them).

// MaxNr is the highest system call number this table knows about.
const MaxNr = arm64MaxNr

// numbers names the arm64 system calls by number.
var numbers = arm64Numbers

// archTracepoints are the calls whose tracepoint on arm64 differs from
// the one calls.go gives.
var archTracepoints = arm64Tracepoints

// The positions of clone's thread-ID and TLS arguments: arm64 passes
// flags, stack, parent_tid, tls, child_tid (the kernel's
// CONFIG_CLONE_BACKWARDS order; strace's default ARG_TLS 3 and ARG_CTID 4).
const (
	CloneChildTIDArg = 4
	CloneTLSArg      = 3
)
