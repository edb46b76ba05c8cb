package gdbremote

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// The x86-64 Linux register set as this server shows it to gdb, in the
// order of the target description and of the 'g' packet. core.Stopped gives
// the general registers (PTRACE_GETREGS); the x87 and SSE registers are not
// reachable through it, so they are described (gdb's amd64 support wants
// them) and reported unavailable ('x' digits).
type reg struct {
	name  string
	bits  int
	typ   string
	group string
	// get and set access the register in the ptrace register block;
	// nil for the registers that are not available.
	get func(*unix.PtraceRegs) uint64
	set func(*unix.PtraceRegs, uint64)
}

func gpr(name string, p func(*unix.PtraceRegs) *uint64) reg {
	typ := "int64"
	switch name {
	case "rbp", "rsp":
		typ = "data_ptr"
	case "rip":
		typ = "code_ptr"
	}
	return reg{name: name, bits: 64, typ: typ,
		get: func(r *unix.PtraceRegs) uint64 { return *p(r) },
		set: func(r *unix.PtraceRegs, v uint64) { *p(r) = v }}
}

func reg32(name, typ string, p func(*unix.PtraceRegs) *uint64) reg {
	return reg{name: name, bits: 32, typ: typ,
		get: func(r *unix.PtraceRegs) uint64 { return *p(r) & 0xffffffff },
		set: func(r *unix.PtraceRegs, v uint64) { *p(r) = v & 0xffffffff }}
}

func unavailable(name string, bits int, typ, group string) reg {
	return reg{name: name, bits: bits, typ: typ, group: group}
}

// Register numbers in the 'g' packet and in 'p'/'P'.
const (
	regRBP    = 6
	regRSP    = 7
	regRIP    = 16
	regEflags = 17
)

var regs = func() []reg {
	r := []reg{
		gpr("rax", func(r *unix.PtraceRegs) *uint64 { return &r.Rax }),
		gpr("rbx", func(r *unix.PtraceRegs) *uint64 { return &r.Rbx }),
		gpr("rcx", func(r *unix.PtraceRegs) *uint64 { return &r.Rcx }),
		gpr("rdx", func(r *unix.PtraceRegs) *uint64 { return &r.Rdx }),
		gpr("rsi", func(r *unix.PtraceRegs) *uint64 { return &r.Rsi }),
		gpr("rdi", func(r *unix.PtraceRegs) *uint64 { return &r.Rdi }),
		gpr("rbp", func(r *unix.PtraceRegs) *uint64 { return &r.Rbp }),
		gpr("rsp", func(r *unix.PtraceRegs) *uint64 { return &r.Rsp }),
		gpr("r8", func(r *unix.PtraceRegs) *uint64 { return &r.R8 }),
		gpr("r9", func(r *unix.PtraceRegs) *uint64 { return &r.R9 }),
		gpr("r10", func(r *unix.PtraceRegs) *uint64 { return &r.R10 }),
		gpr("r11", func(r *unix.PtraceRegs) *uint64 { return &r.R11 }),
		gpr("r12", func(r *unix.PtraceRegs) *uint64 { return &r.R12 }),
		gpr("r13", func(r *unix.PtraceRegs) *uint64 { return &r.R13 }),
		gpr("r14", func(r *unix.PtraceRegs) *uint64 { return &r.R14 }),
		gpr("r15", func(r *unix.PtraceRegs) *uint64 { return &r.R15 }),
		gpr("rip", func(r *unix.PtraceRegs) *uint64 { return &r.Rip }),
		reg32("eflags", "i386_eflags", func(r *unix.PtraceRegs) *uint64 { return &r.Eflags }),
		reg32("cs", "int32", func(r *unix.PtraceRegs) *uint64 { return &r.Cs }),
		reg32("ss", "int32", func(r *unix.PtraceRegs) *uint64 { return &r.Ss }),
		reg32("ds", "int32", func(r *unix.PtraceRegs) *uint64 { return &r.Ds }),
		reg32("es", "int32", func(r *unix.PtraceRegs) *uint64 { return &r.Es }),
		reg32("fs", "int32", func(r *unix.PtraceRegs) *uint64 { return &r.Fs }),
		reg32("gs", "int32", func(r *unix.PtraceRegs) *uint64 { return &r.Gs }),
	}
	for i := range 8 {
		r = append(r, unavailable(fmt.Sprintf("st%d", i), 80, "i387_ext", "float"))
	}
	for _, n := range []string{"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"} {
		r = append(r, unavailable(n, 32, "int", "float"))
	}
	for i := range 16 {
		r = append(r, unavailable(fmt.Sprintf("xmm%d", i), 128, "vec128", "vector"))
	}
	r = append(r, unavailable("mxcsr", 32, "i386_mxcsr", "vector"))
	r = append(r,
		gpr("orig_rax", func(r *unix.PtraceRegs) *uint64 { return &r.Orig_rax }),
		gpr("fs_base", func(r *unix.PtraceRegs) *uint64 { return &r.Fs_base }),
		gpr("gs_base", func(r *unix.PtraceRegs) *uint64 { return &r.Gs_base }),
	)
	return r
}()

// The features the registers belong to, by index range.
const (
	firstST     = 24
	firstXMM    = 40
	regMXCSR    = 56
	regOrigRAX  = 57
	regFSBase   = 58
	numRegs     = 60
	regsGBytes  = 16*8 + 8 + 4 + 6*4 + 8*10 + 8*4 + 16*16 + 4 + 3*8
	regsGDigits = 2 * regsGBytes
)

// appendReg appends register n of r in the 'g'/'p' encoding: target byte
// order, 'x' digits when it is unavailable.
func appendReg(b []byte, n int, r *unix.PtraceRegs) []byte {
	rg := regs[n]
	size := rg.bits / 8
	if rg.get == nil || r == nil {
		for range 2 * size {
			b = append(b, 'x')
		}
		return b
	}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], rg.get(r))
	for _, c := range buf[:size] {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// encodeRegs is the 'g' reply for r.
func encodeRegs(r *unix.PtraceRegs) string {
	b := make([]byte, 0, regsGDigits)
	for n := range regs {
		b = appendReg(b, n, r)
	}
	return string(b)
}

// setReg stores the hex value v (target byte order) of register n in r.
// Writes to unavailable registers are accepted and dropped, as are all-'x'
// values.
func setReg(r *unix.PtraceRegs, n int, v string) error {
	if n < 0 || n >= len(regs) {
		return fmt.Errorf("no register %d", n)
	}
	rg := regs[n]
	if len(v) != rg.bits/4 {
		return fmt.Errorf("register %s: want %d hex digits, got %d", rg.name, rg.bits/4, len(v))
	}
	if rg.set == nil || strings.Trim(v, "x") == "" {
		return nil
	}
	b, err := unhex(v)
	if err != nil {
		return err
	}
	var buf [8]byte
	copy(buf[:], b)
	rg.set(r, binary.LittleEndian.Uint64(buf[:]))
	return nil
}

// decodeRegs applies a 'G' packet's data to r.
func decodeRegs(r *unix.PtraceRegs, data string) error {
	if len(data)%2 != 0 {
		return fmt.Errorf("bad register block length %d", len(data))
	}
	off := 0
	for n, rg := range regs {
		w := rg.bits / 4
		if off+w > len(data) {
			// gdb may send fewer registers than described; the rest
			// keep their values.
			if n == 0 {
				return fmt.Errorf("register block too short: %d digits", len(data))
			}
			break
		}
		if err := setReg(r, n, data[off:off+w]); err != nil {
			return err
		}
		off += w
	}
	if off != len(data) {
		return fmt.Errorf("register block of %d digits, want at most %d", len(data), off)
	}
	return nil
}

// targetXML is the target description: gdb's amd64 Linux features
// (i386.core, i386.sse, i386.linux with orig_rax, i386.segments with the
// bases), written out in one document.
var targetXML = func() string {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386:x86-64</architecture>
<osabi>GNU/Linux</osabi>
<feature name="org.gnu.gdb.i386.core">
<flags id="i386_eflags" size="4">
<field name="CF" start="0" end="0"/>
<field name="" start="1" end="1"/>
<field name="PF" start="2" end="2"/>
<field name="AF" start="4" end="4"/>
<field name="ZF" start="6" end="6"/>
<field name="SF" start="7" end="7"/>
<field name="TF" start="8" end="8"/>
<field name="IF" start="9" end="9"/>
<field name="DF" start="10" end="10"/>
<field name="OF" start="11" end="11"/>
<field name="NT" start="14" end="14"/>
<field name="RF" start="16" end="16"/>
<field name="VM" start="17" end="17"/>
<field name="AC" start="18" end="18"/>
<field name="VIF" start="19" end="19"/>
<field name="VIP" start="20" end="20"/>
<field name="ID" start="21" end="21"/>
</flags>
`)
	feature := func(from, to int) {
		for n := from; n < to; n++ {
			rg := regs[n]
			fmt.Fprintf(&sb, `<reg name="%s" bitsize="%d" type="%s" regnum="%d"`, rg.name, rg.bits, rg.typ, n)
			if rg.group != "" {
				fmt.Fprintf(&sb, ` group="%s"`, rg.group)
			}
			sb.WriteString("/>\n")
		}
	}
	feature(0, firstXMM)
	sb.WriteString(`</feature>
<feature name="org.gnu.gdb.i386.sse">
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/>
<vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/>
<vector id="v2i64" type="int64" count="2"/>
<union id="vec128">
<field name="v4_float" type="v4f"/>
<field name="v2_double" type="v2d"/>
<field name="v16_int8" type="v16i8"/>
<field name="v8_int16" type="v8i16"/>
<field name="v4_int32" type="v4i32"/>
<field name="v2_int64" type="v2i64"/>
<field name="uint128" type="uint128"/>
</union>
<flags id="i386_mxcsr" size="4">
<field name="IE" start="0" end="0"/>
<field name="DE" start="1" end="1"/>
<field name="ZE" start="2" end="2"/>
<field name="OE" start="3" end="3"/>
<field name="UE" start="4" end="4"/>
<field name="PE" start="5" end="5"/>
<field name="DAZ" start="6" end="6"/>
<field name="IM" start="7" end="7"/>
<field name="DM" start="8" end="8"/>
<field name="ZM" start="9" end="9"/>
<field name="OM" start="10" end="10"/>
<field name="UM" start="11" end="11"/>
<field name="PM" start="12" end="12"/>
<field name="FZ" start="15" end="15"/>
</flags>
`)
	feature(firstXMM, regOrigRAX)
	sb.WriteString("</feature>\n<feature name=\"org.gnu.gdb.i386.linux\">\n")
	feature(regOrigRAX, regFSBase)
	sb.WriteString("</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n")
	feature(regFSBase, numRegs)
	sb.WriteString("</feature>\n</target>\n")
	return sb.String()
}()

// Signal numbers. The protocol uses gdb's own numbering (gdb/signals.def),
// which differs from Linux's past SIGTERM.
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
