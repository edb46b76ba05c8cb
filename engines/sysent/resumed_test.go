package sysent

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A call shown unfinished and then resumed prints, between its two lines,
// exactly the whole line's arguments, as strace splits them: the inputs
// at entry, the rest at exit (strace -f's "[pid N] read(0,  <unfinished
// ...>" ... "[pid N] <... read resumed>"hello\n", 64) = 6").
func TestFormatResumed(t *testing.T) {
	m := newMem()
	buf := m.put(0x2000, []byte("hello\n"))
	fds := m.u32s(0x3000, 3, 4)
	path := m.str(0x4000, "/tmp/fifo")
	for _, c := range []struct {
		name       string
		nr         int
		args       [6]uint64
		ret        int64
		unfinished string
		resumed    string
	}{
		{"read", unix.SYS_READ, [6]uint64{0, buf, 64}, 6,
			`read(0,  <unfinished ...>`, padded(`<... read resumed>"hello\n", 64)`, "6")},
		{"write", unix.SYS_WRITE, [6]uint64{1, buf, 6}, 6,
			`write(1, "hello\n", 6 <unfinished ...>`, padded(`<... write resumed>)`, "6")},
		// An output argument first: nothing but the name at entry.
		{"pipe2", unix.SYS_PIPE2, [6]uint64{fds, 0}, 0,
			`pipe2( <unfinished ...>`, padded(`<... pipe2 resumed>[3, 4], 0)`, "0")},
		{"openat", unix.SYS_OPENAT, [6]uint64{uint64(0xffffff9c), path, unix.O_RDONLY}, 3,
			`openat(AT_FDCWD, "/tmp/fifo", O_RDONLY <unfinished ...>`, padded(`<... openat resumed>)`, "3")},
	} {
		un := string(FormatUnfinished(nil, c.nr, c.args, m))
		if un != c.unfinished {
			t.Errorf("%s: unfinished %q, want %q", c.name, un, c.unfinished)
		}
		re := string(FormatResumed(nil, c.nr, c.args, c.ret, true, m))
		if re != c.resumed {
			t.Errorf("%s: resumed %q, want %q", c.name, re, c.resumed)
		}
		// The two halves make the whole line.
		joined := strings.Join(strings.Fields(strings.TrimSuffix(un, Unfinished)+re[strings.Index(re, ">")+1:]), " ")
		want := strings.Join(strings.Fields(string(FormatLine(nil, c.nr, c.args, c.ret, m))), " ")
		if joined != want {
			t.Errorf("%s: halves make %q, the line is %q", c.name, joined, want)
		}
	}
}

// A call the thread died in after it was shown unfinished: strace's
// "<... read resumed> <unfinished ...>) = ?", without the mark when the
// entry showed every argument.
func TestFormatResumedDied(t *testing.T) {
	if got, want := string(FormatResumed(nil, unix.SYS_READ, [6]uint64{0, 0x2000, 64}, 0, false, nil)),
		padded(`<... read resumed> <unfinished ...>)`, "?"); got != want {
		t.Errorf("read: %q, want %q", got, want)
	}
	if got, want := string(FormatResumed(nil, unix.SYS_WRITE, [6]uint64{1, 0x2000, 6}, 0, false, nil)),
		padded(`<... write resumed>)`, "?"); got != want {
		t.Errorf("write: %q, want %q", got, want)
	}
}

// padded is line with its return value in strace's column: '=' at 40.
func padded(line, ret string) string {
	return fmt.Sprintf("%-39s = %s", line, ret)
}
