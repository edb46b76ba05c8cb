package loader

import (
	"bytes"
	"fmt"
	"testing"
)

// Records go through chunks and the stage whole and in order, and a full
// chunk refuses a record rather than cut it.
func TestStageOrder(t *testing.T) {
	st := newStage()
	var want [][]byte
	go func() {
		c := getChunk()
		for i := range 20000 {
			rec := bytes.Repeat([]byte{byte(i)}, 1+i%200)
			if !c.add(rec) {
				st.push(c)
				c = getChunk()
				if !c.add(rec) {
					panic("a record does not fit an empty chunk")
				}
			}
			c.pos = uint64(i)
		}
		c.drained = true
		st.push(c)
		st.close()
	}()
	for i := range 20000 {
		want = append(want, bytes.Repeat([]byte{byte(i)}, 1+i%200))
	}
	var got [][]byte
	var last *chunk
	for c := st.pop(); c != nil; c = st.pop() {
		c.each(func(b []byte) { got = append(got, bytes.Clone(b)) })
		last = c
	}
	if len(got) != len(want) {
		t.Fatalf("%d records out, %d in", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: %s, want %s", i, short(got[i]), short(want[i]))
		}
	}
	if last == nil || !last.drained || last.pos != 19999 {
		t.Errorf("last chunk %+v: want the drained one at position 19999", last)
	}
}

func short(b []byte) string { return fmt.Sprintf("%d×%#x", len(b), b[0]) }
