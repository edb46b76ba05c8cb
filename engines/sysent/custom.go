package sysent

import (
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// Constants x/sys/unix does not export (include/uapi/linux/futex.h, and
// arch/x86/include/uapi/asm/prctl.h for arch_prctl, a call only x86-64
// has).
const (
	futexWait          = 0
	futexWake          = 1
	futexFD            = 2
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexBitsetAny     = 0xffffffff

	archGetFS = 0x1003
	archGetGS = 0x1004
)

// Decoders for calls whose argument list depends on an argument's value:
// how many arguments strace prints and what they mean changes with the
// command (fcntl, futex, prctl, ioctl) or with flags (clone).

func decodeFcntl(p *printer) {
	p.kind(sysabi.ArgFD, 0)
	cmd := uint64(uint32(p.args[1]))
	p.sep()
	p.xval(fcntlCmd, cmd, "F_???")
	arg := p.args[2]
	switch cmd {
	case unix.F_GETFD, unix.F_GETFL, unix.F_GETOWN, unix.F_GETSIG,
		unix.F_GETLEASE, unix.F_GETPIPE_SZ, unix.F_GET_SEALS:
		// no argument
	case unix.F_SETFD:
		p.sep()
		p.flags(fdFlags, arg, "FD_???")
	case unix.F_SETFL:
		p.sep()
		p.openFlags(arg)
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC, unix.F_SETOWN, unix.F_SETPIPE_SZ:
		p.kind(sysabi.ArgInt, 2)
	case unix.F_SETSIG:
		p.kind(sysabi.ArgSignal, 2)
	case unix.F_SETLEASE:
		p.sep()
		p.xval(lockTypes, uint64(uint32(arg)), "F_???")
	case unix.F_NOTIFY:
		p.sep()
		p.flags(dnotify, uint64(uint32(arg)), "DN_???")
	case unix.F_ADD_SEALS:
		p.sep()
		p.flags(sealFlags, uint64(uint32(arg)), "F_SEAL_???")
	case unix.F_SETLK, unix.F_SETLKW, unix.F_OFD_SETLK, unix.F_OFD_SETLKW:
		p.sep()
		p.flock(arg, false)
	case unix.F_GETLK, unix.F_OFD_GETLK:
		p.sep()
		if p.done() {
			p.flock(arg, true)
		} else {
			p.ptr(arg)
		}
	default:
		p.sep()
		p.hex(arg)
	}
}

// flock prints a struct flock (l_pid only for the GETLK answer).
func (p *printer) flock(v uint64, withPid bool) {
	fl := p.read(v, 32)
	if fl == nil {
		p.ptr(v)
		return
	}
	p.str("{l_type=")
	p.xval(lockTypes, uint64(le.Uint16(fl)), "F_???")
	p.str(", l_whence=")
	p.xval(whences, uint64(le.Uint16(fl[2:])), "SEEK_???")
	p.str(", l_start=")
	p.dec(int64(le.Uint64(fl[8:])))
	p.str(", l_len=")
	p.dec(int64(le.Uint64(fl[16:])))
	if withPid {
		p.str(", l_pid=")
		p.dec(int64(int32(le.Uint32(fl[24:]))))
	}
	p.str("}")
}

func decodeFutex(p *printer) {
	p.kind(sysabi.ArgPtr, 0)
	op := uint64(uint32(p.args[1]))
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	p.sep()
	p.named(func() { p.hex(op) }, func() {
		if cmd < uint64(len(futexCmds)) && op&^(cmd|futexPrivateFlag|futexClockRealtime) == 0 {
			p.str(futexCmds[cmd])
			if op&futexPrivateFlag != 0 {
				p.str("_PRIVATE")
			}
			if op&futexClockRealtime != 0 {
				p.str("|FUTEX_CLOCK_REALTIME")
			}
		} else {
			p.xval(nil, op, "FUTEX_???")
		}
	})
	val, val3 := uint64(uint32(p.args[2])), uint64(uint32(p.args[5]))
	bitset := func() {
		p.sep()
		p.named(func() { p.hex(val3) }, func() {
			if val3 == futexBitsetAny {
				p.str("FUTEX_BITSET_MATCH_ANY")
			} else {
				p.hex(val3)
			}
		})
	}
	switch cmd {
	case futexWait:
		p.sep()
		p.udec(val)
		p.kind(sysabi.ArgTimespecIn, 3)
	case futexWaitBitset:
		p.sep()
		p.udec(val)
		p.kind(sysabi.ArgTimespecIn, 3)
		bitset()
	case futexWake, futexFD:
		p.sep()
		p.udec(val)
	case futexWakeBitset:
		p.sep()
		p.udec(val)
		bitset()
	case futexRequeue:
		p.sep()
		p.udec(val)
		p.kind(sysabi.ArgUint, 3)
		p.kind(sysabi.ArgPtr, 4)
	case futexCmpRequeue, futexCmpRequeuePI, futexWakeOp:
		p.sep()
		p.udec(val)
		p.kind(sysabi.ArgUint, 3)
		p.kind(sysabi.ArgPtr, 4)
		p.sep()
		if cmd == futexWakeOp {
			p.hex(val3)
		} else {
			p.udec(val3)
		}
	case futexLockPI, futexLockPI2:
		p.kind(sysabi.ArgTimespecIn, 3)
	case futexUnlockPI, futexTrylockPI:
	case futexWaitRequeuePI:
		p.sep()
		p.udec(val)
		p.kind(sysabi.ArgTimespecIn, 3)
		p.kind(sysabi.ArgPtr, 4)
	default:
		p.sep()
		p.udec(val)
		p.kind(sysabi.ArgHex, 3)
		p.kind(sysabi.ArgHex, 4)
		p.kind(sysabi.ArgHex, 5)
	}
}

func decodeClone(p *printer) {
	// The architecture orders child_tid and tls; strace prints them in
	// the same order everywhere.
	flags, stack, ptid := p.args[0], p.args[1], p.args[2]
	ctid, tls := p.args[sysabi.CloneChildTIDArg], p.args[sysabi.CloneTLSArg]
	p.sep()
	p.str("child_stack=")
	p.ptr(stack)
	p.sep()
	p.str("flags=")
	p.cloneFlagsWithSignal(flags)
	if flags&(unix.CLONE_PARENT_SETTID|unix.CLONE_PIDFD) != 0 {
		p.sep()
		if flags&unix.CLONE_PARENT_SETTID != 0 {
			p.str("parent_tid=")
		} else {
			p.str("pidfd=")
		}
		p.intOut(ptid)
	}
	if flags&unix.CLONE_SETTLS != 0 {
		p.sep()
		p.str("tls=")
		p.ptr(tls)
	}
	if flags&(unix.CLONE_CHILD_SETTID|unix.CLONE_CHILD_CLEARTID) != 0 {
		p.sep()
		p.str("child_tidptr=")
		p.ptr(ctid)
	}
}

// cloneFlagsWithSignal prints clone's flags word, whose low byte is the
// signal sent to the parent when the child exits. The two parts follow
// -X each on its own, as strace prints them: 0x1200000|17.
func (p *printer) cloneFlagsWithSignal(flags uint64) {
	sig := flags & 0xff
	rest := flags &^ 0xff
	if rest != 0 {
		p.flags(cloneFlags, rest, "CLONE_???")
	}
	if sig != 0 {
		if rest != 0 {
			p.str("|")
		}
		p.signal(int64(sig))
	}
	if flags == 0 {
		p.str("0")
	}
}

// intOut prints an int the kernel stores at v: [N] once the call is done,
// the address before.
func (p *printer) intOut(v uint64) {
	if v != 0 && p.done() {
		if n := p.read(v, 4); n != nil {
			p.str("[")
			p.dec(int64(int32(le.Uint32(n))))
			p.str("]")
			return
		}
	}
	p.ptr(v)
}

func decodeClone3(p *printer) {
	v, size := p.args[0], p.args[1]
	p.sep()
	// struct clone_args grew from 64 (v5.3) to 88 bytes (v5.7); read only
	// what the caller says it passed.
	var ca []byte
	if size >= 64 {
		ca = p.read(v, int(min(size, 88)))
	}
	if ca == nil {
		p.ptr(v)
	} else {
		flags := le.Uint64(ca)
		p.str("{flags=")
		p.flags(cloneFlags, flags, "CLONE_???")
		if flags&unix.CLONE_PIDFD != 0 {
			p.str(", pidfd=")
			p.ptr(le.Uint64(ca[8:]))
		}
		if flags&(unix.CLONE_CHILD_SETTID|unix.CLONE_CHILD_CLEARTID) != 0 {
			p.str(", child_tid=")
			p.ptr(le.Uint64(ca[16:]))
		}
		if flags&unix.CLONE_PARENT_SETTID != 0 {
			p.str(", parent_tid=")
			p.ptr(le.Uint64(ca[24:]))
		}
		p.str(", exit_signal=")
		p.signal(int64(le.Uint64(ca[32:])))
		p.str(", stack=")
		p.ptr(le.Uint64(ca[40:]))
		p.str(", stack_size=")
		p.hex(le.Uint64(ca[48:]))
		if flags&unix.CLONE_SETTLS != 0 {
			p.str(", tls=")
			p.ptr(le.Uint64(ca[56:]))
		}
		if size >= 80 && le.Uint64(ca[72:]) != 0 {
			p.str(", set_tid=")
			p.ptr(le.Uint64(ca[64:]))
			p.str(", set_tid_size=")
			p.udec(le.Uint64(ca[72:]))
		}
		if size >= 88 && flags&unix.CLONE_INTO_CGROUP != 0 {
			p.str(", cgroup=")
			p.udec(le.Uint64(ca[80:]))
		}
		p.str("}")
		// What the kernel stored for the parent, as strace's " => {...}".
		if p.done() && flags&(unix.CLONE_PIDFD|unix.CLONE_PARENT_SETTID) != 0 {
			p.str(" => {")
			if flags&unix.CLONE_PIDFD != 0 {
				p.str("pidfd=")
				p.intOut(le.Uint64(ca[8:]))
				if flags&unix.CLONE_PARENT_SETTID != 0 {
					p.str(", ")
				}
			}
			if flags&unix.CLONE_PARENT_SETTID != 0 {
				p.str("parent_tid=")
				p.intOut(le.Uint64(ca[24:]))
			}
			p.str("}")
		}
	}
	p.kind(sysabi.ArgULong, 1)
}

func decodeExecve(p *printer) {
	argv := 1
	at := p.is("execveat")
	if at {
		p.kind(sysabi.ArgDirFD, 0)
		argv = 2
	}
	p.kind(sysabi.ArgPath, argv-1)
	p.sep()
	p.argv(p.args[argv])
	p.sep()
	p.envp(p.args[argv+1])
	if at {
		p.kind(sysabi.ArgAtFlags, 4)
	}
}

// argv prints a NULL-terminated array of strings: ["cat", "/etc/hostname"].
func (p *printer) argv(v uint64) {
	if v == 0 || p.mem == nil {
		p.ptr(v)
		return
	}
	start := len(p.b)
	p.str("[")
	for n := 0; ; n++ {
		ptr := p.read(v+uint64(n)*8, 8)
		if ptr == nil {
			p.b = p.b[:start]
			p.argvOther(v)
			return
		}
		s := le.Uint64(ptr)
		if s == 0 {
			break
		}
		if n > 0 {
			p.str(", ")
		}
		if n >= maxElems {
			p.str("...")
			break
		}
		p.cstring(s, p.strLimit())
	}
	p.str("]")
}

// argvOther prints an argv array that cannot be read through its
// pointers from what an ArgvReader knows, or as its address.
func (p *printer) argvOther(v uint64) {
	r, ok := p.mem.(ArgvReader)
	if !ok {
		p.hex(v)
		return
	}
	args, trunc, ok := r.Argv(v)
	if !ok {
		p.hex(v)
		return
	}
	p.str("[")
	for n, a := range args {
		if n > 0 {
			p.str(", ")
		}
		if n >= maxElems {
			p.str("...")
			break
		}
		p.quote(a[:min(len(a), p.strLimit())], false)
		if len(a) > p.strLimit() {
			p.str("...")
		}
	}
	if trunc && len(args) <= maxElems {
		p.str(", ...")
	}
	p.str("]")
}

// envp prints the environment as strace does by default: its address and
// a count, "0x7ffd... /* 39 vars */".
func (p *printer) envp(v uint64) {
	p.ptr(v)
	if v == 0 || p.mem == nil {
		return
	}
	if c, ok := p.mem.(Counter); ok {
		if n, exact, ok := c.Count(v); ok {
			if exact {
				p.varsComment(n)
			}
			return
		}
	}
	n := 0
	for ; n < 1<<16; n++ {
		ptr := p.read(v+uint64(n)*8, 8)
		if ptr == nil {
			return
		}
		if le.Uint64(ptr) == 0 {
			break
		}
	}
	p.varsComment(n)
}

func (p *printer) varsComment(n int) {
	p.str(" /* ")
	p.dec(int64(n))
	if n == 1 {
		p.str(" var */")
	} else {
		p.str(" vars */")
	}
}

func decodeSockopt(p *printer) {
	get := p.is("getsockopt")
	p.kind(sysabi.ArgFD, 0)
	level, opt := uint64(uint32(p.args[1])), uint64(uint32(p.args[2]))
	p.sep()
	p.xval(sockLevels, level, "SOL_???")
	p.sep()
	switch level {
	case unix.SOL_SOCKET:
		p.xval(soOptions, opt, "SO_???")
	case unix.SOL_TCP:
		p.xval(tcpOptions, opt, "TCP_???")
	case unix.SOL_IP:
		p.xval(ipOptions, opt, "IP_???")
	case unix.SOL_IPV6:
		p.xval(ip6Options, opt, "IPV6_???")
	default:
		p.udec(opt)
	}
	val, lenArg := p.args[3], p.args[4]
	optlen := lenArg
	if get {
		optlen = 0
		if p.done() {
			if n := p.read(lenArg, 4); n != nil {
				optlen = uint64(le.Uint32(n))
			}
		}
	}
	p.sep()
	switch {
	case val == 0:
		p.str("NULL")
	case get && !p.done():
		p.hex(val)
	case optlen == 4:
		if n := p.read(val, 4); n != nil {
			p.str("[")
			p.dec(int64(int32(le.Uint32(n))))
			p.str("]")
		} else {
			p.hex(val)
		}
	default:
		p.buf(val, optlen, false)
	}
	if get {
		p.sep()
		if p.done() {
			p.intOut(lenArg)
		} else {
			p.ptr(lenArg)
		}
	} else {
		p.kind(sysabi.ArgInt, 4)
	}
}

func decodePrctl(p *printer) {
	opt := uint64(uint32(p.args[0]))
	p.sep()
	p.xval(prctlOpts, opt, "PR_???")
	switch opt {
	case unix.PR_GET_DUMPABLE, unix.PR_GET_KEEPCAPS, unix.PR_GET_NO_NEW_PRIVS,
		unix.PR_GET_SECCOMP, unix.PR_GET_TIMERSLACK, unix.PR_GET_THP_DISABLE,
		unix.PR_GET_SECUREBITS, unix.PR_MCE_KILL_GET, unix.PR_GET_IO_FLUSHER,
		unix.PR_TASK_PERF_EVENTS_DISABLE, unix.PR_TASK_PERF_EVENTS_ENABLE:
	case unix.PR_SET_NAME:
		p.sep()
		p.cstring(p.args[1], 16) // TASK_COMM_LEN
	case unix.PR_GET_NAME:
		p.sep()
		if p.done() {
			p.cstring(p.args[1], 16)
		} else {
			p.ptr(p.args[1])
		}
	case unix.PR_SET_PDEATHSIG:
		p.kind(sysabi.ArgSignal, 1)
	case unix.PR_GET_PDEATHSIG, unix.PR_GET_CHILD_SUBREAPER:
		p.sep()
		p.intOut(p.args[1])
	case unix.PR_SET_DUMPABLE:
		p.sep()
		p.xval(dumpables, p.args[1], "SUID_DUMP_???")
	case unix.PR_SET_KEEPCAPS, unix.PR_SET_CHILD_SUBREAPER, unix.PR_SET_TIMERSLACK,
		unix.PR_CAPBSET_READ, unix.PR_CAPBSET_DROP:
		p.kind(sysabi.ArgULong, 1)
	case unix.PR_SET_NO_NEW_PRIVS, unix.PR_SET_THP_DISABLE:
		for i := 1; i <= 4; i++ {
			p.kind(sysabi.ArgULong, i)
		}
	default:
		for i := 1; i <= 4; i++ {
			p.kind(sysabi.ArgHex, i)
		}
	}
}

func decodeArchPrctl(p *printer) {
	code := uint64(uint32(p.args[0]))
	p.sep()
	p.xval(archPrctls, code, "ARCH_???")
	switch code {
	case archGetFS, archGetGS:
		p.kind(sysabi.ArgPtrOut, 1)
	default:
		p.kind(sysabi.ArgHex, 1)
	}
}

func decodeMount(p *printer) {
	flags := p.args[3]
	p.kind(sysabi.ArgStr, 0)
	p.kind(sysabi.ArgPath, 1)
	// The file system type and data are ignored (and so printed as
	// addresses) for the operations that do not create a mount.
	const (
		ignoresType = unix.MS_REMOUNT | unix.MS_BIND | unix.MS_MOVE | unix.MS_SHARED |
			unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE
		ignoresData = unix.MS_BIND | unix.MS_MOVE | unix.MS_SHARED |
			unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE
	)
	if flags&ignoresType != 0 {
		p.kind(sysabi.ArgPtr, 2)
	} else {
		p.kind(sysabi.ArgStr, 2)
	}
	p.sep()
	p.named(func() { p.hex(flags) }, func() {
		if flags&0xffff0000 == unix.MS_MGC_VAL {
			p.str("MS_MGC_VAL")
			if rest := flags &^ 0xffff0000; rest != 0 {
				p.str("|")
				p.flags(mountFl, rest, "MS_???")
			}
		} else {
			p.flags(mountFl, flags, "MS_???")
		}
	})
	if flags&ignoresData != 0 {
		p.kind(sysabi.ArgPtr, 4)
	} else {
		p.kind(sysabi.ArgStr, 4)
	}
}

// ioctlNames are the requests strace names that a general-purpose tracer
// meets most: terminal, FIO*, and a few socket and file-system ones.
var ioctlNames = xlat{
	{0x5401, "TCGETS"}, {0x5402, "TCSETS"}, {0x5403, "TCSETSW"}, {0x5404, "TCSETSF"},
	{0x5405, "TCGETA"}, {0x5406, "TCSETA"}, {0x5407, "TCSETAW"}, {0x5408, "TCSETAF"},
	{0x5409, "TCSBRK"}, {0x540a, "TCXONC"}, {0x540b, "TCFLSH"}, {0x540c, "TIOCEXCL"},
	{0x540d, "TIOCNXCL"}, {0x540e, "TIOCSCTTY"}, {0x540f, "TIOCGPGRP"}, {0x5410, "TIOCSPGRP"},
	{0x5411, "TIOCOUTQ"}, {0x5412, "TIOCSTI"}, {0x5413, "TIOCGWINSZ"}, {0x5414, "TIOCSWINSZ"},
	{0x5415, "TIOCMGET"}, {0x5416, "TIOCMBIS"}, {0x5417, "TIOCMBIC"}, {0x5418, "TIOCMSET"},
	{0x5419, "TIOCGSOFTCAR"}, {0x541a, "TIOCSSOFTCAR"}, {0x541b, "FIONREAD"},
	{0x541c, "TIOCLINUX"}, {0x541d, "TIOCCONS"}, {0x541e, "TIOCGSERIAL"},
	{0x541f, "TIOCSSERIAL"}, {0x5420, "TIOCPKT"}, {0x5421, "FIONBIO"}, {0x5422, "TIOCNOTTY"},
	{0x5423, "TIOCSETD"}, {0x5424, "TIOCGETD"}, {0x5425, "TCSBRKP"}, {0x5427, "TIOCSBRK"},
	{0x5428, "TIOCCBRK"}, {0x5429, "TIOCGSID"}, {0x802c542a, "TCGETS2"}, {0x402c542b, "TCSETS2"},
	{0x80045430, "TIOCGPTN"}, {0x40045431, "TIOCSPTLCK"}, {0x80045432, "TIOCGDEV"},
	{0x80045438, "TIOCGPKT"}, {0x80045439, "TIOCGPTLCK"}, {0x80045440, "TIOCGEXCL"},
	{0x5441, "TIOCGPTPEER"}, {0x5450, "FIONCLEX"}, {0x5451, "FIOCLEX"}, {0x5452, "FIOASYNC"},
	{0x5460, "FIOQSIZE"}, {0x80086601, "FS_IOC_GETFLAGS"}, {0x40086602, "FS_IOC_SETFLAGS"},
	{0x40049409, "BTRFS_IOC_CLONE or FICLONE"}, {0x1, "FIBMAP"}, {0x2, "FIGETBSZ"}, {0x80081272, "BLKGETSIZE64"},
	{0x1268, "BLKSSZGET"}, {0x8905, "SIOCATMARK"}, {0x8910, "SIOCGIFNAME"},
	{0x8912, "SIOCGIFCONF"}, {0x8913, "SIOCGIFFLAGS"}, {0x8914, "SIOCSIFFLAGS"},
	{0x8915, "SIOCGIFADDR"}, {0x8921, "SIOCGIFMTU"}, {0x8927, "SIOCGIFHWADDR"},
	{0x8933, "SIOCGIFINDEX"}, {0x2400, "PERF_EVENT_IOC_ENABLE"},
	{0x2401, "PERF_EVENT_IOC_DISABLE"}, {0x2403, "PERF_EVENT_IOC_RESET"},
	{0x40042408, "PERF_EVENT_IOC_SET_BPF"},
}

var iocDirs = [...]string{"_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"}

func decodeIoctl(p *printer) {
	p.kind(sysabi.ArgFD, 0)
	cmd := uint64(uint32(p.args[1]))
	p.sep()
	p.named(func() { p.hex(cmd) }, func() {
		if name, ok := ioctlNames.lookup(cmd); ok {
			p.str(name)
			return
		}
		// Unknown requests are spelled out from their _IOC encoding.
		p.str("_IOC(")
		p.str(iocDirs[cmd>>30])
		p.str(", ")
		p.hex(cmd >> 8 & 0xff)
		p.str(", ")
		p.hex(cmd & 0xff)
		p.str(", ")
		p.hex(cmd >> 16 & 0x3fff)
		p.str(")")
	})
	switch cmd {
	case 0x5421, 0x5452: // FIONBIO, FIOASYNC take an int *
		p.sep()
		if n := p.read(p.args[2], 4); n != nil {
			p.str("[")
			p.dec(int64(int32(le.Uint32(n))))
			p.str("]")
		} else {
			p.ptr(p.args[2])
		}
	case 0x40049409: // FICLONE takes the source file descriptor
		p.sep()
		p.dec(int64(int32(p.args[2])))
	case 0x5450, 0x5451, 0x5422: // FIONCLEX, FIOCLEX, TIOCNOTTY take none
	default:
		p.kind(sysabi.ArgHex, 2)
	}
}

// decodeSigreturn prints the mask rt_sigreturn restores, from the signal
// frame at the stack pointer, as strace does: rt_sigreturn({mask=[]}).
func decodeSigreturn(p *printer) {
	st, ok := p.mem.(Stack)
	if !ok {
		return
	}
	set := p.read(st.StackPointer()+sysabi.SigreturnMaskOffset, sysabi.SizeSigset)
	if set == nil {
		return
	}
	p.sep()
	p.str("{mask=")
	p.sigset(le.Uint64(set))
	p.str("}")
}

// decodeRestart prints what strace prints for restart_syscall, which has
// no arguments of its own: the call it resumes.
func decodeRestart(p *printer) {
	name := "system call"
	if r, ok := p.mem.(Resumer); ok {
		if nr, ok := r.Resumes(); ok {
			name = sysabi.Name(nr)
		}
	}
	p.str("<... resuming interrupted ")
	p.str(name)
	p.str(" ...>")
}
