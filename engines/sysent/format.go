package sysent

import (
	"bytes"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Mem reads the traced process's memory. Implementations are free to be
// partial (a BPF ring buffer record holding a few captured strings, a
// process_vm_readv wrapper, a core dump); every read may fail, and then
// the argument prints as its raw address, as strace does for unreadable
// pointers.
type Mem interface {
	// ReadString reads the NUL-terminated string at addr, returning at
	// most max bytes (without the NUL). truncated reports that the string
	// continues past max bytes.
	ReadString(addr uint64, max int) (s string, truncated bool, err error)
	// Read reads exactly n bytes at addr.
	Read(addr uint64, n int) ([]byte, error)
}

// NoPath is the path value that means "the caller did not capture the
// path argument". It cannot be a real path, since those never contain NUL.
// The empty string, by contrast, is a real (and common) path:
// fstat is newfstatat(fd, "", ..., AT_EMPTY_PATH) in glibc.
const NoPath = "\x00"

// Unavailable is what strace prints in place of " = ret" when the return
// value could not be fetched (the task vanished, the exit event was lost).
const Unavailable = " = ? <unavailable>"

// Unfinished is what strace appends to a call that another task's output
// interrupted, or that never returned before tracing stopped.
const Unfinished = " <unfinished ...>"

// FormatCall appends the entry view of a call: the name and its arguments
// as known when it starts, with no closing parenthesis, e.g.
//
//	openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC
//
// Arguments the kernel fills in (read's buffer, fstat's struct) print as
// addresses, since nothing is there yet.
//
// path is the pre-read content of the argument PathArg(nr) names, for
// tracers that copy it when the call is entered; it is printed as given
// (a NULL pointer still prints as NULL). Pass NoPath if it was not
// captured: then it is read from mem like any other string. mem may be
// nil; then pointers that need reading print as addresses.
func FormatCall(b []byte, nr int, args [6]uint64, path string, mem Mem) []byte {
	p := newPrinter(b, nr, args, path, mem)
	p.call(false, 0)
	return p.b
}

// FormatCallExit appends the exit view of a call: like FormatCall, but
// with ret known, so buffers and structs the kernel filled in are decoded
// from mem (read's data, with ret as its length; stat's st_mode...). On
// error returns they print as addresses, as strace does.
func FormatCallExit(b []byte, nr int, args [6]uint64, ret int64, path string, mem Mem) []byte {
	p := newPrinter(b, nr, args, path, mem)
	p.call(true, ret)
	return p.b
}

// FormatReturn appends " = ret" as strace prints it: " = 3",
// " = -1 ENOENT (No such file or directory)", " = 0x7f...": hex for
// address-returning calls, " = ?" for exit and exit_group, and
// " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)" for the
// kernel's restart codes.
//
// Some returns strace annotates from the arguments (fcntl(F_GETFL)'s
// "(flags O_RDWR)", poll's revents); FormatLine adds those.
func FormatReturn(b []byte, nr int, ret int64) []byte {
	return appendReturn(b, nr, nil, ret, nil)
}

// FormatLine appends a whole strace line (without a newline):
// the exit view of the call, ')', padding so that '=' lands in column 40
// as strace aligns it, and the return value with any annotations. The
// column counts from the last newline in b, so a "pid " prefix already
// in b is taken into account, as strace does with -f.
func FormatLine(b []byte, nr int, args [6]uint64, ret int64, path string, mem Mem) []byte {
	lineStart := bytes.LastIndexByte(b, '\n') + 1
	b = FormatCallExit(b, nr, args, ret, path, mem)
	b = append(b, ')')
	for len(b)-lineStart < 39 {
		b = append(b, ' ')
	}
	return appendReturn(b, nr, &args, ret, mem)
}

// Args returns each argument of the entry view formatted on its own, for
// structured (JSON) output. The strings are exactly the pieces FormatCall
// joins with ", ".
func Args(nr int, args [6]uint64, path string, mem Mem) []string {
	return splitArgs(nr, &args, path, mem, false, 0)
}

// ArgsExit is Args for the exit view (see FormatCallExit).
func ArgsExit(nr int, args [6]uint64, ret int64, path string, mem Mem) []string {
	return splitArgs(nr, &args, path, mem, true, ret)
}

// argBufs holds the scratch buffers of splitArgs: JSON output formats
// every call logged, and the strings it returns are copies.
var argBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func splitArgs(nr int, args *[6]uint64, path string, mem Mem, exit bool, ret int64) []string {
	buf := argBufs.Get().(*[]byte)
	defer argBufs.Put(buf)
	p := newPrinter((*buf)[:0], nr, *args, path, mem)
	defer func() { *buf = p.b[:0] }()
	p.track = true
	p.call(exit, ret)
	out := make([]string, len(p.marks))
	for i, start := range p.marks {
		end := len(p.b)
		if i+1 < len(p.marks) {
			end = p.marks[i+1] - len(", ")
		}
		out[i] = string(p.b[start:end])
	}
	return out
}

// IsError reports whether ret is an error return (-4095..-1), the same
// test the kernel's IS_ERR_VALUE and strace use.
func IsError(ret int64) bool {
	return ret < 0 && ret >= -4095
}

// printer accumulates one call's text. It lives on the caller's stack;
// marks is only allocated when Args asks for the argument boundaries.
type printer struct {
	b       []byte
	nr      int
	args    [6]uint64 // a copy: a pointer would make the caller's array escape
	path    string
	pathIdx int
	mem     Mem
	exit    bool
	ret     int64
	n       int
	track   bool
	marks   []int
}

func newPrinter(b []byte, nr int, args [6]uint64, path string, mem Mem) printer {
	idx, ok := PathArg(nr)
	if !ok {
		idx = -1
	}
	return printer{b: b, nr: nr, args: args, path: path, pathIdx: idx, mem: mem}
}

// call appends "name(" and the arguments.
func (p *printer) call(exit bool, ret int64) {
	p.exit, p.ret = exit, ret
	p.b = append(p.b, Name(p.nr)...)
	p.b = append(p.b, '(')
	var s *spec
	if p.nr >= 0 && p.nr <= MaxNr {
		s = &specs[p.nr]
	}
	switch {
	case s != nil && s.custom != cNone:
		p.custom(s.custom)
	case s != nil && s.args != nil:
		for i, k := range s.args {
			p.kind(k, i)
		}
	default:
		// Undecoded: all arguments in hex, as strace's printargs.
		for i := 0; i < NumArgs(p.nr); i++ {
			p.sep()
			p.b = appendHex(p.b, p.args[i])
		}
	}
}

// sep starts the next argument.
func (p *printer) sep() {
	if p.n > 0 {
		p.b = append(p.b, ", "...)
	}
	if p.track {
		p.marks = append(p.marks, len(p.b))
	}
	p.n++
}

// done reports whether the kernel has filled in output arguments, so they
// can be decoded: the call returned, without error, and memory is readable.
func (p *printer) done() bool {
	return p.exit && !IsError(p.ret) && p.mem != nil
}

// Small appenders shared by the decoders.

func (p *printer) str(s string)  { p.b = append(p.b, s...) }
func (p *printer) dec(v int64)   { p.b = strconv.AppendInt(p.b, v, 10) }
func (p *printer) udec(v uint64) { p.b = strconv.AppendUint(p.b, v, 10) }
func (p *printer) hex(v uint64)  { p.b = appendHex(p.b, v) }

// ptr prints an address: NULL or hex.
func (p *printer) ptr(v uint64) {
	if v == 0 {
		p.str("NULL")
		return
	}
	p.hex(v)
}

func (p *printer) flags(x xlat, v uint64, dflt string) { p.b = appendFlags(p.b, x, v, dflt) }
func (p *printer) xval(x xlat, v uint64, dflt string)  { p.b = appendXval(p.b, x, v, dflt) }

// read reads n bytes at addr, or returns nil if that is impossible.
func (p *printer) read(addr uint64, n int) []byte {
	if p.mem == nil || addr == 0 || n <= 0 {
		return nil
	}
	buf, err := p.mem.Read(addr, n)
	if err != nil || len(buf) < n {
		return nil
	}
	return buf
}

// pathArg prints argument i as a file name: the captured path if it is the
// PathArg argument, else read from mem, else its address.
func (p *printer) pathArg(i int) {
	addr := p.args[i]
	if addr == 0 {
		p.str("NULL")
		return
	}
	if i == p.pathIdx && p.path != NoPath {
		p.b = appendQuoted(p.b, p.path, false)
		return
	}
	p.cstring(addr, pathMax)
}

// cstring prints the NUL-terminated string at addr, cut at max bytes with
// "..." after the quote, or the address if it cannot be read.
func (p *printer) cstring(addr uint64, max int) {
	if addr == 0 {
		p.str("NULL")
		return
	}
	if p.mem == nil {
		p.hex(addr)
		return
	}
	s, trunc, err := p.mem.ReadString(addr, max)
	if err != nil {
		p.hex(addr)
		return
	}
	p.b = appendQuoted(p.b, s, false)
	if trunc {
		p.str("...")
	}
}

// buf prints n bytes at addr as a string, the first maxStrLen of them,
// followed by "..." if there were more.
func (p *printer) buf(addr uint64, n uint64, hex bool) {
	if addr == 0 {
		p.str("NULL")
		return
	}
	show := min(n, maxStrLen)
	data := p.read(addr, int(show))
	if data == nil && show > 0 {
		p.hex(addr)
		return
	}
	p.b = appendQuoted(p.b, data, hex)
	if n > maxStrLen {
		p.str("...")
	}
}

// appendReturn is FormatReturn; with args (and maybe mem) it adds the
// annotations strace derives from them.
func appendReturn(b []byte, nr int, args *[6]uint64, ret int64, mem Mem) []byte {
	switch nr {
	case unix.SYS_EXIT, unix.SYS_EXIT_GROUP:
		return append(b, " = ?"...)
	}
	if IsError(ret) {
		e := unix.Errno(-ret)
		if _, ok := restartMsgs[e]; ok {
			b = append(b, " = ?"...)
		} else {
			b = append(b, " = -1"...)
		}
		return appendErrno(b, e)
	}
	b = append(b, " = "...)
	if args != nil {
		if out, ok := appendSpecialReturn(b, nr, args, ret, mem); ok {
			return out
		}
	}
	var rk retKind
	if nr >= 0 && nr <= MaxNr {
		rk = specs[nr].ret
	}
	switch rk {
	case rHex:
		return appendHex(b, uint64(ret))
	case rOctal:
		if ret == 0 {
			return append(b, '0')
		}
		b = append(b, '0')
		return strconv.AppendUint(b, uint64(ret), 8)
	}
	return strconv.AppendInt(b, ret, 10)
}
