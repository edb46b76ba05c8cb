package sysabi

// Descriptors: which arguments of a call are file descriptors and which
// descriptors it creates, so that the kernel side can say what file each
// one is open on at the moment of the call (strace -y), and the decoder
// where to print it.

// FdResult says which descriptors a successful call creates. The
// numbering is the BPF programs' (FD_RET_* in bpf/utrace.h).
type FdResult uint8

// The results.
const (
	FdNone  FdResult = iota // none
	FdValue                 // the return value (open, dup, socket, accept)
	fdPair                  // fdPair + i: the int[2] at argument i (pipe, socketpair)
)

// FdPairAt is the FdResult of a call that writes two descriptors to the
// int[2] at argument i.
func FdPairAt(i int) FdResult { return fdPair + FdResult(i) }

// PairArg reports which argument holds the int[2] of descriptors r stands
// for, if it stands for one.
func (r FdResult) PairArg() (int, bool) {
	if r < fdPair {
		return 0, false
	}
	return int(r - fdPair), true
}

// FdArgs returns the set of the arguments of system call nr that are
// file descriptors (bit i: argument i), AT_FDCWD-or-descriptor ones
// included.
func FdArgs(nr int) uint8 {
	l, ok := LayoutOf(nr)
	if !ok {
		return 0
	}
	if l.Decoder != DecodeNone {
		return decoderFdArgs[table[nr].name]
	}
	var set uint8
	for i, k := range l.Args {
		if k == ArgFD || k == ArgDirFD {
			set |= 1 << i
		}
	}
	return set
}

// decoderFdArgs are FdArgs of the calls with decoders of their own, by
// name: what those decoders print as descriptors (execveat's dirfd; not
// execve, whose argument 0 is its file name).
var decoderFdArgs = map[string]uint8{
	"ioctl": 1 << 0, "fcntl": 1 << 0, "getsockopt": 1 << 0, "setsockopt": 1 << 0, "execveat": 1 << 0,
}

// FdResultOf says which descriptors system call nr creates when it
// succeeds. fcntl's return value is a descriptor only for F_DUPFD and
// F_DUPFD_CLOEXEC: the kernel side resolves it anyway, and the decoder
// prints it only for those.
func FdResultOf(nr int) FdResult {
	if !Known(nr) {
		return FdNone
	}
	name := table[nr].name
	if createsFd[name] {
		return FdValue
	}
	l, _ := LayoutOf(nr)
	for i, k := range l.Args {
		if k == ArgIntPairOut {
			return FdPairAt(i)
		}
	}
	return FdNone
}

// createsFd are the calls whose return value is a new descriptor, by name.
var createsFd = map[string]bool{
	"open": true, "openat": true, "openat2": true, "creat": true, "open_by_handle_at": true,
	"dup": true, "dup2": true, "dup3": true, "fcntl": true,
	"socket": true, "accept": true, "accept4": true,
	"epoll_create": true, "epoll_create1": true, "eventfd": true, "eventfd2": true,
	"signalfd": true, "signalfd4": true, "timerfd_create": true,
	"inotify_init": true, "inotify_init1": true, "fanotify_init": true,
	"memfd_create": true, "memfd_secret": true, "userfaultfd": true, "perf_event_open": true,
	"pidfd_open": true, "pidfd_getfd": true, "io_uring_setup": true,
	"open_tree": true, "fsopen": true, "fsmount": true, "fspick": true,
}
