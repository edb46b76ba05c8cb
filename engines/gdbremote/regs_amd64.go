package gdbremote

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// The x86-64 Linux register set as this server shows it to gdb, in the
// order of the target description and of the 'g' packet: the general
// registers from PTRACE_GETREGS; the x87, SSE, AVX, AVX-512 and
// protection key registers from the XSAVE area (PTRACE_GETREGSET
// NT_X86_XSTATE, xsave_amd64.go), or from the FXSAVE area (NT_PRFPREG)
// where there is no XSAVE, decoded as gdbserver decodes them
// (gdbserver/i387-fp.cc), so gdb prints the same values under both
// (except where gdbserver 13 looks for AVX-512 state in the wrong place,
// xsave_amd64.go). The features beyond SSE are described where XCR0 enables their components
// and the kernel's area holds them, numbered in turn as gdbserver numbers
// them.

// regFile is the state the registers are read from and written to.
type regFile struct {
	regs *core.Registers
	gp   *unix.PtraceRegs // regs.Raw()
	// fp is the XSAVE area (xsave) or the 512 bytes of the FXSAVE area;
	// nil when neither could be read.
	fp    []byte
	xsave bool
	// format is where the XSAVE area keeps each state component.
	format *xsaveFormat
	// What set changed: the general registers, the floating point area
	// (and, in the XSAVE header, the state components it touched).
	gpDirty, fpDirty bool
}

func gpr(name string, p func(*unix.PtraceRegs) *uint64) reg[regFile] {
	typ := "int64"
	switch name {
	case "rbp", "rsp":
		typ = "data_ptr"
	case "rip":
		typ = "code_ptr"
	}
	return reg[regFile]{name: name, bits: 64, typ: typ,
		get: func(f *regFile) []byte {
			if f.gp == nil {
				return nil
			}
			return le64(*p(f.gp))
		},
		set: func(f *regFile, v []byte) {
			if f.gp != nil {
				*p(f.gp), f.gpDirty = binary.LittleEndian.Uint64(v), true
			}
		}}
}

func reg32(name, typ string, p func(*unix.PtraceRegs) *uint64) reg[regFile] {
	return reg[regFile]{name: name, bits: 32, typ: typ,
		get: func(f *regFile) []byte {
			if f.gp == nil {
				return nil
			}
			return le64(*p(f.gp) & 0xffffffff)[:4]
		},
		set: func(f *regFile, v []byte) {
			if f.gp != nil {
				*p(f.gp), f.gpDirty = uint64(binary.LittleEndian.Uint32(v)), true
			}
		}}
}

// fpField is a register at off in XSAVE state component comp of the
// floating point area (for the x87 and SSE components: in the FXSAVE
// region), size bytes there, shown zero-extended to bits; mask, if not
// 0, is the register's bits of the low 32.
func fpField(name string, bits int, typ, group string, comp, off, size int, mask uint32) reg[regFile] {
	return reg[regFile]{name: name, bits: bits, typ: typ, group: group,
		get: func(f *regFile) []byte {
			a := f.area(comp)
			if a == nil {
				return nil
			}
			b := make([]byte, bits/8)
			copy(b, a[off:off+size])
			if mask != 0 {
				binary.LittleEndian.PutUint32(b, binary.LittleEndian.Uint32(b)&mask)
			}
			return b
		},
		set: func(f *regFile, v []byte) {
			a := f.area(comp)
			if a == nil {
				return
			}
			if mask != 0 {
				// Only the low bits are the register's: keep the rest.
				old := binary.LittleEndian.Uint32(append(a[off:off+size:off+size], 0, 0)) &^ mask
				v = binary.LittleEndian.AppendUint32(nil, binary.LittleEndian.Uint32(v)&mask|old)
			}
			copy(a[off:off+size], v)
			f.touch(comp)
		}}
}

// area is state component comp of f's floating point area, nil when f
// lacks it: the x87 and SSE components are the FXSAVE region; the others
// are in an XSAVE area whose XCR0 enables them, at the offset f.format
// gives, if the area is long enough to hold them.
func (f *regFile) area(comp int) []byte {
	switch {
	case f.fp == nil:
		return nil
	case comp == xcompX87 || comp == xcompSSE:
		return f.fp[:fxsaveSize]
	case !f.xsave || f.format == nil || binary.LittleEndian.Uint64(f.fp[xcr0Off:])&(1<<comp) == 0:
		return nil
	}
	off, size := f.format.off[comp], xcompSize[comp]
	if off < xsaveHdrEnd || size == 0 || off+size > len(f.fp) {
		return nil
	}
	return f.fp[off : off+size]
}

// touch marks component comp as written: a component the header says is
// in its initial state would be ignored by the kernel.
func (f *regFile) touch(comp int) {
	f.fpDirty = true
	if f.xsave {
		bv := binary.LittleEndian.Uint64(f.fp[xstateBVOff:])
		binary.LittleEndian.PutUint64(f.fp[xstateBVOff:], bv|1<<comp)
	}
}

// ftag is the x87 tag word as gdb wants it, two bits a register, made
// from the FXSAVE area's abridged one bit a register and the registers'
// contents (gdbserver's i387_ftag).
var ftag = reg[regFile]{name: "ftag", bits: 32, typ: "int", group: "float",
	get: func(f *regFile) []byte {
		if f.fp == nil {
			return nil
		}
		top := int(binary.LittleEndian.Uint16(f.fp[2:])>>11) & 7
		var v uint32
		for i := 7; i >= 0; i-- {
			tag := uint32(3) // empty
			if f.fp[4]&(1<<i) != 0 {
				tag = x87Tag(f.fp[32+16*((i+8-top)%8):])
			}
			v |= tag << (2 * i)
		}
		return binary.LittleEndian.AppendUint32(nil, v)
	},
	set: func(f *regFile, v []byte) {
		if f.fp == nil {
			return
		}
		full := binary.LittleEndian.Uint32(v)
		var abridged byte
		for i := range 8 {
			if (full>>(2*i))&3 != 3 {
				abridged |= 1 << i
			}
		}
		f.fp[4] = abridged
		f.touch(xcompX87)
	}}

// x87Tag classifies an 80-bit register: 0 valid, 1 zero, 2 special.
func x87Tag(raw []byte) uint32 {
	integer := raw[7]&0x80 != 0
	exponent := uint16(raw[9]&0x7f)<<8 | uint16(raw[8])
	fractionZero := binary.LittleEndian.Uint32(raw[0:]) == 0 && binary.LittleEndian.Uint32(raw[4:])&0x7fffffff == 0
	switch {
	case exponent == 0x7fff:
		return 2
	case exponent == 0 && fractionZero && !integer:
		return 1
	case exponent == 0:
		return 2
	case integer:
		return 0
	}
	return 2
}

// The registers of each feature, in gdb's order (gdb/features/i386/64bit-*.xml).
var (
	// coreRegs are org.gnu.gdb.i386.core's: the general registers, then
	// the x87 ones.
	coreRegs = func() []reg[regFile] {
		r := []reg[regFile]{
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
			r = append(r, fpField(fmt.Sprintf("st%d", i), 80, "i387_ext", "float", xcompX87, 32+16*i, 10, 0))
		}
		// The FXSAVE area: fcw, fsw, abridged ftw, fop, then (64-bit
		// format) fip and fdp, of which gdb takes the low 32 bits as the
		// offsets and the next 16 as the segments, as gdbserver does.
		return append(r,
			fpField("fctrl", 32, "int", "float", xcompX87, 0, 2, 0),
			fpField("fstat", 32, "int", "float", xcompX87, 2, 2, 0),
			ftag,
			fpField("fiseg", 32, "int", "float", xcompX87, 12, 2, 0),
			fpField("fioff", 32, "int", "float", xcompX87, 8, 4, 0),
			fpField("foseg", 32, "int", "float", xcompX87, 20, 2, 0),
			fpField("fooff", 32, "int", "float", xcompX87, 16, 4, 0),
			fpField("fop", 32, "int", "float", xcompX87, 6, 2, 0x7ff),
		)
	}()
	// sseRegs are org.gnu.gdb.i386.sse's.
	sseRegs = func() []reg[regFile] {
		var r []reg[regFile]
		for i := range 16 {
			r = append(r, fpField(fmt.Sprintf("xmm%d", i), 128, "vec128", "vector", xcompSSE, 160+16*i, 16, 0))
		}
		return append(r, fpField("mxcsr", 32, "i386_mxcsr", "vector", xcompSSE, 24, 4, 0))
	}()
	linuxRegs = []reg[regFile]{
		gpr("orig_rax", func(r *unix.PtraceRegs) *uint64 { return &r.Orig_rax }),
	}
	segmentRegs = []reg[regFile]{
		gpr("fs_base", func(r *unix.PtraceRegs) *uint64 { return &r.Fs_base }),
		gpr("gs_base", func(r *unix.PtraceRegs) *uint64 { return &r.Gs_base }),
	}
	avxRegs = func() []reg[regFile] {
		var r []reg[regFile]
		for i := range 16 {
			r = append(r, fpField(fmt.Sprintf("ymm%dh", i), 128, "uint128", "", xcompAVX, 16*i, 16, 0))
		}
		return r
	}()
	// avx512Regs are org.gnu.gdb.i386.avx512's: xmm16-31 and ymm16h-31h,
	// the low quarters of zmm16-31, the opmasks, then the upper halves
	// of zmm0-31.
	avx512Regs = func() []reg[regFile] {
		var r []reg[regFile]
		for i := range 16 {
			r = append(r, fpField(fmt.Sprintf("xmm%d", 16+i), 128, "vec128", "", xcompHi16ZMM, 64*i, 16, 0))
		}
		for i := range 16 {
			r = append(r, fpField(fmt.Sprintf("ymm%dh", 16+i), 128, "uint128", "", xcompHi16ZMM, 64*i+16, 16, 0))
		}
		for i := range 8 {
			r = append(r, fpField(fmt.Sprintf("k%d", i), 64, "uint64", "", xcompOpmask, 8*i, 8, 0))
		}
		for i := range 16 {
			r = append(r, fpField(fmt.Sprintf("zmm%dh", i), 256, "v2ui128", "", xcompZMMHi256, 32*i, 32, 0))
		}
		for i := range 16 {
			r = append(r, fpField(fmt.Sprintf("zmm%dh", 16+i), 256, "v2ui128", "", xcompHi16ZMM, 64*i+32, 32, 0))
		}
		return r
	}()
	pkeysRegs = []reg[regFile]{fpField("pkru", 32, "uint32", "", xcompPKRU, 0, 4, 0)}
)

// Register numbers in every layout: those of the core, SSE, Linux and
// segments features, which every layout has, first.
const (
	regRBP      = 6
	regRSP      = 7
	regRIP      = 16
	regEflags   = 17
	firstST     = 24
	firstXMM    = 40
	regMXCSR    = 56
	regOrigRAX  = 57
	regFSBase   = 58
	numBaseRegs = 60
	regsGBytes  = 16*8 + 8 + 4 + 6*4 + 8*10 + 8*4 + 16*16 + 4 + 3*8
	regsGDigits = 2 * regsGBytes
)

// expedited are the registers a stop reply carries, as gdbserver's: the
// frame pointer, the stack pointer and the PC.
var expedited = []int{regRBP, regRSP, regRIP}

// fpReg reports whether register n is in the floating point area: all
// but the general registers, orig_rax and the segment bases.
func fpReg(n int) bool { return n >= firstST && (n < regOrigRAX || n >= numBaseRegs) }

// layout is the register set of the machine: which of the features
// beyond the base ones the kernel's XSAVE area has.
type layout struct{ avx, avx512, pkeys bool }

// feature is one feature of the target description: gdb's name for it,
// the types its registers use, defined in it as gdb's own description
// defines them, and its registers.
type feature struct {
	name, types string
	regs        []reg[regFile]
	in          func(layout) bool
}

func always(layout) bool { return true }

// features are the target description's, in gdbserver's order.
var features = []feature{
	{"org.gnu.gdb.i386.core", eflagsType, coreRegs, always},
	{"org.gnu.gdb.i386.sse", vec128Types + mxcsrType, sseRegs, always},
	{"org.gnu.gdb.i386.linux", "", linuxRegs, always},
	{"org.gnu.gdb.i386.segments", "", segmentRegs, always},
	{"org.gnu.gdb.i386.avx", "", avxRegs, func(l layout) bool { return l.avx }},
	{"org.gnu.gdb.i386.avx512", vec128Types + `<vector id="v2ui128" type="uint128" count="2"/>` + "\n",
		avx512Regs, func(l layout) bool { return l.avx512 }},
	{"org.gnu.gdb.i386.pkeys", "", pkeysRegs, func(l layout) bool { return l.pkeys }},
}

// tables are each layout's registers, by layout.index.
var tables = func() (t [8][]reg[regFile]) {
	for i := range t {
		l := layout{avx: i&1 != 0, avx512: i&2 != 0, pkeys: i&4 != 0}
		for _, ft := range features {
			if ft.in(l) {
				t[i] = append(t[i], ft.regs...)
			}
		}
	}
	return t
}()

func (l layout) index() int {
	i := 0
	if l.avx {
		i |= 1
	}
	if l.avx512 {
		i |= 2
	}
	if l.pkeys {
		i |= 4
	}
	return i
}

// table is the layout's registers, in the order of their numbers.
func (l layout) table() []reg[regFile] { return tables[l.index()] }

// xstateMax bounds the XSAVE area (11 KiB with AMX's tiles).
const xstateMax = 16 << 10

// newRegFile is the register file of a thread with general registers r.
func newRegFile(r *core.Registers) *regFile { return &regFile{regs: r, gp: r.Raw()} }

// loadFP reads the floating point area: the XSAVE area where the kernel
// has one, else the FXSAVE area.
func (f *regFile) loadFP(st core.Stopped) error {
	buf := make([]byte, xstateMax)
	n, xerr := st.Regset(core.NoteXState, buf)
	if xerr == nil && n >= xsaveHdrEnd {
		f.fp, f.xsave, f.format = buf[:n], true, hostXSave()
		return nil
	}
	buf = buf[:fxsaveSize]
	n, err := st.Regset(core.NoteFPRegs, buf)
	switch {
	case err != nil:
		return fmt.Errorf("floating point registers: %w (XSAVE area: %v)", err, xerr)
	case n != fxsaveSize:
		return fmt.Errorf("floating point registers: FXSAVE area of %d bytes", n)
	}
	f.fp = buf
	return nil
}

// store writes back what set changed.
func (f *regFile) store(st core.Stopped) error {
	if f.gpDirty {
		if err := st.SetRegisters(f.regs); err != nil {
			return err
		}
	}
	if f.fpDirty {
		note := core.NoteFPRegs
		if f.xsave {
			note = core.NoteXState
		}
		if err := st.SetRegset(note, f.fp); err != nil {
			return err
		}
	}
	return nil
}

// layoutOf is the register layout a thread's floating point area shows:
// each feature whose state components XCR0 enables and the area holds.
// AVX-512 needs all three of its components, and AVX, whose ymm halves
// its zmm registers extend.
func layoutOf(f *regFile) layout {
	has := func(comp int) bool { return f.area(comp) != nil }
	l := layout{avx: has(xcompAVX), pkeys: has(xcompPKRU)}
	l.avx512 = l.avx && has(xcompOpmask) && has(xcompZMMHi256) && has(xcompHi16ZMM)
	return l
}

// The types the features define.
const (
	eflagsType = `<flags id="i386_eflags" size="4">
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
`
	vec128Types = `<vector id="v8bf16" type="bfloat16" count="8"/>
<vector id="v8h" type="ieee_half" count="8"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/>
<vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/>
<vector id="v2i64" type="int64" count="2"/>
<union id="vec128">
<field name="v8_bfloat16" type="v8bf16"/>
<field name="v8_half" type="v8h"/>
<field name="v4_float" type="v4f"/>
<field name="v2_double" type="v2d"/>
<field name="v16_int8" type="v16i8"/>
<field name="v8_int16" type="v8i16"/>
<field name="v4_int32" type="v4i32"/>
<field name="v2_int64" type="v2i64"/>
<field name="uint128" type="uint128"/>
</union>
`
	mxcsrType = `<flags id="i386_mxcsr" size="4">
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
`
)

// targetXML is the target description: gdb's amd64 Linux features
// (i386.core, i386.sse, i386.linux with orig_rax, i386.segments with the
// bases, and i386.avx, i386.avx512 and i386.pkeys where the machine has
// them), written out in one document. MPX (i386.mpx) is not described:
// Linux no longer enables it.
func targetXML(l layout) string {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386:x86-64</architecture>
<osabi>GNU/Linux</osabi>
`)
	table, n := l.table(), 0
	for _, ft := range features {
		if !ft.in(l) {
			continue
		}
		fmt.Fprintf(&sb, "<feature name=%q>\n", ft.name)
		sb.WriteString(ft.types)
		writeRegElems(&sb, table, n, n+len(ft.regs))
		n += len(ft.regs)
		sb.WriteString("</feature>\n")
	}
	sb.WriteString("</target>\n")
	return sb.String()
}
