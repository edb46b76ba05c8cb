package sysent

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// stackMem is a Mem that knows the stack pointer at the call's entry.
type stackMem struct {
	*fakeMem
	sp uint64
}

func (m stackMem) StackPointer() uint64 { return m.sp }

// TestArchLayouts prints the calls whose decoding depends on the
// architecture's ABI (structure layouts, argument order, flag values,
// call numbers) from memory laid out by sysabi's facts and flags from
// x/sys/unix's, both of which are per architecture, so that this test
// checks the decoders on every architecture it runs on. The expected
// strings are the same everywhere: strace prints them alike.
func TestArchLayouts(t *testing.T) {
	m := newMem()
	st := make([]byte, sysabi.SizeStat)
	le32(st, sysabi.StatModeOffset, unix.S_IFREG|0o644)
	le64(st, sysabi.StatSizeOffset, 35007)
	m.put(0x1000, st)
	dev := make([]byte, sysabi.SizeStat)
	le32(dev, sysabi.StatModeOffset, unix.S_IFCHR|0o666)
	le64(dev, sysabi.StatRdevOffset, unix.Mkdev(1, 3))
	m.put(0x2000, dev)
	evs := make([]byte, 2*sysabi.SizeEpollEvent)
	le32(evs, 0, unix.EPOLLIN)
	le64(evs, sysabi.EpollEventDataOffset, 5)
	le32(evs, sysabi.SizeEpollEvent, unix.EPOLLOUT)
	le64(evs, sysabi.SizeEpollEvent+sysabi.EpollEventDataOffset, 1<<32|7)
	m.put(0x3000, evs)
	frame := make([]byte, sysabi.SigreturnMaskOffset+sysabi.SizeSigset)
	le64(frame, sysabi.SigreturnMaskOffset, 1<<(unix.SIGUSR1-1)|1<<(unix.SIGCHLD-1))
	m.put(0x4000, frame)
	m.str(0x5000, "/etc")

	var clone [6]uint64
	clone[0] = unix.CLONE_SETTLS | unix.CLONE_CHILD_CLEARTID | uint64(unix.SIGCHLD)
	clone[1] = 0x7f2c1e1fdff0
	clone[sysabi.CloneTLSArg] = 0x7f2c1e1fe700
	clone[sysabi.CloneChildTIDArg] = 0x7f2c1e1fe9d0

	ptid := m.u32s(0x6000, 8164)
	thread := clone
	thread[0] |= unix.CLONE_PARENT_SETTID
	thread[2] = ptid
	argv := m.words(0x7000, m.str(0x7100, "ls"), m.str(0x7200, "-l"), 0)
	envp := m.words(0x7300, m.str(0x7400, "A=1"), 0)
	fds := make([]byte, 16)
	le32(fds, 0, 0)
	le16(fds, 4, unix.POLLIN)
	le16(fds, 6, unix.POLLIN)
	le32(fds, 8, uint32(neg(-1)))
	m.put(0x8000, fds)

	nr := sysabi.MustNumber
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"fstat regular", line(nr("fstat"), [6]uint64{3, 0x1000}, 0, NoPath, m),
			`fstat(3, {st_mode=S_IFREG|0644, st_size=35007, ...}) = 0`},
		{"newfstatat device", line(nr("newfstatat"), [6]uint64{atFDCWD, 0x5000, 0x2000, unix.AT_SYMLINK_NOFOLLOW}, 0, NoPath, m),
			`newfstatat(AT_FDCWD, "/etc", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_SYMLINK_NOFOLLOW) = 0`},
		{"epoll_pwait", line(nr("epoll_pwait"), [6]uint64{4, 0x3000, 8, neg(-1), 0, 8}, 2, NoPath, m),
			`epoll_pwait(4, [{events=EPOLLIN, data={u32=5, u64=5}}, {events=EPOLLOUT, data={u32=7, u64=4294967303}}], 8, -1, NULL, 8) = 2`},
		{"clone", line(nr("clone"), clone, 8163, NoPath, m),
			`clone(child_stack=0x7f2c1e1fdff0, flags=CLONE_SETTLS|CLONE_CHILD_CLEARTID|SIGCHLD, tls=0x7f2c1e1fe700, child_tidptr=0x7f2c1e1fe9d0) = 8163`},
		{"rt_sigreturn", line(nr("rt_sigreturn"), [6]uint64{}, 0, NoPath, stackMem{m, 0x4000}),
			`rt_sigreturn({mask=[USR1 CHLD]}) = 0`},
		{"openat directory", line(nr("openat"), [6]uint64{atFDCWD, 0x5000, unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_DIRECTORY}, 3, NoPath, m),
			`openat(AT_FDCWD, "/etc", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3`},
		{"openat nofollow direct", line(nr("openat"), [6]uint64{atFDCWD, 0x5000, unix.O_RDWR | unix.O_DIRECT | unix.O_NOFOLLOW}, -40, NoPath, m),
			`openat(AT_FDCWD, "/etc", O_RDWR|O_DIRECT|O_NOFOLLOW) = -1 ELOOP (Too many levels of symbolic links)`},
		{"openat tmpfile", line(nr("openat"), [6]uint64{atFDCWD, 0x5000, unix.O_RDWR | unix.O_TMPFILE, 0o600}, 3, NoPath, m),
			`openat(AT_FDCWD, "/etc", O_RDWR|O_TMPFILE, 0600) = 3`},
		{"fcntl F_GETFL", line(nr("fcntl"), [6]uint64{3, unix.F_GETFL}, unix.O_RDONLY|unix.O_DIRECTORY, NoPath, m),
			`fcntl(3, F_GETFL) = 0x` + hexOf(unix.O_DIRECTORY) + ` (flags O_RDONLY|O_DIRECTORY)`},
		{"ppoll timeout", line(nr("ppoll"), [6]uint64{0, 0, 0, 0, 8}, 0, NoPath, m),
			`ppoll(NULL, 0, NULL, NULL, 8) = 0 (Timeout)`},
		{"exit_group", line(nr("exit_group"), [6]uint64{1}, 0, NoPath, m), `exit_group(1) = ?`},
		{"fstat entry", entryView(nr("fstat"), [6]uint64{3, 0x1000}, NoPath, m), `fstat(3, 0x1000`},
		{"clone parent_tid", line(nr("clone"), thread, 8164, NoPath, m),
			`clone(child_stack=0x7f2c1e1fdff0, flags=CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD, parent_tid=[8164], tls=0x7f2c1e1fe700, child_tidptr=0x7f2c1e1fe9d0) = 8164`},
		{"execve", line(nr("execve"), [6]uint64{0x7500, argv, envp}, 0, "/bin/ls", m),
			`execve("/bin/ls", ["ls", "-l"], 0x7300 /* 1 var */) = 0`},
		{"ppoll revents", line(nr("ppoll"), [6]uint64{0x8000, 2, 0, 0, 8}, 1, NoPath, m),
			`ppoll([{fd=0, events=POLLIN}, {fd=-1}], 2, NULL, NULL, 8) = 1 ([{fd=0, revents=POLLIN}])`},
		{"restart_syscall", line(nr("restart_syscall"), [6]uint64{}, 0, NoPath, resumerMem{m, nr("clock_nanosleep")}),
			`restart_syscall(<... resuming interrupted clock_nanosleep ...>) = 0`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

func hexOf(v int) string { return string(appendHex(nil, uint64(v))[2:]) }
