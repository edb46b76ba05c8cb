package sysent

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestQuote(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"hello\n", `"hello\n"`},
		{"tab\there", `"tab\there"`},
		{"nul\x00", `"nul\0"`},
		{"\x00" + "1", `"\0001"`}, // next byte is an octal digit: three digits
		{"\x00" + "8", `"\08"`},   // 8 is not an octal digit
		{"\xff", `"\377"`},
		{"\x1b[0m", `"\33[0m"`},
		{"\x7f", `"\177"`},
		{`q"b\s`, `"q\"b\\s"`},
		{"\r\v\f", `"\r\v\f"`},
		{"é", `"\303\251"`},
	}
	for _, c := range cases {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := string(appendQuoted(nil, []byte{0x0a, 0xff}, true)); got != `"\x0a\xff"` {
		t.Errorf("hex quote = %s", got)
	}
}

func TestOctal(t *testing.T) {
	for v, want := range map[uint64]string{0: "000", 4: "004", 0o22: "022", 0o644: "0644", 0o4755: "04755", 0o7: "007", 0o10: "010"} {
		if got := string(appendOctal(nil, v)); got != want {
			t.Errorf("appendOctal(%o) = %s, want %s", v, got, want)
		}
	}
}

func TestErrnoAndSignalNames(t *testing.T) {
	for e, want := range map[unix.Errno][2]string{
		unix.ENOENT: {"ENOENT", "No such file or directory"},
		unix.EAGAIN: {"EAGAIN", "Resource temporarily unavailable"},
		unix.EPERM:  {"EPERM", "Operation not permitted"},
		unix.EIO:    {"EIO", "Input/output error"},
		35:          {"EDEADLK", "Resource deadlock avoided"},
		95:          {"EOPNOTSUPP", "Operation not supported"},
		512:         {"ERESTARTSYS", "To be restarted if SA_RESTART is set"},
		41:          {"", "Unknown error 41"},
		9999:        {"", "Unknown error 9999"},
	} {
		if n, m := ErrnoName(e), ErrnoMessage(e); n != want[0] || m != want[1] {
			t.Errorf("errno %d: %q (%q), want %q (%q)", e, n, m, want[0], want[1])
		}
	}
	for sig, want := range map[int]string{0: "0", 1: "SIGHUP", 9: "SIGKILL", 10: "SIGUSR1", 17: "SIGCHLD", 29: "SIGIO", 31: "SIGSYS", 32: "SIGRTMIN", 33: "SIGRT_1", 64: "SIGRT_32", 65: "65", -3: "-3"} {
		if got := SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", sig, got, want)
		}
	}
}
