package gdbremote

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// The arm64 Linux register set as this server shows it to gdb, in the
// order of gdb's aarch64 features and of the 'g' packet, as gdbserver
// shows it (linux-aarch64-low.cc): org.gnu.gdb.aarch64.core, x0-x30, sp,
// pc and cpsr (the low 32 bits of pstate), from NT_PRSTATUS (struct
// user_pt_regs); org.gnu.gdb.aarch64.fpu, v0-v31, fpsr and fpcr, from
// NT_PRFPREG (struct user_fpsimd_state). A machine with SVE shows its
// vector registers' low 128 bits as v0-v31 (the kernel converts); the
// SVE feature itself is not described.
//
// This file is compiled on every architecture, so that its tests run
// where CI does; regs_arm64.go makes it the register set of the running
// machine on arm64.

// aarch64File is the register state of a stopped arm64 thread.
type aarch64File struct {
	gp aarch64GP
	// fp is struct user_fpsimd_state, nil when it could not be read.
	fp []byte
	// What set changed.
	gpDirty, fpDirty bool
}

// aarch64GP is struct user_pt_regs.
type aarch64GP struct {
	x              [31]uint64
	sp, pc, pstate uint64
}

// struct user_fpsimd_state: vregs[32] (__uint128_t), fpsr, fpcr, and two
// reserved words.
const (
	fpsimdVRegs = 0
	fpsimdFPSR  = 32 * 16
	fpsimdFPCR  = fpsimdFPSR + 4
	fpsimdSize  = fpsimdFPCR + 4 + 2*4
)

// Register numbers in the 'g' packet and in 'p'/'P': gdb's
// AARCH64_*_REGNUM.
const (
	a64FP      = 29 // x29
	a64SP      = 31
	a64PC      = 32
	a64CPSR    = 33
	a64FirstV  = 34
	a64FPSR    = a64FirstV + 32
	a64FPCR    = a64FPSR + 1
	a64NumRegs = a64FPCR + 1
)

// a64GP is a 64-bit general register, the word p points to in gp.
func a64GP(name, typ string, p func(*aarch64GP) *uint64) reg[aarch64File] {
	return reg[aarch64File]{name: name, bits: 64, typ: typ,
		get: func(f *aarch64File) []byte { return le64(*p(&f.gp)) },
		set: func(f *aarch64File, v []byte) {
			*p(&f.gp), f.gpDirty = binary.LittleEndian.Uint64(v), true
		}}
}

// a64CPSRReg is cpsr, the low 32 bits of pstate; a write keeps the
// others, as gdbserver's does.
var a64CPSRReg = reg[aarch64File]{name: "cpsr", bits: 32, typ: "cpsr_flags",
	get: func(f *aarch64File) []byte { return le64(f.gp.pstate)[:4] },
	set: func(f *aarch64File, v []byte) {
		f.gp.pstate = f.gp.pstate&^0xffffffff | uint64(binary.LittleEndian.Uint32(v))
		f.gpDirty = true
	}}

// a64FPField is a register at off in user_fpsimd_state.
func a64FPField(name string, bits int, typ string, off int) reg[aarch64File] {
	size := bits / 8
	return reg[aarch64File]{name: name, bits: bits, typ: typ,
		get: func(f *aarch64File) []byte {
			if len(f.fp) < off+size {
				return nil
			}
			return append([]byte(nil), f.fp[off:off+size]...)
		},
		set: func(f *aarch64File, v []byte) {
			if len(f.fp) < off+size {
				return
			}
			copy(f.fp[off:off+size], v)
			f.fpDirty = true
		}}
}

var aarch64Regs = func() []reg[aarch64File] {
	var r []reg[aarch64File]
	for i := range 31 {
		r = append(r, a64GP(fmt.Sprintf("x%d", i), "int", func(g *aarch64GP) *uint64 { return &g.x[i] }))
	}
	r = append(r,
		a64GP("sp", "data_ptr", func(g *aarch64GP) *uint64 { return &g.sp }),
		a64GP("pc", "code_ptr", func(g *aarch64GP) *uint64 { return &g.pc }),
		a64CPSRReg)
	for i := range 32 {
		r = append(r, a64FPField(fmt.Sprintf("v%d", i), 128, "aarch64v", fpsimdVRegs+16*i))
	}
	return append(r,
		a64FPField("fpsr", 32, "fpsr_flags", fpsimdFPSR),
		a64FPField("fpcr", 32, "fpcr_flags", fpsimdFPCR))
}()

// loadFP reads user_fpsimd_state.
func (f *aarch64File) loadFP(st core.Stopped) error {
	buf := make([]byte, fpsimdSize)
	n, err := st.Regset(core.NoteFPRegs, buf)
	switch {
	case err != nil:
		return fmt.Errorf("floating point registers: %w", err)
	case n != fpsimdSize:
		return fmt.Errorf("floating point registers: user_fpsimd_state of %d bytes", n)
	}
	f.fp = buf
	return nil
}

// aarch64TargetXML is the target description: gdb's aarch64 core and fpu
// features (gdb/features/aarch64-core.xml, aarch64-fpu.xml), written out
// in one document.
func aarch64TargetXML() string {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>aarch64</architecture>
<osabi>GNU/Linux</osabi>
<feature name="org.gnu.gdb.aarch64.core">
<flags id="cpsr_flags" size="4">
<field name="SP" start="0" end="0"/>
<field name="EL" start="2" end="3"/>
<field name="nRW" start="4" end="4"/>
<field name="F" start="6" end="6"/>
<field name="I" start="7" end="7"/>
<field name="A" start="8" end="8"/>
<field name="D" start="9" end="9"/>
<field name="BTYPE" start="10" end="11"/>
<field name="SSBS" start="12" end="12"/>
<field name="IL" start="20" end="20"/>
<field name="SS" start="21" end="21"/>
<field name="PAN" start="22" end="22"/>
<field name="UAO" start="23" end="23"/>
<field name="DIT" start="24" end="24"/>
<field name="TCO" start="25" end="25"/>
<field name="V" start="28" end="28"/>
<field name="C" start="29" end="29"/>
<field name="Z" start="30" end="30"/>
<field name="N" start="31" end="31"/>
</flags>
`)
	writeRegElems(&sb, aarch64Regs, 0, a64FirstV)
	sb.WriteString(`</feature>
<feature name="org.gnu.gdb.aarch64.fpu">
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v2u" type="uint64" count="2"/>
<vector id="v2i" type="int64" count="2"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v4u" type="uint32" count="4"/>
<vector id="v4i" type="int32" count="4"/>
<vector id="v8f" type="ieee_half" count="8"/>
<vector id="v8u" type="uint16" count="8"/>
<vector id="v8i" type="int16" count="8"/>
<vector id="v16u" type="uint8" count="16"/>
<vector id="v16i" type="int8" count="16"/>
<vector id="v1u" type="uint128" count="1"/>
<vector id="v1i" type="int128" count="1"/>
<union id="vnd">
<field name="f" type="v2d"/>
<field name="u" type="v2u"/>
<field name="s" type="v2i"/>
</union>
<union id="vns">
<field name="f" type="v4f"/>
<field name="u" type="v4u"/>
<field name="s" type="v4i"/>
</union>
<union id="vnh">
<field name="f" type="v8f"/>
<field name="u" type="v8u"/>
<field name="s" type="v8i"/>
</union>
<union id="vnb">
<field name="u" type="v16u"/>
<field name="s" type="v16i"/>
</union>
<union id="vnq">
<field name="u" type="v1u"/>
<field name="s" type="v1i"/>
</union>
<union id="aarch64v">
<field name="d" type="vnd"/>
<field name="s" type="vns"/>
<field name="h" type="vnh"/>
<field name="b" type="vnb"/>
<field name="q" type="vnq"/>
</union>
<flags id="fpsr_flags" size="4">
<field name="IOC" start="0" end="0"/>
<field name="DZC" start="1" end="1"/>
<field name="OFC" start="2" end="2"/>
<field name="UFC" start="3" end="3"/>
<field name="IXC" start="4" end="4"/>
<field name="IDC" start="7" end="7"/>
<field name="QC" start="27" end="27"/>
<field name="V" start="28" end="28"/>
<field name="C" start="29" end="29"/>
<field name="Z" start="30" end="30"/>
<field name="N" start="31" end="31"/>
</flags>
<flags id="fpcr_flags" size="4">
<field name="FIZ" start="0" end="0"/>
<field name="AH" start="1" end="1"/>
<field name="NEP" start="2" end="2"/>
<field name="IOE" start="8" end="8"/>
<field name="DZE" start="9" end="9"/>
<field name="OFE" start="10" end="10"/>
<field name="UFE" start="11" end="11"/>
<field name="IXE" start="12" end="12"/>
<field name="IDE" start="15" end="15"/>
<field name="FZ16" start="19" end="19"/>
<field name="RMode" start="22" end="23"/>
<field name="FZ" start="24" end="24"/>
<field name="DN" start="25" end="25"/>
<field name="AHP" start="26" end="26"/>
</flags>
`)
	writeRegElems(&sb, aarch64Regs, a64FirstV, a64NumRegs)
	sb.WriteString("</feature>\n</target>\n")
	return sb.String()
}
