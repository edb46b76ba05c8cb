package syscalls

import (
	"bytes"
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

// regionMem is a system call's memory as the kernel side copied it, when
// the kernel used it (core.Syscall.Regions): it answers the decoder's
// reads that fall in a region and fails the others, so that what was not
// copied prints as an address, as strace prints an unreadable pointer.
// Nothing is read from the process after the fact.
//
// Where two copies of the same memory exist (an entry copy and an exit
// copy), the later one that could be read wins: the kernel's outputs, or
// an input copied again at exit because its page was not resident at
// entry.
type regionMem struct {
	regions []core.Region
	// execFn is the address of an execve's file name: when it could not
	// be copied from the old image, the new image's copy serves.
	execFn  uint64
	sp      uint64 // the stack pointer at the call's entry
	resumes int    // restart_syscall: the call it resumes; -1 unknown
	// limit is strace's -s plus one; 0 for sysent's default.
	limit int
	hex   int              // strace -x (1), -xx (2)
	xlat  sysent.XlatStyle // strace -X
}

// HexStrings implements sysent.HexStringer.
func (m *regionMem) HexStrings() int { return m.hex }

// XlatStyle implements sysent.XlatStyler.
func (m *regionMem) XlatStyle() sysent.XlatStyle { return m.xlat }

// StringLimit implements sysent.StringLimiter.
func (m *regionMem) StringLimit() int {
	if m.limit == 0 {
		return defaultStringLimit
	}
	return m.limit - 1
}

// defaultStringLimit is strace's default -s.
const defaultStringLimit = 32

// StackPointer implements sysent.Stack.
func (m *regionMem) StackPointer() uint64 { return m.sp }

// Resumes implements sysent.Resumer.
func (m *regionMem) Resumes() (int, bool) { return m.resumes, m.resumes >= 0 }

var errUncopied = unix.EFAULT

// notMemory are the regions that hold something else than the thread's
// memory at their address.
const notMemory = core.RegionCount | core.RegionExecArgs | core.RegionFdPath

// FdPath implements sysent.FdPather: what the kernel side found open on
// descriptor fd at the call's entry, or (exit) at its exit.
func (m *regionMem) FdPath(fd int, exit bool) (path, name []byte, deleted, ok bool) {
	for i := range m.regions {
		r := &m.regions[i]
		if r.Flags&core.RegionFdPath == 0 || int(int32(r.Addr)) != fd || (r.Flags&core.RegionExit != 0) != exit {
			continue
		}
		deleted = r.Flags&core.RegionFdDeleted != 0
		switch {
		case r.Flags&core.RegionFdNamed != 0:
			return nil, r.Data, false, true
		case r.Flags&core.RegionFdDevice != 0:
			if j := bytes.LastIndexByte(r.Data, '<'); j >= 0 {
				return r.Data[:j], r.Data[j:], deleted, true
			}
		}
		return r.Data, nil, deleted, true
	}
	return nil, nil, false, false
}

// regionMems recycles regionMems: one in an interface would cost an
// allocation per call logged.
var regionMems = sync.Pool{New: func() any { return new(regionMem) }}

// getRegionMem returns the memory of syscall event ev, valid while ev is;
// give it back with putRegionMem.
func getRegionMem(ev *core.Event) *regionMem {
	m := regionMems.Get().(*regionMem)
	*m = regionMem{regions: ev.Syscall.Regions, sp: ev.Syscall.SP, resumes: ev.Syscall.Resumes}
	switch ev.Syscall.Nr {
	case unix.SYS_EXECVE:
		m.execFn = ev.Syscall.Args[0]
	case unix.SYS_EXECVEAT:
		m.execFn = ev.Syscall.Args[1]
	}
	return m
}

func putRegionMem(m *regionMem) {
	m.regions = nil
	regionMems.Put(m)
}

// find returns the bytes at addr of the last readable region that holds
// [addr, addr+n).
func (m *regionMem) find(addr uint64, n int) ([]byte, bool) {
	for i := len(m.regions) - 1; i >= 0; i-- {
		r := &m.regions[i]
		if r.Flags&(core.RegionFault|notMemory) != 0 || addr < r.Addr {
			continue
		}
		off := addr - r.Addr
		if off+uint64(n) <= uint64(len(r.Data)) {
			return r.Data[off : off+uint64(n)], true
		}
	}
	return nil, false
}

func (m *regionMem) Read(addr uint64, n int) ([]byte, error) {
	if b, ok := m.find(addr, n); ok {
		return b, nil
	}
	return nil, errUncopied
}

func (m *regionMem) ReadString(addr uint64, max int) ([]byte, bool, error) {
	for i := len(m.regions) - 1; i >= 0; i-- {
		r := &m.regions[i]
		if r.Addr != addr || r.Flags&core.RegionString == 0 || r.Flags&(core.RegionFault|core.RegionFdPath) != 0 {
			continue
		}
		trunc := r.Flags&core.RegionTruncated != 0
		if len(r.Data) > max {
			return r.Data[:max], true, nil
		}
		return r.Data, trunc, nil
	}
	// A string inside copied memory (a name in a struct, say).
	for i := len(m.regions) - 1; i >= 0; i-- {
		r := &m.regions[i]
		if r.Flags&(core.RegionFault|notMemory|core.RegionString) != 0 ||
			addr < r.Addr || addr >= r.Addr+uint64(len(r.Data)) {
			continue
		}
		b := r.Data[addr-r.Addr:]
		if j := bytes.IndexByte(b, 0); j >= 0 {
			b = b[:j]
			if len(b) > max {
				return b[:max], true, nil
			}
			return b, false, nil
		}
	}
	if addr == m.execFn && addr != 0 {
		for i := range m.regions {
			if r := &m.regions[i]; r.Flags&core.RegionExecFn != 0 && r.Flags&core.RegionFault == 0 {
				if len(r.Data) > max {
					return r.Data[:max], true, nil
				}
				return r.Data, false, nil
			}
		}
	}
	return nil, false, errUncopied
}

// ReadEntry implements sysent.EntryReader: the copy made at the call's entry.
func (m *regionMem) ReadEntry(addr uint64, n int) ([]byte, error) {
	for i := range m.regions {
		r := &m.regions[i]
		if r.Flags&(core.RegionFault|notMemory|core.RegionExit) != 0 || addr < r.Addr {
			continue
		}
		if off := addr - r.Addr; off+uint64(n) <= uint64(len(r.Data)) {
			return r.Data[off : off+uint64(n)], nil
		}
	}
	return nil, errUncopied
}

// Count implements sysent.Counter: arrays the kernel side counted.
func (m *regionMem) Count(addr uint64) (n int, exact bool, ok bool) {
	for i := range m.regions {
		r := &m.regions[i]
		if r.Addr == addr && r.Flags&core.RegionCount != 0 && len(r.Data) >= 4 {
			return int(binary.LittleEndian.Uint32(r.Data)), r.Flags&core.RegionTruncated == 0, true
		}
	}
	return 0, false, false
}

// Argv implements sysent.ArgvReader: an execve's arguments as the new
// image got them, when the old image's array could not be read.
func (m *regionMem) Argv(addr uint64) ([][]byte, bool, bool) {
	if m.execFn == 0 {
		return nil, false, false
	}
	for i := range m.regions {
		r := &m.regions[i]
		if r.Flags&core.RegionExecArgs == 0 || r.Flags&core.RegionFault != 0 {
			continue
		}
		data := bytes.TrimSuffix(r.Data, []byte{0})
		return bytes.Split(data, []byte{0}), r.Flags&core.RegionTruncated != 0, true
	}
	return nil, false, false
}
