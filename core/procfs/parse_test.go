package procfs

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// A stat line of a zombie whose command name is "a) b": the fields after
// it are found past the last ')'.
const zombieStat = "4242 (a) b) Z 1 4242 4242 0 -1 4227084 0 0 0 0 0 0 0 0 20 -5 1 0 143183 0 0 " +
	"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	s, err := parseStat([]byte(zombieStat))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{Pid: 4242, Comm: "a) b", State: 'Z', Ppid: 1, Flags: 4227084, Nice: -5}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if !s.Dead() || s.Kernel() {
		t.Errorf("Dead %v, Kernel %v: want a dead user task", s.Dead(), s.Kernel())
	}
	kthread := "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 18446744073709551615"
	if s, err := parseStat([]byte(kthread)); err != nil || !s.Kernel() || s.Dead() || s.Comm != "kthreadd" {
		t.Errorf("kthreadd: %+v, %v", s, err)
	}
	for _, bad := range []string{
		"",
		"4242 a) S 1",                   // no '('
		"4242 (a S 1 2 3 4 5 6 7 8 9",   // no ')'
		"4242 (a) S 1 4242 4242 0 -1\n", // fields missing
		"x (a) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0",
		"4242 (a) SS 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0",
		"4242 (a) S 1 4242 4242 0 -1 flags 0 0 0 0 0 0 0 0 20 0",
	} {
		if s, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("%q: parsed as %+v", bad, s)
		}
	}
}

const status = "Name:\ta) b\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4243\n" +
	"TracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nSigPnd:\t0000000000000100\n" +
	"SigCgt:\tfffffffe7ffbfeff\nCapEff:\t000001ffffffffff\nSeccomp:\t2\n"

func TestStatusFields(t *testing.T) {
	s := Status(status)
	if v, ok := s.Field("State"); !ok || v != "S (sleeping)" {
		t.Errorf("State %q, %v", v, ok)
	}
	for name, want := range map[string]int{"Tgid": 4242, "Pid": 4243, "TracerPid": 0, "Uid": 1000, "Seccomp": 2} {
		if n, err := s.Int(name); err != nil || n != want {
			t.Errorf("%s: %d, %v; want %d", name, n, err, want)
		}
	}
	for name, want := range map[string]uint64{"SigPnd": 1 << 8, "SigCgt": 0xfffffffe7ffbfeff, "CapEff": 1<<41 - 1} {
		if n, err := s.Mask(name); err != nil || n != want {
			t.Errorf("%s: %#x, %v; want %#x", name, n, err, want)
		}
	}
	// A name is matched whole: "Pid" is not "TracerPid", "Tgi" nothing.
	if _, err := s.Int("Tgi"); !errors.Is(err, ErrNoField) {
		t.Errorf("Tgi: %v, want ErrNoField", err)
	}
	if _, ok := s.Field("NSpid"); ok {
		t.Error("NSpid found in a status without it")
	}
	if _, err := s.Int("Name"); err == nil || errors.Is(err, ErrNoField) {
		t.Errorf("Name as a number: %v, want a syntax error", err)
	}
	if _, err := Status(nil).Mask("SigIgn"); !errors.Is(err, ErrNoField) {
		t.Errorf("empty status: %v, want ErrNoField", err)
	}
}

func TestParseSyscall(t *testing.T) {
	s, err := parseSyscall([]byte("0 0x3 0x7fb9231ac000 0x20000 0x7fb92323cb60 0xffffffff 0x0 0x7ffff235a248 0x7fb9233252ad\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Syscall{Nr: 0, Args: [6]uint64{3, 0x7fb9231ac000, 0x20000, 0x7fb92323cb60, 0xffffffff, 0}, SP: 0x7ffff235a248, PC: 0x7fb9233252ad}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if s.Reads(3) != (unix.SYS_READ == 0) || s.Reads(4) {
		t.Errorf("%+v: Reads(3) %v, Reads(4) %v", s, s.Reads(3), s.Reads(4))
	}
	if s, err := parseSyscall([]byte("-1 0x7ffd0 0x401000\n")); err != nil || s != (Syscall{Nr: -1, SP: 0x7ffd0, PC: 0x401000}) {
		t.Errorf("blocked outside a call: %+v, %v", s, err)
	}
	if s, err := parseSyscall([]byte("running\n")); err != nil || !s.Running || s.Nr != -1 {
		t.Errorf("running: %+v, %v", s, err)
	}
	for _, bad := range []string{"", "0 0x3 0x0", "-1 0x1", "read 0x0 0x0", "0 0x3 0 0 0 0 0 0 0 0"} {
		if s, err := parseSyscall([]byte(bad)); err == nil {
			t.Errorf("%q: parsed as %+v", bad, s)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	text := "22 27 0:21 / /proc rw,relatime - proc proc rw\n" +
		"36 25 0:31 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - cgroup2 cgroup2 rw\n" +
		"40 22 8:1 /srv/a\\040b /mnt/my\\040dir rw - ext4 /dev/sda1 rw\n" +
		"garbage without the separator\n" +
		"41 22 0:5 / - tracefs\n" // too few fields before the separator
	got := parseMountinfo(text)
	want := []Mount{
		{Root: "/", Point: "/proc", FSType: "proc", Source: "proc"},
		{Root: "/", Point: "/sys/fs/cgroup", FSType: "cgroup2", Source: "cgroup2"},
		{Root: "/srv/a b", Point: "/mnt/my dir", FSType: "ext4", Source: "/dev/sda1"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if u := unescape(`a\134b\0`); u != `a\b\0` {
		t.Errorf("unescape: %q", u)
	}
}

func TestParseMaps(t *testing.T) {
	text := "55d0c0a00000-55d0c0a21000 r-xp 00002000 08:01 1234                       /usr/bin/my cat\n" +
		"7ffd9430e000-7ffd94310000 rw-p 00000000 00:00 0 \n" +
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n" +
		"7ffd94312000-7ffd94314000 r-xp 00000000 00:00 0                          [vdso]\n"
	got, err := parseMaps(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{
		{Start: 0x55d0c0a00000, End: 0x55d0c0a21000, Perms: "r-xp", Offset: 0x2000, Path: "/usr/bin/my cat"},
		{Start: 0x7ffd9430e000, End: 0x7ffd94310000, Perms: "rw-p"},
		{Start: 0x7f0000000000, End: 0x7f0000001000, Perms: "rw-p"},
		{Start: 0x7ffd94312000, End: 0x7ffd94314000, Perms: "r-xp", Path: "[vdso]"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if !got[0].Exec() || got[1].Exec() {
		t.Error("Exec is wrong")
	}
	for _, bad := range []string{"55d0c0a00000 r-xp 0 08:01 1 /x\n", "zz-1 r-xp 0 08:01 1 /x\n", "1-2 r-xp\n"} {
		if _, err := parseMaps(bad); err == nil {
			t.Errorf("%q: parsed", bad)
		}
	}
}

func TestPath(t *testing.T) {
	for _, c := range []struct {
		d    Dir
		file string
		want string
	}{
		{Process(42), "stat", "/proc/42/stat"},
		{Process(42), "", "/proc/42"},
		{Thread(42, 43), "status", "/proc/42/task/43/status"},
		{Self, "fd/3", "/proc/self/fd/3"},
		{Self, "mountinfo", "/proc/self/mountinfo"},
	} {
		if got := c.d.Path(c.file); got != c.want {
			t.Errorf("%+v.Path(%q) = %q, want %q", c.d, c.file, got, c.want)
		}
	}
}
