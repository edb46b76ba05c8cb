package loader

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The stage is the queue between the ring buffer and the handling of its
// records. One goroutine (the drainer) copies records out of the ring as
// soon as they are there, which costs a memory copy each; another (the
// handler) decodes them and calls the engines, which costs a hundred
// times more. A burst that the handler cannot keep up with waits in the
// stage, in memory that exists only while the burst lasts, instead of in
// a ring buffer big enough for the worst burst, which would be mapped, in
// full and twice, for the whole run. The stage is bounded (stageMax):
// beyond it the drainer stops draining, the ring fills and the kernel
// counts what it drops, as it would without a stage.

// stageChunkSize is the size of one chunk of staged records.
const stageChunkSize = 256 << 10

// stageMax bounds the bytes of records staged at once.
const stageMax = 256 << 20

// A chunk is a run of records copied from the ring, each one preceded by
// its length (4 bytes, little endian) and padded to 8, and the ring
// position up to which the ring had been consumed once the last of them
// was copied.
type chunk struct {
	buf []byte
	pos uint64
	// drained marks the chunk that ends a drain: the ring was empty
	// after its last record, and Flush callers may be woken.
	drained bool
	mapped  bool // buf is an anonymous mapping, not Go memory
}

// freeChunks keeps a few chunks for reuse; the others are unmapped.
var freeChunks = make(chan *chunk, 16)

// getChunk returns an empty chunk. Chunks' memory is mapped, not
// allocated: a drainer that allocated 256 KiB while the garbage collector
// marks would have to help mark in proportion (an assist), just when a
// burst makes it allocate.
func getChunk() *chunk {
	select {
	case c := <-freeChunks:
		return c
	default:
	}
	mem, err := unix.Mmap(-1, 0, stageChunkSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return &chunk{buf: make([]byte, 0, stageChunkSize)}
	}
	return &chunk{buf: mem[:0], mapped: true}
}

// add appends record b, reporting false (adding nothing) when the chunk
// has no room for it. (Records are at most SCRATCH_BUF bytes, far less
// than a chunk.)
func (c *chunk) add(b []byte) bool {
	need := (4 + len(b) + 7) &^ 7
	if len(c.buf)+need > cap(c.buf) {
		return false
	}
	n := len(c.buf)
	c.buf = c.buf[:n+need]
	le.PutUint32(c.buf[n:], uint32(len(b)))
	copy(c.buf[n+4:], b)
	return true
}

// each calls f with each record of the chunk.
func (c *chunk) each(f func([]byte)) {
	for off := 0; off+4 <= len(c.buf); {
		n := int(le.Uint32(c.buf[off:]))
		f(c.buf[off+4 : off+4+n])
		off += (4 + n + 7) &^ 7
	}
}

// putChunk gives back a chunk whose records have been handled.
func putChunk(c *chunk) {
	c.buf, c.pos, c.drained = c.buf[:0], 0, false
	select {
	case freeChunks <- c:
	default:
		if c.mapped {
			// It fails only for what getChunk did not map.
			_ = unix.Munmap(c.buf[:cap(c.buf)])
		}
	}
}

// stage is the queue of chunks from the drainer to the handler: a
// channel, whose send takes no lock that parks while there is room. A
// drainer that parked (on a mutex the handler holds) would need another
// of the process's threads, at its ordinary priority and behind every
// busy traced thread for a CPU, to hand it back its own: tens of
// milliseconds in which the ring fills.
type stage struct {
	ch   chan *chunk
	peak atomic.Int64 // the most chunks ever staged at once
}

func newStage() *stage {
	return &stage{ch: make(chan *chunk, stageMax/stageChunkSize)}
}

// push queues c, waiting while the stage is full.
func (s *stage) push(c *chunk) {
	s.ch <- c
	if n := int64(len(s.ch)); n > s.peak.Load() {
		s.peak.Store(n)
	}
}

// pop returns the next chunk, waiting for one; nil once the stage is
// closed and empty.
func (s *stage) pop() *chunk {
	return <-s.ch
}

// close ends the stage: pop returns what is left, then nil. Only the
// drainer, which pushes, closes it.
func (s *stage) close() { close(s.ch) }

// peakBytes returns about the most bytes staged at once so far.
func (s *stage) peakBytes() int { return int(s.peak.Load()) * stageChunkSize }
