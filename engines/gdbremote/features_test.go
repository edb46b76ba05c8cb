package gdbremote

import (
	"syscall"
	"testing"
)

func TestParseCatch(t *testing.T) {
	on, set, err := parseCatch("1;1;27")
	if err != nil || !on || set == nil || !set.Has(1) || !set.Has(0x27) || set.Has(0) {
		t.Errorf("1;1;27: %v %v %v", on, set, err)
	}
	if on, set, err := parseCatch("1"); err != nil || !on || set != nil {
		t.Errorf("1: %v %v %v", on, set, err)
	}
	if on, _, err := parseCatch("0"); err != nil || on {
		t.Errorf("0: %v %v", on, err)
	}
	for _, bad := range []string{"", "2", "0;1", "1;zz", "1;200"} {
		if _, _, err := parseCatch(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDR7(t *testing.T) {
	slots := [4]hwSlot{
		{kind: drWrite, addr: 0x1000, size: 8, refs: 1},
		{},
		{kind: drExec, addr: 0x2000, size: 1, refs: 1},
		{kind: drAccess, addr: 0x3000, size: 4, refs: 2},
	}
	// slot 0: L0, RW 01, LEN 10; slot 2: L2, RW 00, LEN 00; slot 3: L3, RW 11, LEN 11.
	want := uint64(1 | 1<<4 | 1<<6 | 1<<16 | 2<<18 | 3<<28 | 3<<30)
	if got := dr7(&slots); got != want {
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
	if s.g.hw[0].addr != 0x5000 || s.g.hw[1].kind != drExec || s.g.hw[1].size != 1 {
		t.Errorf("slots %+v", s.g.hw)
	}
	if got := s.hwStopReply(s.g.hw[2]); got != "awatch:0000000000002000;" {
		t.Errorf("stop reply %q", got)
	}
	if got := s.hwStopReply(s.g.hw[1]); got != "" {
		t.Errorf("hwbreak without the feature: %q", got)
	}
}

func TestHostIOErrors(t *testing.T) {
	for err, want := range map[error]string{
		syscall.ENOENT: "F-1,2", syscall.ENAMETOOLONG: "F-1,5b", syscall.ELOOP: "F-1,270f",
	} {
		if got := fileioErr(err); got != want {
			t.Errorf("fileioErr(%v) = %q, want %q", err, got, want)
		}
	}
	s := &session{g: &stub{}}
	if got := s.hostIO("vFile:open:" + hexBytes([]byte("/proc/self/status")) + ",1,0"); got != "F-1,d" {
		t.Errorf("open for writing: %q", got)
	}
	fd := s.hostIO("vFile:open:" + hexBytes([]byte("/proc/self/status")) + ",0,0")
	if fd != "F0" {
		t.Fatalf("open: %q", fd)
	}
	if got := s.hostIO("vFile:pread:0,5,0"); got != "F5;Name:" {
		t.Errorf("pread: %q", got)
	}
	if got := s.hostIO("vFile:close:0"); got != "F0" {
		t.Errorf("close: %q", got)
	}
	if got := s.hostIO("vFile:pread:0,5,0"); got != "F-1,9" {
		t.Errorf("pread after close: %q", got)
	}
}

func TestParsePid(t *testing.T) {
	for in, want := range map[string]int{"p1a.1b": 0x1a, "p1a.0": 0x1a, "p-1.-1": 0, "1b": 0, "p1a": 0x1a} {
		if got := parsePid(in); got != want {
			t.Errorf("parsePid(%q) = %d, want %d", in, got, want)
		}
	}
}
