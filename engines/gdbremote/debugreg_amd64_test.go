package gdbremote

import "testing"

func TestDR7(t *testing.T) {
	slots := []hwSlot{
		{kind: hwWrite, addr: 0x1000, size: 8, refs: 1},
		{},
		{kind: hwExec, addr: 0x2000, size: 1, refs: 1},
		{kind: hwAccess, addr: 0x3000, size: 4, refs: 2},
	}
	// slot 0: L0, RW 01, LEN 10; slot 2: L2, RW 00, LEN 00; slot 3: L3, RW 11, LEN 11.
	want := uint64(1 | 1<<4 | 1<<6 | 1<<16 | 2<<18 | 3<<28 | 3<<30)
	if got := dr7(slots); got != want {
		t.Errorf("dr7 = %#x, want %#x", got, want)
	}
}

func TestHWPoints(t *testing.T) {
	s := &session{g: &stub{}}
	for _, c := range []struct {
		insert bool
		typ    byte
		addr   uint64
		size   uint64
		want   string
	}{
		{true, '2', 0x1000, 8, "OK"},
		{true, '2', 0x1000, 8, "OK"}, // the same point again
		{true, '3', 0x1000, 8, ""},   // read watchpoints: not supported
		{true, '4', 0x1003, 4, errBadPacket},
		{true, '4', 0x1000, 3, errBadPacket},
		{true, '1', 0x4001, 9, "OK"}, // the kind of Z1 is not a length
		{true, '4', 0x2000, 2, "OK"},
		{true, '2', 0x3000, 1, "OK"},
		{true, '2', 0x5000, 1, errState}, // four in use
		{false, '2', 0x1000, 8, "OK"},
		{false, '2', 0x1000, 8, "OK"},
		{false, '2', 0x1000, 8, "OK"},
		{true, '2', 0x5000, 1, "OK"},
	} {
		if got := s.hwPoint(c.insert, c.typ, c.addr, c.size); got != c.want {
			t.Errorf("hwPoint(%v, %c, %#x, %d) = %q, want %q", c.insert, c.typ, c.addr, c.size, got, c.want)
		}
	}
	if s.g.hw[0].addr != 0x5000 || s.g.hw[1].kind != hwExec || s.g.hw[1].size != 1 {
		t.Errorf("slots %+v", s.g.hw)
	}
	if got := s.hwStopReply(s.g.hw[2]); got != "awatch:0000000000002000;" {
		t.Errorf("stop reply %q", got)
	}
	if got := s.hwStopReply(s.g.hw[1]); got != "" {
		t.Errorf("hwbreak without the feature: %q", got)
	}
}
