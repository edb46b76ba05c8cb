package sysent

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// kind says how to print one argument. Kinds named ...Out are filled in by
// the kernel: they are decoded only in the exit view of a successful call
// with memory available, and print as addresses otherwise.
type kind uint8

const (
	kHex              kind = iota // %#lx, strace's printargs default
	kInt                          // int
	kUint                         // unsigned int
	kLong                         // long, off_t
	kULong                        // size_t, unsigned long
	kPtr                          // address: NULL or hex
	kFD                           // file descriptor
	kDirFD                        // file descriptor or AT_FDCWD
	kPath                         // file name
	kStr                          // NUL-terminated string, cut at -s 32
	kBufIn                        // data the caller passes; length is the next argument
	kBufOut                       // data the kernel returns; length is the return value
	kBufOutHex                    // same, printed in \x form (random bytes)
	kPathOut                      // file name the kernel returns (getcwd)
	kOpenFlags                    // O_RDONLY|O_CLOEXEC
	kOpenMode                     // creation mode, printed only if the previous (flags) argument has O_CREAT or O_TMPFILE
	kMode                         // mode_t in octal
	kProt                         // PROT_*
	kMmapFlags                    // MAP_*
	kAccess                       // F_OK, R_OK|W_OK
	kAtFlags                      // AT_SYMLINK_NOFOLLOW...
	kFaccessatFlags               // AT_EACCESS...
	kStatxFlags                   // AT_STATX_SYNC_AS_STAT|AT_...
	kStatxMask                    // STATX_*
	kStatOut                      // struct stat
	kStatxOut                     // struct statx
	kSignal                       // SIGUSR1
	kSigHow                       // SIG_BLOCK
	kSigsetIn                     // sigset_t
	kSigsetOut                    //
	kSigactIn                     // struct sigaction
	kSigactOut                    //
	kWhence                       // SEEK_*
	kMadvise                      // MADV_*
	kMremapFlags                  // MREMAP_*
	kMsyncFlags                   // MS_ASYNC...
	kMlockallFlags                // MCL_*
	kMlock2Flags                  // MLOCK_ONFAULT
	kCloneFlags                   // CLONE_* (unshare)
	kNsType                       // CLONE_NEW* or 0 (setns)
	kWaitOpts                     // WNOHANG...
	kWstatusOut                   // int *wstatus
	kIDType                       // P_PID...
	kSockDomain                   // AF_*
	kSockType                     // SOCK_STREAM|SOCK_CLOEXEC
	kSockProto                    // protocol, decoded according to argument 0 (domain)
	kMsgFlags                     // MSG_*
	kShutHow                      // SHUT_*
	kSockaddrIn                   // struct sockaddr; length is the next argument
	kSockaddrOut                  // struct sockaddr; *length is the next argument
	kSocklenOut                   // socklen_t *
	kIntPairOut                   // int[2] (pipe, socketpair)
	kIntOut                       // int *
	kTimespecIn                   // struct timespec
	kTimevalOut                   // struct timeval
	kTimespecOut                  //
	kClockID                      // CLOCK_*
	kTimerFlags                   // TIMER_ABSTIME
	kItimerWhich                  // ITIMER_*
	kItimervalIn                  // struct itimerval
	kItimervalOut                 //
	kRlimitRes                    // RLIMIT_*
	kRlimitIn                     // struct rlimit
	kRlimitOut                    //
	kIovecIn                      // struct iovec[]; count is the next argument
	kIovecOut                     // same, filled up to the return value
	kMsghdrIn                     // struct msghdr
	kMsghdrOut                    //
	kEpollOp                      // EPOLL_CTL_*
	kEpollEventIn                 // struct epoll_event
	kEpollEventsOut               // struct epoll_event[], count is the return value
	kEpollCreateFlags             // EPOLL_CLOEXEC
	kPollfds                      // struct pollfd[]; count is the next argument
	kFdSet                        // fd_set; size is argument 0 (nfds)
	kPselectSig                   // pselect6's {sigmask, sigsetsize}
	kUtsnameOut                   // struct utsname
	kDirentsOut                   // struct linux_dirent64[]; length is the return value
	kCPUSetOut                    // cpu_set_t; length is the return value
	kEfdFlags                     // EFD_*
	kTfdFlags                     // TFD_*
	kMfdFlags                     // MFD_*
	kInotifyInitFlags             // IN_NONBLOCK|IN_CLOEXEC
	kInotifyMask                  // IN_*
	kGrndFlags                    // GRND_*
	kCloseRangeFlags              // CLOSE_RANGE_*
	kRenameFlags                  // RENAME_*
	kFlockOp                      // LOCK_*
	kFadvice                      // POSIX_FADV_*
	kFallocFlags                  // FALLOC_FL_*
	kUmountFlags                  // MNT_*
	kPrioWhich                    // PRIO_*
	kRusageWho                    // RUSAGE_*
	kUtimensIn                    // struct timespec[2]
	kStackIn                      // stack_t
	kStackOut                     //
	kSeccompOp                    // SECCOMP_SET_MODE_*
	kSeccompFlags                 // SECCOMP_FILTER_FLAG_*
	kBpfCmd                       // BPF_*
	kXattrFlags                   // XATTR_*
	kUintOut                      // unsigned int * ([0])
	kGidsOut                      // gid_t[]; count is the return value
	kPtraceReq                    // PTRACE_*
	kOpenHow                      // struct open_how
	kPtrOut                       // address the kernel writes a pointer to: [0x...]
	kMmapOff                      // file offset in hex, as strace prints mmap's
	kOFlags                       // O_* flags without an access mode (pipe2, dup3)
	kSockFlags                    // SOCK_CLOEXEC|SOCK_NONBLOCK (accept4)
	kMremapAddr                   // mremap's new address, printed only with MREMAP_FIXED in the previous argument
)

// retKind says how to print a successful return value.
type retKind uint8

const (
	rDec   retKind = iota
	rHex           // addresses (mmap, brk)
	rOctal         // umask
)

// spec is the decoding recipe for one system call: either a list of
// argument kinds, or a function for calls whose layout depends on an
// argument (fcntl, futex, prctl, ioctl, clone...).
type spec struct {
	args   []kind
	ret    retKind
	custom custom
}

// custom names a hand-written decoder. It is an enum rather than a func
// value so that calls stay direct and the printer, which lives on the
// caller's stack, does not escape to the heap.
type custom uint8

const (
	cNone custom = iota
	cIoctl
	cSockopt
	cClone
	cClone3
	cExecve
	cFcntl
	cPrctl
	cArchPrctl
	cMount
	cFutex
)

func (p *printer) custom(c custom) {
	switch c {
	case cIoctl:
		decodeIoctl(p)
	case cSockopt:
		decodeSockopt(p)
	case cClone:
		decodeClone(p)
	case cClone3:
		decodeClone3(p)
	case cExecve:
		decodeExecve(p)
	case cFcntl:
		decodeFcntl(p)
	case cPrctl:
		decodePrctl(p)
	case cArchPrctl:
		decodeArchPrctl(p)
	case cMount:
		decodeMount(p)
	case cFutex:
		decodeFutex(p)
	}
}

var specs [MaxNr + 1]spec

func a(k ...kind) spec { return spec{args: k} }

func init() {
	m := map[int]spec{
		unix.SYS_READ:              a(kFD, kBufOut, kULong),
		unix.SYS_WRITE:             a(kFD, kBufIn, kULong),
		unix.SYS_OPEN:              a(kPath, kOpenFlags, kOpenMode),
		unix.SYS_CLOSE:             a(kFD),
		unix.SYS_STAT:              a(kPath, kStatOut),
		unix.SYS_FSTAT:             a(kFD, kStatOut),
		unix.SYS_LSTAT:             a(kPath, kStatOut),
		unix.SYS_POLL:              a(kPollfds, kUint, kInt),
		unix.SYS_LSEEK:             a(kFD, kLong, kWhence),
		unix.SYS_MMAP:              {args: []kind{kPtr, kULong, kProt, kMmapFlags, kFD, kMmapOff}, ret: rHex},
		unix.SYS_MPROTECT:          a(kPtr, kULong, kProt),
		unix.SYS_MUNMAP:            a(kPtr, kULong),
		unix.SYS_BRK:               {args: []kind{kPtr}, ret: rHex},
		unix.SYS_RT_SIGACTION:      a(kSignal, kSigactIn, kSigactOut, kULong),
		unix.SYS_RT_SIGPROCMASK:    a(kSigHow, kSigsetIn, kSigsetOut, kULong),
		unix.SYS_RT_SIGRETURN:      a(),
		unix.SYS_IOCTL:             {custom: cIoctl},
		unix.SYS_PREAD64:           a(kFD, kBufOut, kULong, kLong),
		unix.SYS_PWRITE64:          a(kFD, kBufIn, kULong, kLong),
		unix.SYS_READV:             a(kFD, kIovecOut, kInt),
		unix.SYS_WRITEV:            a(kFD, kIovecIn, kInt),
		unix.SYS_ACCESS:            a(kPath, kAccess),
		unix.SYS_PIPE:              a(kIntPairOut),
		unix.SYS_SELECT:            a(kInt, kFdSet, kFdSet, kFdSet, kPtr),
		unix.SYS_SCHED_YIELD:       a(),
		unix.SYS_MREMAP:            {args: []kind{kPtr, kULong, kULong, kMremapFlags, kMremapAddr}, ret: rHex},
		unix.SYS_MSYNC:             a(kPtr, kULong, kMsyncFlags),
		unix.SYS_MINCORE:           a(kPtr, kULong, kPtr),
		unix.SYS_MADVISE:           a(kPtr, kULong, kMadvise),
		unix.SYS_SHMAT:             {args: []kind{kInt, kPtr, kHex}, ret: rHex},
		unix.SYS_DUP:               a(kFD),
		unix.SYS_DUP2:              a(kFD, kFD),
		unix.SYS_PAUSE:             a(),
		unix.SYS_NANOSLEEP:         a(kTimespecIn, kPtr),
		unix.SYS_GETITIMER:         a(kItimerWhich, kItimervalOut),
		unix.SYS_ALARM:             a(kUint),
		unix.SYS_SETITIMER:         a(kItimerWhich, kItimervalIn, kItimervalOut),
		unix.SYS_GETPID:            a(),
		unix.SYS_SENDFILE:          a(kFD, kFD, kPtr, kULong),
		unix.SYS_SOCKET:            a(kSockDomain, kSockType, kSockProto),
		unix.SYS_CONNECT:           a(kFD, kSockaddrIn, kUint),
		unix.SYS_ACCEPT:            a(kFD, kSockaddrOut, kSocklenOut),
		unix.SYS_SENDTO:            a(kFD, kBufIn, kULong, kMsgFlags, kSockaddrIn, kUint),
		unix.SYS_RECVFROM:          a(kFD, kBufOut, kULong, kMsgFlags, kSockaddrOut, kSocklenOut),
		unix.SYS_SENDMSG:           a(kFD, kMsghdrIn, kMsgFlags),
		unix.SYS_RECVMSG:           a(kFD, kMsghdrOut, kMsgFlags),
		unix.SYS_SHUTDOWN:          a(kFD, kShutHow),
		unix.SYS_BIND:              a(kFD, kSockaddrIn, kUint),
		unix.SYS_LISTEN:            a(kFD, kInt),
		unix.SYS_GETSOCKNAME:       a(kFD, kSockaddrOut, kSocklenOut),
		unix.SYS_GETPEERNAME:       a(kFD, kSockaddrOut, kSocklenOut),
		unix.SYS_SOCKETPAIR:        a(kSockDomain, kSockType, kSockProto, kIntPairOut),
		unix.SYS_SETSOCKOPT:        {custom: cSockopt},
		unix.SYS_GETSOCKOPT:        {custom: cSockopt},
		unix.SYS_CLONE:             {custom: cClone},
		unix.SYS_FORK:              a(),
		unix.SYS_VFORK:             a(),
		unix.SYS_EXECVE:            {custom: cExecve},
		unix.SYS_EXIT:              a(kInt),
		unix.SYS_WAIT4:             a(kInt, kWstatusOut, kWaitOpts, kPtr),
		unix.SYS_KILL:              a(kInt, kSignal),
		unix.SYS_UNAME:             a(kUtsnameOut),
		unix.SYS_FCNTL:             {custom: cFcntl},
		unix.SYS_FLOCK:             a(kFD, kFlockOp),
		unix.SYS_FSYNC:             a(kFD),
		unix.SYS_FDATASYNC:         a(kFD),
		unix.SYS_TRUNCATE:          a(kPath, kLong),
		unix.SYS_FTRUNCATE:         a(kFD, kLong),
		unix.SYS_GETDENTS:          a(kFD, kDirentsOut, kUint),
		unix.SYS_GETCWD:            a(kPathOut, kULong),
		unix.SYS_CHDIR:             a(kPath),
		unix.SYS_FCHDIR:            a(kFD),
		unix.SYS_RENAME:            a(kPath, kPath),
		unix.SYS_MKDIR:             a(kPath, kMode),
		unix.SYS_RMDIR:             a(kPath),
		unix.SYS_CREAT:             a(kPath, kMode),
		unix.SYS_LINK:              a(kPath, kPath),
		unix.SYS_UNLINK:            a(kPath),
		unix.SYS_SYMLINK:           a(kPath, kPath),
		unix.SYS_READLINK:          a(kPath, kBufOut, kULong),
		unix.SYS_CHMOD:             a(kPath, kMode),
		unix.SYS_FCHMOD:            a(kFD, kMode),
		unix.SYS_CHOWN:             a(kPath, kInt, kInt),
		unix.SYS_FCHOWN:            a(kFD, kInt, kInt),
		unix.SYS_LCHOWN:            a(kPath, kInt, kInt),
		unix.SYS_UMASK:             {args: []kind{kMode}, ret: rOctal},
		unix.SYS_GETTIMEOFDAY:      a(kTimevalOut, kPtr),
		unix.SYS_GETRLIMIT:         a(kRlimitRes, kRlimitOut),
		unix.SYS_GETRUSAGE:         a(kRusageWho, kPtr),
		unix.SYS_SYSINFO:           a(kPtr),
		unix.SYS_TIMES:             a(kPtr),
		unix.SYS_PTRACE:            a(kPtraceReq, kInt, kHex, kHex),
		unix.SYS_GETUID:            a(),
		unix.SYS_GETGID:            a(),
		unix.SYS_SETUID:            a(kInt),
		unix.SYS_SETGID:            a(kInt),
		unix.SYS_GETEUID:           a(),
		unix.SYS_GETEGID:           a(),
		unix.SYS_SETPGID:           a(kInt, kInt),
		unix.SYS_GETPPID:           a(),
		unix.SYS_GETPGRP:           a(),
		unix.SYS_SETSID:            a(),
		unix.SYS_SETREUID:          a(kInt, kInt),
		unix.SYS_SETREGID:          a(kInt, kInt),
		unix.SYS_GETGROUPS:         a(kInt, kGidsOut),
		unix.SYS_SETRESUID:         a(kInt, kInt, kInt),
		unix.SYS_GETRESUID:         a(kUintOut, kUintOut, kUintOut),
		unix.SYS_SETRESGID:         a(kInt, kInt, kInt),
		unix.SYS_GETRESGID:         a(kUintOut, kUintOut, kUintOut),
		unix.SYS_GETPGID:           a(kInt),
		unix.SYS_SETFSUID:          a(kInt),
		unix.SYS_SETFSGID:          a(kInt),
		unix.SYS_GETSID:            a(kInt),
		unix.SYS_CAPGET:            a(kPtr, kPtr),
		unix.SYS_CAPSET:            a(kPtr, kPtr),
		unix.SYS_RT_SIGPENDING:     a(kSigsetOut, kULong),
		unix.SYS_RT_SIGTIMEDWAIT:   a(kSigsetIn, kPtr, kTimespecIn, kULong),
		unix.SYS_RT_SIGSUSPEND:     a(kSigsetIn, kULong),
		unix.SYS_SIGALTSTACK:       a(kStackIn, kStackOut),
		unix.SYS_MKNOD:             a(kPath, kMode, kHex),
		unix.SYS_STATFS:            a(kPath, kPtr),
		unix.SYS_FSTATFS:           a(kFD, kPtr),
		unix.SYS_GETPRIORITY:       a(kPrioWhich, kInt),
		unix.SYS_SETPRIORITY:       a(kPrioWhich, kInt, kInt),
		unix.SYS_MLOCK:             a(kPtr, kULong),
		unix.SYS_MUNLOCK:           a(kPtr, kULong),
		unix.SYS_MLOCKALL:          a(kMlockallFlags),
		unix.SYS_MUNLOCKALL:        a(),
		unix.SYS_PIVOT_ROOT:        a(kPath, kPath),
		unix.SYS_PRCTL:             {custom: cPrctl},
		unix.SYS_ARCH_PRCTL:        {custom: cArchPrctl},
		unix.SYS_SETRLIMIT:         a(kRlimitRes, kRlimitIn),
		unix.SYS_CHROOT:            a(kPath),
		unix.SYS_SYNC:              a(),
		unix.SYS_ACCT:              a(kPath),
		unix.SYS_MOUNT:             {custom: cMount},
		unix.SYS_UMOUNT2:           a(kPath, kUmountFlags),
		unix.SYS_SWAPON:            a(kPath, kHex),
		unix.SYS_SWAPOFF:           a(kPath),
		unix.SYS_SETHOSTNAME:       a(kBufIn, kULong),
		unix.SYS_GETTID:            a(),
		unix.SYS_SETXATTR:          a(kPath, kStr, kBufIn, kULong, kXattrFlags),
		unix.SYS_LSETXATTR:         a(kPath, kStr, kBufIn, kULong, kXattrFlags),
		unix.SYS_FSETXATTR:         a(kFD, kStr, kBufIn, kULong, kXattrFlags),
		unix.SYS_GETXATTR:          a(kPath, kStr, kBufOut, kULong),
		unix.SYS_LGETXATTR:         a(kPath, kStr, kBufOut, kULong),
		unix.SYS_FGETXATTR:         a(kFD, kStr, kBufOut, kULong),
		unix.SYS_LISTXATTR:         a(kPath, kBufOut, kULong),
		unix.SYS_LLISTXATTR:        a(kPath, kBufOut, kULong),
		unix.SYS_FLISTXATTR:        a(kFD, kBufOut, kULong),
		unix.SYS_REMOVEXATTR:       a(kPath, kStr),
		unix.SYS_LREMOVEXATTR:      a(kPath, kStr),
		unix.SYS_FREMOVEXATTR:      a(kFD, kStr),
		unix.SYS_TKILL:             a(kInt, kSignal),
		unix.SYS_TIME:              a(kPtr),
		unix.SYS_FUTEX:             {custom: cFutex},
		unix.SYS_SCHED_GETAFFINITY: a(kInt, kUint, kCPUSetOut),
		unix.SYS_EPOLL_CREATE:      a(kInt),
		unix.SYS_GETDENTS64:        a(kFD, kDirentsOut, kUint),
		unix.SYS_SET_TID_ADDRESS:   a(kPtr),
		unix.SYS_RESTART_SYSCALL:   a(),
		unix.SYS_FADVISE64:         a(kFD, kLong, kLong, kFadvice),
		unix.SYS_CLOCK_SETTIME:     a(kClockID, kTimespecIn),
		unix.SYS_CLOCK_GETTIME:     a(kClockID, kTimespecOut),
		unix.SYS_CLOCK_GETRES:      a(kClockID, kTimespecOut),
		unix.SYS_CLOCK_NANOSLEEP:   a(kClockID, kTimerFlags, kTimespecIn, kPtr),
		unix.SYS_EXIT_GROUP:        a(kInt),
		unix.SYS_EPOLL_WAIT:        a(kFD, kEpollEventsOut, kInt, kInt),
		unix.SYS_EPOLL_CTL:         a(kFD, kEpollOp, kFD, kEpollEventIn),
		unix.SYS_TGKILL:            a(kInt, kInt, kSignal),
		unix.SYS_UTIMES:            a(kPath, kPtr),
		unix.SYS_WAITID:            a(kIDType, kInt, kPtr, kWaitOpts, kPtr),
		unix.SYS_INOTIFY_INIT:      a(),
		unix.SYS_INOTIFY_ADD_WATCH: a(kFD, kPath, kInotifyMask),
		unix.SYS_INOTIFY_RM_WATCH:  a(kFD, kInt),
		unix.SYS_OPENAT:            a(kDirFD, kPath, kOpenFlags, kOpenMode),
		unix.SYS_MKDIRAT:           a(kDirFD, kPath, kMode),
		unix.SYS_MKNODAT:           a(kDirFD, kPath, kMode, kHex),
		unix.SYS_FCHOWNAT:          a(kDirFD, kPath, kInt, kInt, kAtFlags),
		unix.SYS_NEWFSTATAT:        a(kDirFD, kPath, kStatOut, kAtFlags),
		unix.SYS_UNLINKAT:          a(kDirFD, kPath, kAtFlags),
		unix.SYS_RENAMEAT:          a(kDirFD, kPath, kDirFD, kPath),
		unix.SYS_LINKAT:            a(kDirFD, kPath, kDirFD, kPath, kAtFlags),
		unix.SYS_SYMLINKAT:         a(kPath, kDirFD, kPath),
		unix.SYS_READLINKAT:        a(kDirFD, kPath, kBufOut, kULong),
		unix.SYS_FCHMODAT:          a(kDirFD, kPath, kMode),
		unix.SYS_FACCESSAT:         a(kDirFD, kPath, kAccess),
		unix.SYS_PSELECT6:          a(kInt, kFdSet, kFdSet, kFdSet, kTimespecIn, kPselectSig),
		unix.SYS_PPOLL:             a(kPollfds, kUint, kTimespecIn, kSigsetIn, kULong),
		unix.SYS_UNSHARE:           a(kCloneFlags),
		unix.SYS_SET_ROBUST_LIST:   a(kPtr, kULong),
		unix.SYS_SPLICE:            a(kFD, kPtr, kFD, kPtr, kULong, kHex),
		unix.SYS_TEE:               a(kFD, kFD, kULong, kHex),
		unix.SYS_UTIMENSAT:         a(kDirFD, kPath, kUtimensIn, kAtFlags),
		unix.SYS_EPOLL_PWAIT:       a(kFD, kEpollEventsOut, kInt, kInt, kSigsetIn, kULong),
		unix.SYS_TIMERFD_CREATE:    a(kClockID, kTfdFlags),
		unix.SYS_EVENTFD:           a(kUint),
		unix.SYS_FALLOCATE:         a(kFD, kFallocFlags, kLong, kLong),
		unix.SYS_ACCEPT4:           a(kFD, kSockaddrOut, kSocklenOut, kSockFlags),
		unix.SYS_EVENTFD2:          a(kUint, kEfdFlags),
		unix.SYS_EPOLL_CREATE1:     a(kEpollCreateFlags),
		unix.SYS_DUP3:              a(kFD, kFD, kOFlags),
		unix.SYS_PIPE2:             a(kIntPairOut, kOFlags),
		unix.SYS_INOTIFY_INIT1:     a(kInotifyInitFlags),
		unix.SYS_PREADV:            a(kFD, kIovecOut, kInt, kLong),
		unix.SYS_PWRITEV:           a(kFD, kIovecIn, kInt, kLong),
		unix.SYS_PRLIMIT64:         a(kInt, kRlimitRes, kRlimitIn, kRlimitOut),
		unix.SYS_SYNCFS:            a(kFD),
		unix.SYS_SETNS:             a(kFD, kNsType),
		unix.SYS_RENAMEAT2:         a(kDirFD, kPath, kDirFD, kPath, kRenameFlags),
		unix.SYS_SECCOMP:           a(kSeccompOp, kSeccompFlags, kPtr),
		unix.SYS_GETRANDOM:         a(kBufOutHex, kULong, kGrndFlags),
		unix.SYS_MEMFD_CREATE:      a(kStr, kMfdFlags),
		unix.SYS_BPF:               a(kBpfCmd, kPtr, kUint),
		unix.SYS_EXECVEAT:          {custom: cExecve},
		unix.SYS_MLOCK2:            a(kPtr, kULong, kMlock2Flags),
		unix.SYS_COPY_FILE_RANGE:   a(kFD, kPtr, kFD, kPtr, kULong, kUint),
		unix.SYS_STATX:             a(kDirFD, kPath, kStatxFlags, kStatxMask, kStatxOut),
		unix.SYS_RSEQ:              a(kPtr, kHex, kHex, kHex),
		unix.SYS_PIDFD_OPEN:        a(kInt, kUint),
		unix.SYS_PIDFD_SEND_SIGNAL: a(kFD, kSignal, kPtr, kUint),
		unix.SYS_PIDFD_GETFD:       a(kFD, kFD, kUint),
		unix.SYS_CLONE3:            {custom: cClone3},
		unix.SYS_CLOSE_RANGE:       a(kUint, kUint, kCloseRangeFlags),
		unix.SYS_OPENAT2:           a(kDirFD, kPath, kOpenHow, kULong),
		unix.SYS_FACCESSAT2:        a(kDirFD, kPath, kAccess, kFaccessatFlags),
		unix.SYS_EPOLL_PWAIT2:      a(kFD, kEpollEventsOut, kInt, kTimespecIn, kSigsetIn, kULong),
		unix.SYS_PROCESS_MRELEASE:  a(kFD, kUint),
		unix.SYS_FCHMODAT2:         a(kDirFD, kPath, kMode, kAtFlags),
		unix.SYS_MSEAL:             a(kPtr, kULong, kHex),
		unix.SYS_MAP_SHADOW_STACK:  {args: []kind{kPtr, kULong, kHex}, ret: rHex},
	}
	for nr, s := range m {
		specs[nr] = s
	}
}

// kind prints argument i, which is of kind k.
func (p *printer) kind(k kind, i int) {
	v := p.args[i]
	switch k {
	case kOpenMode:
		// open's mode argument exists only with O_CREAT or O_TMPFILE.
		if p.args[i-1]&(oCreat|oTmpfile) == 0 {
			return
		}
		k = kMode
	case kMremapAddr:
		if p.args[i-1]&2 == 0 { // MREMAP_FIXED
			return
		}
		k = kPtr
	}
	p.sep()
	switch k {
	case kHex:
		p.hex(v)
	case kInt, kFD:
		p.dec(int64(int32(v)))
	case kUint:
		p.udec(uint64(uint32(v)))
	case kLong:
		p.dec(int64(v))
	case kULong:
		p.udec(v)
	case kPtr:
		p.ptr(v)
	case kDirFD:
		if int32(v) == unix.AT_FDCWD {
			p.str("AT_FDCWD")
		} else {
			p.dec(int64(int32(v)))
		}
	case kPath:
		p.pathArg(i)
	case kStr:
		p.cstring(v, maxStrLen)
	case kBufIn:
		p.buf(v, p.args[i+1], false)
	case kBufOut, kBufOutHex:
		if p.done() {
			p.buf(v, uint64(p.ret), k == kBufOutHex)
		} else {
			p.ptr(v)
		}
	case kPathOut:
		if p.done() && p.ret > 0 {
			p.cstring(v, pathMax)
		} else {
			p.ptr(v)
		}
	case kOpenFlags:
		p.b = appendOpenFlags(p.b, v)
	case kOFlags:
		p.flags(openFlags, v, "O_???")
	case kSockFlags:
		p.flags(sockFlags, v, "SOCK_???")
	case kMode:
		p.b = appendOctal(p.b, uint64(uint32(v)))
	case kProt:
		p.flags(mmapProt, v, "PROT_???")
	case kMmapFlags:
		p.mmapFlags(v)
	case kMmapOff:
		p.hex(v)
	case kAccess:
		p.flags(accessModes, v, "?_OK")
	case kAtFlags:
		p.flags(atFlags, v, "AT_???")
	case kFaccessatFlags:
		p.flags(faccessatFlags, v, "AT_???")
	case kStatxFlags:
		p.xval(statxSync, v&0x6000, "AT_STATX_???")
		if rest := v &^ 0x6000; rest != 0 {
			p.str("|")
			p.flags(atFlags, rest, "AT_???")
		}
	case kStatxMask:
		p.flags(statxMask, uint64(uint32(v)), "STATX_???")
	case kSignal:
		p.b = appendSignal(p.b, int64(int32(v)))
	case kSigHow:
		p.xval(sigHows, v, "SIG_???")
	case kWhence:
		p.xval(whences, uint64(uint32(v)), "SEEK_???")
	case kMadvise:
		p.xval(madvises, uint64(uint32(v)), "MADV_???")
	case kMremapFlags:
		p.flags(mremapFl, v, "MREMAP_???")
	case kMsyncFlags:
		p.flags(msyncFl, v, "MS_???")
	case kMlockallFlags:
		p.flags(mlockallFl, v, "MCL_???")
	case kMlock2Flags:
		p.flags(mlock2Fl, v, "MLOCK_???")
	case kCloneFlags:
		p.flags(cloneFlags, v, "CLONE_???")
	case kNsType:
		if v == 0 {
			p.str("0")
		} else {
			p.xval(nsTypes, uint64(uint32(v)), "CLONE_NEW???")
		}
	case kWaitOpts:
		p.flags(waitOptions, uint64(uint32(v)), "W???")
	case kIDType:
		p.xval(idTypes, uint64(uint32(v)), "P_???")
	case kSockDomain:
		p.xval(addrFams, uint64(uint32(v)), "AF_???")
	case kSockType:
		p.sockType(v)
	case kSockProto:
		p.sockProto(p.args[0], v)
	case kMsgFlags:
		p.flags(msgFlags, uint64(uint32(v)), "MSG_???")
	case kShutHow:
		p.xval(shutHows, uint64(uint32(v)), "SHUT_???")
	case kClockID:
		p.xval(clockIDs, uint64(uint32(v)), "CLOCK_???")
	case kTimerFlags:
		p.flags(timerFlags, v, "TIMER_???")
	case kItimerWhich:
		p.xval(itimers, uint64(uint32(v)), "ITIMER_???")
	case kRlimitRes:
		p.xval(rlimits, uint64(uint32(v)), "RLIMIT_???")
	case kEpollOp:
		p.xval(epollOps, uint64(uint32(v)), "EPOLL_CTL_???")
	case kEpollCreateFlags:
		p.flags(epollCFl, v, "EPOLL_???")
	case kEfdFlags:
		p.flags(efdFlags, v, "EFD_???")
	case kTfdFlags:
		p.flags(tfdFlags, v, "TFD_???")
	case kMfdFlags:
		p.flags(mfdFlags, v, "MFD_???")
	case kInotifyInitFlags:
		p.flags(inInitFl, v, "IN_???")
	case kInotifyMask:
		p.flags(inMask, uint64(uint32(v)), "IN_???")
	case kGrndFlags:
		p.flags(grndFlags, v, "GRND_???")
	case kCloseRangeFlags:
		p.flags(closeRange, v, "CLOSE_RANGE_???")
	case kRenameFlags:
		p.flags(renameFl, v, "RENAME_???")
	case kFlockOp:
		p.flags(flockOps, v, "LOCK_???")
	case kFadvice:
		p.xval(fadvises, uint64(uint32(v)), "POSIX_FADV_???")
	case kFallocFlags:
		p.flags(fallocFl, v, "FALLOC_FL_???")
	case kUmountFlags:
		p.flags(umountFl, v, "MNT_???")
	case kPrioWhich:
		p.xval(prioWhich, uint64(uint32(v)), "PRIO_???")
	case kRusageWho:
		p.xval(rusageWho, uint64(uint32(v)), "RUSAGE_???")
	case kSeccompOp:
		p.xval(seccompOps, uint64(uint32(v)), "SECCOMP_SET_MODE_???")
	case kSeccompFlags:
		p.flags(seccompFl, v, "SECCOMP_FILTER_FLAG_???")
	case kBpfCmd:
		p.xval(bpfCmds, uint64(uint32(v)), "BPF_???")
	case kXattrFlags:
		p.flags(xattrFl, v, "XATTR_???")
	case kPtraceReq:
		p.xval(ptraceReqs, v, "PTRACE_???")
	default:
		p.structArg(k, i)
	}
}

func (p *printer) mmapFlags(v uint64) {
	var huge uint64
	if v&0x40000 != 0 { // MAP_HUGETLB: bits 26..31 encode the page size
		huge = v & (0x3f << 26)
		v &^= huge
	}
	p.xval(mmapType, v&0xf, "MAP_???")
	if rest := v &^ 0xf; rest != 0 {
		p.str("|")
		p.flags(mmapFlags, rest, "MAP_???")
	}
	if huge != 0 {
		p.str("|")
		p.udec(huge >> 26)
		p.str("<<MAP_HUGE_SHIFT")
	}
}

func (p *printer) sockType(v uint64) {
	v = uint64(uint32(v))
	p.xval(sockTypes, v&0xf, "SOCK_???")
	if rest := v &^ 0xf; rest != 0 {
		p.str("|")
		p.flags(sockFlags, rest, "SOCK_???")
	}
}

func (p *printer) sockProto(domain, v uint64) {
	v = uint64(uint32(v))
	switch domain {
	case unix.AF_INET, unix.AF_INET6:
		p.xval(ipProtos, v, "IPPROTO_???")
	case unix.AF_NETLINK:
		p.xval(nlProtos, v, "NETLINK_???")
	case unix.AF_PACKET:
		// The protocol is an EtherType in network byte order.
		p.str("htons(")
		p.xval(ethProtos, uint64(v>>8&0xff|v&0xff<<8), "ETH_P_???")
		p.str(")")
	default:
		p.udec(v)
	}
}

// appendSpecialReturn handles the return values strace annotates using
// the arguments; ok is false for everything else.
func appendSpecialReturn(b []byte, nr int, args *[6]uint64, ret int64, mem Mem) ([]byte, bool) {
	switch nr {
	case unix.SYS_FCNTL:
		switch args[1] {
		case unix.F_GETFL:
			b = appendHex(b, uint64(ret))
			b = append(b, " (flags "...)
			b = appendOpenFlags(b, uint64(ret))
			return append(b, ')'), true
		case unix.F_GETFD:
			if ret == 0 {
				return append(b, '0'), true
			}
			b = appendHex(b, uint64(ret))
			b = append(b, " (flags "...)
			b = appendFlags(b, fdFlags, uint64(ret), "")
			return append(b, ')'), true
		case unix.F_GET_SEALS:
			if ret == 0 {
				return append(b, '0'), true
			}
			b = appendHex(b, uint64(ret))
			b = append(b, " (seals "...)
			b = appendFlags(b, sealFlags, uint64(ret), "")
			return append(b, ')'), true
		case unix.F_GETLEASE:
			b = appendHex(b, uint64(ret))
			b = append(b, " ("...)
			b = appendXval(b, lockTypes, uint64(ret), "")
			return append(b, ')'), true
		}
	case unix.SYS_PRCTL:
		if args[0] == unix.PR_GET_DUMPABLE {
			b = strconv.AppendInt(b, ret, 10)
			if name, ok := dumpables.lookup(uint64(ret)); ok {
				b = append(b, " ("...)
				b = append(b, name...)
				b = append(b, ')')
			}
			return b, true
		}
	case unix.SYS_POLL, unix.SYS_PPOLL:
		b = strconv.AppendInt(b, ret, 10)
		if ret == 0 {
			return append(b, " (Timeout)"...), true
		}
		p := printer{b: b, args: *args, mem: mem, exit: true, ret: ret}
		if start := len(p.b); p.revents(args[0], args[1], uint64(ret)) {
			// revents wrote " ([...]"; ppoll adds the time left.
			if nr == unix.SYS_PPOLL && args[2] != 0 {
				if ts := p.read(args[2], 16); ts != nil {
					p.str(", left ")
					p.timespec(ts)
				}
			}
			p.str(")")
		} else {
			p.b = p.b[:start]
		}
		return p.b, true
	case unix.SYS_SELECT, unix.SYS_PSELECT6:
		b = strconv.AppendInt(b, ret, 10)
		if ret == 0 {
			b = append(b, " (Timeout)"...)
		}
		return b, true
	}
	return b, false
}
