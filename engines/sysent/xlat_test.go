package sysent

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// styledMem is a fakeMem whose calls print in another XlatStyle.
type styledMem struct {
	*fakeMem
	style XlatStyle
}

func (m styledMem) XlatStyle() XlatStyle { return m.style }

// TestXlatStyles prints calls in strace's three -X styles. Every want
// string was printed by strace 6.1 with -X abbrev, raw and verbose for
// the same arguments; the values are those of every architecture.
func TestXlatStyles(t *testing.T) {
	m := newMem()
	dev := make([]byte, sysabi.SizeStat)
	le32(dev, sysabi.StatModeOffset, unix.S_IFCHR|0o666)
	le64(dev, sysabi.StatRdevOffset, unix.Mkdev(1, 3))
	m.put(0x2000, dev)
	sa := make([]byte, 32)
	le64(sa, 0, 1)
	le64(sa, 8, 0x14000000)
	le64(sa, 16, 0x7f8b870c6050)
	le64(sa, 24, 1<<(2-1)|1<<(37-1))
	m.put(0x3000, sa)
	m.words(0x4000, 8<<20, ^uint64(0))
	null := m.str(0x5000, "/dev/null")
	etc := m.str(0x5100, "/etc")
	nope := m.str(0x5200, "/nope")
	root := m.str(0x5300, "/")

	var clone [6]uint64
	clone[0] = unix.CLONE_SETTLS | unix.CLONE_CHILD_CLEARTID | uint64(unix.SIGCHLD)
	clone[1] = 0x7f2c1e1fdff0
	clone[sysabi.CloneTLSArg] = 0x7f2c1e1fe700
	clone[sysabi.CloneChildTIDArg] = 0x7f2c1e1fe9d0

	nr := sysabi.MustNumber
	cases := []struct {
		name                 string
		nr                   int
		args                 [6]uint64
		ret                  int64
		abbrev, raw, verbose string
	}{
		{"openat O_RDONLY", nr("openat"), [6]uint64{atFDCWD, null, unix.O_RDONLY}, 3,
			`openat(AT_FDCWD, "/dev/null", O_RDONLY) = 3`,
			`openat(-100, "/dev/null", 0) = 3`,
			`openat(-100 /* AT_FDCWD */, "/dev/null", 0 /* O_RDONLY */) = 3`},
		{"openat unknown bit", nr("openat"), [6]uint64{atFDCWD, null, unix.O_CLOEXEC | 0x40000000}, 4,
			`openat(AT_FDCWD, "/dev/null", O_RDONLY|O_CLOEXEC|0x40000000) = 4`,
			`openat(-100, "/dev/null", 0x40080000) = 4`,
			`openat(-100 /* AT_FDCWD */, "/dev/null", 0x40080000 /* O_RDONLY|O_CLOEXEC|0x40000000 */) = 4`},
		{"openat create", nr("openat"), [6]uint64{atFDCWD, null, unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, 0o644}, 5,
			`openat(AT_FDCWD, "/dev/null", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 5`,
			`openat(-100, "/dev/null", 0x241, 0644) = 5`,
			`openat(-100 /* AT_FDCWD */, "/dev/null", 0x241 /* O_WRONLY|O_CREAT|O_TRUNC */, 0644) = 5`},
		{"mmap PROT_NONE", nr("mmap"), [6]uint64{0, 4096, 0, 0x22, neg(-1), 0}, 0x7f380ae5f000,
			`mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f380ae5f000`,
			`mmap(NULL, 4096, 0, 0x22, -1, 0) = 0x7f380ae5f000`,
			`mmap(NULL, 4096, 0 /* PROT_NONE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0) = 0x7f380ae5f000`},
		{"mmap unknown bits", nr("mmap"), [6]uint64{0, 4096, 0x101, 0x40000022, neg(-1), 0}, 0x7f380ae5e000,
			`mmap(NULL, 4096, PROT_READ|0x100, MAP_PRIVATE|MAP_ANONYMOUS|16<<MAP_HUGE_SHIFT, -1, 0) = 0x7f380ae5e000`,
			`mmap(NULL, 4096, 0x101, 0x40000022, -1, 0) = 0x7f380ae5e000`,
			`mmap(NULL, 4096, 0x101 /* PROT_READ|0x100 */, 0x40000022 /* MAP_PRIVATE|MAP_ANONYMOUS|16<<MAP_HUGE_SHIFT */, -1, 0) = 0x7f380ae5e000`},
		{"lseek unknown whence", nr("lseek"), [6]uint64{3, 0, 7}, -22,
			`lseek(3, 0, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)`,
			`lseek(3, 0, 0x7) = -1 EINVAL (Invalid argument)`,
			`lseek(3, 0, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)`},
		{"faccessat2 unknown flag", nr("faccessat2"), [6]uint64{atFDCWD, root, unix.R_OK, 0x40000}, -22,
			`faccessat2(AT_FDCWD, "/", R_OK, 0x40000 /* AT_??? */) = -1 EINVAL (Invalid argument)`,
			`faccessat2(-100, "/", 0x4, 0x40000) = -1 EINVAL (Invalid argument)`,
			`faccessat2(-100 /* AT_FDCWD */, "/", 0x4 /* R_OK */, 0x40000 /* AT_??? */) = -1 EINVAL (Invalid argument)`},
		{"fcntl F_GETFD", nr("fcntl"), [6]uint64{3, unix.F_GETFD}, 1,
			`fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)`,
			`fcntl(3, 0x1) = 0x1 (flags 0x1)`,
			`fcntl(3, 0x1 /* F_GETFD */) = 0x1 (flags 0x1 /* FD_CLOEXEC */)`},
		{"fcntl F_GETFL", nr("fcntl"), [6]uint64{3, unix.F_GETFL}, unix.O_RDWR | unix.O_NONBLOCK,
			`fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)`,
			`fcntl(3, 0x3) = 0x802 (flags O_RDWR|O_NONBLOCK)`,
			`fcntl(3, 0x3 /* F_GETFL */) = 0x802 (flags O_RDWR|O_NONBLOCK)`},
		{"rt_sigaction", nr("rt_sigaction"), [6]uint64{10, 0x3000, 0, 8}, 0,
			`rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[INT RT_5], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f8b870c6050}, NULL, 8) = 0`,
			`rt_sigaction(10, {sa_handler=0x1, sa_mask=[2 37], sa_flags=0x14000000, sa_restorer=0x7f8b870c6050}, NULL, 8) = 0`,
			`rt_sigaction(10 /* SIGUSR1 */, {sa_handler=0x1 /* SIG_IGN */, sa_mask=[2 /* INT */ 37 /* RT_5 */], sa_flags=0x14000000 /* SA_RESTORER|SA_RESTART */, sa_restorer=0x7f8b870c6050}, NULL, 8) = 0`},
		{"newfstatat device", nr("newfstatat"), [6]uint64{atFDCWD, etc, 0x2000, unix.AT_SYMLINK_NOFOLLOW}, 0,
			`newfstatat(AT_FDCWD, "/etc", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_SYMLINK_NOFOLLOW) = 0`,
			`newfstatat(-100, "/etc", {st_mode=020666, st_rdev=0x103, ...}, 0x100) = 0`,
			`newfstatat(-100 /* AT_FDCWD */, "/etc", {st_mode=020666 /* S_IFCHR|0666 */, st_rdev=0x103 /* makedev(0x1, 0x3) */, ...}, 0x100 /* AT_SYMLINK_NOFOLLOW */) = 0`},
		{"statx", nr("statx"), [6]uint64{atFDCWD, nope, unix.AT_SYMLINK_NOFOLLOW | unix.AT_NO_AUTOMOUNT, 0x7ff, 0x6000}, -2,
			`statx(AT_FDCWD, "/nope", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, STATX_BASIC_STATS, 0x6000) = -1 ENOENT (No such file or directory)`,
			`statx(-100, "/nope", |0x900, 0x7ff, 0x6000) = -1 ENOENT (No such file or directory)`,
			`statx(-100 /* AT_FDCWD */, "/nope", 0 /* AT_STATX_SYNC_AS_STAT */|0x900 /* AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT */, 0x7ff /* STATX_BASIC_STATS */, 0x6000) = -1 ENOENT (No such file or directory)`},
		{"prlimit64", nr("prlimit64"), [6]uint64{0, unix.RLIMIT_STACK, 0, 0x4000}, 0,
			`prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0`,
			`prlimit64(0, 0x3, NULL, {rlim_cur=8388608, rlim_max=18446744073709551615}) = 0`,
			`prlimit64(0, 0x3 /* RLIMIT_STACK */, NULL, {rlim_cur=8388608 /* 8192*1024 */, rlim_max=18446744073709551615 /* RLIM64_INFINITY */}) = 0`},
		{"clone", nr("clone"), clone, 8163,
			`clone(child_stack=0x7f2c1e1fdff0, flags=CLONE_SETTLS|CLONE_CHILD_CLEARTID|SIGCHLD, tls=0x7f2c1e1fe700, child_tidptr=0x7f2c1e1fe9d0) = 8163`,
			`clone(child_stack=0x7f2c1e1fdff0, flags=0x280000|17, tls=0x7f2c1e1fe700, child_tidptr=0x7f2c1e1fe9d0) = 8163`,
			`clone(child_stack=0x7f2c1e1fdff0, flags=0x280000 /* CLONE_SETTLS|CLONE_CHILD_CLEARTID */|17 /* SIGCHLD */, tls=0x7f2c1e1fe700, child_tidptr=0x7f2c1e1fe9d0) = 8163`},
		{"kill 0", nr("kill"), [6]uint64{23087, 0}, 0,
			`kill(23087, 0) = 0`, `kill(23087, 0) = 0`, `kill(23087, 0) = 0`},
		{"ioctl", nr("ioctl"), [6]uint64{1, unix.TIOCGWINSZ, 0x7ffe0aba4014}, -25,
			`ioctl(1, TIOCGWINSZ, 0x7ffe0aba4014) = -1 ENOTTY (Inappropriate ioctl for device)`,
			`ioctl(1, 0x5413, 0x7ffe0aba4014) = -1 ENOTTY (Inappropriate ioctl for device)`,
			`ioctl(1, 0x5413 /* TIOCGWINSZ */, 0x7ffe0aba4014) = -1 ENOTTY (Inappropriate ioctl for device)`},
		{"ioctl unknown", nr("ioctl"), [6]uint64{1, 0x1234, 0}, -25,
			`ioctl(1, _IOC(_IOC_NONE, 0x12, 0x34, 0), 0) = -1 ENOTTY (Inappropriate ioctl for device)`,
			`ioctl(1, 0x1234, 0) = -1 ENOTTY (Inappropriate ioctl for device)`,
			`ioctl(1, 0x1234 /* _IOC(_IOC_NONE, 0x12, 0x34, 0) */, 0) = -1 ENOTTY (Inappropriate ioctl for device)`},
		{"futex", nr("futex"), [6]uint64{0x7fff2077179c, futexWake | futexPrivateFlag, 1}, 0,
			`futex(0x7fff2077179c, FUTEX_WAKE_PRIVATE, 1) = 0`,
			`futex(0x7fff2077179c, 0x81, 1) = 0`,
			`futex(0x7fff2077179c, 0x81 /* FUTEX_WAKE_PRIVATE */, 1) = 0`},
	}
	for _, c := range cases {
		for _, s := range []struct {
			style XlatStyle
			want  string
		}{{XlatAbbrev, c.abbrev}, {XlatRaw, c.raw}, {XlatVerbose, c.verbose}} {
			if got := line(c.nr, c.args, c.ret, NoPath, styledMem{m, s.style}); got != s.want {
				t.Errorf("%s, -X %v:\n got %s\nwant %s", c.name, s.style, got, s.want)
			}
		}
	}
}

func TestParseXlatStyle(t *testing.T) {
	for _, s := range []XlatStyle{XlatAbbrev, XlatRaw, XlatVerbose} {
		if got, err := ParseXlatStyle(s.String()); err != nil || got != s {
			t.Errorf("ParseXlatStyle(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if _, err := ParseXlatStyle("names"); err == nil {
		t.Error("ParseXlatStyle(\"names\") succeeded")
	}
}

// TestSignalXlatStyles prints signal lines in the three -X styles, as
// strace 6.1 printed them: the siginfo's constants follow the style, the
// signal's name after "---" does not.
func TestSignalXlatStyles(t *testing.T) {
	info := func(sig, code int32, pid, status uint32) []byte {
		b := make([]byte, 128)
		le32(b, siSigno, uint32(sig))
		le32(b, siCode, uint32(code))
		le32(b, siPid, pid)
		le32(b, siStatus, status)
		return b
	}
	for _, c := range []struct {
		info                 []byte
		abbrev, raw, verbose string
	}{
		{info(int32(unix.SIGUSR1), siTkill, 29879, 0),
			`--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=29879, si_uid=0} ---`,
			`--- SIGUSR1 {si_signo=10, si_code=0xfffffffa, si_pid=29879, si_uid=0} ---`,
			`--- SIGUSR1 {si_signo=10 /* SIGUSR1 */, si_code=0xfffffffa /* SI_TKILL */, si_pid=29879, si_uid=0} ---`},
		{info(int32(unix.SIGCHLD), 2, 29881, uint32(unix.SIGTERM)),
			`--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=29881, si_uid=0, si_status=SIGTERM, si_utime=0, si_stime=0} ---`,
			`--- SIGCHLD {si_signo=17, si_code=0x2, si_pid=29881, si_uid=0, si_status=15, si_utime=0, si_stime=0} ---`,
			`--- SIGCHLD {si_signo=17 /* SIGCHLD */, si_code=0x2 /* CLD_KILLED */, si_pid=29881, si_uid=0, si_status=15 /* SIGTERM */, si_utime=0, si_stime=0} ---`},
		{info(int32(unix.SIGCHLD), 1, 29880, 3),
			`--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=29880, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---`,
			`--- SIGCHLD {si_signo=17, si_code=0x1, si_pid=29880, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---`,
			`--- SIGCHLD {si_signo=17 /* SIGCHLD */, si_code=0x1 /* CLD_EXITED */, si_pid=29880, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---`},
	} {
		if got := string(AppendSignal(nil, c.info)); got != c.abbrev {
			t.Errorf("AppendSignal:\n got %s\nwant %s", got, c.abbrev)
		}
		for style, want := range map[XlatStyle]string{XlatAbbrev: c.abbrev, XlatRaw: c.raw, XlatVerbose: c.verbose} {
			if got := string(AppendSignalIn(nil, c.info, style)); got != want {
				t.Errorf("-X %v:\n got %s\nwant %s", style, got, want)
			}
		}
	}
}

// The styles other than the default format without allocating too.
func TestXlatStylesAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	m := newMem()
	args := [6]uint64{atFDCWD, m.str(0x1000, "/etc/hostname"), unix.O_CLOEXEC | 0x40000000}
	mmap := [6]uint64{0, 8192, 3, 0x40000022, neg(-1), 0}
	for _, style := range []XlatStyle{XlatRaw, XlatVerbose} {
		var mem Mem = styledMem{m, style}
		n := testing.AllocsPerRun(100, func() {
			b := FormatLine(buf[:0], sysabi.MustNumber("openat"), args, 3, mem)
			_ = FormatLine(b[:0], sysabi.MustNumber("mmap"), mmap, 0x7f0000, mem)
		})
		if n != 0 {
			t.Errorf("-X %v: formatting allocated %v times per run", style, n)
		}
	}
}
