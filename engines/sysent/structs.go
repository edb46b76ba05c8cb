package sysent

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// Decoders for arguments that point at structures. Layouts are the 64-bit
// kernel ABI's; where they differ between architectures (struct stat,
// struct epoll_event) the sizes and offsets are sysabi's. strace prints most structures abbreviated by default
// (without -v), e.g. {st_mode=S_IFREG|0644, st_size=35007, ...}; these
// print the same subset.

var le = binary.LittleEndian

// saRestorer is SA_RESTORER, which x/sys/unix does not export.
const saRestorer = 0x04000000

// maxElems bounds arrays the way strace's -s bounds strings: after this
// many elements it prints "...".
const maxElems = maxStrLen

// structArg prints the pointer-to-structure kinds.
func (p *printer) structArg(k sysabi.Kind, i int) {
	v := p.args[i]
	if v == 0 {
		p.str("NULL")
		return
	}
	if k == sysabi.ArgTimespecRem {
		// The rest of a sleep is written only when a signal interrupted
		// it, and not for an absolute one (TIMER_ABSTIME); otherwise it
		// may hold anything, and strace shows the address.
		if !p.exit || p.mem == nil || !p.interrupted() || (p.is("clock_nanosleep") && p.args[1]&unix.TIMER_ABSTIME != 0) ||
			!p.decodeStruct(sysabi.ArgTimespecOut, i, v) {
			p.hex(v)
		}
		return
	}
	// Input structures are readable at entry; outputs only once filled in.
	if k.Output() && !p.done() {
		p.hex(v)
		return
	}
	if p.mem == nil || !p.decodeStruct(k, i, v) {
		p.hex(v)
	}
}

// decodeStruct prints the structure at v, reporting false (having printed
// nothing) if it could not be read.
func (p *printer) decodeStruct(k sysabi.Kind, i int, v uint64) bool {
	switch k {
	case sysabi.ArgStatOut:
		st := p.read(v, sysabi.SizeStat)
		if st == nil {
			return false
		}
		mode := le.Uint32(st[sysabi.StatModeOffset:])
		p.str("{st_mode=")
		p.fileMode(mode)
		if t := mode & unix.S_IFMT; t == unix.S_IFCHR || t == unix.S_IFBLK {
			p.str(", st_rdev=")
			p.makedev(le.Uint64(st[sysabi.StatRdevOffset:]))
		} else {
			p.str(", st_size=")
			p.dec(int64(le.Uint64(st[sysabi.StatSizeOffset:])))
		}
		p.str(", ...}")
	case sysabi.ArgStatxOut:
		st := p.read(v, 48)
		if st == nil {
			return false
		}
		p.str("{stx_mask=")
		p.flags(statxMask, uint64(le.Uint32(st[0:])), "STATX_???")
		p.str(", stx_attributes=")
		p.flags(statxAttrs, le.Uint64(st[8:]), "STATX_ATTR_???")
		p.str(", stx_mode=")
		p.fileMode(uint32(le.Uint16(st[28:])))
		p.str(", stx_size=")
		p.udec(le.Uint64(st[40:]))
		p.str(", ...}")
	case sysabi.ArgSigsetIn, sysabi.ArgSigsetOut:
		set := p.read(v, 8)
		if set == nil {
			return false
		}
		p.sigset(le.Uint64(set))
	case sysabi.ArgSigactIn, sysabi.ArgSigactOut:
		sa := p.read(v, 32)
		if sa == nil {
			return false
		}
		p.sigaction(sa)
	case sysabi.ArgWstatusOut:
		if p.ret <= 0 { // WNOHANG with nothing to report: not written
			return false
		}
		st := p.read(v, 4)
		if st == nil {
			return false
		}
		p.str("[")
		p.waitStatus(le.Uint32(st))
		p.str("]")
	case sysabi.ArgSockaddrIn:
		return p.sockaddr(v, p.args[i+1])
	case sysabi.ArgSockaddrOut:
		// The kernel stores the real length through the next argument.
		n := p.read(p.args[i+1], 4)
		if n == nil {
			return false
		}
		return p.sockaddr(v, uint64(le.Uint32(n)))
	case sysabi.ArgSocklenOut, sysabi.ArgIntOut, sysabi.ArgUintOut:
		n := p.read(v, 4)
		if n == nil {
			return false
		}
		p.str("[")
		if k == sysabi.ArgSocklenOut {
			// In and out: strace shows the caller's size too when the
			// kernel changed it, [110 => 2].
			if er, ok := p.mem.(EntryReader); ok {
				if in, err := er.ReadEntry(v, 4); err == nil && le.Uint32(in) != le.Uint32(n) {
					p.udec(uint64(le.Uint32(in)))
					p.str(" => ")
				}
			}
		}
		if k == sysabi.ArgIntOut {
			p.dec(int64(int32(le.Uint32(n))))
		} else {
			p.udec(uint64(le.Uint32(n)))
		}
		p.str("]")
	case sysabi.ArgPtrOut:
		n := p.read(v, 8)
		if n == nil {
			return false
		}
		p.str("[")
		p.hex(le.Uint64(n))
		p.str("]")
	case sysabi.ArgIntPairOut:
		fds := p.read(v, 8)
		if fds == nil {
			return false
		}
		p.str("[")
		p.dec(int64(int32(le.Uint32(fds))))
		p.fdPath(int64(int32(le.Uint32(fds))), true)
		p.str(", ")
		p.dec(int64(int32(le.Uint32(fds[4:]))))
		p.fdPath(int64(int32(le.Uint32(fds[4:]))), true)
		p.str("]")
	case sysabi.ArgTimespecIn, sysabi.ArgTimespecOut:
		ts := p.read(v, 16)
		if ts == nil {
			return false
		}
		p.timespec(ts)
	case sysabi.ArgTimevalOut:
		tv := p.read(v, 16)
		if tv == nil {
			return false
		}
		p.timeval(tv)
	case sysabi.ArgItimervalIn, sysabi.ArgItimervalOut:
		it := p.read(v, 32)
		if it == nil {
			return false
		}
		p.str("{it_interval=")
		p.timeval(it)
		p.str(", it_value=")
		p.timeval(it[16:])
		p.str("}")
	case sysabi.ArgRlimitIn, sysabi.ArgRlimitOut:
		rl := p.read(v, 16)
		if rl == nil {
			return false
		}
		p.str("{rlim_cur=")
		p.rlim(le.Uint64(rl))
		p.str(", rlim_max=")
		p.rlim(le.Uint64(rl[8:]))
		p.str("}")
	case sysabi.ArgIovecIn:
		return p.iovec(v, p.args[i+1], ^uint64(0))
	case sysabi.ArgIovecOut:
		return p.iovec(v, p.args[i+1], uint64(p.ret))
	case sysabi.ArgMsghdrIn:
		return p.msghdr(v, ^uint64(0))
	case sysabi.ArgMsghdrOut:
		return p.msghdr(v, uint64(p.ret))
	case sysabi.ArgEpollEventIn:
		ev := p.read(v, sysabi.SizeEpollEvent)
		if ev == nil {
			return false
		}
		p.epollEvent(ev)
	case sysabi.ArgEpollEventsOut:
		n := min(uint64(p.ret), maxElems)
		evs := p.read(v, int(n)*sysabi.SizeEpollEvent)
		if evs == nil && n > 0 {
			return false
		}
		p.str("[")
		for j := uint64(0); j < n; j++ {
			if j > 0 {
				p.str(", ")
			}
			p.epollEvent(evs[j*sysabi.SizeEpollEvent:])
		}
		if uint64(p.ret) > n {
			p.str(", ...")
		}
		p.str("]")
	case sysabi.ArgPollfds:
		return p.pollfds(v, p.args[i+1])
	case sysabi.ArgFdSet:
		return p.fdset(v, p.args[0])
	case sysabi.ArgPselectSig:
		ss := p.read(v, 16)
		if ss == nil {
			return false
		}
		p.str("{sigmask=")
		if set := le.Uint64(ss); set == 0 {
			p.str("NULL")
		} else if data := p.read(set, 8); data != nil {
			p.sigset(le.Uint64(data))
		} else {
			p.hex(set)
		}
		p.str(", sigsetsize=")
		p.udec(le.Uint64(ss[8:]))
		p.str("}")
	case sysabi.ArgSysinfoOut:
		si := p.read(v, sysabi.SizeSysinfo)
		if si == nil {
			return false
		}
		p.str("{uptime=")
		p.dec(int64(le.Uint64(si)))
		p.str(", loads=[")
		for j := 0; j < 3; j++ {
			if j > 0 {
				p.str(", ")
			}
			p.udec(le.Uint64(si[8+8*j:]))
		}
		for j, name := range []string{"totalram", "freeram", "sharedram", "bufferram", "totalswap", "freeswap"} {
			if j == 0 {
				p.str("], ")
			} else {
				p.str(", ")
			}
			p.str(name)
			p.str("=")
			p.udec(le.Uint64(si[32+8*j:]))
		}
		p.str(", procs=")
		p.udec(uint64(le.Uint16(si[80:])))
		p.str(", totalhigh=")
		p.udec(le.Uint64(si[88:]))
		p.str(", freehigh=")
		p.udec(le.Uint64(si[96:]))
		p.str(", mem_unit=")
		p.udec(uint64(le.Uint32(si[104:])))
		p.str("}")
	case sysabi.ArgUtsnameOut:
		u := p.read(v, 130)
		if u == nil {
			return false
		}
		p.str("{sysname=")
		p.b = appendQuoted(p.b, cstr(u[:65]), false)
		p.str(", nodename=")
		p.b = appendQuoted(p.b, cstr(u[65:130]), false)
		p.str(", ...}")
	case sysabi.ArgDirentsOut:
		// Abbreviated like strace: the address and how many entries.
		count, ok := p.direntCount(v)
		if !ok {
			return false
		}
		p.hex(v)
		p.str(" /* ")
		p.dec(int64(count))
		if count == 1 {
			p.str(" entry */")
		} else {
			p.str(" entries */")
		}
	case sysabi.ArgCPUSetOut:
		n := uint64(p.ret)
		data := p.read(v, int(n))
		if data == nil && n > 0 {
			return false
		}
		p.str("[")
		first := true
		for bit := 0; bit < len(data)*8; bit++ {
			if data[bit/8]&(1<<(bit%8)) != 0 {
				if !first {
					p.str(" ")
				}
				first = false
				p.dec(int64(bit))
			}
		}
		p.str("]")
	case sysabi.ArgStackIn, sysabi.ArgStackOut:
		ss := p.read(v, 24)
		if ss == nil {
			return false
		}
		p.str("{ss_sp=")
		p.ptr(le.Uint64(ss))
		p.str(", ss_flags=")
		p.flags(ssFlags, uint64(le.Uint32(ss[8:])), "SS_???")
		p.str(", ss_size=")
		p.udec(le.Uint64(ss[16:]))
		p.str("}")
	case sysabi.ArgGidsOut:
		n := min(uint64(p.ret), maxElems)
		ids := p.read(v, int(n)*4)
		if ids == nil && n > 0 {
			return false
		}
		p.str("[")
		for j := uint64(0); j < n; j++ {
			if j > 0 {
				p.str(", ")
			}
			p.udec(uint64(le.Uint32(ids[j*4:])))
		}
		if uint64(p.ret) > n {
			p.str(", ...")
		}
		p.str("]")
	case sysabi.ArgUtimensIn:
		ts := p.read(v, 32)
		if ts == nil {
			return false
		}
		p.str("[")
		p.utimespec(ts)
		p.str(", ")
		p.utimespec(ts[16:])
		p.str("]")
	case sysabi.ArgOpenHow:
		how := p.read(v, 24)
		if how == nil {
			return false
		}
		flags, mode, resolve := le.Uint64(how), le.Uint64(how[8:]), le.Uint64(how[16:])
		p.str("{flags=")
		p.openFlags(flags)
		if mode != 0 || flags&(oCreat|oTmpfile) != 0 {
			p.str(", mode=")
			p.b = appendOctal(p.b, mode)
		}
		if resolve != 0 {
			p.str(", resolve=")
			p.flags(resolveFl, resolve, "RESOLVE_???")
		}
		p.str("}")
	default:
		return false
	}
	return true
}

// direntCount counts the linux_dirent64 records in the p.ret bytes at v:
// from a Counter that counted them, or by reading them.
func (p *printer) direntCount(v uint64) (int, bool) {
	if c, ok := p.mem.(Counter); ok {
		if n, exact, ok := c.Count(v); ok {
			return n, exact
		}
	}
	n := uint64(p.ret)
	data := p.read(v, int(n))
	if data == nil && n > 0 {
		return 0, false
	}
	count := 0
	for off := uint64(0); off+19 <= n; count++ {
		reclen := uint64(le.Uint16(data[off+16:]))
		if reclen == 0 {
			break
		}
		off += reclen
	}
	return count, true
}

// cstr cuts a fixed-size char array at its NUL.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// fileMode prints st_mode as strace does: S_IFDIR|S_ISVTX|0777.
func (p *printer) fileMode(mode uint32) {
	p.named(func() { p.b = appendOctal(p.b, uint64(mode)) }, func() { p.fileModeNames(mode) })
}

func (p *printer) fileModeNames(mode uint32) {
	if t := uint64(mode & unix.S_IFMT); t != 0 {
		p.xval(fileTypes, t, "")
		p.str("|")
	}
	if mode&unix.S_ISUID != 0 {
		p.str("S_ISUID|")
	}
	if mode&unix.S_ISGID != 0 {
		p.str("S_ISGID|")
	}
	if mode&unix.S_ISVTX != 0 {
		p.str("S_ISVTX|")
	}
	p.b = appendOctal(p.b, uint64(mode&0o777))
}

// makedev prints a device number the way strace does: makedev(0x1, 0x3).
func (p *printer) makedev(dev uint64) {
	p.named(func() { p.hex(dev) }, func() {
		p.str("makedev(")
		p.hex(uint64(unix.Major(dev)))
		p.str(", ")
		p.hex(uint64(unix.Minor(dev)))
		p.str(")")
	})
}

// sigset prints a signal mask the strace way: names without "SIG",
// space-separated, inverted as ~[...] when more than half are set (so a
// full mask is "~[]").
func (p *printer) sigset(set uint64) {
	const nsig = 64
	n := 0
	for s := set; s != 0; s &= s - 1 {
		n++
	}
	if n >= nsig/2 {
		p.str("~")
		set = ^set
	}
	p.str("[")
	first := true
	for sig := 1; sig <= nsig; sig++ {
		if set&(1<<(sig-1)) == 0 {
			continue
		}
		if !first {
			p.str(" ")
		}
		first = false
		// The name without its "SIG" prefix; every name in range has one.
		p.named(func() { p.dec(int64(sig)) }, func() {
			start := len(p.b)
			p.b = appendSignal(p.b, int64(sig))
			p.b = append(p.b[:start], p.b[start+3:]...)
		})
	}
	p.str("]")
}

func (p *printer) sigaction(sa []byte) {
	handler, flags, restorer, mask := le.Uint64(sa), le.Uint64(sa[8:]), le.Uint64(sa[16:]), le.Uint64(sa[24:])
	p.str("{sa_handler=")
	p.named(func() { p.hex(handler) }, func() {
		switch handler {
		case 0:
			p.str("SIG_DFL")
		case 1:
			p.str("SIG_IGN")
		default:
			p.hex(handler)
		}
	})
	p.str(", sa_mask=")
	p.sigset(mask)
	p.str(", sa_flags=")
	p.flags(saFlags, flags, "SA_???")
	if flags&saRestorer != 0 {
		p.str(", sa_restorer=")
		p.ptr(restorer)
	}
	p.str("}")
}

// waitStatus prints a wait status as strace's
// [{WIFEXITED(s) && WEXITSTATUS(s) == 0}] without the brackets.
func (p *printer) waitStatus(s uint32) {
	switch {
	case s&0x7f == 0:
		p.str("{WIFEXITED(s) && WEXITSTATUS(s) == ")
		p.udec(uint64(s >> 8 & 0xff))
		p.str("}")
	case s == 0xffff:
		p.str("{WIFCONTINUED(s)}")
	case s&0xff == 0x7f:
		p.str("{WIFSTOPPED(s) && WSTOPSIG(s) == ")
		p.b = appendSignal(p.b, int64(s>>8&0xff)) // names whatever -X, as strace
		if s>>16 != 0 {
			p.str(" && s >> 16 == ")
			p.udec(uint64(s >> 16))
		}
		p.str("}")
	default:
		p.str("{WIFSIGNALED(s) && WTERMSIG(s) == ")
		p.b = appendSignal(p.b, int64(s&0x7f))
		if s&0x80 != 0 {
			p.str(" && WCOREDUMP(s)")
		}
		p.str("}")
	}
}

// sockaddr prints a socket address of n bytes at v.
func (p *printer) sockaddr(v, n uint64) bool {
	if n < 2 {
		return false
	}
	n = min(n, 128) // sizeof(struct sockaddr_storage)
	sa := p.read(v, int(n))
	if sa == nil {
		return false
	}
	fam := le.Uint16(sa)
	p.str("{sa_family=")
	p.xval(addrFams, uint64(fam), "AF_???")
	switch {
	case fam == unix.AF_UNIX:
		if path := sa[2:]; len(path) > 0 {
			p.str(", sun_path=")
			if path[0] == 0 {
				p.str("@")
				p.b = appendQuoted(p.b, path[1:], false)
			} else {
				p.b = appendQuoted(p.b, cstr(path), false)
			}
		}
	case fam == unix.AF_INET && n >= 8:
		p.str(", sin_port=htons(")
		p.udec(uint64(binary.BigEndian.Uint16(sa[2:])))
		p.str("), sin_addr=inet_addr(\"")
		p.b = netip.AddrFrom4([4]byte(sa[4:8])).AppendTo(p.b)
		p.str("\")")
	case fam == unix.AF_INET6 && n >= 24:
		p.str(", sin6_port=htons(")
		p.udec(uint64(binary.BigEndian.Uint16(sa[2:])))
		p.str("), sin6_flowinfo=htonl(")
		p.udec(uint64(binary.BigEndian.Uint32(sa[4:])))
		p.str("), inet_pton(AF_INET6, \"")
		p.b = netip.AddrFrom16([16]byte(sa[8:24])).AppendTo(p.b)
		p.str("\", &sin6_addr)")
		if n >= 28 {
			p.str(", sin6_scope_id=")
			p.udec(uint64(le.Uint32(sa[24:])))
		}
	case fam == unix.AF_NETLINK && n >= 12:
		p.str(", nl_pid=")
		p.udec(uint64(le.Uint32(sa[4:])))
		p.str(", nl_groups=")
		g := strconv.FormatUint(uint64(le.Uint32(sa[8:])), 16)
		for len(g) < 8 {
			g = "0" + g
		}
		p.str(g)
	default:
		if n > 2 {
			p.str(", sa_data=")
			p.b = appendQuoted(p.b, sa[2:], false)
		}
	}
	p.str("}")
	return true
}

// iovec prints cnt iovecs at v; limit is how many data bytes are valid
// across all of them (the return value of readv), or all ones for input.
func (p *printer) iovec(v, cnt, limit uint64) bool {
	cnt = uint64(uint32(cnt))
	n := min(cnt, maxElems)
	iov := p.read(v, int(n)*16)
	if iov == nil && n > 0 {
		return false
	}
	p.str("[")
	for j := uint64(0); j < n; j++ {
		if j > 0 {
			p.str(", ")
		}
		base, l := le.Uint64(iov[j*16:]), le.Uint64(iov[j*16+8:])
		show := min(l, limit)
		limit -= show
		p.str("{iov_base=")
		p.buf(base, show, false)
		p.str(", iov_len=")
		p.udec(l)
		p.str("}")
	}
	if cnt > n {
		p.str(", ...")
	}
	p.str("]")
	return true
}

// msghdr prints a struct msghdr; limit is as for iovec.
func (p *printer) msghdr(v, limit uint64) bool {
	m := p.read(v, 56)
	if m == nil {
		return false
	}
	name, namelen := le.Uint64(m), uint64(le.Uint32(m[8:]))
	iov, iovlen := le.Uint64(m[16:]), le.Uint64(m[24:])
	control, controllen := le.Uint64(m[32:]), le.Uint64(m[40:])
	flags := uint64(le.Uint32(m[48:]))
	p.str("{msg_name=")
	if name == 0 || namelen == 0 || !p.sockaddr(name, namelen) {
		p.ptr(name)
	}
	p.str(", msg_namelen=")
	p.udec(namelen)
	p.str(", msg_iov=")
	if iov == 0 || !p.iovec(iov, iovlen, limit) {
		p.ptr(iov)
	}
	p.str(", msg_iovlen=")
	p.udec(iovlen)
	if controllen != 0 {
		p.str(", msg_control=")
		p.ptr(control)
	}
	p.str(", msg_controllen=")
	p.udec(controllen)
	p.str(", msg_flags=")
	p.flags(msgFlags, flags, "MSG_???")
	p.str("}")
	return true
}

func (p *printer) epollEvent(ev []byte) {
	p.str("{events=")
	p.flags(epollEvs, uint64(le.Uint32(ev)), "EPOLL???")
	data := le.Uint64(ev[sysabi.EpollEventDataOffset:])
	p.str(", data={u32=")
	p.udec(uint64(uint32(data)))
	p.str(", u64=")
	p.udec(data)
	p.str("}}")
}

func (p *printer) pollfds(v, cnt uint64) bool {
	cnt = uint64(uint32(cnt))
	n := min(cnt, maxElems)
	fds := p.read(v, int(n)*8)
	if fds == nil && n > 0 {
		return false
	}
	p.str("[")
	for j := uint64(0); j < n; j++ {
		if j > 0 {
			p.str(", ")
		}
		fd := int32(le.Uint32(fds[j*8:]))
		p.str("{fd=")
		p.dec(int64(fd))
		if fd >= 0 {
			p.str(", events=")
			p.flags(pollEvs, uint64(le.Uint16(fds[j*8+4:])), "POLL???")
		}
		p.str("}")
	}
	if cnt > n {
		p.str(", ...")
	}
	p.str("]")
	return true
}

// revents appends " ([{fd=0, revents=POLLIN}]" (no closing parenthesis)
// for poll's return, or reports false if the array cannot be read.
func (p *printer) revents(v, cnt, ready uint64) bool {
	n := min(uint64(uint32(cnt)), 1024)
	fds := p.read(v, int(n)*8)
	if fds == nil {
		return false
	}
	p.str(" ([")
	shown := uint64(0)
	for j := uint64(0); j < n && shown < ready; j++ {
		rev := uint64(le.Uint16(fds[j*8+6:]))
		if rev == 0 {
			continue
		}
		if shown > 0 {
			p.str(", ")
		}
		shown++
		p.str("{fd=")
		p.dec(int64(int32(le.Uint32(fds[j*8:]))))
		p.str(", revents=")
		p.flags(pollEvs, rev, "POLL???")
		p.str("}")
	}
	p.str("]")
	return true
}

func (p *printer) fdset(v, nfds uint64) bool {
	nfds = uint64(uint32(nfds))
	if nfds > 1024 {
		nfds = 1024
	}
	words := (nfds + 63) / 64
	data := p.read(v, int(words)*8)
	if data == nil && words > 0 {
		return false
	}
	p.str("[")
	first := true
	for fd := uint64(0); fd < nfds; fd++ {
		if data[fd/8]&(1<<(fd%8)) != 0 {
			if !first {
				p.str(" ")
			}
			first = false
			p.udec(fd)
		}
	}
	p.str("]")
	return true
}

func (p *printer) timespec(ts []byte) {
	p.str("{tv_sec=")
	p.dec(int64(le.Uint64(ts)))
	p.str(", tv_nsec=")
	p.dec(int64(le.Uint64(ts[8:])))
	p.str("}")
}

func (p *printer) timeval(tv []byte) {
	p.str("{tv_sec=")
	p.dec(int64(le.Uint64(tv)))
	p.str(", tv_usec=")
	p.dec(int64(le.Uint64(tv[8:])))
	p.str("}")
}

// utimespec prints one utimensat time, naming the special nanosecond
// values.
func (p *printer) utimespec(ts []byte) {
	p.named(func() { p.timespec(ts) }, func() {
		switch le.Uint64(ts[8:]) {
		case unix.UTIME_NOW:
			p.str("UTIME_NOW")
		case unix.UTIME_OMIT:
			p.str("UTIME_OMIT")
		default:
			p.timespec(ts)
		}
	})
}

// rlim prints a resource limit: RLIM64_INFINITY, N*1024 for round
// kibibytes above 1024, else decimal, as strace does.
func (p *printer) rlim(v uint64) {
	p.named(func() { p.udec(v) }, func() { p.rlimNames(v) })
}

func (p *printer) rlimNames(v uint64) {
	switch {
	case v == ^uint64(0):
		p.str("RLIM64_INFINITY")
	case v > 1024 && v%1024 == 0:
		p.udec(v / 1024)
		p.str("*1024")
	default:
		p.udec(v)
	}
}
