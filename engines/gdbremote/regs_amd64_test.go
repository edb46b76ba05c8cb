package gdbremote

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRegisters(t *testing.T) {
	if len(regs) != numRegs {
		t.Fatalf("%d registers, want %d", len(regs), numRegs)
	}
	for n, name := range map[int]string{regRBP: "rbp", regRSP: "rsp", regRIP: "rip", regEflags: "eflags",
		firstST: "st0", firstXMM: "xmm0", regMXCSR: "mxcsr", regOrigRAX: "orig_rax", regFSBase: "fs_base"} {
		if regs[n].name != name {
			t.Errorf("register %d is %s, want %s", n, regs[n].name, name)
		}
	}
	r := &unix.PtraceRegs{Rax: 1, Rip: 0x401000, Eflags: 0x246, Cs: 0x33, Orig_rax: ^uint64(0), Gs_base: 7}
	g := encodeRegs(&regFile{gp: r}, layout{})
	if len(g) != regsGDigits {
		t.Fatalf("g reply of %d digits, want %d", len(g), regsGDigits)
	}
	if !strings.HasPrefix(g, "0100000000000000") || !strings.Contains(g, "0010400000000000"+"46020000"+"33000000") {
		t.Errorf("g reply %s", g)
	}
	var back unix.PtraceRegs
	bf := &regFile{gp: &back}
	if err := decodeRegs(bf, g, layout{}); err != nil {
		t.Fatal(err)
	}
	if back != *r {
		t.Errorf("G of g: %+v, want %+v", back, *r)
	}
	if err := decodeRegs(bf, g[:len(g)-1], layout{}); err == nil {
		t.Error("odd length accepted")
	}
	if err := decodeRegs(bf, g+"00", layout{}); err == nil {
		t.Error("too long accepted")
	}
	if err := setReg(bf, regRIP, "zz00000000000000"); err == nil {
		t.Error("bad hex accepted")
	}
	if err := setReg(bf, regRIP, "1234"); err == nil {
		t.Error("short value accepted")
	}
	if err := setReg(bf, 999, "00"); err == nil {
		t.Error("register 999 accepted")
	}
	if !strings.Contains(targetXML(layout{}), `<reg name="orig_rax" bitsize="64" type="int64" regnum="57"/>`) {
		t.Errorf("target description lacks orig_rax")
	}
	if x := targetXML(layout{avx: true}); !strings.Contains(x, `<feature name="org.gnu.gdb.i386.avx">`+"\n"+`<reg name="ymm0h" bitsize="128" type="uint128" regnum="60"/>`) {
		t.Errorf("target description lacks ymm0h:\n%s", x)
	}
}

// The x87 registers decode from the FXSAVE area as gdbserver decodes
// them, and encode back.
func TestFPRegisters(t *testing.T) {
	fx := make([]byte, xstateMinAVX)
	binary.LittleEndian.PutUint16(fx[0:], 0x37f)  // fcw
	binary.LittleEndian.PutUint16(fx[2:], 0x2800) // fsw: top 5
	fx[4] = 0xe0                                  // physical 5, 6, 7 in use
	binary.LittleEndian.PutUint16(fx[6:], 0xffff) // fop: 11 bits are gdb's
	// st0 zero, st1 pi, st2 1.0
	copy(fx[32+16:], []byte{0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40})
	copy(fx[32+32:], []byte{0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f})
	binary.LittleEndian.PutUint64(fx[xcr0Off:], 7)
	fx[ymmHiOff] = 0xab
	f := &regFile{gp: &unix.PtraceRegs{}, fp: fx, xsave: true}
	for n, want := range map[int]string{
		firstST + 1: "35c26821a2da0fc90040", firstST + 8: "7f030000", firstST + 10: "ff070000",
		firstST + 15: "ff070000", firstYMMH: "ab" + strings.Repeat("0", 30),
	} {
		if got := string(appendReg(nil, n, f)); got != want {
			t.Errorf("register %s = %s, want %s", regs[n].name, got, want)
		}
	}
	if l := layoutOf(f); !l.avx || len(encodeRegs(f, l)) != regsGDigits+16*32 {
		t.Errorf("layout %+v", l)
	}
	if err := setReg(f, firstST+10, "ff3f0000"); err != nil || fx[4] != 0x80 {
		t.Errorf("ftag write: %v, abridged %#x", err, fx[4])
	}
	if err := setReg(f, firstYMMH+1, "01"+strings.Repeat("0", 30)); err != nil || fx[ymmHiOff+16] != 1 ||
		binary.LittleEndian.Uint64(fx[xstateBVOff:])&xfeatAVX == 0 || !f.fpDirty {
		t.Errorf("ymm1h write: %v", err)
	}
	if got := appendReg(nil, firstXMM, &regFile{gp: &unix.PtraceRegs{}}); string(got) != strings.Repeat("x", 32) {
		t.Errorf("xmm0 without a floating point area: %s", got)
	}
}

func TestTargetXML(t *testing.T) {
	checkTargetXML(t, targetXML(layout{avx: true}), regs)
	checkTargetXML(t, targetXML(layout{}), regs[:layout{}.count()])
}
