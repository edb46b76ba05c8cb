package sysent

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// fdMem is a fakeMem that knows what descriptors are open on: at the
// call's entry, and at its exit.
type fdMem struct {
	*fakeMem
	entry, exit map[int]fdName
}

type fdName struct {
	path, name string
	deleted    bool
}

func (m fdMem) FdPath(fd int, exit bool) ([]byte, []byte, bool, bool) {
	names := m.entry
	if exit {
		names = m.exit
	}
	n, ok := names[fd]
	return []byte(n.path), []byte(n.name), n.deleted, ok
}

// strace -y's forms, as strace 6.1 prints them.
func TestFdPaths(t *testing.T) {
	mem := fdMem{fakeMem: newMem(),
		entry: map[int]fdName{
			3: {path: "/etc/hosts"}, 4: {name: "pipe:[77]"}, 5: {path: "/tmp/a<b\tc"},
			6: {path: "/tmp/gone", deleted: true}, 7: {path: "/dev/null", name: "<char 1:3>"},
			unix.AT_FDCWD: {path: "/tmp"}},
		exit: map[int]fdName{3: {path: "/etc/hosts"}, 8: {name: "pipe:[9]"}, 9: {name: "pipe:[9]"}, 10: {path: "/etc/hosts"}},
	}
	pair := make([]byte, 8)
	binary.LittleEndian.PutUint32(pair, 8)
	binary.LittleEndian.PutUint32(pair[4:], 9)
	mem.regions[0x1000] = pair
	mem.regions[0x2000] = []byte("/etc/hosts\x00")
	nr := sysabi.MustNumber
	for _, c := range []struct {
		name string
		got  string
		want string
	}{
		{"read", line(nr("read"), [6]uint64{3, 0x3000, 10}, -int64(unix.EFAULT), NoPath, mem), `read(3</etc/hosts>, 0x3000, 10) = -1 EFAULT (Bad address)`},
		{"openat", line(nr("openat"), [6]uint64{uint64(atFDCWD), 0x2000, 0}, 3, NoPath, mem),
			`openat(AT_FDCWD</tmp>, "/etc/hosts", O_RDONLY) = 3</etc/hosts>`},
		{"failed openat", line(nr("openat"), [6]uint64{uint64(atFDCWD), 0x2000, 0}, -2, NoPath, mem),
			`openat(AT_FDCWD</tmp>, "/etc/hosts", O_RDONLY) = -1 ENOENT (No such file or directory)`},
		{"escaped", line(nr("close"), [6]uint64{5}, 0, NoPath, mem), `close(5</tmp/a\74b\tc>) = 0`},
		{"deleted", line(nr("close"), [6]uint64{6}, 0, NoPath, mem), `close(6</tmp/gone>(deleted)) = 0`},
		{"device", line(nr("close"), [6]uint64{7}, 0, NoPath, mem), `close(7</dev/null<char 1:3>>) = 0`},
		{"unknown", line(nr("close"), [6]uint64{11}, 0, NoPath, mem), `close(11) = 0`},
		{"pipe2", line(nr("pipe2"), [6]uint64{0x1000, 0}, 0, NoPath, mem), `pipe2([8<pipe:[9]>, 9<pipe:[9]>], 0) = 0`},
		{"dup2", line(nr("dup2"), [6]uint64{4, 10}, 10, NoPath, mem), `dup2(4<pipe:[77]>, 10) = 10</etc/hosts>`},
		{"fcntl dupfd", line(nr("fcntl"), [6]uint64{3, unix.F_DUPFD_CLOEXEC, 10}, 10, NoPath, mem),
			`fcntl(3</etc/hosts>, F_DUPFD_CLOEXEC, 10) = 10</etc/hosts>`},
		// F_GETFL's return is flags, not a descriptor, whatever is open on it.
		{"fcntl getfl", line(nr("fcntl"), [6]uint64{3, unix.F_GETFL}, 10, NoPath, mem),
			`fcntl(3</etc/hosts>, F_GETFL) = 0xa (flags O_RDWR|0x8)`},
		{"mmap", line(nr("mmap"), [6]uint64{0, 4096, 1, 2, 3, 0}, 0x7f0000000000, NoPath, mem),
			`mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3</etc/hosts>, 0) = 0x7f0000000000`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

// The descriptor facts sysabi gives the kernel side.
func TestFdFacts(t *testing.T) {
	nr := sysabi.MustNumber
	for name, want := range map[string]uint8{"read": 1, "openat": 1, "mmap": 1 << 4, "dup2": 3, "ioctl": 1, "getpid": 0, "execve": 0, "execveat": 1, "fcntl": 1} {
		if got := sysabi.FdArgs(nr(name)); got != want {
			t.Errorf("FdArgs(%s) = %#b, want %#b", name, got, want)
		}
	}
	for name, want := range map[string]sysabi.FdResult{"openat": sysabi.FdValue, "accept4": sysabi.FdValue, "read": sysabi.FdNone,
		"pipe2": sysabi.FdPairAt(0), "socketpair": sysabi.FdPairAt(3)} {
		if got := sysabi.FdResultOf(nr(name)); got != want {
			t.Errorf("FdResultOf(%s) = %d, want %d", name, got, want)
		}
	}
}
