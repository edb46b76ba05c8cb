package sysent

import (
	"bytes"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// Mem reads the traced process's memory. Implementations are free to be
// partial (a BPF ring buffer record holding a few captured strings, a
// process_vm_readv wrapper, a core dump); every read may fail, and then
// the argument prints as its raw address, as strace does for unreadable
// pointers.
type Mem interface {
	// ReadString reads the NUL-terminated string at addr, returning at
	// most max bytes (without the NUL). truncated reports that the string
	// continues past max bytes. The bytes are valid until the next read.
	ReadString(addr uint64, max int) (s []byte, truncated bool, err error)
	// Read reads exactly n bytes at addr.
	Read(addr uint64, n int) ([]byte, error)
}

// A Counter is a Mem that may know how many elements an array in the
// traced memory had without holding the array: a tracer that counted
// them in the kernel (execve's envp, getdents64's records). exact is
// false when the count stopped short of the end; then the decoder prints
// the address alone.
type Counter interface {
	Count(addr uint64) (n int, exact bool, ok bool)
}

// An EntryReader is a Mem that keeps the copy of memory made at a call's
// entry apart from the one made at its exit, for arguments that are both
// input and output (accept's address length: [110 => 16]).
type EntryReader interface {
	ReadEntry(addr uint64, n int) ([]byte, error)
}

// A Stack is a Mem that knows the stack pointer at the call's entry, the
// way to rt_sigreturn's signal frame.
type Stack interface {
	StackPointer() uint64
}

// A Resumer is a Mem that knows which call a restart_syscall resumes:
// the thread's last to return ERESTART_RESTARTBLOCK. ok is false when
// that is not known.
type Resumer interface {
	Resumes() (nr int, ok bool)
}

// An ArgvReader is a Mem that may know the strings of an argv array
// another way than through its pointers (an execve's arguments as the new
// image got them). The decoder asks it only when the array cannot be read.
type ArgvReader interface {
	Argv(addr uint64) (args [][]byte, truncated bool, ok bool)
}

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
// mem may be nil; then pointers that need reading print as addresses.
func FormatCall(b []byte, nr int, args [6]uint64, mem Mem) []byte {
	p := newPrinter(b, nr, args, mem)
	p.call(false, 0)
	return p.b
}

// FormatUnfinished appends a call as strace prints one that has not
// returned when another line must be printed (or that never returns): its
// arguments up to the first one the kernel fills in, and " <unfinished
// ...>", e.g. "read(3,  <unfinished ...>".
func FormatUnfinished(b []byte, nr int, args [6]uint64, mem Mem) []byte {
	p := newPrinter(b, nr, args, mem)
	p.untilOutput = true
	p.call(false, 0)
	return append(p.b, Unfinished...)
}

// FormatResumed appends the line strace prints at the exit of a call
// whose entry it showed unfinished (FormatUnfinished) before other lines:
// "<... read resumed>", the arguments the entry did not show, in their
// exit view, ')', and the return value padded as FormatLine pads it:
//
//	<... read resumed>"hello\n", 64)  = 6
//
// When the call did not return (the thread died in it), strace's
// " <unfinished ...>" stands for those arguments, if there are any, and
// the return is " = ?".
func FormatResumed(b []byte, nr int, args [6]uint64, ret int64, returned bool, mem Mem) []byte {
	b = append(b, "<... "...)
	b = append(b, sysabi.Name(nr)...)
	b = append(b, " resumed>"...)
	p := newPrinter(nil, nr, args, mem)
	p.call(returned, ret)
	if !returned {
		if p.splitSet {
			b = append(b, Unfinished...)
		}
		b = append(b, ')')
		return append(PadToReturn(b), " = ?"...)
	}
	if p.splitSet {
		b = append(b, bytes.TrimPrefix(p.b[p.split:], []byte(", "))...)
	}
	b = append(b, ')')
	return appendReturn(PadToReturn(b), nr, &args, ret, mem)
}

// FormatCallExit appends the exit view of a call: like FormatCall, but
// with ret known, so buffers and structs the kernel filled in are decoded
// from mem (read's data, with ret as its length; stat's st_mode...). On
// error returns they print as addresses, as strace does.
func FormatCallExit(b []byte, nr int, args [6]uint64, ret int64, mem Mem) []byte {
	p := newPrinter(b, nr, args, mem)
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
func FormatLine(b []byte, nr int, args [6]uint64, ret int64, mem Mem) []byte {
	b = FormatCallExit(b, nr, args, ret, mem)
	b = append(b, ')')
	return appendReturn(PadToReturn(b), nr, &args, ret, mem)
}

// PadToReturn pads the line at the end of b (from its last newline) with
// spaces to column 39, so that the " = " that follows puts '=' in column
// 40, as strace aligns it.
func PadToReturn(b []byte) []byte {
	lineStart := bytes.LastIndexByte(b, '\n') + 1
	for len(b)-lineStart < 39 {
		b = append(b, ' ')
	}
	return b
}

// Args returns each argument of the entry view formatted on its own, for
// structured (JSON) output. The strings are exactly the pieces FormatCall
// joins with ", ".
func Args(nr int, args [6]uint64, mem Mem) []string {
	return splitArgs(nr, &args, mem, false, 0)
}

// ArgsExit is Args for the exit view (see FormatCallExit).
func ArgsExit(nr int, args [6]uint64, ret int64, mem Mem) []string {
	return splitArgs(nr, &args, mem, true, ret)
}

// argBufs holds the scratch buffers of splitArgs: JSON output formats
// every call logged, and the strings it returns are copies.
var argBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func splitArgs(nr int, args *[6]uint64, mem Mem, exit bool, ret int64) []string {
	buf := argBufs.Get().(*[]byte)
	defer argBufs.Put(buf)
	p := newPrinter((*buf)[:0], nr, *args, mem)
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
	b    []byte
	nr   int
	args [6]uint64 // a copy: a pointer would make the caller's array escape
	mem  Mem
	// untilOutput stops the entry view at the first output argument.
	untilOutput bool
	// split is where the first output argument begins in b (its ", "
	// included), when splitSet: what a resumed line prints from.
	split    int
	splitSet bool
	exit     bool
	ret      int64
	n        int
	track    bool
	marks    []int
	style    XlatStyle
}

func newPrinter(b []byte, nr int, args [6]uint64, mem Mem) printer {
	return printer{b: b, nr: nr, args: args, mem: mem, style: styleOf(mem)}
}

// callName is the name of system call nr on this architecture, "" for
// numbers the table does not know. The decoders tell calls apart by name,
// not number: numbers differ between architectures, and some calls
// (poll, select) exist on one only.
func callName(nr int) string {
	if !sysabi.Known(nr) {
		return ""
	}
	return sysabi.Name(nr)
}

// is reports whether the call being printed is the one called name.
func (p *printer) is(name string) bool { return callName(p.nr) == name }

// call appends "name(" and the arguments.
func (p *printer) call(exit bool, ret int64) {
	p.exit, p.ret = exit, ret
	p.b = append(p.b, sysabi.Name(p.nr)...)
	p.b = append(p.b, '(')
	l, ok := sysabi.LayoutOf(p.nr)
	switch {
	case ok && l.Decoder != sysabi.DecodeNone:
		p.custom(l.Decoder)
	case ok && l.Args != nil:
		for i, k := range l.Args {
			if k.Output() && !p.splitSet {
				if p.untilOutput {
					p.sep()
					return
				}
				p.split, p.splitSet = len(p.b), true
			}
			p.kind(k, i)
		}
	default:
		// Undecoded: all arguments in hex, as strace's printargs.
		for i := 0; i < sysabi.NumArgs(p.nr); i++ {
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

// interrupted reports whether the call returned a restart code: a signal
// interrupted it.
func (p *printer) interrupted() bool {
	_, ok := restartMsgs[unix.Errno(-p.ret)]
	return p.ret < 0 && ok
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

// flags prints a flag word of table x; xval a value of enumeration x.
// Both follow the printer's XlatStyle.
func (p *printer) flags(x xlat, v uint64, dflt string) {
	if p.style == XlatAbbrev {
		p.b = appendFlags(p.b, x, v, dflt)
		return
	}
	p.named(func() { p.hex(v) }, func() { p.b = appendFlags(p.b, x, v, dflt) })
}

func (p *printer) xval(x xlat, v uint64, dflt string) {
	if p.style == XlatAbbrev {
		p.b = appendXval(p.b, x, v, dflt)
		return
	}
	p.named(func() { p.hex(v) }, func() { p.b = appendXval(p.b, x, v, dflt) })
}

// openFlags prints open(2) flags (see appendOpenFlags) in the printer's
// XlatStyle.
func (p *printer) openFlags(v uint64) {
	p.named(func() { p.hex(v) }, func() { p.b = appendOpenFlags(p.b, v) })
}

// signal prints a signal number in the printer's XlatStyle: SIGUSR1, 10,
// or 10 /* SIGUSR1 */.
func (p *printer) signal(sig int64) {
	p.named(func() { p.dec(sig) }, func() { p.b = appendSignal(p.b, sig) })
}

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

// pathArg prints argument i as a file name, whole (not cut at the string
// limit, as strace cuts them at PATH_MAX only), or its address.
func (p *printer) pathArg(i int) {
	p.cstring(p.args[i], pathMax)
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
	p.quote(s, false)
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
	show := min(n, uint64(p.strLimit()))
	data := p.read(addr, int(show))
	if data == nil && show > 0 {
		p.hex(addr)
		return
	}
	p.quote(data, hex)
	if n > uint64(p.strLimit()) {
		p.str("...")
	}
}

// appendReturn is FormatReturn; with args (and maybe mem) it adds the
// annotations strace derives from them.
func appendReturn(b []byte, nr int, args *[6]uint64, ret int64, mem Mem) []byte {
	switch callName(nr) {
	case "exit", "exit_group":
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
	if returnsFd(nr, args) {
		return appendFdReturn(b, mem, ret)
	}
	l, _ := sysabi.LayoutOf(nr)
	switch l.Ret {
	case sysabi.RetHex:
		return appendHex(b, uint64(ret))
	case sysabi.RetOctal:
		if ret == 0 {
			return append(b, '0')
		}
		b = append(b, '0')
		return strconv.AppendUint(b, uint64(ret), 8)
	}
	return strconv.AppendInt(b, ret, 10)
}
