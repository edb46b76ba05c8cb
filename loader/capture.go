package loader

import (
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// The capture table: what of each system call's memory the programs copy
// for threads whose flags have Capture. It is made from package sysabi,
// the one table of the system call ABI, when the loader loads: the BPF
// programs have no table of their own.

// capSpecs returns the BPF capture table made from sysabi.
func capSpecs() ([syscallMax]utraceCapSpec, error) {
	var specs [syscallMax]utraceCapSpec
	for nr := range syscallMax {
		sp := &specs[nr]
		if i, ok := sysabi.PathArg(nr); ok {
			sp.PathArg = uint8(i + 1)
		}
		sp.FdArgs = sysabi.FdArgs(nr)
		sp.FdRet = uint8(sysabi.FdResultOf(nr))
		for _, c := range sysabi.Captures(nr) {
			item := utraceCapItem{How: uint8(c.How), Arg: c.Arg, Aux: c.Aux, CondArg: condNone, Size: c.Size, Max: c.Max}
			if c.Cond != nil {
				item.CondArg, item.CondMask, item.CondVal = c.Cond.Arg, c.Cond.Mask, c.Cond.Val
			}
			n := &sp.Nentry
			items := &sp.Entry
			switch c.At {
			case sysabi.Exit:
				n, items = &sp.Nexit, &sp.Exit
			case sysabi.Interrupted:
				if c.Cond != nil {
					return specs, fmt.Errorf("system call %d (%s): a capture at interruption cannot have a condition", nr, sysabi.Name(nr))
				}
				item.CondArg = condIntr
				n, items = &sp.Nexit, &sp.Exit
			}
			if int(*n) == capItems {
				return specs, fmt.Errorf("system call %d (%s): more than %d captures at %v", nr, sysabi.Name(nr), capItems, c.At)
			}
			items[*n] = item
			*n++
		}
	}
	return specs, nil
}

// fillCapSpecs writes the capture table into the map the programs read.
func fillCapSpecs(m *ebpf.Map) error {
	specs, err := capSpecs()
	if err != nil {
		return fmt.Errorf("capture table: %w", err)
	}
	keys := make([]uint32, syscallMax)
	for i := range keys {
		keys[i] = uint32(i)
	}
	if _, err := m.BatchUpdate(keys, specs[:], nil); err != nil {
		// Batch updates of arrays came in 5.6; fall back to one by one.
		for i := range specs {
			if err := m.Update(uint32(i), &specs[i], ebpf.UpdateAny); err != nil {
				return fmt.Errorf("capture table: %w", err)
			}
		}
	}
	return nil
}
