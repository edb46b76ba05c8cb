package sysent

import (
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// custom calls the decoder of a call with a layout of its own.
func (p *printer) custom(c sysabi.Decoder) {
	switch c {
	case sysabi.DecodeIoctl:
		decodeIoctl(p)
	case sysabi.DecodeSockopt:
		decodeSockopt(p)
	case sysabi.DecodeClone:
		decodeClone(p)
	case sysabi.DecodeClone3:
		decodeClone3(p)
	case sysabi.DecodeExecve:
		decodeExecve(p)
	case sysabi.DecodeFcntl:
		decodeFcntl(p)
	case sysabi.DecodePrctl:
		decodePrctl(p)
	case sysabi.DecodeArchPrctl:
		decodeArchPrctl(p)
	case sysabi.DecodeMount:
		decodeMount(p)
	case sysabi.DecodeFutex:
		decodeFutex(p)
	case sysabi.DecodeSigreturn:
		decodeSigreturn(p)
	case sysabi.DecodeRestart:
		decodeRestart(p)
	}
}

// kind prints argument i, which is of kind k.
func (p *printer) kind(k sysabi.Kind, i int) {
	v := p.args[i]
	switch k {
	case sysabi.ArgOpenMode:
		// open's mode argument exists only with O_CREAT or O_TMPFILE.
		if p.args[i-1]&(oCreat|oTmpfile) == 0 {
			return
		}
		k = sysabi.ArgMode
	case sysabi.ArgMremapAddr:
		if p.args[i-1]&2 == 0 { // MREMAP_FIXED
			return
		}
		k = sysabi.ArgPtr
	}
	p.sep()
	switch k {
	case sysabi.ArgHex:
		p.hex(v)
	case sysabi.ArgInt:
		p.dec(int64(int32(v)))
	case sysabi.ArgFD:
		p.dec(int64(int32(v)))
		if int32(v) >= 0 {
			p.fdPath(int64(int32(v)), false)
		}
	case sysabi.ArgUint:
		p.udec(uint64(uint32(v)))
	case sysabi.ArgLong:
		p.dec(int64(v))
	case sysabi.ArgULong:
		p.udec(v)
	case sysabi.ArgPtr:
		p.ptr(v)
	case sysabi.ArgDirFD:
		p.named(func() { p.dec(int64(int32(v))) }, func() {
			if int32(v) == unix.AT_FDCWD {
				p.str("AT_FDCWD")
			} else {
				p.dec(int64(int32(v)))
			}
		})
		p.fdPath(int64(int32(v)), false)
	case sysabi.ArgPath:
		p.pathArg(i)
	case sysabi.ArgStr:
		p.cstring(v, p.strLimit())
	case sysabi.ArgBufIn:
		p.buf(v, p.args[i+1], false)
	case sysabi.ArgBufOut, sysabi.ArgBufOutHex:
		if p.done() {
			p.buf(v, uint64(p.ret), k == sysabi.ArgBufOutHex)
		} else {
			p.ptr(v)
		}
	case sysabi.ArgPathOut:
		if p.done() && p.ret > 0 {
			p.cstring(v, pathMax)
		} else {
			p.ptr(v)
		}
	case sysabi.ArgOpenFlags:
		p.openFlags(v)
	case sysabi.ArgOFlags:
		p.flags(openFlags, v, "O_???")
	case sysabi.ArgSockFlags:
		p.flags(sockFlags, v, "SOCK_???")
	case sysabi.ArgMode:
		p.b = appendOctal(p.b, uint64(uint32(v)))
	case sysabi.ArgProt:
		p.flags(mmapProt, v, "PROT_???")
	case sysabi.ArgMmapFlags:
		p.named(func() { p.hex(v) }, func() { p.mmapFlags(v) })
	case sysabi.ArgMmapOff:
		p.hex(v)
	case sysabi.ArgAccess:
		p.flags(accessModes, v, "?_OK")
	case sysabi.ArgAtFlags:
		p.flags(atFlags, v, "AT_???")
	case sysabi.ArgFaccessatFlags:
		p.flags(faccessatFlags, v, "AT_???")
	case sysabi.ArgStatxFlags:
		// Two words, each in the style: strace's raw style prints
		// nothing for the zero sync type (statx(-100, "/", |0x900, ...).
		if sync := v & 0x6000; sync != 0 || p.style != XlatRaw {
			p.xval(statxSync, sync, "AT_STATX_???")
		}
		if rest := v &^ 0x6000; rest != 0 {
			p.str("|")
			p.flags(atFlags, rest, "AT_???")
		}
	case sysabi.ArgStatxMask:
		p.flags(statxMask, uint64(uint32(v)), "STATX_???")
	case sysabi.ArgSignal:
		p.signal(int64(int32(v)))
	case sysabi.ArgSigHow:
		p.xval(sigHows, v, "SIG_???")
	case sysabi.ArgWhence:
		p.xval(whences, uint64(uint32(v)), "SEEK_???")
	case sysabi.ArgMadvise:
		p.xval(madvises, uint64(uint32(v)), "MADV_???")
	case sysabi.ArgMremapFlags:
		p.flags(mremapFl, v, "MREMAP_???")
	case sysabi.ArgMsyncFlags:
		p.flags(msyncFl, v, "MS_???")
	case sysabi.ArgMlockallFlags:
		p.flags(mlockallFl, v, "MCL_???")
	case sysabi.ArgMlock2Flags:
		p.flags(mlock2Fl, v, "MLOCK_???")
	case sysabi.ArgCloneFlags:
		p.flags(cloneFlags, v, "CLONE_???")
	case sysabi.ArgNsType:
		if v == 0 {
			p.str("0")
		} else {
			p.xval(nsTypes, uint64(uint32(v)), "CLONE_NEW???")
		}
	case sysabi.ArgWaitOpts:
		p.flags(waitOptions, uint64(uint32(v)), "W???")
	case sysabi.ArgIDType:
		p.xval(idTypes, uint64(uint32(v)), "P_???")
	case sysabi.ArgSockDomain:
		p.xval(addrFams, uint64(uint32(v)), "AF_???")
	case sysabi.ArgSockType:
		p.sockType(v)
	case sysabi.ArgSockProto:
		p.sockProto(p.args[0], v)
	case sysabi.ArgMsgFlags:
		p.flags(msgFlags, uint64(uint32(v)), "MSG_???")
	case sysabi.ArgShutHow:
		p.xval(shutHows, uint64(uint32(v)), "SHUT_???")
	case sysabi.ArgClockID:
		p.xval(clockIDs, uint64(uint32(v)), "CLOCK_???")
	case sysabi.ArgTimerFlags:
		p.flags(timerFlags, v, "TIMER_???")
	case sysabi.ArgItimerWhich:
		p.xval(itimers, uint64(uint32(v)), "ITIMER_???")
	case sysabi.ArgRlimitRes:
		p.xval(rlimits, uint64(uint32(v)), "RLIMIT_???")
	case sysabi.ArgEpollOp:
		p.xval(epollOps, uint64(uint32(v)), "EPOLL_CTL_???")
	case sysabi.ArgEpollCreateFlags:
		p.flags(epollCFl, v, "EPOLL_???")
	case sysabi.ArgEfdFlags:
		p.flags(efdFlags, v, "EFD_???")
	case sysabi.ArgTfdFlags:
		p.flags(tfdFlags, v, "TFD_???")
	case sysabi.ArgMfdFlags:
		p.flags(mfdFlags, v, "MFD_???")
	case sysabi.ArgInotifyInitFlags:
		p.flags(inInitFl, v, "IN_???")
	case sysabi.ArgInotifyMask:
		p.flags(inMask, uint64(uint32(v)), "IN_???")
	case sysabi.ArgGrndFlags:
		p.flags(grndFlags, v, "GRND_???")
	case sysabi.ArgCloseRangeFlags:
		p.flags(closeRange, v, "CLOSE_RANGE_???")
	case sysabi.ArgRenameFlags:
		p.flags(renameFl, v, "RENAME_???")
	case sysabi.ArgFlockOp:
		p.flags(flockOps, v, "LOCK_???")
	case sysabi.ArgFadvice:
		p.xval(fadvises, uint64(uint32(v)), "POSIX_FADV_???")
	case sysabi.ArgFallocFlags:
		p.flags(fallocFl, v, "FALLOC_FL_???")
	case sysabi.ArgUmountFlags:
		p.flags(umountFl, v, "MNT_???")
	case sysabi.ArgPrioWhich:
		p.xval(prioWhich, uint64(uint32(v)), "PRIO_???")
	case sysabi.ArgRusageWho:
		p.xval(rusageWho, uint64(uint32(v)), "RUSAGE_???")
	case sysabi.ArgSeccompOp:
		p.xval(seccompOps, uint64(uint32(v)), "SECCOMP_SET_MODE_???")
	case sysabi.ArgSeccompFlags:
		p.flags(seccompFl, v, "SECCOMP_FILTER_FLAG_???")
	case sysabi.ArgBpfCmd:
		p.xval(bpfCmds, uint64(uint32(v)), "BPF_???")
	case sysabi.ArgXattrFlags:
		p.flags(xattrFl, v, "XATTR_???")
	case sysabi.ArgPtraceReq:
		p.xval(ptraceReqs, v, "PTRACE_???")
	default:
		p.structArg(k, i)
	}
}

func (p *printer) mmapFlags(v uint64) {
	// Bits 26..31 encode MAP_HUGETLB's page size; strace names them
	// with or without MAP_HUGETLB.
	huge := v & (0x3f << 26)
	v &^= huge
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
	switch callName(nr) {
	case "fcntl":
		// The flags of F_GETFD, F_GET_SEALS and F_GETLEASE follow -X;
		// strace prints F_GETFL's names whatever the style.
		p := printer{b: b, style: styleOf(mem)}
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
			p.hex(uint64(ret))
			p.str(" (flags ")
			p.flags(fdFlags, uint64(ret), "")
			return append(p.b, ')'), true
		case unix.F_GET_SEALS:
			if ret == 0 {
				return append(b, '0'), true
			}
			p.hex(uint64(ret))
			p.str(" (seals ")
			p.flags(sealFlags, uint64(ret), "")
			return append(p.b, ')'), true
		case unix.F_GETLEASE:
			p.hex(uint64(ret))
			p.str(" (")
			p.xval(lockTypes, uint64(ret), "")
			return append(p.b, ')'), true
		}
	case "prctl":
		if args[0] == unix.PR_GET_DUMPABLE {
			b = strconv.AppendInt(b, ret, 10)
			if name, ok := dumpables.lookup(uint64(ret)); ok {
				b = append(b, " ("...)
				b = append(b, name...)
				b = append(b, ')')
			}
			return b, true
		}
	case "poll", "ppoll":
		b = strconv.AppendInt(b, ret, 10)
		if ret == 0 {
			return append(b, " (Timeout)"...), true
		}
		p := printer{b: b, args: *args, mem: mem, exit: true, ret: ret}
		if start := len(p.b); p.revents(args[0], args[1], uint64(ret)) {
			// revents wrote " ([...]"; ppoll adds the time left.
			if callName(nr) == "ppoll" && args[2] != 0 {
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
	case "select", "pselect6":
		b = strconv.AppendInt(b, ret, 10)
		if ret == 0 {
			b = append(b, " (Timeout)"...)
		}
		return b, true
	}
	return b, false
}
