package gdbremote

import "github.com/utrace-bpf/utrace-bpf/core"

// On arm64 the register set is gdb's aarch64 one (regs_aarch64.go).

type regFile = aarch64File

// expedited are the registers a stop reply carries, as gdbserver's: the
// frame pointer, the stack pointer and the PC.
var expedited = []int{a64FP, a64SP, a64PC}

// newRegFile is the register file of a thread with general registers r.
func newRegFile(r *core.Registers) *regFile {
	raw := r.Raw()
	return &regFile{gp: aarch64GP{x: raw.Regs, sp: raw.Sp, pc: raw.Pc, pstate: raw.Pstate}}
}

// store writes back what set changed.
func (f *regFile) store(st core.Stopped) error {
	if f.gpDirty {
		// gp is the whole of user_pt_regs.
		var r core.Registers
		raw := r.Raw()
		raw.Regs, raw.Sp, raw.Pc, raw.Pstate = f.gp.x, f.gp.sp, f.gp.pc, f.gp.pstate
		if err := st.SetRegisters(&r); err != nil {
			return err
		}
	}
	if f.fpDirty {
		if err := st.SetRegset(core.NoteFPRegs, f.fp); err != nil {
			return err
		}
	}
	return nil
}

// layout is the register set of the machine: on arm64 every machine
// shows the same one.
type layout struct{}

// table is the layout's registers, in the order of their numbers.
func (layout) table() []reg[regFile] { return aarch64Regs }

// layoutOf is the register layout a thread shows.
func layoutOf(*regFile) layout { return layout{} }

// fpReg reports whether register n is in the floating point state.
func fpReg(n int) bool { return n >= a64FirstV }

// targetXML is the target description.
func targetXML(layout) string { return aarch64TargetXML() }
