package gdbremote

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, s string) []packet {
	t.Helper()
	r := bufio.NewReader(strings.NewReader(s))
	var out []packet
	for {
		p, err := readPacket(r, time.Second, nil)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, p)
	}
}

func TestReadPacket(t *testing.T) {
	ps := read(t, "+$qSupported:xmlRegisters=i386#c1+\x03-junk$X10,3:}]}\x03}\x04#2d")
	if len(ps) != 4 {
		t.Fatalf("got %+v", ps)
	}
	if ps[0].data != "qSupported:xmlRegisters=i386" || ps[0].bad {
		t.Errorf("packet 0: %+v", ps[0])
	}
	if !ps[1].interrupt || !ps[2].nak {
		t.Errorf("interrupt and nak: %+v %+v", ps[1], ps[2])
	}
	if ps[3].data != "X10,3:}#$" || ps[3].bad {
		t.Errorf("escaped binary: %+v", ps[3])
	}
	// A bad checksum, and a packet a new '$' cut short.
	ps = read(t, "$g#00$m1$m10,2#2c")
	if len(ps) != 2 || !ps[0].bad || ps[1].data != "m10,2" || ps[1].bad {
		t.Errorf("got %+v", ps)
	}
}

func TestReadPacketErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{"$qSupp", io.ErrUnexpectedEOF},
		{"$g#6", io.ErrUnexpectedEOF},
		{"$" + strings.Repeat("A", maxPacket+1), errTooLong},
	} {
		_, err := readPacket(bufio.NewReader(strings.NewReader(c.in)), time.Second, nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%.20q: got %v, want %v", c.in, err, c.want)
		}
	}
	ps := read(t, "$g#zz")
	if len(ps) != 1 || !ps[0].bad {
		t.Errorf("bad checksum digits: %+v", ps)
	}
}

func TestFrame(t *testing.T) {
	for data, want := range map[string]string{
		"OK":   "$OK#9a",
		"":     "$#00",
		"a$b":  "$a}\x04b#44",
		"}#*x": "$}]}\x03}\nx#59",
	} {
		if got := string(frame([]byte(data))); got != want {
			t.Errorf("frame(%q) = %q, want %q", data, got, want)
		}
		// What frame writes reads back as the same data.
		ps := read(t, string(frame([]byte(data))))
		if len(ps) != 1 || ps[0].bad || ps[0].data != data {
			t.Errorf("round trip of %q: %+v", data, ps)
		}
	}
}

func TestParseThreadID(t *testing.T) {
	for in, want := range map[string]int{"p1a.1b": 0x1b, "1b": 0x1b, "-1": -1, "0": 0, "p1a.-1": -1, "p1a": -1, "p0.0": 0} {
		got, err := parseThreadID(in)
		if err != nil || got != want {
			t.Errorf("parseThreadID(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "p", "pzz.1", "p1.zz", "x", "-2", "ffffffffff"} {
		if _, err := parseThreadID(in); err == nil {
			t.Errorf("parseThreadID(%q) accepted", in)
		}
	}
}

func TestSignals(t *testing.T) {
	for host, gdb := range map[int]int{2: 2, 5: 5, 10: 30, 12: 31, 17: 20, 19: 17, 11: 11, 34: 46, 32: 77, 64: 78} {
		if got := toGDB(host); got != gdb {
			t.Errorf("toGDB(%d) = %d, want %d", host, got, gdb)
		}
		if got := fromGDB(gdb); got != host {
			t.Errorf("fromGDB(%d) = %d, want %d", gdb, got, host)
		}
	}
	if fromGDB(gdbUnknown) != 0 || toGDB(16) != gdbUnknown {
		t.Errorf("unknown signals")
	}
}

func TestXfer(t *testing.T) {
	data := []byte("0123456789")
	for _, c := range []struct {
		off, n uint64
		want   string
	}{{0, 4, "m0123"}, {8, 4, "l89"}, {0, 10, "l0123456789"}, {10, 4, "l"}, {99, 1, "l"}} {
		if got := xferSlice(data, c.off, c.n); got != c.want {
			t.Errorf("xferSlice(%d, %d) = %q, want %q", c.off, c.n, got, c.want)
		}
	}
}
