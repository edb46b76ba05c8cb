package core

import (
	"sync"
	"sync/atomic"
)

// Breakpoint shadows. A debugger engine that writes an int3 into a
// process's code leaves a byte there that the program never had, and that
// no other engine should see: a disassembler, a stack walker, a decoder of
// the bytes at rip. The engine records the byte it replaced with Shadow;
// then the Stopped of every Examine on a thread of that process shows the
// recorded byte in ReadMemory, and WriteMemory keeps the int3 in memory
// and records the written byte instead, so a later Unshadow gives the
// engine the byte to put back. The engine that owns the int3 writes it
// before Shadow and restores the byte after Unshadow, so its own writes
// reach memory.

// shadowTable is the tracer's record of shadowed bytes.
type shadowTable struct {
	n  atomic.Int64 // how many bytes are shadowed: Examine's fast path
	mu sync.Mutex
	m  map[int]map[uint64]byte // tgid → address → the byte the program has there
}

// Shadow records that addr in process tgid holds a breakpoint byte over
// orig, the program's own byte, which Examine shows in its place.
func (t *Tracer) Shadow(tgid int, addr uint64, orig byte) {
	s := &t.shadows
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[int]map[uint64]byte{}
	}
	p := s.m[tgid]
	if p == nil {
		p = map[uint64]byte{}
		s.m[tgid] = p
	}
	if _, ok := p[addr]; !ok {
		s.n.Add(1)
	}
	p[addr] = orig
}

// Unshadow ends the shadow of addr in process tgid and returns the byte to
// restore there: the one Shadow recorded, or the last one an engine wrote
// since. ok is false if addr was not shadowed.
func (t *Tracer) Unshadow(tgid int, addr uint64) (orig byte, ok bool) {
	s := &t.shadows
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.m[tgid]
	if orig, ok = p[addr]; ok {
		delete(p, addr)
		s.n.Add(-1)
		if len(p) == 0 {
			delete(s.m, tgid)
		}
	}
	return orig, ok
}

// Shadows returns the shadowed bytes of process tgid, by address: what a
// child forked with a copy of the memory must get back.
func (t *Tracer) Shadows(tgid int) map[uint64]byte {
	s := &t.shadows
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint64]byte, len(s.m[tgid]))
	for a, b := range s.m[tgid] {
		out[a] = b
	}
	return out
}

// ForgetShadows drops the shadows of process tgid, whose memory is gone:
// it exec'd or exited.
func (t *Tracer) ForgetShadows(tgid int) {
	s := &t.shadows
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n.Add(-int64(len(s.m[tgid])))
	delete(s.m, tgid)
}

// shadowed wraps fn's Stopped with the shadows of process tgid, when
// there are any.
func (t *Tracer) shadowed(tgid int, fn func(Stopped) error) func(Stopped) error {
	if t.shadows.n.Load() == 0 {
		return fn
	}
	return func(st Stopped) error { return fn(&shadowStopped{Stopped: st, t: &t.shadows, tgid: tgid}) }
}

// shadowStopped is a Stopped whose memory shows shadowed bytes.
type shadowStopped struct {
	Stopped
	t    *shadowTable
	tgid int
}

func (s *shadowStopped) ReadMemory(addr uintptr, p []byte) (int, error) {
	n, err := s.Stopped.ReadMemory(addr, p)
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	for a, b := range s.t.m[s.tgid] {
		if a >= uint64(addr) && a < uint64(addr)+uint64(n) {
			p[a-uint64(addr)] = b
		}
	}
	return n, err
}

func (s *shadowStopped) WriteMemory(addr uintptr, p []byte) (int, error) {
	s.t.mu.Lock()
	var q []byte
	shadow := s.t.m[s.tgid]
	for a := range shadow {
		if a >= uint64(addr) && a < uint64(addr)+uint64(len(p)) {
			if q == nil {
				q = append([]byte(nil), p...)
			}
			// The breakpoint byte stays; the program's byte is
			// the one written.
			var cur [1]byte
			if n, _ := s.Stopped.ReadMemory(uintptr(a), cur[:]); n == 1 {
				q[a-uint64(addr)] = cur[0]
				shadow[a] = p[a-uint64(addr)]
			}
		}
	}
	s.t.mu.Unlock()
	if q == nil {
		q = p
	}
	return s.Stopped.WriteMemory(addr, q)
}
