package loader

// RingFill returns how many bytes of records wait in the ring buffer for
// the reader, and the ring's size: how close the kernel is to losing
// records. It returns 0, 0 after Close.
func (l *Loader) RingFill() (used, size int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rd == nil || l.closed {
		return 0, 0
	}
	return l.rd.AvailableBytes(), l.rd.BufferSize()
}
