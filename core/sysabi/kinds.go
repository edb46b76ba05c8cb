package sysabi

// Kind says what one argument of a system call is, and so how it is
// printed and what of the memory it points at the kernel side copies.
// Kinds named ...Out are filled in by the kernel: they are decoded only in
// the exit view of a successful call, and copied at its exit.
type Kind uint8

// The argument kinds.
const (
	ArgHex              Kind = iota // %#lx, strace's printargs default
	ArgInt                          // int
	ArgUint                         // unsigned int
	ArgLong                         // long, off_t
	ArgULong                        // size_t, unsigned long
	ArgPtr                          // address: NULL or hex
	ArgFD                           // file descriptor
	ArgDirFD                        // file descriptor or AT_FDCWD
	ArgPath                         // file name
	ArgStr                          // NUL-terminated string, cut at -s 32
	ArgBufIn                        // data the caller passes; length is the next argument
	ArgBufOut                       // data the kernel returns; length is the return value
	ArgBufOutHex                    // same, printed in \x form (random bytes)
	ArgPathOut                      // file name the kernel returns (getcwd)
	ArgOpenFlags                    // O_RDONLY|O_CLOEXEC
	ArgOpenMode                     // creation mode, printed only if the previous (flags) argument has O_CREAT or O_TMPFILE
	ArgMode                         // mode_t in octal
	ArgProt                         // PROT_*
	ArgMmapFlags                    // MAP_*
	ArgAccess                       // F_OK, R_OK|W_OK
	ArgAtFlags                      // AT_SYMLINK_NOFOLLOW...
	ArgFaccessatFlags               // AT_EACCESS...
	ArgStatxFlags                   // AT_STATX_SYNC_AS_STAT|AT_...
	ArgStatxMask                    // STATX_*
	ArgStatOut                      // struct stat
	ArgStatxOut                     // struct statx
	ArgSignal                       // SIGUSR1
	ArgSigHow                       // SIG_BLOCK
	ArgSigsetIn                     // sigset_t
	ArgSigsetOut                    //
	ArgSigactIn                     // struct sigaction
	ArgSigactOut                    //
	ArgWhence                       // SEEK_*
	ArgMadvise                      // MADV_*
	ArgMremapFlags                  // MREMAP_*
	ArgMsyncFlags                   // MS_ASYNC...
	ArgMlockallFlags                // MCL_*
	ArgMlock2Flags                  // MLOCK_ONFAULT
	ArgCloneFlags                   // CLONE_* (unshare)
	ArgNsType                       // CLONE_NEW* or 0 (setns)
	ArgWaitOpts                     // WNOHANG...
	ArgWstatusOut                   // int *wstatus
	ArgIDType                       // P_PID...
	ArgSockDomain                   // AF_*
	ArgSockType                     // SOCK_STREAM|SOCK_CLOEXEC
	ArgSockProto                    // protocol, decoded according to argument 0 (domain)
	ArgMsgFlags                     // MSG_*
	ArgShutHow                      // SHUT_*
	ArgSockaddrIn                   // struct sockaddr; length is the next argument
	ArgSockaddrOut                  // struct sockaddr; *length is the next argument
	ArgSocklenOut                   // socklen_t *
	ArgIntPairOut                   // int[2] (pipe, socketpair)
	ArgIntOut                       // int *
	ArgTimespecIn                   // struct timespec
	ArgTimevalOut                   // struct timeval
	ArgTimespecOut                  //
	ArgTimespecRem                  // struct timespec, written when a signal interrupts the sleep
	ArgClockID                      // CLOCK_*
	ArgTimerFlags                   // TIMER_ABSTIME
	ArgItimerWhich                  // ITIMER_*
	ArgItimervalIn                  // struct itimerval
	ArgItimervalOut                 //
	ArgRlimitRes                    // RLIMIT_*
	ArgRlimitIn                     // struct rlimit
	ArgRlimitOut                    //
	ArgIovecIn                      // struct iovec[]; count is the next argument
	ArgIovecOut                     // same, filled up to the return value
	ArgMsghdrIn                     // struct msghdr
	ArgMsghdrOut                    //
	ArgEpollOp                      // EPOLL_CTL_*
	ArgEpollEventIn                 // struct epoll_event
	ArgEpollEventsOut               // struct epoll_event[], count is the return value
	ArgEpollCreateFlags             // EPOLL_CLOEXEC
	ArgPollfds                      // struct pollfd[]; count is the next argument
	ArgFdSet                        // fd_set; size is argument 0 (nfds)
	ArgPselectSig                   // pselect6's {sigmask, sigsetsize}
	ArgUtsnameOut                   // struct utsname
	ArgDirentsOut                   // struct linux_dirent64[]; length is the return value
	ArgCPUSetOut                    // cpu_set_t; length is the return value
	ArgEfdFlags                     // EFD_*
	ArgTfdFlags                     // TFD_*
	ArgMfdFlags                     // MFD_*
	ArgInotifyInitFlags             // IN_NONBLOCK|IN_CLOEXEC
	ArgInotifyMask                  // IN_*
	ArgGrndFlags                    // GRND_*
	ArgCloseRangeFlags              // CLOSE_RANGE_*
	ArgRenameFlags                  // RENAME_*
	ArgFlockOp                      // LOCK_*
	ArgFadvice                      // POSIX_FADV_*
	ArgFallocFlags                  // FALLOC_FL_*
	ArgUmountFlags                  // MNT_*
	ArgPrioWhich                    // PRIO_*
	ArgRusageWho                    // RUSAGE_*
	ArgUtimensIn                    // struct timespec[2]
	ArgStackIn                      // stack_t
	ArgStackOut                     //
	ArgSeccompOp                    // SECCOMP_SET_MODE_*
	ArgSeccompFlags                 // SECCOMP_FILTER_FLAG_*
	ArgBpfCmd                       // BPF_*
	ArgXattrFlags                   // XATTR_*
	ArgUintOut                      // unsigned int * ([0])
	ArgGidsOut                      // gid_t[]; count is the return value
	ArgPtraceReq                    // PTRACE_*
	ArgOpenHow                      // struct open_how
	ArgPtrOut                       // address the kernel writes a pointer to: [0x...]
	ArgMmapOff                      // file offset in hex, as strace prints mmap's
	ArgOFlags                       // O_* flags without an access mode (pipe2, dup3)
	ArgSockFlags                    // SOCK_CLOEXEC|SOCK_NONBLOCK (accept4)
	ArgSysinfoOut                   // struct sysinfo
	ArgMremapAddr                   // mremap's new address, printed only with MREMAP_FIXED in the previous argument
)

// RetKind says how a successful return value is printed.
type RetKind uint8

// The return kinds.
const (
	RetDec   RetKind = iota
	RetHex           // addresses (mmap, brk)
	RetOctal         // umask
)

// Decoder names a hand-written decoder, for calls whose layout depends on
// an argument (fcntl, futex, prctl, ioctl, clone...).
type Decoder uint8

// The decoders.
const (
	DecodeNone Decoder = iota
	DecodeIoctl
	DecodeSockopt
	DecodeClone
	DecodeClone3
	DecodeExecve
	DecodeFcntl
	DecodePrctl
	DecodeArchPrctl
	DecodeMount
	DecodeFutex
	DecodeSigreturn
	DecodeRestart
)

// Layout is how one system call's arguments are laid out: a list of
// argument kinds, or a decoder of its own.
type Layout struct {
	Args    []Kind // nil with no decoder: undecoded, NumArgs raw arguments in hex
	Ret     RetKind
	Decoder Decoder
}

// a is the Layout of a call whose arguments are kinds and whose return
// value is decimal.
func a(k ...Kind) Layout { return Layout{Args: k} }
