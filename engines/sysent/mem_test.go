package sysent

import (
	"encoding/binary"
	"errors"
)

// fakeMem is a sparse address space for tests: a few regions, each a
// byte slice at a base address. Reads that leave a region fail, like
// reads of unmapped memory in a real process.
type fakeMem struct {
	regions map[uint64][]byte
}

func newMem() *fakeMem { return &fakeMem{regions: map[uint64][]byte{}} }

var errFault = errors.New("fault")

func (m *fakeMem) find(addr uint64) ([]byte, bool) {
	for base, data := range m.regions {
		if addr >= base && addr < base+uint64(len(data)) {
			return data[addr-base:], true
		}
	}
	return nil, false
}

func (m *fakeMem) Read(addr uint64, n int) ([]byte, error) {
	data, ok := m.find(addr)
	if !ok || len(data) < n {
		return nil, errFault
	}
	return data[:n:n], nil
}

func (m *fakeMem) ReadString(addr uint64, max int) ([]byte, bool, error) {
	data, ok := m.find(addr)
	if !ok {
		return nil, false, errFault
	}
	for i, c := range data {
		if c == 0 {
			return data[:i], false, nil
		}
		if i == max {
			return data[:max], true, nil
		}
	}
	return nil, false, errFault // ran off the region without a NUL
}

// put stores raw bytes at addr and returns addr, for chaining into args.
func (m *fakeMem) put(addr uint64, b []byte) uint64 {
	m.regions[addr] = b
	return addr
}

// str stores a NUL-terminated string.
func (m *fakeMem) str(addr uint64, s string) uint64 {
	return m.put(addr, append([]byte(s), 0))
}

// words stores little-endian 64-bit words.
func (m *fakeMem) words(addr uint64, ws ...uint64) uint64 {
	b := make([]byte, 8*len(ws))
	for i, w := range ws {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return m.put(addr, b)
}

// u32s stores little-endian 32-bit words.
func (m *fakeMem) u32s(addr uint64, ws ...uint32) uint64 {
	b := make([]byte, 4*len(ws))
	for i, w := range ws {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return m.put(addr, b)
}

// le16/le32/le64 build structure images.
func le16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func le32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func le64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// resumerMem is a fakeMem that knows the call a restart_syscall resumes.
type resumerMem struct {
	*fakeMem
	nr int
}

func (m resumerMem) Resumes() (int, bool) { return m.nr, m.nr >= 0 }
