package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Log2Hist is a log2 histogram in an engine's summary, such as the
// counter engine's histogram of a system call's durations.
type Log2Hist struct {
	Name string // what the values are of, e.g. a system call's name
	Unit string // the values' unit, e.g. "nsecs"
	// Slots are the counts: slot i counts the values v with
	// 2^i <= v < 2^(i+1), slot 0 also v = 0 (the buckets of BCC's
	// bpf_log2l, core.Histogram's).
	Slots []uint64
}

// Log2Bounds returns the least and the greatest value slot i of a
// Log2Hist counts.
func Log2Bounds(i int) (low, high uint64) {
	if i == 0 {
		return 0, 1
	}
	low = 1 << i
	return low, low | (low - 1)
}

// WriteLog2Hist writes slots as libbpf-tools' print_log2_hist prints a
// log2 histogram (BCC's funclatency, biolatency): a header naming unit,
// then one row per slot up to the last that is not empty, with the
// slot's bounds, its count and a bar of stars scaled to the largest
// count. It writes nothing when every slot is empty.
func WriteLog2Hist(w io.Writer, slots []uint64, unit string) {
	last := -1
	var most uint64
	for i, v := range slots {
		if v > 0 {
			last = i
		}
		most = max(most, v)
	}
	if last < 0 {
		return
	}
	// The columns widen when the bounds no longer fit 10 digits (past
	// slot 32), and the bars shorten to keep the rows within 80 columns.
	pad, unitWidth, width, stars := 5, 19, 10, 40
	if last > 32 {
		pad, unitWidth, width, stars = 15, 29, 20, 20
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%*s%-*s : count    distribution\n", pad, "", unitWidth, unit)
	for i := 0; i <= last; i++ {
		low, high := Log2Bounds(i)
		n := int(slots[i] * uint64(stars) / most)
		fmt.Fprintf(&b, "%*d -> %-*d : %-8d |%s%s|\n", width, low, width, high, slots[i],
			strings.Repeat("*", n), strings.Repeat(" ", stars-n))
	}
	w.Write(b.Bytes())
}

// Histogram writes h as part of engine's summary: in text mode the rows
// WriteLog2Hist prints, after a line "KEY = NAME" naming h (as
// libbpf-tools' tools name theirs: "disk = sda"), each a summary line; in JSON mode one object,
// {"engine":..., "histogram":NAME, "unit":UNIT, "buckets":[{"low":L,
// "high":H, "count":N}, ...]} with the slots that are not empty, while the
// record sinks get the text lines as summary lines. Nothing is written for
// a histogram whose every slot is empty.
func (o *Output) Histogram(engine, key string, h Log2Hist) {
	var text bytes.Buffer
	WriteLog2Hist(&text, h.Slots, h.Unit)
	if text.Len() == 0 {
		return
	}
	lines := strings.Split(strings.TrimSuffix(key+" = "+h.Name+"\n"+text.String(), "\n"), "\n")
	if !o.json {
		for _, line := range lines {
			o.Text(engine, line)
		}
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.scratch[:0]
	b = append(b, `{"engine":`...)
	b = appendJSONString(b, engine)
	b = append(b, `,"histogram":`...)
	b = appendJSONString(b, h.Name)
	b = append(b, `,"unit":`...)
	b = appendJSONString(b, h.Unit)
	b = append(b, `,"buckets":[`...)
	first := true
	for i, n := range h.Slots {
		if n == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		low, high := Log2Bounds(i)
		b = append(b, `{"low":`...)
		b = strconv.AppendUint(b, low, 10)
		b = append(b, `,"high":`...)
		b = strconv.AppendUint(b, high, 10)
		b = append(b, `,"count":`...)
		b = strconv.AppendUint(b, n, 10)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	for _, s := range o.sinks {
		for _, line := range lines {
			s.Summary(engine, line)
		}
	}
	o.scratch = b
	o.queue(b)
}
