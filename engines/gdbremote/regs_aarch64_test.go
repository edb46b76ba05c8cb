package gdbremote

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
)

func TestAarch64Registers(t *testing.T) {
	if len(aarch64Regs) != a64NumRegs {
		t.Fatalf("%d registers, want %d", len(aarch64Regs), a64NumRegs)
	}
	// gdb's AARCH64_*_REGNUM.
	for n, name := range map[int]string{0: "x0", a64FP: "x29", 30: "x30", a64SP: "sp", a64PC: "pc",
		a64CPSR: "cpsr", a64FirstV: "v0", a64FirstV + 31: "v31", a64FPSR: "fpsr", a64FPCR: "fpcr"} {
		if aarch64Regs[n].name != name {
			t.Errorf("register %d is %s, want %s", n, aarch64Regs[n].name, name)
		}
	}
	f := &aarch64File{gp: aarch64GP{sp: 0x7ffffff0, pc: 0x400100, pstate: 0xab_6000_1000}}
	f.gp.x[0], f.gp.x[29] = 1, 0x7ffffff8
	g := encodeRegsOf(aarch64Regs, f)
	const gpDigits = 33*16 + 8
	if want := gpDigits + 32*32 + 2*8; len(g) != want {
		t.Fatalf("g reply of %d digits, want %d", len(g), want)
	}
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0100000000000000"}, {a64FP, "f8ffff7f00000000"}, {a64SP, "f0ffff7f00000000"},
		{a64PC, "0001400000000000"}, {a64CPSR, "00100060"},
	} {
		if got := string(appendRegOf(nil, &aarch64Regs[c.n], f)); got != c.want {
			t.Errorf("%s = %s, want %s", aarch64Regs[c.n].name, got, c.want)
		}
	}
	if !strings.HasSuffix(g, strings.Repeat("x", 32*32+16)) {
		t.Errorf("FP/SIMD registers without user_fpsimd_state are not unavailable: %s", g[gpDigits:])
	}

	back := &aarch64File{gp: aarch64GP{pstate: 0xab_0000_0000}}
	if err := decodeRegsOf(aarch64Regs, back, g); err != nil {
		t.Fatal(err)
	}
	if back.gp != f.gp || !back.gpDirty || back.fpDirty {
		t.Errorf("G of g: %+v, want %+v", back.gp, f.gp)
	}
	// cpsr is pstate's low half; a write keeps the rest.
	if err := setRegOf(aarch64Regs, back, a64CPSR, "00000080"); err != nil || back.gp.pstate != 0xab_8000_0000 {
		t.Errorf("cpsr write: %v, pstate %#x", err, back.gp.pstate)
	}
	if err := setRegOf(aarch64Regs, back, a64PC, "0001"); err == nil {
		t.Error("short value accepted")
	}
	if err := setRegOf(aarch64Regs, back, a64NumRegs, "00000000"); err == nil {
		t.Errorf("register %d accepted", a64NumRegs)
	}
}

func TestAarch64FPRegisters(t *testing.T) {
	fp := make([]byte, fpsimdSize)
	fp[16*1] = 0x42                                      // v1's low byte
	fp[16*31+15] = 0x80                                  // v31's high byte
	binary.LittleEndian.PutUint32(fp[fpsimdFPSR:], 0x10) // IXC
	binary.LittleEndian.PutUint32(fp[fpsimdFPCR:], 3<<22)
	f := &aarch64File{fp: fp}
	for n, want := range map[int]string{
		a64FirstV + 1: "42" + strings.Repeat("0", 30), a64FirstV + 31: strings.Repeat("0", 30) + "80",
		a64FPSR: "10000000", a64FPCR: "0000c000",
	} {
		if got := string(appendRegOf(nil, &aarch64Regs[n], f)); got != want {
			t.Errorf("%s = %s, want %s", aarch64Regs[n].name, got, want)
		}
	}
	if err := setRegOf(aarch64Regs, f, a64FirstV+2, "ff"+strings.Repeat("0", 28)+"01"); err != nil ||
		fp[32] != 0xff || fp[47] != 1 || !f.fpDirty || f.gpDirty {
		t.Errorf("v2 write: %v, % x", err, fp[32:48])
	}
	if err := setRegOf(aarch64Regs, f, a64FPCR, "00000001"); err != nil || fp[fpsimdFPCR+3] != 1 {
		t.Errorf("fpcr write: %v", err)
	}
}

// fpsimdStopped is a thread whose NT_PRFPREG holds size bytes of 0x5a.
type fpsimdStopped struct {
	core.Stopped
	size int
}

func (s fpsimdStopped) Regset(note int, p []byte) (int, error) {
	if note != core.NoteFPRegs {
		return 0, errors.New("no such register set")
	}
	for i := range min(s.size, len(p)) {
		p[i] = 0x5a
	}
	return min(s.size, len(p)), nil
}

func TestAarch64LoadFP(t *testing.T) {
	f := &aarch64File{}
	if err := f.loadFP(fpsimdStopped{size: fpsimdSize}); err != nil || len(f.fp) != 528 || f.fp[527] != 0x5a {
		t.Errorf("loadFP: %v, %d bytes", err, len(f.fp))
	}
	if err := (&aarch64File{}).loadFP(fpsimdStopped{size: 512}); err == nil {
		t.Error("a short user_fpsimd_state accepted")
	}
}

func TestAarch64TargetXML(t *testing.T) {
	x := aarch64TargetXML()
	checkTargetXML(t, x, aarch64Regs)
	for _, want := range []string{
		"<architecture>aarch64</architecture>",
		`<feature name="org.gnu.gdb.aarch64.core">`,
		`<feature name="org.gnu.gdb.aarch64.fpu">`,
		`<reg name="sp" bitsize="64" type="data_ptr" regnum="31"/>`,
		`<reg name="cpsr" bitsize="32" type="cpsr_flags" regnum="33"/>`,
		`<reg name="v0" bitsize="128" type="aarch64v" regnum="34"/>`,
		`<reg name="fpcr" bitsize="32" type="fpcr_flags" regnum="67"/>`,
	} {
		if !strings.Contains(x, want) {
			t.Errorf("target description lacks %s", want)
		}
	}
	// The core feature holds x0-cpsr, the fpu feature the rest.
	core, fpu, _ := strings.Cut(x, `<feature name="org.gnu.gdb.aarch64.fpu">`)
	if !strings.Contains(core, `name="cpsr"`) || strings.Contains(core, `name="v0"`) || !strings.Contains(fpu, `name="fpsr"`) {
		t.Error("registers in the wrong feature")
	}
}

// gdb reads the description as the register set of its own aarch64
// target: the same registers, numbers, offsets, sizes and types.
func TestAarch64TargetXMLInGDB(t *testing.T) {
	gdb, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		t.Skip("gdb-multiarch not installed")
	}
	path := filepath.Join(t.TempDir(), "target.xml")
	if err := os.WriteFile(path, []byte(aarch64TargetXML()), 0o644); err != nil {
		t.Fatal(err)
	}
	registers := func(set string) string {
		out, err := exec.Command(gdb, "-nx", "-batch", "-ex", set, "-ex", "maint print registers").CombinedOutput()
		if err != nil {
			t.Fatalf("gdb %s: %v\n%s", set, err, out)
		}
		// The table, without what set printed before it.
		_, table, _ := strings.Cut(string(out), " Name ")
		return table
	}
	ours, builtin := registers("set tdesc filename "+path), registers("set architecture aarch64")
	if !strings.Contains(ours, " x0 ") || ours != builtin {
		t.Errorf("gdb's registers from the description:\n%s\nits own aarch64 ones:\n%s", ours, builtin)
	}
}
