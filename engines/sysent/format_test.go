package sysent

import (
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// NoPath, as the path of line and entryView, says the test gives no path:
// the path argument is read from mem like the others.
const NoPath = "\x00"

// pathMem is mem with path at the address of nr's path argument, unless
// path is NoPath: the tests' short way to give a call its file name.
type pathMem struct {
	Mem
	addr uint64
	path string
}

func (m pathMem) ReadString(addr uint64, max int) ([]byte, bool, error) {
	if addr == m.addr {
		return []byte(m.path), false, nil
	}
	if m.Mem == nil {
		return nil, false, errFault
	}
	return m.Mem.ReadString(addr, max)
}

func (m pathMem) Read(addr uint64, n int) ([]byte, error) {
	if m.Mem == nil {
		return nil, errFault
	}
	return m.Mem.Read(addr, n)
}

func withPath(nr int, args [6]uint64, path string, mem Mem) Mem {
	idx, ok := sysabi.PathArg(nr)
	if path == NoPath || !ok {
		return mem
	}
	return pathMem{Mem: mem, addr: args[idx], path: path}
}

// line formats a whole call like FormatLine but without strace's column
// padding, which TestFormatLinePadding covers on its own.
func line(nr int, args [6]uint64, ret int64, path string, mem Mem) string {
	mem = withPath(nr, args, path, mem)
	b := FormatCallExit(nil, nr, args, ret, mem)
	b = append(b, ')')
	return string(appendReturn(b, nr, &args, ret, mem))
}

func entryView(nr int, args [6]uint64, path string, mem Mem) string {
	return string(FormatCall(nil, nr, args, withPath(nr, args, path, mem)))
}

const atFDCWD = uint64(0xffffffffffffff9c) // -100 as a register value

func neg(v int64) uint64 { return uint64(v) }

// TestEveryCallFormats runs every known and a few unknown numbers through
// the formatter with hostile inputs (unreadable pointers, garbage flags,
// nil memory), which must never panic and must balance the parentheses of
// the call.
func TestEveryCallFormats(t *testing.T) {
	m := newMem()
	m.put(0x1000, make([]byte, 4096))
	argSets := [][6]uint64{
		{},
		{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)},
		{0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000},
		{3, 0x1000, 64, 0x1000, 16, 0x1000},
		{0xdead, 0xbeef, 0xdead, 0xbeef, 0xdead, 0xbeef},
	}
	nrs := append(sysabi.All(), -1, 337, sysabi.MaxNr+1, 1<<20)
	for _, nr := range nrs {
		for _, args := range argSets {
			for _, mem := range []Mem{nil, m} {
				for _, ret := range []int64{0, 1, 64, -14, -512, 0x1000} {
					s := string(FormatLine(nil, nr, args, ret, mem))
					if !strings.HasPrefix(s, sysabi.Name(nr)+"(") || !strings.Contains(s, ") ") {
						t.Fatalf("%s: malformed line %q", sysabi.Name(nr), s)
					}
					_ = Args(nr, args, mem)
					_ = ArgsExit(nr, args, ret, mem)
				}
			}
		}
	}
}
