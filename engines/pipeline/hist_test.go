package pipeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// WriteLog2Hist prints what libbpf-tools' print_log2_hist prints for the
// same counts, character for character: rows from slot 0 to the last
// with a count, bars of 40 stars scaled to the largest count (truncated).
func TestWriteLog2Hist(t *testing.T) {
	slots := make([]uint64, 64)
	slots[0], slots[2], slots[4] = 1, 3, 7
	var b bytes.Buffer
	WriteLog2Hist(&b, slots, "usecs")
	want := "" +
		"     usecs               : count    distribution\n" +
		"         0 -> 1          : 1        |*****                                   |\n" +
		"         2 -> 3          : 0        |                                        |\n" +
		"         4 -> 7          : 3        |*****************                       |\n" +
		"         8 -> 15         : 0        |                                        |\n" +
		"        16 -> 31         : 7        |****************************************|\n"
	if b.String() != want {
		t.Errorf("got:\n%swant:\n%s", b.String(), want)
	}

	// Nothing for an empty histogram.
	b.Reset()
	WriteLog2Hist(&b, make([]uint64, 64), "nsecs")
	if b.Len() != 0 {
		t.Errorf("empty histogram printed:\n%s", b.String())
	}

	// Past slot 32 the columns widen to 20 digits and the bars halve.
	b.Reset()
	slots = make([]uint64, 64)
	slots[33], slots[63] = 2, 4
	WriteLog2Hist(&b, slots, "nsecs")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 65 {
		t.Fatalf("%d lines, want a header and 64 rows:\n%s", len(lines), b.String())
	}
	for i, want := range map[int]string{
		0:  "               nsecs                         : count    distribution",
		1:  "                   0 -> 1                    : 0        |                    |",
		34: "          8589934592 -> 17179869183          : 2        |**********          |",
		64: " 9223372036854775808 -> 18446744073709551615 : 4        |********************|",
	} {
		if lines[i] != want {
			t.Errorf("line %d:\n%q, want\n%q", i, lines[i], want)
		}
	}
}

func TestLog2Bounds(t *testing.T) {
	for _, c := range []struct {
		slot      int
		low, high uint64
	}{{0, 0, 1}, {1, 2, 3}, {10, 1024, 2047}, {20, 1 << 20, 1<<21 - 1}, {63, 1 << 63, 1<<64 - 1}} {
		if low, high := Log2Bounds(c.slot); low != c.low || high != c.high {
			t.Errorf("slot %d: %d -> %d, want %d -> %d", c.slot, low, high, c.low, c.high)
		}
	}
}

// A JSON Output writes a histogram as one object with the buckets that
// have counts; a text Output as the header line and the rows.
func TestOutputHistogram(t *testing.T) {
	slots := make([]uint64, 64)
	slots[1], slots[20] = 5, 1000
	h := Log2Hist{Name: "nanosleep", Unit: "nsecs", Slots: slots}

	var b bytes.Buffer
	o := NewOutput(&b, nil, true)
	o.Histogram("counter", "syscall", h)
	o.Histogram("counter", "syscall", Log2Hist{Name: "none", Unit: "nsecs", Slots: make([]uint64, 64)})
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want := `{"engine":"counter","histogram":"nanosleep","unit":"nsecs","buckets":[{"low":2,"high":3,"count":5},{"low":1048576,"high":2097151,"count":1000}]}` + "\n"
	if b.String() != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", b.String(), want)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Errorf("not JSON: %v", err)
	}

	b.Reset()
	o = NewOutput(&b, nil, false)
	o.Histogram("counter", "syscall", h)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	var rows bytes.Buffer
	WriteLog2Hist(&rows, slots, "nsecs")
	if want := "syscall = nanosleep\n" + rows.String(); b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
}
