package gdbremote

import "sync"

// The XSAVE area's layout. The kernel's NT_X86_XSTATE regset is the area
// in the standard (non-compacted) format: the legacy FXSAVE region, the
// 64-byte XSAVE header, then each state component at the offset CPUID
// leaf 0xD reports for it. Those offsets are the processor's, not the
// architecture's: Intel leaves room for MPX before the AVX-512
// components (opmask at 1088), AMD does not (opmask at 832). gdbserver 13
// assumes Intel's; this server asks the processor, as the kernel does.

// XSAVE state components: their numbers, which are also their bits in
// XCR0 and in the header's XSTATE_BV.
const (
	xcompX87      = 0
	xcompSSE      = 1
	xcompAVX      = 2 // the upper halves of ymm0-15
	xcompOpmask   = 5 // k0-7
	xcompZMMHi256 = 6 // the upper halves of zmm0-15
	xcompHi16ZMM  = 7 // zmm16-31
	xcompPKRU     = 9
	numXComp      = 10
)

// xcompSize is the size of each component this server shows, as the
// architecture fixes it; 0 for the others.
var xcompSize = [numXComp]int{
	xcompAVX:      16 * 16,
	xcompOpmask:   8 * 8,
	xcompZMMHi256: 16 * 32,
	xcompHi16ZMM:  16 * 64,
	xcompPKRU:     8,
}

// Fixed places in the area.
const (
	fxsaveSize  = 512
	xcr0Off     = 464 // where Linux leaves XCR0 in the FXSAVE region's software-reserved bytes
	xstateBVOff = 512 // the XSAVE header's XSTATE_BV
	xsaveHdrEnd = 576 // the first byte past the header, where the components start
)

// xsaveFormat is where the standard format puts each component: the
// offset CPUID gives for it, 0 for a component the processor lacks or
// this server does not show.
type xsaveFormat struct{ off [numXComp]int }

// hostXSave is the running processor's format.
var hostXSave = sync.OnceValue(func() *xsaveFormat {
	var f xsaveFormat
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 0xd {
		return &f
	}
	for c := xcompAVX; c < numXComp; c++ {
		// A sub-leaf gives the component's size in EAX, its offset in
		// EBX, and in ECX bit 0 whether it is a supervisor component,
		// which has no place in the standard format.
		size, off, flags, _ := cpuid(0xd, uint32(c))
		if xcompSize[c] != 0 && int(size) == xcompSize[c] && flags&1 == 0 {
			f.off[c] = int(off)
		}
	}
	return &f
})

// cpuid executes CPUID (cpuid_amd64.s).
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
