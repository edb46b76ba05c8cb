package gdbremote

import "testing"

// arm64 has no hardware points here: every Z1-Z4 gets the empty reply
// and leaves nothing to write into the threads.
func TestNoHWPoints(t *testing.T) {
	s := &session{g: &stub{}}
	for _, typ := range []byte{'1', '2', '3', '4'} {
		for _, insert := range []bool{true, false} {
			if got := s.hwPoint(insert, typ, 0x1000, 4); got != "" {
				t.Errorf("hwPoint(%v, %c) = %q, want the empty reply", insert, typ, got)
			}
		}
	}
	if s.g.usesHW() || len(s.g.hw) != 0 {
		t.Errorf("slots %+v", s.g.hw)
	}
}
