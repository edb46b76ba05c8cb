package loader

import (
	"encoding/binary"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// FuzzDecode feeds arbitrary ring-buffer records to the decoder: it must
// never panic or read past a record, whatever its type word and length say.
func FuzzDecode(f *testing.F) {
	rec := func(typ uint32, n int) []byte {
		b := make([]byte, n)
		binary.LittleEndian.PutUint32(b[offType:], typ)
		binary.LittleEndian.PutUint32(b[offTid:], 42)
		return b
	}
	for typ := uint32(0); typ < nrEvents; typ++ {
		for _, n := range []int{recHdrLen, recSyscallLen, recSyscallLen + recRegionLen + 8, recCloneLen, recExecLen, recExitLen, recSignalLen, recJctlLen} {
			f.Add(rec(typ, n))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < recHdrLen {
			return // handle counts these as malformed before decoding
		}
		typ := binary.LittleEndian.Uint32(b[offType:])
		if typ >= nrEvents {
			return
		}
		var ev core.Event
		if decode(b, typ, &ev) && ev.Type != core.Events(1)<<typ {
			t.Errorf("decoded type %v from type word %d", ev.Type, typ)
		}
	})
}
