package sysent

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// AppendSignal appends strace's line for a delivered signal, without a
// newline:
//
//	--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7803, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
//
// info is the kernel's siginfo (struct kernel_siginfo of 64-bit Linux,
// little endian, at least 48 bytes); where the tracer has none, zeroed
// bytes with the signal number and code in place give the short form.
func AppendSignal(b []byte, info []byte) []byte {
	return AppendSignalIn(b, info, XlatAbbrev)
}

// AppendSignalIn is AppendSignal with the siginfo's named constants in
// style, as strace -X prints them; the signal's name after "---" stays:
//
//	--- SIGCHLD {si_signo=17, si_code=0x1, si_pid=7803, ...} ---
func AppendSignalIn(b []byte, info []byte, style XlatStyle) []byte {
	b = append(b, "--- "...)
	b = appendSignal(b, int64(int32(le.Uint32(info[0:]))))
	b = append(b, ' ')
	b = AppendSiginfoIn(b, info, style)
	return append(b, " ---"...)
}

// The siginfo fields this decoder reads, by offset in the 64-bit layout.
const (
	siSigno   = 0
	siErrno   = 4
	siCode    = 8
	siPid     = 16 // kill, rt, sigchld
	siUID     = 20
	siValue   = 24 // rt, timer
	siStatus  = 24 // sigchld
	siUtime   = 32
	siStime   = 40
	siAddr    = 16 // sigfault
	siTimerID = 16 // timer: si_tid, si_overrun
	siBand    = 16 // sigpoll
	siFd      = 24
	siCall    = 16 // sigsys: si_call_addr, si_syscall, si_arch
	siSysNr   = 24
	siArch    = 28
)

// AppendSiginfo appends a siginfo as strace prints it: {si_signo=...}.
func AppendSiginfo(b []byte, info []byte) []byte {
	return AppendSiginfoIn(b, info, XlatAbbrev)
}

// AppendSiginfoIn is AppendSiginfo with the named constants (si_signo,
// si_code, ...) in style, as strace -X prints them.
func AppendSiginfoIn(b []byte, info []byte, style XlatStyle) []byte {
	if len(info) < 48 {
		return append(b, "{...}"...)
	}
	p := printer{b: b, style: style}
	sig := int32(le.Uint32(info[siSigno:]))
	errno := int32(le.Uint32(info[siErrno:]))
	code := int32(le.Uint32(info[siCode:]))
	p.str("{si_signo=")
	p.signal(int64(sig))
	p.str(", si_code=")
	p.named(func() { p.hex(uint64(uint32(code))) }, func() { p.b = appendSiCode(p.b, sig, code) })
	if errno != 0 {
		p.str(", si_errno=")
		p.str(ErrnoName(unix.Errno(errno)))
	}
	pidUID := func() {
		p.str(", si_pid=")
		p.dec(int64(int32(le.Uint32(info[siPid:]))))
		p.str(", si_uid=")
		p.udec(uint64(le.Uint32(info[siUID:])))
	}
	value := func() {
		v := le.Uint64(info[siValue:])
		p.str(", si_value={int=")
		p.dec(int64(int32(v)))
		p.str(", ptr=")
		p.hex(v)
		p.str("}")
	}
	switch {
	case code == siUser || code == siTkill:
		pidUID()
	case code == siQueue || code == siMesgq:
		pidUID()
		value()
	case code == siTimer:
		p.str(", si_timerid=")
		p.hex(uint64(le.Uint32(info[siTimerID:])))
		p.str(", si_overrun=")
		p.dec(int64(int32(le.Uint32(info[siTimerID+4:]))))
		value()
	case code <= 0 || code == siKernel && !faultSignal(sig):
		// Other kernel and user codes carry nothing strace prints.
	case sig == int32(unix.SIGCHLD):
		pidUID()
		p.str(", si_status=")
		st := int64(int32(le.Uint32(info[siStatus:])))
		if code == cldExited {
			p.dec(st)
		} else {
			p.signal(st)
		}
		p.str(", si_utime=")
		p.dec(int64(le.Uint64(info[siUtime:])))
		p.str(", si_stime=")
		p.dec(int64(le.Uint64(info[siStime:])))
	case faultSignal(sig):
		p.str(", si_addr=")
		if a := le.Uint64(info[siAddr:]); a == 0 {
			p.str("NULL")
		} else {
			p.hex(a)
		}
	case sig == int32(unix.SIGPOLL):
		p.str(", si_band=")
		p.dec(int64(le.Uint64(info[siBand:])))
		p.str(", si_fd=")
		p.dec(int64(int32(le.Uint32(info[siFd:]))))
	case sig == int32(unix.SIGSYS):
		p.str(", si_call_addr=")
		p.hex(le.Uint64(info[siCall:]))
		p.str(", si_syscall=")
		p.dec(int64(int32(le.Uint32(info[siSysNr:]))))
		p.str(", si_arch=")
		p.xval(auditArches, uint64(le.Uint32(info[siArch:])), "AUDIT_ARCH_???")
	}
	p.str("}")
	return p.b
}

// si_code values common to all signals.
const (
	siUser   = 0
	siKernel = 0x80
	siQueue  = -1
	siTimer  = -2
	siMesgq  = -3
	siTkill  = -6

	cldExited = 1
)

func faultSignal(sig int32) bool {
	switch unix.Signal(sig) {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGTRAP:
		return true
	}
	return false
}

// appendSiCode appends si_code's name for signal sig.
func appendSiCode(b []byte, sig, code int32) []byte {
	if name, ok := siCodeNames.lookup(uint64(uint32(code))); ok && code <= 0 || code == siKernel {
		return append(b, name...)
	}
	var x xlat
	switch unix.Signal(sig) {
	case unix.SIGCHLD:
		x = cldCodes
	case unix.SIGSEGV:
		x = segvCodes
	case unix.SIGBUS:
		x = busCodes
	case unix.SIGILL:
		x = illCodes
	case unix.SIGFPE:
		x = fpeCodes
	case unix.SIGTRAP:
		x = trapCodes
	case unix.SIGPOLL:
		x = pollCodes
	case unix.SIGSYS:
		x = sysCodes
	}
	if name, ok := x.lookup(uint64(uint32(code))); ok {
		return append(b, name...)
	}
	return strconv.AppendInt(b, int64(code), 10)
}

var (
	siCodeNames = xlat{
		{0, "SI_USER"}, {0x80, "SI_KERNEL"}, {0xffffffff, "SI_QUEUE"}, {0xfffffffe, "SI_TIMER"},
		{0xfffffffd, "SI_MESGQ"}, {0xfffffffc, "SI_ASYNCIO"}, {0xfffffffb, "SI_SIGIO"}, {0xfffffffa, "SI_TKILL"},
		{0xfffffff9, "SI_DETHREAD"}, {0xffffffc4, "SI_ASYNCNL"},
	}
	cldCodes  = xlat{{1, "CLD_EXITED"}, {2, "CLD_KILLED"}, {3, "CLD_DUMPED"}, {4, "CLD_TRAPPED"}, {5, "CLD_STOPPED"}, {6, "CLD_CONTINUED"}}
	segvCodes = xlat{{1, "SEGV_MAPERR"}, {2, "SEGV_ACCERR"}, {3, "SEGV_BNDERR"}, {4, "SEGV_PKUERR"}, {5, "SEGV_ACCADI"}, {6, "SEGV_ADIDERR"}, {7, "SEGV_ADIPERR"}, {8, "SEGV_MTEAERR"}, {9, "SEGV_MTESERR"}, {10, "SEGV_CPERR"}}
	busCodes  = xlat{{1, "BUS_ADRALN"}, {2, "BUS_ADRERR"}, {3, "BUS_OBJERR"}, {4, "BUS_MCEERR_AR"}, {5, "BUS_MCEERR_AO"}}
	illCodes  = xlat{{1, "ILL_ILLOPC"}, {2, "ILL_ILLOPN"}, {3, "ILL_ILLADR"}, {4, "ILL_ILLTRP"}, {5, "ILL_PRVOPC"}, {6, "ILL_PRVREG"}, {7, "ILL_COPROC"}, {8, "ILL_BADSTK"}, {9, "ILL_BADIADDR"}}
	fpeCodes  = xlat{{1, "FPE_INTDIV"}, {2, "FPE_INTOVF"}, {3, "FPE_FLTDIV"}, {4, "FPE_FLTOVF"}, {5, "FPE_FLTUND"}, {6, "FPE_FLTRES"}, {7, "FPE_FLTINV"}, {8, "FPE_FLTSUB"}, {14, "FPE_FLTUNK"}, {15, "FPE_CONDTRAP"}}
	trapCodes = xlat{{1, "TRAP_BRKPT"}, {2, "TRAP_TRACE"}, {3, "TRAP_BRANCH"}, {4, "TRAP_HWBKPT"}, {5, "TRAP_UNK"}, {6, "TRAP_PERF"}}
	pollCodes = xlat{{1, "POLL_IN"}, {2, "POLL_OUT"}, {3, "POLL_MSG"}, {4, "POLL_ERR"}, {5, "POLL_PRI"}, {6, "POLL_HUP"}}
	sysCodes  = xlat{{1, "SYS_SECCOMP"}, {2, "SYS_USER_DISPATCH"}}

	auditArches = xlat{{0xc000003e, "AUDIT_ARCH_X86_64"}, {0x40000003, "AUDIT_ARCH_I386"}, {0xc00000b7, "AUDIT_ARCH_AARCH64"}}
)

// HasSender reports whether a siginfo names a sending process (si_pid):
// a kill, tgkill, sigqueue or message queue signal, or a SIGCHLD.
func HasSender(info []byte) bool {
	if len(info) < 48 {
		return false
	}
	sig := int32(le.Uint32(info[siSigno:]))
	switch code := int32(le.Uint32(info[siCode:])); {
	case code == siUser || code == siTkill || code == siQueue || code == siMesgq:
		return true
	case sig == int32(unix.SIGCHLD):
		return code > 0 && code != siKernel
	}
	return false
}
