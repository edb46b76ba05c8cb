package gdbremote

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The layouts gdbserver describes, each as it numbers its registers.
var (
	baseLayout   = layout{}
	avxLayout    = layout{avx: true}
	avx512Layout = layout{avx: true, avx512: true}
	allLayout    = layout{avx: true, avx512: true, pkeys: true}
)

func TestRegisters(t *testing.T) {
	for l, want := range map[layout]map[int]string{
		baseLayout: {regRBP: "rbp", regRSP: "rsp", regRIP: "rip", regEflags: "eflags", firstST: "st0",
			firstXMM: "xmm0", regMXCSR: "mxcsr", regOrigRAX: "orig_rax", regFSBase: "fs_base", 59: "gs_base"},
		avxLayout:                {60: "ymm0h", 75: "ymm15h"},
		avx512Layout:             {76: "xmm16", 91: "xmm31", 92: "ymm16h", 108: "k0", 115: "k7", 116: "zmm0h", 132: "zmm16h", 147: "zmm31h"},
		allLayout:                {148: "pkru"},
		{avx: true, pkeys: true}: {76: "pkru"},
		{pkeys: true}:            {60: "pkru"},
	} {
		table := l.table()
		for n, name := range want {
			if n >= len(table) || table[n].name != name {
				t.Errorf("layout %+v: register %d is not %s", l, n, name)
			}
		}
		for _, n := range expedited {
			if table[n].name != baseLayout.table()[n].name {
				t.Errorf("layout %+v numbers expedited register %d differently", l, n)
			}
		}
	}
	for l, n := range map[layout]int{baseLayout: numBaseRegs, avxLayout: 76, avx512Layout: 148, allLayout: 149} {
		if got := len(l.table()); got != n {
			t.Errorf("layout %+v: %d registers, want %d", l, got, n)
		}
	}
	r := &unix.PtraceRegs{Rax: 1, Rip: 0x401000, Eflags: 0x246, Cs: 0x33, Orig_rax: ^uint64(0), Gs_base: 7}
	g := encodeRegs(&regFile{gp: r}, baseLayout)
	if len(g) != regsGDigits {
		t.Fatalf("g reply of %d digits, want %d", len(g), regsGDigits)
	}
	if !strings.HasPrefix(g, "0100000000000000") || !strings.Contains(g, "0010400000000000"+"46020000"+"33000000") {
		t.Errorf("g reply %s", g)
	}
	var back unix.PtraceRegs
	bf := &regFile{gp: &back}
	if err := decodeRegs(bf, g, baseLayout); err != nil {
		t.Fatal(err)
	}
	if back != *r {
		t.Errorf("G of g: %+v, want %+v", back, *r)
	}
	if err := decodeRegs(bf, g[:len(g)-1], baseLayout); err == nil {
		t.Error("odd length accepted")
	}
	if err := decodeRegs(bf, g+"00", baseLayout); err == nil {
		t.Error("too long accepted")
	}
	if err := setReg(bf, baseLayout, regRIP, "zz00000000000000"); err == nil {
		t.Error("bad hex accepted")
	}
	if err := setReg(bf, baseLayout, regRIP, "1234"); err == nil {
		t.Error("short value accepted")
	}
	if err := setReg(bf, baseLayout, numBaseRegs, strings.Repeat("0", 32)); err == nil {
		t.Error("a register past the layout accepted")
	}
	if !strings.Contains(targetXML(baseLayout), `<reg name="orig_rax" bitsize="64" type="int64" regnum="57"/>`) {
		t.Errorf("target description lacks orig_rax")
	}
	if x := targetXML(avxLayout); !strings.Contains(x, `<feature name="org.gnu.gdb.i386.avx">`+"\n"+`<reg name="ymm0h" bitsize="128" type="uint128" regnum="60"/>`) {
		t.Errorf("target description lacks ymm0h:\n%s", x)
	}
	if x := targetXML(avx512Layout); !strings.Contains(x, `<reg name="k0" bitsize="64" type="uint64" regnum="108"/>`) ||
		!strings.Contains(x, `<reg name="zmm31h" bitsize="256" type="v2ui128" regnum="147"/>`) || strings.Contains(x, "pkru") {
		t.Errorf("AVX-512 target description:\n%s", x)
	}
}

// The x87 registers decode from the FXSAVE area as gdbserver decodes
// them, and encode back.
func TestFPRegisters(t *testing.T) {
	fx := make([]byte, xsaveHdrEnd+16*16)
	binary.LittleEndian.PutUint16(fx[0:], 0x37f)  // fcw
	binary.LittleEndian.PutUint16(fx[2:], 0x2800) // fsw: top 5
	fx[4] = 0xe0                                  // physical 5, 6, 7 in use
	binary.LittleEndian.PutUint16(fx[6:], 0xffff) // fop: 11 bits are gdb's
	// st0 zero, st1 pi, st2 1.0
	copy(fx[32+16:], []byte{0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40})
	copy(fx[32+32:], []byte{0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f})
	binary.LittleEndian.PutUint64(fx[xcr0Off:], 7)
	fx[xsaveHdrEnd] = 0xab
	f := &regFile{gp: &unix.PtraceRegs{}, fp: fx, xsave: true, format: &intelXSave}
	for n, want := range map[int]string{
		firstST + 1: "35c26821a2da0fc90040", firstST + 8: "7f030000", firstST + 10: "ff070000",
		firstST + 15: "ff070000", numBaseRegs: "ab" + strings.Repeat("0", 30),
	} {
		if got := string(appendReg(nil, avxLayout, n, f)); got != want {
			t.Errorf("register %s = %s, want %s", avxLayout.table()[n].name, got, want)
		}
	}
	if l := layoutOf(f); l != avxLayout || len(encodeRegs(f, l)) != regsGDigits+16*32 {
		t.Errorf("layout %+v", l)
	}
	if err := setReg(f, avxLayout, firstST+10, "ff3f0000"); err != nil || fx[4] != 0x80 {
		t.Errorf("ftag write: %v, abridged %#x", err, fx[4])
	}
	if err := setReg(f, avxLayout, numBaseRegs+1, "01"+strings.Repeat("0", 30)); err != nil || fx[xsaveHdrEnd+16] != 1 ||
		binary.LittleEndian.Uint64(fx[xstateBVOff:])&(1<<xcompAVX) == 0 || !f.fpDirty {
		t.Errorf("ymm1h write: %v", err)
	}
	if got := appendReg(nil, baseLayout, firstXMM, &regFile{gp: &unix.PtraceRegs{}}); string(got) != strings.Repeat("x", 32) {
		t.Errorf("xmm0 without a floating point area: %s", got)
	}
	// An FXSAVE area has the x87 and SSE registers only.
	fxsave := &regFile{gp: &unix.PtraceRegs{}, fp: fx[:fxsaveSize], format: &intelXSave}
	if l := layoutOf(fxsave); l != baseLayout {
		t.Errorf("FXSAVE area: layout %+v", l)
	}
	if got := string(appendReg(nil, avxLayout, numBaseRegs, fxsave)); got != strings.Repeat("x", 32) {
		t.Errorf("ymm0h from an FXSAVE area: %s", got)
	}
}

// The standard format's offsets as Intel's processors (with room for MPX
// and PKRU) and AMD's (without MPX) report them in CPUID leaf 0xD.
var (
	intelXSave = xsaveFormat{off: [numXComp]int{xcompAVX: 576, xcompOpmask: 1088, xcompZMMHi256: 1152,
		xcompHi16ZMM: 1664, xcompPKRU: 2688}}
	amdXSave = xsaveFormat{off: [numXComp]int{xcompAVX: 576, xcompOpmask: 832, xcompZMMHi256: 896,
		xcompHi16ZMM: 1408, xcompPKRU: 2432}}
)

// xsaveArea is a synthetic XSAVE area of size bytes, its XCR0 xcr0, with
// each AVX-512 and PKRU byte numbered after its place in its component,
// so that a register read from the wrong place shows it.
func xsaveArea(format *xsaveFormat, xcr0 uint64, size int) []byte {
	a := make([]byte, size)
	for _, c := range []int{xcompOpmask, xcompZMMHi256, xcompHi16ZMM, xcompPKRU} {
		off := format.off[c]
		for i := 0; off != 0 && i < xcompSize[c] && off+i < size; i++ {
			a[off+i] = byte(c<<5) ^ byte(i) ^ byte(i>>8)
		}
	}
	binary.LittleEndian.PutUint64(a[xcr0Off:], xcr0)
	return a
}

// regByName is the value of the register called name in layout l of f.
func regByName(t *testing.T, l layout, f *regFile, name string) (int, string) {
	t.Helper()
	for n, rg := range l.table() {
		if rg.name == name {
			return n, string(appendReg(nil, l, n, f))
		}
	}
	t.Fatalf("layout %+v has no %s", l, name)
	return 0, ""
}

// byteHex is the hex of count bytes numbered from i as xsaveArea numbers
// component c's.
func byteHex(c, i, count int) string {
	var b []byte
	for j := i; j < i+count; j++ {
		b = append(b, byte(c<<5)^byte(j)^byte(j>>8))
	}
	return hexBytes(b)
}

// The layout and the AVX-512 registers follow XCR0 and the processor's
// offsets, and the area's length.
func TestXSaveLayouts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format *xsaveFormat
		xcr0   uint64
		size   int
		want   layout
	}{
		{"AVX", &intelXSave, 0x7, 832, avxLayout},
		{"AVX on a processor with AVX-512 the kernel left off", &amdXSave, 0x7, 832, avxLayout},
		{"AMD AVX-512", &amdXSave, 0xe7, 2432, avx512Layout},
		{"AMD AVX-512 and PKRU", &amdXSave, 0x2e7, 2440, allLayout},
		{"Intel AVX-512", &intelXSave, 0xe7, 2688, avx512Layout},
		{"Intel AVX-512 and PKRU", &intelXSave, 0x2e7, 2696, allLayout},
		{"Intel PKRU without AVX-512", &xsaveFormat{off: [numXComp]int{xcompAVX: 576, xcompPKRU: 2688}}, 0x207, 2696,
			layout{avx: true, pkeys: true}},
		{"an area too short for Hi16_ZMM", &amdXSave, 0xe7, 1408, avxLayout},
		{"no offsets from CPUID", &xsaveFormat{}, 0xe7, 2432, baseLayout},
		{"SSE only", &intelXSave, 0x3, 576, baseLayout},
	} {
		f := &regFile{gp: &unix.PtraceRegs{}, fp: xsaveArea(tc.format, tc.xcr0, tc.size), xsave: true, format: tc.format}
		l := layoutOf(f)
		if l != tc.want {
			t.Errorf("%s: layout %+v, want %+v", tc.name, l, tc.want)
			continue
		}
		g := encodeRegs(f, l)
		if strings.Contains(g, "x") {
			t.Errorf("%s: g reply with unavailable registers: %s", tc.name, g)
		}
		if err := decodeRegs(f, g, l); err != nil || encodeRegs(f, l) != g {
			t.Errorf("%s: G of g: %v", tc.name, err)
		}
		// The G marked every component written; start over.
		binary.LittleEndian.PutUint64(f.fp[xstateBVOff:], 0)
		f.fpDirty = false
		if l.pkeys {
			if _, v := regByName(t, l, f, "pkru"); v != byteHex(xcompPKRU, 0, 4) {
				t.Errorf("%s: pkru = %s", tc.name, v)
			}
		}
		if !l.avx512 {
			continue
		}
		for name, want := range map[string]string{
			"k1":     byteHex(xcompOpmask, 8, 8),
			"zmm0h":  byteHex(xcompZMMHi256, 0, 32),
			"zmm15h": byteHex(xcompZMMHi256, 15*32, 32),
			"xmm16":  byteHex(xcompHi16ZMM, 0, 16),
			"ymm17h": byteHex(xcompHi16ZMM, 64+16, 16),
			"zmm16h": byteHex(xcompHi16ZMM, 32, 32),
			"zmm31h": byteHex(xcompHi16ZMM, 15*64+32, 32),
		} {
			if _, v := regByName(t, l, f, name); v != want {
				t.Errorf("%s: %s = %s, want %s", tc.name, name, v, want)
			}
		}
		// A write lands in its component and marks it in use.
		n, _ := regByName(t, l, f, "k3")
		if err := setReg(f, l, n, "0102030405060708"); err != nil {
			t.Fatal(err)
		}
		k3 := tc.format.off[xcompOpmask] + 3*8
		if got := hexBytes(f.fp[k3 : k3+8]); got != "0102030405060708" ||
			binary.LittleEndian.Uint64(f.fp[xstateBVOff:]) != 1<<xcompOpmask || !f.fpDirty {
			t.Errorf("%s: k3 write: %s, XSTATE_BV %#x", tc.name, got, binary.LittleEndian.Uint64(f.fp[xstateBVOff:]))
		}
		n, _ = regByName(t, l, f, "zmm30h")
		if err := setReg(f, l, n, strings.Repeat("ee", 32)); err != nil {
			t.Fatal(err)
		}
		z30 := tc.format.off[xcompHi16ZMM] + 14*64 + 32
		if f.fp[z30] != 0xee || f.fp[z30+31] != 0xee || f.fp[z30-1] == 0xee || f.fp[z30+32] == 0xee ||
			binary.LittleEndian.Uint64(f.fp[xstateBVOff:])&(1<<xcompHi16ZMM) == 0 {
			t.Errorf("%s: zmm30h write", tc.name)
		}
	}
}

// The processor's own offsets are where the standard format can put
// them: past the header, apart, within the size CPUID gives for the
// whole area, AVX where every processor has it, and AVX-512's three
// components all there when the processor supports AVX-512.
func TestHostXSave(t *testing.T) {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 0xd {
		t.Skip("no CPUID leaf 0xD")
	}
	supported, _, maxSize, _ := cpuid(0xd, 0)
	format := hostXSave()
	type span struct{ c, from, to int }
	var spans []span
	for c, off := range format.off {
		if off == 0 {
			if supported&(1<<c) != 0 && xcompSize[c] != 0 {
				t.Errorf("component %d supported, but no offset", c)
			}
			continue
		}
		if supported&(1<<c) == 0 {
			t.Errorf("component %d at %d, but not supported", c, off)
		}
		spans = append(spans, span{c, off, off + xcompSize[c]})
	}
	for i, a := range spans {
		if a.from < xsaveHdrEnd || a.to > int(maxSize) {
			t.Errorf("component %d at %d-%d, outside %d-%d", a.c, a.from, a.to, xsaveHdrEnd, maxSize)
		}
		for _, b := range spans[i+1:] {
			if a.from < b.to && b.from < a.to {
				t.Errorf("components %d and %d overlap", a.c, b.c)
			}
		}
	}
	if off := format.off[xcompAVX]; off != 0 && off != 576 {
		t.Errorf("AVX at %d", off)
	}
	t.Logf("CPUID leaf 0xD: components %#x, offsets %v", supported, format.off)
}

func TestTargetXML(t *testing.T) {
	for i := range tables {
		l := layout{avx: i&1 != 0, avx512: i&2 != 0, pkeys: i&4 != 0}
		if l.index() != i {
			t.Fatalf("layout %+v has index %d, want %d", l, l.index(), i)
		}
		checkTargetXML(t, targetXML(l), l.table())
	}
}

// gdb takes each layout's description without a warning, with every
// register of the table, and makes the pseudo registers a feature brings
// (ymm0 from i386.avx, zmm31 from i386.avx512).
func TestTargetXMLInGDB(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb not installed")
	}
	for _, l := range []layout{baseLayout, avxLayout, avx512Layout, allLayout} {
		path := filepath.Join(t.TempDir(), "target.xml")
		if err := os.WriteFile(path, []byte(targetXML(l)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(gdb, "-nx", "-batch", "-ex", "set tdesc filename "+path, "-ex", "maint print registers").CombinedOutput()
		if err != nil || strings.Contains(string(out), "warning") {
			t.Fatalf("layout %+v: gdb: %v\n%s", l, err, out)
		}
		names := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^ (\w+) +\d+ `).FindAllStringSubmatch(string(out), -1) {
			names[m[1]] = true
		}
		for _, rg := range l.table() {
			if !names[rg.name] {
				t.Errorf("layout %+v: gdb lacks %s", l, rg.name)
			}
		}
		if names["ymm0"] != l.avx || names["zmm31"] != l.avx512 {
			t.Errorf("layout %+v: gdb's pseudo registers ymm0 %v, zmm31 %v", l, names["ymm0"], names["zmm31"])
		}
	}
}
