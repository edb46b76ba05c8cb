package syscalls

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

// The engine's style of named constants (strace -X) reaches every memory
// its lines are decoded from: the kernel's copies, a stopped thread's, and
// none at all (a thread that died in a call).
func TestMemoriesCarryXlatStyle(t *testing.T) {
	s := &syscalls{xlat: sysent.XlatVerbose}
	for name, mem := range map[string]sysent.Mem{
		"regionMem": s.limited(&regionMem{}),
		"procMem":   s.limited(procMem(1)),
		"goneMem":   goneMem(s.xlat),
	} {
		st, ok := mem.(sysent.XlatStyler)
		if !ok || st.XlatStyle() != sysent.XlatVerbose {
			t.Errorf("%s: style %v (%v), want verbose", name, st, ok)
		}
	}

	// goneMem reads nothing, as no memory at all.
	openat := [6]uint64{uint64(0xffffffffffffff9c), 0x1000, unix.O_RDONLY | unix.O_CLOEXEC}
	none := string(sysent.FormatUnfinished(nil, unix.SYS_OPENAT, openat, nil))
	if got := string(sysent.FormatUnfinished(nil, unix.SYS_OPENAT, openat, goneMem(sysent.XlatAbbrev))); got != none {
		t.Errorf("goneMem: %s, no memory: %s", got, none)
	}
	want := "openat(-100, 0x1000, 0x80000 <unfinished ...>"
	if got := string(sysent.FormatUnfinished(nil, unix.SYS_OPENAT, openat, goneMem(sysent.XlatRaw))); got != want {
		t.Errorf("goneMem, raw: %s, want %s", got, want)
	}
}
