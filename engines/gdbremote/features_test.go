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
