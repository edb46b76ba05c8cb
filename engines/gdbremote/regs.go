package gdbremote

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Registers as gdb sees them. Each architecture describes its register
// set as a table of reg, in the order of its target description and of
// the 'g' packet, over the state its registers are read from and written
// to (F: the architecture's register file). The encoding of the 'g', 'G',
// 'p' and 'P' packets and the target description's <reg> elements are
// the same for every table; the architecture's files supply, with names
// that do not change between them:
//
//   - regFile, the state of one stopped thread: newRegFile makes it from
//     the general registers, loadFP adds the floating point ones, store
//     writes back what changed;
//   - layout, the registers the machine has (layoutOf), whose table is
//     them numbered in turn, and targetXML, their description;
//   - expedited, the registers a stop reply carries (the frame pointer,
//     the stack pointer, the PC), which every layout numbers alike;
//   - fpReg, whether a register needs the floating point state.

// reg is one register of a table over the register file F.
type reg[F any] struct {
	name  string
	bits  int
	typ   string
	group string
	// get returns the register's bytes in target order from f, or nil
	// when f lacks the state it comes from; set stores them.
	get func(f *F) []byte
	set func(f *F, v []byte)
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// appendRegOf appends rg's value in f in the 'g'/'p' encoding: target
// byte order, 'x' digits when it is unavailable (f nil: none is).
func appendRegOf[F any](b []byte, rg *reg[F], f *F) []byte {
	var v []byte
	if f != nil {
		v = rg.get(f)
	}
	if v == nil {
		for range rg.bits / 4 {
			b = append(b, 'x')
		}
		return b
	}
	for _, c := range v[:rg.bits/8] {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// encodeRegsOf is the 'g' reply for f: every register of table in turn.
func encodeRegsOf[F any](table []reg[F], f *F) string {
	digits := 0
	for i := range table {
		digits += table[i].bits / 4
	}
	b := make([]byte, 0, digits)
	for i := range table {
		b = appendRegOf(b, &table[i], f)
	}
	return string(b)
}

// setRegOf stores the hex value v (target byte order) of register n of
// table in f. All-'x' values are accepted and dropped, as are writes to
// state f lacks.
func setRegOf[F any](table []reg[F], f *F, n int, v string) error {
	if n < 0 || n >= len(table) {
		return fmt.Errorf("no register %d", n)
	}
	rg := &table[n]
	if len(v) != rg.bits/4 {
		return fmt.Errorf("register %s: want %d hex digits, got %d", rg.name, rg.bits/4, len(v))
	}
	if strings.Trim(v, "x") == "" {
		return nil
	}
	b, err := unhex(v)
	if err != nil {
		return err
	}
	rg.set(f, b)
	return nil
}

// decodeRegsOf applies a 'G' packet's data to f, the registers of table
// in turn.
func decodeRegsOf[F any](table []reg[F], f *F, data string) error {
	if len(data)%2 != 0 {
		return fmt.Errorf("bad register block length %d", len(data))
	}
	off := 0
	for n := range table {
		w := table[n].bits / 4
		if off+w > len(data) {
			// gdb may send fewer registers than described; the rest
			// keep their values.
			if n == 0 {
				return fmt.Errorf("register block too short: %d digits", len(data))
			}
			break
		}
		if err := setRegOf(table, f, n, data[off:off+w]); err != nil {
			return err
		}
		off += w
	}
	if off != len(data) {
		return fmt.Errorf("register block of %d digits, want at most %d", len(data), off)
	}
	return nil
}

// writeRegElems writes the <reg> elements of registers from to to of
// table, numbered by their place in it.
func writeRegElems[F any](sb *strings.Builder, table []reg[F], from, to int) {
	for n := from; n < to; n++ {
		rg := &table[n]
		fmt.Fprintf(sb, `<reg name="%s" bitsize="%d" type="%s" regnum="%d"`, rg.name, rg.bits, rg.typ, n)
		if rg.group != "" {
			fmt.Fprintf(sb, ` group="%s"`, rg.group)
		}
		sb.WriteString("/>\n")
	}
}

// The running architecture's table, through the functions above.

// appendReg appends register n of layout l from f in the 'g'/'p'
// encoding.
func appendReg(b []byte, l layout, n int, f *regFile) []byte {
	return appendRegOf(b, &l.table()[n], f)
}

// encodeRegs is the 'g' reply for f.
func encodeRegs(f *regFile, l layout) string { return encodeRegsOf(l.table(), f) }

// setReg stores the hex value v of register n of layout l in f.
func setReg(f *regFile, l layout, n int, v string) error { return setRegOf(l.table(), f, n, v) }

// decodeRegs applies a 'G' packet's data to f.
func decodeRegs(f *regFile, data string, l layout) error {
	return decodeRegsOf(l.table(), f, data)
}

// loadRegs reads the registers of a stopped thread: the general ones,
// and with fp the floating point ones too. fpErr says why the floating
// point registers could not be read; they are unavailable then.
func loadRegs(st core.Stopped, fp bool) (f *regFile, fpErr error, err error) {
	r, err := st.Registers()
	if err != nil {
		return nil, nil, err
	}
	f = newRegFile(r)
	if fp {
		fpErr = f.loadFP(st)
	}
	return f, fpErr, nil
}

// Signal numbers. The protocol uses gdb's own numbering (gdb/signals.def),
// which differs from Linux's past SIGTERM. Linux numbers its signals the
// same on every architecture here.
var hostToGDB = map[int]int{
	1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 10, 8: 8, 9: 9, 10: 30, 11: 11, 12: 31, 13: 13, 14: 14, 15: 15,
	17: 20, 18: 19, 19: 17, 20: 18, 21: 21, 22: 22, 23: 16, 24: 24, 25: 25, 26: 26, 27: 27, 28: 28,
	29: 23, 30: 32, 31: 12,
}

// gdbUnknown is GDB_SIGNAL_UNKNOWN.
const gdbUnknown = 143

// toGDB converts a Linux signal number to gdb's.
func toGDB(sig int) int {
	if sig == 0 {
		return 0
	}
	if g, ok := hostToGDB[sig]; ok {
		return g
	}
	switch {
	case sig == 32:
		return 77 // GDB_SIGNAL_REALTIME_32
	case sig >= 33 && sig <= 63:
		return 45 + sig - 33 // GDB_SIGNAL_REALTIME_33...
	case sig == 64:
		return 78
	}
	return gdbUnknown
}

// fromGDB converts gdb's signal number to Linux's; 0 if there is none.
func fromGDB(g int) int {
	if g == 0 {
		return 0
	}
	for h, v := range hostToGDB {
		if v == g {
			return h
		}
	}
	switch {
	case g == 77:
		return 32
	case g >= 45 && g <= 75:
		return 33 + g - 45
	case g == 78:
		return 64
	}
	return 0
}
