package sysent

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// Every want string below was printed by strace 6.1 (-s 32) for the same
// arguments, except where a comment says otherwise.
func TestFormatGolden(t *testing.T) {
	type tc struct {
		name string
		got  string
		want string
	}
	var cases []tc
	add := func(name, got, want string) { cases = append(cases, tc{name, got, want}) }

	// The examples from the package brief.
	add("openat ok",
		line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 0x1000, unix.O_RDONLY | unix.O_CLOEXEC}, 3, "/etc/hostname", nil),
		`openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = 3`)
	add("openat ENOENT",
		line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 0x1000, 0}, -2, "/nope", nil),
		`openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)`)
	{
		m := newMem()
		buf := m.put(0x2000, []byte("hello\nGARBAGE"))
		add("read exit", line(unix.SYS_READ, [6]uint64{3, buf, 4096}, 6, NoPath, m), `read(3, "hello\n", 4096) = 6`)
		add("read entry", entryView(unix.SYS_READ, [6]uint64{3, buf, 4096}, NoPath, m), `read(3, 0x2000, 4096`)
		add("read error", line(unix.SYS_READ, [6]uint64{3, buf, 4096}, -11, NoPath, m),
			`read(3, 0x2000, 4096) = -1 EAGAIN (Resource temporarily unavailable)`)
		add("read eof", line(unix.SYS_READ, [6]uint64{3, buf, 4096}, 0, NoPath, m), `read(3, "", 4096) = 0`)
		add("read no mem", line(unix.SYS_READ, [6]uint64{3, buf, 4096}, 6, NoPath, nil), `read(3, 0x2000, 4096) = 6`)
		add("read NULL", line(unix.SYS_READ, [6]uint64{6, 0, 5}, -14, NoPath, m), `read(6, NULL, 5) = -1 EFAULT (Bad address)`)
	}
	add("mmap anon",
		line(unix.SYS_MMAP, [6]uint64{0, 8192, 3, 0x22, neg(-1), 0}, 0x7f4cbe324000, NoPath, nil),
		`mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f4cbe324000`)
	add("exit_group", line(unix.SYS_EXIT_GROUP, [6]uint64{0}, 0, NoPath, nil), `exit_group(0) = ?`)
	add("exit", line(unix.SYS_EXIT, [6]uint64{7}, 0, NoPath, nil), `exit(7) = ?`)

	// Strings and buffers.
	{
		m := newMem()
		esc := m.put(0x1000, []byte("a\tb\n\x00\x01\xff\x1b7xyz\"\\"))
		digits := m.put(0x2000, []byte("0123456789012345678901234567890123456789"))
		ctl := m.put(0x3000, []byte("\v\f\r\x7f\x80\xe9"))
		oct := m.put(0x4000, []byte("\x01\x012"))
		add("write escapes", line(unix.SYS_WRITE, [6]uint64{3, esc, 14}, 14, NoPath, m),
			`write(3, "a\tb\n\0\1\377\0337xyz\"\\", 14) = 14`)
		add("write 40", line(unix.SYS_WRITE, [6]uint64{3, digits, 40}, 40, NoPath, m),
			`write(3, "01234567890123456789012345678901"..., 40) = 40`)
		add("write 32", line(unix.SYS_WRITE, [6]uint64{3, digits, 32}, 32, NoPath, m),
			`write(3, "01234567890123456789012345678901", 32) = 32`)
		add("write 33", line(unix.SYS_WRITE, [6]uint64{3, digits, 33}, 33, NoPath, m),
			`write(3, "01234567890123456789012345678901"..., 33) = 33`)
		add("write ctl", line(unix.SYS_WRITE, [6]uint64{neg(-1), ctl, 6}, -9, NoPath, m),
			`write(-1, "\v\f\r\177\200\351", 6) = -1 EBADF (Bad file descriptor)`)
		add("write octal digit", line(unix.SYS_WRITE, [6]uint64{neg(-1), oct, 3}, -9, NoPath, m),
			`write(-1, "\1\0012", 3) = -1 EBADF (Bad file descriptor)`)
		add("write unreadable", line(unix.SYS_WRITE, [6]uint64{1, 0x9999, 3}, 3, NoPath, m),
			`write(1, 0x9999, 3) = 3`)
		add("pread64", line(unix.SYS_PREAD64, [6]uint64{6, esc, 100, 2}, 14, NoPath, m),
			`pread64(6, "a\tb\n\0\1\377\0337xyz\"\\", 100, 2) = 14`)
	}
	{
		m := newMem()
		add("path escapes", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, m.str(0x1000, "/x\v\f\r\x7f\x80\xe9t\x011"), 3}, -2, NoPath, m),
			`openat(AT_FDCWD, "/x\v\f\r\177\200\351t\0011", O_ACCMODE) = -1 ENOENT (No such file or directory)`)
		long := "/tmp/sx/a_very_long_path_name_that_is_longer_than_32_chars_for_sure"
		add("long path from mem", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, m.str(0x2000, long), 0}, -2, NoPath, m),
			`openat(AT_FDCWD, "`+long+`", O_RDONLY) = -1 ENOENT (No such file or directory)`)
		add("long path given", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 0x7000, 0}, -2, long, nil),
			`openat(AT_FDCWD, "`+long+`", O_RDONLY) = -1 ENOENT (No such file or directory)`)
		add("path NULL", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 0, 0}, -14, "", nil),
			`openat(AT_FDCWD, NULL, O_RDONLY) = -1 EFAULT (Bad address)`)
		add("path unreadable", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0}, -14, NoPath, m),
			`openat(AT_FDCWD, 0x1, O_RDONLY) = -1 EFAULT (Bad address)`)
		add("path not captured", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 0x1234, 0}, 3, NoPath, nil),
			`openat(AT_FDCWD, 0x1234, O_RDONLY) = 3`)
		add("empty path", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 0x1234, 0}, -2, "", nil),
			`openat(AT_FDCWD, "", O_RDONLY) = -1 ENOENT (No such file or directory)`)
	}

	// open(2) flags and modes.
	add("openat many flags", line(unix.SYS_OPENAT, [6]uint64{5, 1, 0o2606002}, -9, "rel", nil),
		`openat(5, "rel", O_RDWR|O_APPEND|O_NONBLOCK|O_NOFOLLOW|O_CLOEXEC|O_DIRECTORY) = -1 EBADF (Bad file descriptor)`)
	add("openat creat", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o1101, 0o644}, 3, "/tmp/sx/f1", nil),
		`openat(AT_FDCWD, "/tmp/sx/f1", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3`)
	add("openat excl", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o301, 0o600}, -17, "/tmp/sx/f2", nil),
		`openat(AT_FDCWD, "/tmp/sx/f2", O_WRONLY|O_CREAT|O_EXCL, 0600) = -1 EEXIST (File exists)`)
	add("openat tmpfile", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o20200002, 0o600}, 3, "/tmp/sx", nil),
		`openat(AT_FDCWD, "/tmp/sx", O_RDWR|O_TMPFILE, 0600) = 3`)
	add("openat unknown flag", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0x40000000}, 4, "/tmp/sx/f2", nil),
		`openat(AT_FDCWD, "/tmp/sx/f2", O_RDONLY|0x40000000) = 4`)
	add("open path", line(unix.SYS_OPEN, [6]uint64{1, 0o10000000}, 5, "/tmp/sx/f2", nil),
		`open("/tmp/sx/f2", O_RDONLY|O_PATH) = 5`)
	add("openat sync", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o4010000}, -2, "/x", nil),
		`openat(AT_FDCWD, "/x", O_RDONLY|O_SYNC) = -1 ENOENT (No such file or directory)`)
	add("openat dsync", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o10000}, -2, "/x", nil),
		`openat(AT_FDCWD, "/x", O_RDONLY|O_DSYNC) = -1 ENOENT (No such file or directory)`)
	add("openat misc", line(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o1060400}, -2, "/x", nil),
		`openat(AT_FDCWD, "/x", O_RDONLY|O_NOCTTY|O_DIRECT|O_NOATIME|FASYNC) = -1 ENOENT (No such file or directory)`)
	add("close", line(unix.SYS_CLOSE, [6]uint64{3}, 0, NoPath, nil), `close(3) = 0`)
	add("close -1", line(unix.SYS_CLOSE, [6]uint64{neg(-1)}, -9, NoPath, nil), `close(-1) = -1 EBADF (Bad file descriptor)`)
	add("lseek set", line(unix.SYS_LSEEK, [6]uint64{6, 0, 0}, 0, NoPath, nil), `lseek(6, 0, SEEK_SET) = 0`)
	add("lseek end", line(unix.SYS_LSEEK, [6]uint64{6, neg(-3), 2}, 116, NoPath, nil), `lseek(6, -3, SEEK_END) = 116`)
	add("lseek bad", line(unix.SYS_LSEEK, [6]uint64{6, 5, 7}, -22, NoPath, nil), `lseek(6, 5, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)`)
	add("access F_OK", line(unix.SYS_ACCESS, [6]uint64{1, 0}, 0, "/tmp", nil), `access("/tmp", F_OK) = 0`)
	add("access rwx", line(unix.SYS_ACCESS, [6]uint64{1, 7}, 0, "/tmp", nil), `access("/tmp", R_OK|W_OK|X_OK) = 0`)
	add("access bad", line(unix.SYS_ACCESS, [6]uint64{1, 0x10}, -22, "/tmp", nil), `access("/tmp", 0x10 /* ?_OK */) = -1 EINVAL (Invalid argument)`)
	add("faccessat", line(unix.SYS_FACCESSAT, [6]uint64{atFDCWD, 1, 1}, 0, "/tmp", nil), `faccessat(AT_FDCWD, "/tmp", X_OK) = 0`)
	add("faccessat2", line(unix.SYS_FACCESSAT2, [6]uint64{atFDCWD, 1, 4, 0x300}, 0, "/tmp", nil),
		`faccessat2(AT_FDCWD, "/tmp", R_OK, AT_SYMLINK_NOFOLLOW|AT_EACCESS) = 0`)
	add("newfstatat error", line(unix.SYS_NEWFSTATAT, [6]uint64{atFDCWD, 1, 0x7ffc38fa8120, 0x10900}, -22, "/tmp", newMem()),
		`newfstatat(AT_FDCWD, "/tmp", 0x7ffc38fa8120, AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|0x10000) = -1 EINVAL (Invalid argument)`)
	{
		m := newMem()
		chr := make([]byte, 144)
		le32(chr, 24, unix.S_IFCHR|0o666)
		le64(chr, 40, unix.Mkdev(1, 3))
		dir := make([]byte, 144)
		le32(dir, 24, unix.S_IFDIR|unix.S_ISVTX|0o777)
		le64(dir, 48, 4096)
		reg := make([]byte, 144)
		le32(reg, 24, unix.S_IFREG|0o644)
		le64(reg, 48, 35007)
		m.put(0x1000, chr)
		m.put(0x2000, dir)
		m.put(0x3000, reg)
		add("stat chr", line(unix.SYS_NEWFSTATAT, [6]uint64{atFDCWD, 1, 0x1000, 0}, 0, "/dev/null", m),
			`newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0) = 0`)
		add("stat dir", line(unix.SYS_NEWFSTATAT, [6]uint64{atFDCWD, 1, 0x2000, 0}, 0, "/tmp", m),
			`newfstatat(AT_FDCWD, "/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}, 0) = 0`)
		add("fstat via newfstatat", line(unix.SYS_NEWFSTATAT, [6]uint64{3, 1, 0x3000, unix.AT_EMPTY_PATH}, 0, "", m),
			`newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=35007, ...}, AT_EMPTY_PATH) = 0`)
		add("fstat entry", entryView(unix.SYS_NEWFSTATAT, [6]uint64{3, 1, 0x3000, unix.AT_EMPTY_PATH}, "", m),
			`newfstatat(3, "", 0x3000, AT_EMPTY_PATH`)

		stx := make([]byte, 256)
		le32(stx, 0, 0x17ff)
		le16(stx, 28, unix.S_IFREG|0o755)
		le64(stx, 40, 3)
		m.put(0x4000, stx)
		add("statx", line(unix.SYS_STATX, [6]uint64{atFDCWD, 1, 0x100, 0x7ff, 0x4000}, 0, "/etc/hostname", m),
			`statx(AT_FDCWD, "/etc/hostname", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0755, stx_size=3, ...}) = 0`)
		add("statx mask", entryView(unix.SYS_STATX, [6]uint64{atFDCWD, 1, 0, 0x1003, 0x4000}, "/dev/null", m),
			`statx(AT_FDCWD, "/dev/null", AT_STATX_SYNC_AS_STAT, STATX_TYPE|STATX_MODE|STATX_MNT_ID, 0x4000`)
	}

	// Memory.
	add("mmap file", line(unix.SYS_MMAP, [6]uint64{0x7f4cbe15f000, 1400832, 5, 0x812, 3, 0x26000}, 0x7f4cbe15f000, NoPath, nil),
		`mmap(0x7f4cbe15f000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000) = 0x7f4cbe15f000`)
	add("mmap odd", line(unix.SYS_MMAP, [6]uint64{0x10000, 4096, 0x107, 0x2 | 0x100 | 0x20000 | 0x40000 | 0x100000 | 21<<26, neg(-1), 0x1000}, -9, NoPath, nil),
		`mmap(0x10000, 4096, PROT_READ|PROT_WRITE|PROT_EXEC|0x100, MAP_PRIVATE|MAP_GROWSDOWN|MAP_STACK|MAP_HUGETLB|MAP_FIXED_NOREPLACE|21<<MAP_HUGE_SHIFT, -1, 0x1000) = -1 EBADF (Bad file descriptor)`)
	add("mmap shared", line(unix.SYS_MMAP, [6]uint64{0, 4096, 0, 0x1 | 0x20 | 0x4000 | 0x8000, neg(-1), 0}, 0x7f8b87274000, NoPath, nil),
		`mmap(NULL, 4096, PROT_NONE, MAP_SHARED|MAP_ANONYMOUS|MAP_NORESERVE|MAP_POPULATE, -1, 0) = 0x7f8b87274000`)
	add("mprotect", line(unix.SYS_MPROTECT, [6]uint64{0x10000, 4096, 0x01000001}, -12, NoPath, nil),
		`mprotect(0x10000, 4096, PROT_READ|PROT_GROWSDOWN) = -1 ENOMEM (Cannot allocate memory)`)
	add("madvise", line(unix.SYS_MADVISE, [6]uint64{0x10000, 4096, 4}, -12, NoPath, nil),
		`madvise(0x10000, 4096, MADV_DONTNEED) = -1 ENOMEM (Cannot allocate memory)`)
	add("madvise bad", line(unix.SYS_MADVISE, [6]uint64{0x10000, 4096, 999}, -22, NoPath, nil),
		`madvise(0x10000, 4096, 0x3e7 /* MADV_??? */) = -1 EINVAL (Invalid argument)`)
	add("munmap", line(unix.SYS_MUNMAP, [6]uint64{0x10000, 4096}, 0, NoPath, nil), `munmap(0x10000, 4096) = 0`)
	add("mremap", line(unix.SYS_MREMAP, [6]uint64{0x10000, 4096, 8192, 1}, -14, NoPath, nil),
		`mremap(0x10000, 4096, 8192, MREMAP_MAYMOVE) = -1 EFAULT (Bad address)`)
	add("brk", line(unix.SYS_BRK, [6]uint64{0}, 0x563b8ba3a000, NoPath, nil), `brk(NULL) = 0x563b8ba3a000`)
	add("brk set", line(unix.SYS_BRK, [6]uint64{0x563b8ba5b000}, 0x563b8ba5b000, NoPath, nil), `brk(0x563b8ba5b000) = 0x563b8ba5b000`)
	add("msync", line(unix.SYS_MSYNC, [6]uint64{0x7ffdedb0b0b0, 4096, 3}, -22, NoPath, nil),
		`msync(0x7ffdedb0b0b0, 4096, MS_ASYNC|MS_INVALIDATE) = -1 EINVAL (Invalid argument)`)
	add("mlockall", line(unix.SYS_MLOCKALL, [6]uint64{3}, 0, NoPath, nil), `mlockall(MCL_CURRENT|MCL_FUTURE) = 0`)

	// Descriptors.
	{
		m := newMem()
		m.u32s(0x1000, 7, 8)
		add("pipe2", line(unix.SYS_PIPE2, [6]uint64{0x1000, 0}, 0, NoPath, m), `pipe2([7, 8], 0) = 0`)
		add("pipe2 flags", line(unix.SYS_PIPE2, [6]uint64{0x1000, 0o2004000}, 0, NoPath, m), `pipe2([7, 8], O_NONBLOCK|O_CLOEXEC) = 0`)
		add("socketpair", line(unix.SYS_SOCKETPAIR, [6]uint64{1, 1, 0, 0x1000}, 0, NoPath, m), `socketpair(AF_UNIX, SOCK_STREAM, 0, [7, 8]) = 0`)
	}
	add("dup", line(unix.SYS_DUP, [6]uint64{0}, 12, NoPath, nil), `dup(0) = 12`)
	add("dup2", line(unix.SYS_DUP2, [6]uint64{0, 9}, 9, NoPath, nil), `dup2(0, 9) = 9`)
	add("dup3", line(unix.SYS_DUP3, [6]uint64{0, 10, 0o2000000}, 10, NoPath, nil), `dup3(0, 10, O_CLOEXEC) = 10`)
	add("fcntl getfl", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_GETFL}, 0x8000, NoPath, nil), `fcntl(0, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)`)
	add("fcntl getfd", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_GETFD}, 0, NoPath, nil), `fcntl(0, F_GETFD) = 0`)
	add("fcntl getfd cloexec", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_GETFD}, 1, NoPath, nil), `fcntl(0, F_GETFD) = 0x1 (flags FD_CLOEXEC)`)
	add("fcntl setfd", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_SETFD, 1}, 0, NoPath, nil), `fcntl(0, F_SETFD, FD_CLOEXEC) = 0`)
	add("fcntl dupfd", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_DUPFD_CLOEXEC, 3}, 24, NoPath, nil), `fcntl(0, F_DUPFD_CLOEXEC, 3) = 24`)
	add("fcntl setfl", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_SETFL, 0o6000}, 0, NoPath, nil), `fcntl(0, F_SETFL, O_RDONLY|O_APPEND|O_NONBLOCK) = 0`)
	add("fcntl pipe sz", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_GETPIPE_SZ}, -9, NoPath, nil), `fcntl(0, F_GETPIPE_SZ) = -1 EBADF (Bad file descriptor)`)
	add("fcntl unknown", line(unix.SYS_FCNTL, [6]uint64{0, 1234, 0xffffffffffffff80}, -22, NoPath, nil),
		`fcntl(0, 0x4d2 /* F_??? */, 0xffffffffffffff80) = -1 EINVAL (Invalid argument)`)
	{
		m := newMem()
		fl := make([]byte, 32)
		le16(fl, 0, 0x6174)
		le16(fl, 2, 0x72)
		le64(fl, 8, 2232908316014189079)
		le64(fl, 16, 109051166326808)
		m.put(0x1000, fl)
		add("fcntl setlk", line(unix.SYS_FCNTL, [6]uint64{0, unix.F_SETLK, 0x1000}, -22, NoPath, m),
			`fcntl(0, F_SETLK, {l_type=0x6174 /* F_??? */, l_whence=0x72 /* SEEK_??? */, l_start=2232908316014189079, l_len=109051166326808}) = -1 EINVAL (Invalid argument)`)
	}
	add("flock", line(unix.SYS_FLOCK, [6]uint64{0, 6}, 0, NoPath, nil), `flock(0, LOCK_EX|LOCK_NB) = 0`)
	add("close_range", line(unix.SYS_CLOSE_RANGE, [6]uint64{3, 0xffffffff, 0}, 0, NoPath, nil), `close_range(3, 4294967295, 0) = 0`)
	add("close_range cloexec", line(unix.SYS_CLOSE_RANGE, [6]uint64{100, 200, 4}, 0, NoPath, nil), `close_range(100, 200, CLOSE_RANGE_CLOEXEC) = 0`)
	add("ioctl tcgets", line(unix.SYS_IOCTL, [6]uint64{0, 0x5401, 0x7ffc38fa8120}, -25, NoPath, nil),
		`ioctl(0, TCGETS, 0x7ffc38fa8120) = -1 ENOTTY (Inappropriate ioctl for device)`)
	add("ioctl none", line(unix.SYS_IOCTL, [6]uint64{1, 0x1234, 0}, -25, NoPath, nil),
		`ioctl(1, _IOC(_IOC_NONE, 0x12, 0x34, 0), 0) = -1 ENOTTY (Inappropriate ioctl for device)`)
	add("ioctl read", line(unix.SYS_IOCTL, [6]uint64{1, 0x80047805, 0}, -25, NoPath, nil),
		`ioctl(1, _IOC(_IOC_READ, 0x78, 0x5, 0x4), 0) = -1 ENOTTY (Inappropriate ioctl for device)`)
	{
		m := newMem()
		m.u32s(0x1000, 1161301700)
		add("ioctl fionbio", line(unix.SYS_IOCTL, [6]uint64{0, 0x5421, 0x1000}, 0, NoPath, m), `ioctl(0, FIONBIO, [1161301700]) = 0`)
	}

	// Files.
	add("mkdir", line(unix.SYS_MKDIR, [6]uint64{1, 0o755}, 0, "/tmp/sx/d", nil), `mkdir("/tmp/sx/d", 0755) = 0`)
	add("rmdir", line(unix.SYS_RMDIR, [6]uint64{1}, 0, "/tmp/sx/d", nil), `rmdir("/tmp/sx/d") = 0`)
	add("unlink", line(unix.SYS_UNLINK, [6]uint64{1}, -2, "/tmp/sx/nonex", nil), `unlink("/tmp/sx/nonex") = -1 ENOENT (No such file or directory)`)
	add("unlinkat", line(unix.SYS_UNLINKAT, [6]uint64{atFDCWD, 1, 0x200}, -2, "/tmp/sx/d", nil),
		`unlinkat(AT_FDCWD, "/tmp/sx/d", AT_REMOVEDIR) = -1 ENOENT (No such file or directory)`)
	{
		m := newMem()
		a, b := m.str(0x1000, "/tmp/sx/a"), m.str(0x2000, "/tmp/sx/b")
		add("rename", line(unix.SYS_RENAME, [6]uint64{a, b}, -2, NoPath, m), `rename("/tmp/sx/a", "/tmp/sx/b") = -1 ENOENT (No such file or directory)`)
		add("rename given first", line(unix.SYS_RENAME, [6]uint64{a, b}, -2, "/given", m), `rename("/given", "/tmp/sx/b") = -1 ENOENT (No such file or directory)`)
		add("rename no mem", line(unix.SYS_RENAME, [6]uint64{a, b}, -2, "/tmp/sx/a", nil), `rename("/tmp/sx/a", 0x2000) = -1 ENOENT (No such file or directory)`)
		add("renameat2", line(unix.SYS_RENAMEAT2, [6]uint64{atFDCWD, a, atFDCWD, b, 1}, -2, NoPath, m),
			`renameat2(AT_FDCWD, "/tmp/sx/a", AT_FDCWD, "/tmp/sx/b", RENAME_NOREPLACE) = -1 ENOENT (No such file or directory)`)
		tgt, l := m.str(0x3000, "target"), m.str(0x4000, "/tmp/sx/l")
		add("symlink", line(unix.SYS_SYMLINK, [6]uint64{tgt, l}, 0, NoPath, m), `symlink("target", "/tmp/sx/l") = 0`)
		add("symlink given", line(unix.SYS_SYMLINK, [6]uint64{tgt, l}, 0, "/tmp/sx/l", m), `symlink("target", "/tmp/sx/l") = 0`)
		out := m.put(0x5000, []byte("target\x00\x00\x00"))
		add("readlink", line(unix.SYS_READLINK, [6]uint64{l, out, 256}, 6, NoPath, m), `readlink("/tmp/sx/l", "target", 256) = 6`)
		add("readlinkat", line(unix.SYS_READLINKAT, [6]uint64{atFDCWD, l, out, 3}, 3, NoPath, m), `readlinkat(AT_FDCWD, "/tmp/sx/l", "tar", 3) = 3`)
		f1, f3 := m.str(0x6000, "/tmp/sx/f1"), m.str(0x7000, "/tmp/sx/f3")
		add("link", line(unix.SYS_LINK, [6]uint64{f1, f3}, 0, NoPath, m), `link("/tmp/sx/f1", "/tmp/sx/f3") = 0`)
		cwd := m.put(0x8000, []byte("/tmp/sx\x00junk"))
		add("getcwd", line(unix.SYS_GETCWD, [6]uint64{cwd, 200}, 8, NoPath, m), `getcwd("/tmp/sx", 200) = 8`)
		add("mount", line(unix.SYS_MOUNT, [6]uint64{m.str(0x9000, "none"), m.str(0xa000, "/nonexist"), 0x55c9210df048, 0x5003, 0x55c9210df040}, -2, NoPath, m),
			`mount("none", "/nonexist", 0x55c9210df048, MS_RDONLY|MS_NOSUID|MS_BIND|MS_REC, 0x55c9210df040) = -1 ENOENT (No such file or directory)`)
		add("mount proc", line(unix.SYS_MOUNT, [6]uint64{m.str(0xb000, "proc"), m.str(0xc000, "/proc"), m.str(0xd000, "proc"), 6, 0}, 0, NoPath, m),
			`mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV, NULL) = 0`) // not from strace: hand-written
	}
	add("umount2", line(unix.SYS_UMOUNT2, [6]uint64{1, 10}, -2, "/nonexist", nil),
		`umount2("/nonexist", MNT_DETACH|UMOUNT_NOFOLLOW) = -1 ENOENT (No such file or directory)`)
	add("chmod", line(unix.SYS_CHMOD, [6]uint64{1, 0o4755}, 0, "/tmp/sx/f1", nil), `chmod("/tmp/sx/f1", 04755) = 0`)
	add("chown", line(unix.SYS_CHOWN, [6]uint64{1, 0xffffffff, 0}, 0, "/tmp/sx/f1", nil), `chown("/tmp/sx/f1", -1, 0) = 0`)
	add("fchmod", line(unix.SYS_FCHMOD, [6]uint64{0, 0o600}, 0, NoPath, nil), `fchmod(0, 0600) = 0`)
	add("fchmodat", line(unix.SYS_FCHMODAT, [6]uint64{atFDCWD, 1, 0o644}, 0, "/tmp/sx/f1", nil), `fchmodat(AT_FDCWD, "/tmp/sx/f1", 0644) = 0`)
	add("mkdirat", line(unix.SYS_MKDIRAT, [6]uint64{3, 1, 0o700}, -20, "d", nil), `mkdirat(3, "d", 0700) = -1 ENOTDIR (Not a directory)`)
	add("chdir", line(unix.SYS_CHDIR, [6]uint64{1}, 0, "/tmp", nil), `chdir("/tmp") = 0`)
	add("fchdir", line(unix.SYS_FCHDIR, [6]uint64{0}, -20, NoPath, nil), `fchdir(0) = -1 ENOTDIR (Not a directory)`)
	add("umask", line(unix.SYS_UMASK, [6]uint64{0o22}, 0o22, NoPath, nil), `umask(022) = 022`)
	add("umask 0", line(unix.SYS_UMASK, [6]uint64{0}, 0o22, NoPath, nil), `umask(000) = 022`)
	add("sendfile", line(unix.SYS_SENDFILE, [6]uint64{1, 0, 0, 10}, -22, NoPath, nil), `sendfile(1, 0, NULL, 10) = -1 EINVAL (Invalid argument)`)
	add("fadvise64", line(unix.SYS_FADVISE64, [6]uint64{0, 0, 0, 2}, 0, NoPath, nil), `fadvise64(0, 0, 0, POSIX_FADV_SEQUENTIAL) = 0`)
	add("inotify_init1", line(unix.SYS_INOTIFY_INIT1, [6]uint64{0o2004000}, 7, NoPath, nil), `inotify_init1(IN_NONBLOCK|IN_CLOEXEC) = 7`)
	add("inotify_add_watch", line(unix.SYS_INOTIFY_ADD_WATCH, [6]uint64{7, 1, 0x302}, 1, "/tmp", nil),
		`inotify_add_watch(7, "/tmp", IN_MODIFY|IN_CREATE|IN_DELETE) = 1`)
	{
		m := newMem()
		ts := make([]byte, 32)
		le64(ts, 8, unix.UTIME_NOW)
		le64(ts, 24, unix.UTIME_OMIT)
		m.put(0x1000, ts)
		add("utimensat", line(unix.SYS_UTIMENSAT, [6]uint64{atFDCWD, 1, 0x1000, 0x100}, 0, "/tmp/sx/f1", m),
			`utimensat(AT_FDCWD, "/tmp/sx/f1", [UTIME_NOW, UTIME_OMIT], AT_SYMLINK_NOFOLLOW) = 0`)
		ents := make([]byte, 304)
		for off, i := 0, 0; i < 12; i++ { // 12 records of varying length
			rl := 24
			if i < 4 {
				rl = 28
			}
			le16(ents, off+16, uint16(rl))
			off += rl
		}
		m.put(0x7ffdedb0b0b0, ents)
		add("getdents64", line(unix.SYS_GETDENTS64, [6]uint64{6, 0x7ffdedb0b0b0, 4096}, 304, NoPath, m),
			`getdents64(6, 0x7ffdedb0b0b0 /* 12 entries */, 4096) = 304`)
		add("getdents64 end", line(unix.SYS_GETDENTS64, [6]uint64{6, 0x7ffdedb0b0b0, 4096}, 0, NoPath, m),
			`getdents64(6, 0x7ffdedb0b0b0 /* 0 entries */, 4096) = 0`)
		how := make([]byte, 24)
		le64(how, 0, 0o2000000)
		le64(how, 16, 0xc)
		m.put(0x2000, how)
		add("openat2", line(unix.SYS_OPENAT2, [6]uint64{atFDCWD, 1, 0x2000, 24}, -18, "/etc", m),
			`openat2(AT_FDCWD, "/etc", {flags=O_RDONLY|O_CLOEXEC, resolve=RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH}, 24) = -1 EXDEV (Invalid cross-device link)`)
	}

	// Signals.
	{
		m := newMem()
		sa := make([]byte, 32)
		le64(sa, 0, 1)
		le64(sa, 8, 0x14000000)
		le64(sa, 16, 0x7f8b870c6050)
		le64(sa, 24, 1<<(2-1)|1<<(37-1))
		m.put(0x1000, sa)
		m.put(0x2000, make([]byte, 32))
		add("rt_sigaction set", line(unix.SYS_RT_SIGACTION, [6]uint64{10, 0x1000, 0, 8}, 0, NoPath, m),
			`rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[INT RT_5], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f8b870c6050}, NULL, 8) = 0`)
		add("rt_sigaction get", line(unix.SYS_RT_SIGACTION, [6]uint64{12, 0, 0x2000, 8}, 0, NoPath, m),
			`rt_sigaction(SIGUSR2, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0`)
		add("rt_sigaction get entry", entryView(unix.SYS_RT_SIGACTION, [6]uint64{12, 0, 0x2000, 8}, NoPath, m),
			`rt_sigaction(SIGUSR2, NULL, 0x2000, 8`)
		sa2 := make([]byte, 32)
		le64(sa2, 0, 0x55c9210de428)
		le64(sa2, 8, 0xffffffff00000000|0x04000000|0x08000000|0x10000000|0x40000000|0x80000000|7)
		le64(sa2, 16, 0x7f5bff336050)
		m.put(0x3000, sa2)
		add("rt_sigaction all flags", line(unix.SYS_RT_SIGACTION, [6]uint64{17, 0x3000, 0, 8}, 0, NoPath, m),
			`rt_sigaction(SIGCHLD, {sa_handler=0x55c9210de428, sa_mask=[], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_NODEFER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|SA_NOCLDWAIT|0xffffffff00000000, sa_restorer=0x7f5bff336050}, NULL, 8) = 0`)
		m.words(0x4000, ^uint64(0)&^(1<<31|1<<32))            // glibc's sigfillset
		m.words(0x5000, 1<<(17-1))                            // [CHLD]
		m.words(0x6000, ^uint64(0)&^(1<<8|1<<18|1<<31|1<<32)) // after the kernel drops KILL and STOP
		m.words(0x7000, ^uint64(0))                           // everything
		m.words(0x8000, 1<<31|1<<32)                          // RTMIN RT_1
		add("sigprocmask block all", line(unix.SYS_RT_SIGPROCMASK, [6]uint64{0, 0x4000, 0, 8}, 0, NoPath, m),
			`rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1], NULL, 8) = 0`)
		add("sigprocmask setmask", line(unix.SYS_RT_SIGPROCMASK, [6]uint64{2, 0x5000, 0x6000, 8}, 0, NoPath, m),
			`rt_sigprocmask(SIG_SETMASK, [CHLD], ~[KILL STOP RTMIN RT_1], 8) = 0`)
		add("sigprocmask full", line(unix.SYS_RT_SIGPROCMASK, [6]uint64{0, 0x7000, 0x2000, 8}, 0, NoPath, m),
			`rt_sigprocmask(SIG_BLOCK, ~[], [], 8) = 0`)
		add("sigprocmask unblock", line(unix.SYS_RT_SIGPROCMASK, [6]uint64{1, 0x8000, 0, 8}, 0, NoPath, m),
			`rt_sigprocmask(SIG_UNBLOCK, [RTMIN RT_1], NULL, 8) = 0`)
		ss := make([]byte, 24)
		le64(ss, 0, 0x7ffdedb0b0b0)
		le64(ss, 16, 4096)
		m.put(0x9000, ss)
		add("sigaltstack set", line(unix.SYS_SIGALTSTACK, [6]uint64{0x9000, 0}, 0, NoPath, m),
			`sigaltstack({ss_sp=0x7ffdedb0b0b0, ss_flags=0, ss_size=4096}, NULL) = 0`)
		add("sigaltstack get", line(unix.SYS_SIGALTSTACK, [6]uint64{0, 0x9000}, 0, NoPath, m),
			`sigaltstack(NULL, {ss_sp=0x7ffdedb0b0b0, ss_flags=0, ss_size=4096}) = 0`)
	}
	add("sigprocmask bad how", line(unix.SYS_RT_SIGPROCMASK, [6]uint64{9, 0, 0, 8}, 0, NoPath, nil), `rt_sigprocmask(0x9 /* SIG_??? */, NULL, NULL, 8) = 0`)
	add("rt_sigsuspend", line(unix.SYS_RT_SIGSUSPEND, [6]uint64{0, 8}, -14, NoPath, nil), `rt_sigsuspend(NULL, 8) = -1 EFAULT (Bad address)`)
	add("kill 0", line(unix.SYS_KILL, [6]uint64{0, 0}, 0, NoPath, nil), `kill(0, 0) = 0`)
	add("kill -1", line(unix.SYS_KILL, [6]uint64{neg(-1), 0}, 0, NoPath, nil), `kill(-1, 0) = 0`)
	add("kill winch", line(unix.SYS_KILL, [6]uint64{13808, 28}, 0, NoPath, nil), `kill(13808, SIGWINCH) = 0`)
	add("tgkill rt", line(unix.SYS_TGKILL, [6]uint64{1, 2, 40}, -3, NoPath, nil), `tgkill(1, 2, SIGRT_8) = -1 ESRCH (No such process)`)
	add("tgkill 99", line(unix.SYS_TGKILL, [6]uint64{1, 2, 99}, -3, NoPath, nil), `tgkill(1, 2, 99) = -1 ESRCH (No such process)`)
	add("tkill", line(unix.SYS_TKILL, [6]uint64{5, 11}, 0, NoPath, nil), `tkill(5, SIGSEGV) = 0`)
	add("kill killed", line(unix.SYS_KILL, [6]uint64{13810, 9}, 0, NoPath, nil), `kill(13810, SIGKILL) = 0`)

	// Time.
	{
		m := newMem()
		m.words(0x1000, 0, 1000)
		add("clock_nanosleep", line(unix.SYS_CLOCK_NANOSLEEP, [6]uint64{0, 0, 0x1000, 0}, 0, NoPath, m),
			`clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0`)
		add("clock_nanosleep abs", line(unix.SYS_CLOCK_NANOSLEEP, [6]uint64{1, 1, 0x1000, 0}, 0, NoPath, m),
			`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=0, tv_nsec=1000}, NULL) = 0`)
		add("clock_nanosleep rem", line(unix.SYS_CLOCK_NANOSLEEP, [6]uint64{0, 0, 0x1000, 0x7ffc38fa7f50}, 0, NoPath, m),
			`clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, 0x7ffc38fa7f50) = 0`)
		add("nanosleep", line(unix.SYS_NANOSLEEP, [6]uint64{0x1000, 0}, 0, NoPath, m), `nanosleep({tv_sec=0, tv_nsec=1000}, NULL) = 0`)
		m.words(0x7000, 0, 999)
		add("restart_syscall", line(unix.SYS_RESTART_SYSCALL, [6]uint64{}, 0, NoPath, resumerMem{m, unix.SYS_CLOCK_NANOSLEEP}),
			`restart_syscall(<... resuming interrupted clock_nanosleep ...>) = 0`)
		add("restart_syscall unknown", line(unix.SYS_RESTART_SYSCALL, [6]uint64{}, 0, NoPath, resumerMem{m, -1}),
			`restart_syscall(<... resuming interrupted system call ...>) = 0`)
		add("nanosleep rem", line(unix.SYS_NANOSLEEP, [6]uint64{0x1000, 0x7000}, 0, NoPath, m), `nanosleep({tv_sec=0, tv_nsec=1000}, 0x7000) = 0`)
		add("nanosleep interrupted", line(unix.SYS_NANOSLEEP, [6]uint64{0x1000, 0x7000}, -516, NoPath, m),
			`nanosleep({tv_sec=0, tv_nsec=1000}, {tv_sec=0, tv_nsec=999}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)`)
		add("nanosleep EINTR", line(unix.SYS_NANOSLEEP, [6]uint64{0x1000, 0x7000}, -4, NoPath, m),
			`nanosleep({tv_sec=0, tv_nsec=1000}, 0x7000) = -1 EINTR (Interrupted system call)`)
		add("clock_nanosleep interrupted", line(unix.SYS_CLOCK_NANOSLEEP, [6]uint64{0, 0, 0x1000, 0x7000}, -516, NoPath, m),
			`clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, {tv_sec=0, tv_nsec=999}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)`)
		add("clock_nanosleep abs interrupted", line(unix.SYS_CLOCK_NANOSLEEP, [6]uint64{0, 1, 0x1000, 0x7000}, -514, NoPath, m),
			`clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, {tv_sec=0, tv_nsec=1000}, 0x7000) = ? ERESTARTNOHAND (To be restarted if no handler)`)
		m.words(0x2000, 0, 0, 0, 0)
		add("getitimer", line(unix.SYS_GETITIMER, [6]uint64{0, 0x2000}, 0, NoPath, m),
			`getitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}) = 0`)
		m.words(0x3000, 20000, 20000)
		m.words(0x4000, 0, ^uint64(0))
		m.words(0x5000, 8192*1024, ^uint64(0))
		m.words(0x6000, 1024, 4096)
		add("prlimit nofile", line(unix.SYS_PRLIMIT64, [6]uint64{0, 7, 0, 0x3000}, 0, NoPath, m),
			`prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=20000, rlim_max=20000}) = 0`)
		add("prlimit core", line(unix.SYS_PRLIMIT64, [6]uint64{0, 4, 0, 0x4000}, 0, NoPath, m),
			`prlimit64(0, RLIMIT_CORE, NULL, {rlim_cur=0, rlim_max=RLIM64_INFINITY}) = 0`)
		add("prlimit stack", line(unix.SYS_PRLIMIT64, [6]uint64{0, 3, 0, 0x5000}, 0, NoPath, m),
			`prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0`)
		add("prlimit set", line(unix.SYS_PRLIMIT64, [6]uint64{0, 7, 0x6000, 0}, 0, NoPath, m),
			`prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}, NULL) = 0`)
	}

	// Network.
	add("socket inet", line(unix.SYS_SOCKET, [6]uint64{2, 1 | 0o2000000, 0}, 13, NoPath, nil), `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 13`)
	add("socket inet6", line(unix.SYS_SOCKET, [6]uint64{10, 2, 17}, 14, NoPath, nil), `socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) = 14`)
	add("socket unix", line(unix.SYS_SOCKET, [6]uint64{1, 5 | 0o4000, 0}, 15, NoPath, nil), `socket(AF_UNIX, SOCK_SEQPACKET|SOCK_NONBLOCK, 0) = 15`)
	add("socket netlink", line(unix.SYS_SOCKET, [6]uint64{16, 3, 0}, 16, NoPath, nil), `socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 16`)
	add("socket packet", line(unix.SYS_SOCKET, [6]uint64{17, 3, 768}, 17, NoPath, nil), `socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) = 17`)
	add("socket junk", line(unix.SYS_SOCKET, [6]uint64{99, 99, 99}, -22, NoPath, nil),
		`socket(0x63 /* AF_??? */, SOCK_RAW|0x60 /* SOCK_??? */, 99) = -1 EINVAL (Invalid argument)`)
	{
		m := newMem()
		one := m.u32s(0x1000, 1)
		zero := m.u32s(0x1100, 0)
		four := m.u32s(0x1200, 4)
		add("setsockopt", line(unix.SYS_SETSOCKOPT, [6]uint64{13, 1, 2, one, 4}, 0, NoPath, m), `setsockopt(13, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`)
		add("setsockopt tcp", line(unix.SYS_SETSOCKOPT, [6]uint64{13, 6, 1, one, 4}, 0, NoPath, m), `setsockopt(13, SOL_TCP, TCP_NODELAY, [1], 4) = 0`)
		add("getsockopt", line(unix.SYS_GETSOCKOPT, [6]uint64{13, 1, 4, zero, four}, 0, NoPath, m), `getsockopt(13, SOL_SOCKET, SO_ERROR, [0], [4]) = 0`)
		add("getsockopt entry", entryView(unix.SYS_GETSOCKOPT, [6]uint64{13, 1, 4, zero, four}, NoPath, m), `getsockopt(13, SOL_SOCKET, SO_ERROR, 0x1100, 0x1200`)

		in := make([]byte, 16)
		le16(in, 0, 2)
		copy(in[2:], []byte{0, 1, 127, 0, 0, 1})
		sin := m.put(0x2000, in)
		add("connect inet", line(unix.SYS_CONNECT, [6]uint64{13, sin, 16}, -111, NoPath, m),
			`connect(13, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused)`)
		add("bind inet", line(unix.SYS_BIND, [6]uint64{13, sin, 16}, 0, NoPath, m),
			`bind(13, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`)
		add("connect no mem", line(unix.SYS_CONNECT, [6]uint64{13, sin, 16}, 0, NoPath, nil), `connect(13, 0x2000, 16) = 0`)
		in6 := make([]byte, 28)
		le16(in6, 0, 10)
		copy(in6[2:], []byte{0x01, 0xbb})
		in6[23] = 1
		s6 := m.put(0x3000, in6)
		add("connect inet6", line(unix.SYS_CONNECT, [6]uint64{18, s6, 28}, -111, NoPath, m),
			`connect(18, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ECONNREFUSED (Connection refused)`)
		un := make([]byte, 110)
		le16(un, 0, 1)
		copy(un[2:], "/run/nonexist.sock")
		sun := m.put(0x4000, un)
		add("connect unix", line(unix.SYS_CONNECT, [6]uint64{19, sun, 110}, -2, NoPath, m),
			`connect(19, {sa_family=AF_UNIX, sun_path="/run/nonexist.sock"}, 110) = -1 ENOENT (No such file or directory)`)
		ab := make([]byte, 110)
		le16(ab, 0, 1)
		copy(ab[3:], "abstract")
		sab := m.put(0x5000, ab)
		add("connect abstract", line(unix.SYS_CONNECT, [6]uint64{19, sab, 11}, -111, NoPath, m),
			`connect(19, {sa_family=AF_UNIX, sun_path=@"abstract"}, 11) = -1 ECONNREFUSED (Connection refused)`)
		sixteen := m.u32s(0x1300, 16)
		add("getsockname", line(unix.SYS_GETSOCKNAME, [6]uint64{13, sin, sixteen}, 0, NoPath, m),
			`getsockname(13, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, [16]) = 0`)
		hi := m.put(0x6000, []byte("hi"))
		add("sendto", line(unix.SYS_SENDTO, [6]uint64{13, hi, 2, 0x4040, 0, 0}, -32, NoPath, m),
			`sendto(13, "hi", 2, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = -1 EPIPE (Broken pipe)`)
		add("recvfrom", line(unix.SYS_RECVFROM, [6]uint64{13, 0x7ffc38fa8120, 10, 0, 0, 0}, -107, NoPath, m),
			`recvfrom(13, 0x7ffc38fa8120, 10, 0, NULL, NULL) = -1 ENOTCONN (Transport endpoint is not connected)`)
		add("accept4", line(unix.SYS_ACCEPT4, [6]uint64{13, 0, 0, 0o2000000}, -11, NoPath, m),
			`accept4(13, NULL, NULL, SOCK_CLOEXEC) = -1 EAGAIN (Resource temporarily unavailable)`)
		add("shutdown", line(unix.SYS_SHUTDOWN, [6]uint64{13, 2}, 0, NoPath, m), `shutdown(13, SHUT_RDWR) = 0`)
		add("listen", line(unix.SYS_LISTEN, [6]uint64{13, 128}, 0, NoPath, m), `listen(13, 128) = 0`)

		// iovecs and msghdrs.
		hello, nl := m.put(0x7000, []byte("hello")), m.put(0x7100, []byte("\n"))
		iov := m.words(0x7200, hello, 5, nl, 1)
		add("writev", line(unix.SYS_WRITEV, [6]uint64{1, iov, 2}, 6, NoPath, m),
			`writev(1, [{iov_base="hello", iov_len=5}, {iov_base="\n", iov_len=1}], 2) = 6`)
		abc, defgh := m.put(0x8000, []byte("abc")), m.put(0x8100, []byte("defgh"))
		iov2 := m.words(0x8200, abc, 3, defgh, 5)
		mh := make([]byte, 56)
		le64(mh, 16, iov2)
		le64(mh, 24, 2)
		msg := m.put(0x8300, mh)
		add("sendmsg", line(unix.SYS_SENDMSG, [6]uint64{3, msg, 0}, 8, NoPath, m),
			`sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abc", iov_len=3}, {iov_base="defgh", iov_len=5}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 8`)
		b1, b2 := m.put(0x9000, []byte("ab")), m.put(0x9100, []byte("cdefgh\x00\x00\x00\x00"))
		iov3 := m.words(0x9200, b1, 2, b2, 10)
		add("readv", line(unix.SYS_READV, [6]uint64{4, iov3, 2}, 8, NoPath, m),
			`readv(4, [{iov_base="ab", iov_len=2}, {iov_base="cdefgh", iov_len=10}], 2) = 8`)
		mh2 := make([]byte, 56)
		le64(mh2, 16, iov3)
		le64(mh2, 24, 2)
		msg2 := m.put(0x9300, mh2)
		m.put(0x9000, []byte("xy"))
		m.put(0x9100, []byte("z\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
		add("recvmsg", line(unix.SYS_RECVMSG, [6]uint64{4, msg2, 0x40}, 3, NoPath, m),
			`recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="xy", iov_len=2}, {iov_base="z", iov_len=10}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, MSG_DONTWAIT) = 3`)
	}

	// Polling.
	{
		m := newMem()
		ev := make([]byte, 12)
		le32(ev, 0, 0x80000001)
		le64(ev, 4, 0x100000003)
		m.put(0x1000, ev)
		add("epoll_create1", line(unix.SYS_EPOLL_CREATE1, [6]uint64{0o2000000}, 20, NoPath, m), `epoll_create1(EPOLL_CLOEXEC) = 20`)
		add("epoll_create", line(unix.SYS_EPOLL_CREATE, [6]uint64{1}, 5, NoPath, m), `epoll_create(1) = 5`)
		add("epoll_ctl", line(unix.SYS_EPOLL_CTL, [6]uint64{20, 1, 0, 0x1000}, -1, NoPath, m),
			`epoll_ctl(20, EPOLL_CTL_ADD, 0, {events=EPOLLIN|EPOLLET, data={u32=3, u64=4294967299}}) = -1 EPERM (Operation not permitted)`)
		add("epoll_wait none", line(unix.SYS_EPOLL_WAIT, [6]uint64{20, 0x2000, 4, 0}, 0, NoPath, m), `epoll_wait(20, [], 4, 0) = 0`)
		evs := make([]byte, 48)
		le32(evs, 0, 4)
		le64(evs, 4, 3)
		m.put(0x2000, evs)
		add("epoll_wait one", line(unix.SYS_EPOLL_WAIT, [6]uint64{5, 0x2000, 4, 10}, 1, NoPath, m),
			`epoll_wait(5, [{events=EPOLLOUT, data={u32=3, u64=3}}], 4, 10) = 1`)
		add("epoll_pwait", line(unix.SYS_EPOLL_PWAIT, [6]uint64{5, 0x2000, 4, 10, 0, 8}, 1, NoPath, m),
			`epoll_pwait(5, [{events=EPOLLOUT, data={u32=3, u64=3}}], 4, 10, NULL, 8) = 1`)
		pfd := make([]byte, 8)
		le16(pfd, 4, 3)
		le16(pfd, 6, 1)
		m.put(0x3000, pfd)
		add("poll", line(unix.SYS_POLL, [6]uint64{0x3000, 1, 0}, 1, NoPath, m),
			`poll([{fd=0, events=POLLIN|POLLPRI}], 1, 0) = 1 ([{fd=0, revents=POLLIN}])`)
		pfd2 := make([]byte, 16)
		le16(pfd2, 4, 1)
		le16(pfd2, 6, 1)
		le32(pfd2, 8, 0xffffffff)
		le16(pfd2, 12, 4)
		m.put(0x4000, pfd2)
		m.words(0x5000, 0, 100)
		m.words(0x5100, 0, 0)
		add("poll two", line(unix.SYS_POLL, [6]uint64{0x4000, 2, neg(-1)}, 1, NoPath, m),
			`poll([{fd=0, events=POLLIN}, {fd=-1}], 2, -1) = 1 ([{fd=0, revents=POLLIN}])`)
		add("poll timeout", line(unix.SYS_POLL, [6]uint64{0x4000, 2, 100}, 0, NoPath, m),
			`poll([{fd=0, events=POLLIN}, {fd=-1}], 2, 100) = 0 (Timeout)`)
		add("ppoll", line(unix.SYS_PPOLL, [6]uint64{0x4000, 2, 0x5000, 0, 8}, 1, NoPath, m),
			`ppoll([{fd=0, events=POLLIN}, {fd=-1}], 2, {tv_sec=0, tv_nsec=100}, NULL, 8) = 1 ([{fd=0, revents=POLLIN}], left {tv_sec=0, tv_nsec=100})`)
		m.words(0x6000, 1|1<<5)
		m.words(0x6100, 0, 100000)
		add("pselect6", line(unix.SYS_PSELECT6, [6]uint64{6, 0x6000, 0, 0, 0x6100, 0}, -9, NoPath, m),
			`pselect6(6, [0 5], NULL, NULL, {tv_sec=0, tv_nsec=100000}, NULL) = -1 EBADF (Bad file descriptor)`)
		m.words(0x6200, 1<<3)
		m.words(0x6300, 0, 8)
		add("pselect6 sig", line(unix.SYS_PSELECT6, [6]uint64{6, 0x6200, 0, 0x6200, 0x5000, 0x6300}, -9, NoPath, m),
			`pselect6(6, [3], NULL, [3], {tv_sec=0, tv_nsec=100}, {sigmask=NULL, sigsetsize=8}) = -1 EBADF (Bad file descriptor)`)
		add("pselect6 timeout", line(unix.SYS_PSELECT6, [6]uint64{6, 0x6200, 0, 0, 0x5100, 0}, 0, NoPath, m),
			`pselect6(6, [3], NULL, NULL, {tv_sec=0, tv_nsec=0}, NULL) = 0 (Timeout)`)
	}
	add("eventfd2", line(unix.SYS_EVENTFD2, [6]uint64{0, 0o2004000}, 21, NoPath, nil), `eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 21`)
	add("timerfd_create", line(unix.SYS_TIMERFD_CREATE, [6]uint64{1, 0o2000000}, 22, NoPath, nil), `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) = 22`)
	{
		m := newMem()
		add("memfd_create", line(unix.SYS_MEMFD_CREATE, [6]uint64{m.str(0x1000, "foo"), 3}, 23, NoPath, m), `memfd_create("foo", MFD_CLOEXEC|MFD_ALLOW_SEALING) = 23`)
		add("getrandom", line(unix.SYS_GETRANDOM, [6]uint64{m.put(0x2000, []byte{0x36, 0xfc, 0x03, 0x69, 0xb8, 0x49, 0xa7, 0x54}), 8, 1}, 8, NoPath, m),
			`getrandom("\x36\xfc\x03\x69\xb8\x49\xa7\x54", 8, GRND_NONBLOCK) = 8`)
	}

	// Processes.
	{
		m := newMem()
		add("clone fork", line(unix.SYS_CLONE, [6]uint64{0x1200000 | 17, 0, 0, 0x7f8b87087a10, 0}, 13809, NoPath, m),
			`clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f8b87087a10) = 13809`)
		ptid := m.u32s(0x1000, 8163)
		add("clone thread", line(unix.SYS_CLONE, [6]uint64{0x3d0f00, 0x7f2c1e1fdff0, ptid, 0x7f2c1e1fe9d0, 0x7f2c1e1fe700}, 8163, NoPath, m),
			`clone(child_stack=0x7f2c1e1fdff0, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[8163], tls=0x7f2c1e1fe700, child_tidptr=0x7f2c1e1fe9d0) = 8163`) // order as in strace's clone.c
		ca := make([]byte, 88)
		le64(ca, 0, 0x3d0f00)
		le64(ca, 16, 0x7f5bff2f6990)
		le64(ca, 24, 0x1100)
		le64(ca, 40, 0x7f5bfeaf6000)
		le64(ca, 48, 0x7fff80)
		le64(ca, 56, 0x7f5bff2f66c0)
		m.put(0x2000, ca)
		m.u32s(0x1100, 15595)
		add("clone3", line(unix.SYS_CLONE3, [6]uint64{0x2000, 88}, 15595, NoPath, m),
			`clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f5bff2f6990, parent_tid=0x1100, exit_signal=0, stack=0x7f5bfeaf6000, stack_size=0x7fff80, tls=0x7f5bff2f66c0} => {parent_tid=[15595]}, 88) = 15595`)
		add("clone3 NULL", line(unix.SYS_CLONE3, [6]uint64{0, 88}, -14, NoPath, m), `clone3(NULL, 88) = -1 EFAULT (Bad address)`)

		st := m.u32s(0x3000, 3<<8)
		add("wait4 exited", line(unix.SYS_WAIT4, [6]uint64{13809, st, 0, 0}, 13809, NoPath, m),
			`wait4(13809, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 13809`)
		m.u32s(0x3100, 9)
		add("wait4 killed", line(unix.SYS_WAIT4, [6]uint64{13810, 0x3100, 0, 0}, 13810, NoPath, m),
			`wait4(13810, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 13810`)
		m.u32s(0x3200, 19<<8|0x7f)
		add("wait4 stopped", line(unix.SYS_WAIT4, [6]uint64{15608, 0x3200, 2, 0}, 15608, NoPath, m),
			`wait4(15608, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WSTOPPED, NULL) = 15608`)
		m.u32s(0x3300, 11|0x80)
		add("wait4 core", line(unix.SYS_WAIT4, [6]uint64{1, 0x3300, 0, 0}, 1, NoPath, m),
			`wait4(1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 1`)
		add("wait4 nohang", line(unix.SYS_WAIT4, [6]uint64{neg(-1), 0x7ffc38fa7bac, 0x40000001, 0}, 0, NoPath, m),
			`wait4(-1, 0x7ffc38fa7bac, WNOHANG|__WALL, NULL) = 0`)
		add("wait4 echild", line(unix.SYS_WAIT4, [6]uint64{neg(-1), 0x7ffc38fa7bac, 1, 0}, -10, NoPath, m),
			`wait4(-1, 0x7ffc38fa7bac, WNOHANG, NULL) = -1 ECHILD (No child processes)`)

		prog, a1, a2 := m.str(0x4000, "/bin/true"), m.str(0x4100, "arg with \"q\""), m.str(0x4200, "0123456789012345678901234567890123456789")
		argv := m.words(0x4300, prog, a1, a2, 0)
		env := m.words(0x7ffc38fa7b70, m.str(0x4400, "A=1"), 0)
		add("execve", line(unix.SYS_EXECVE, [6]uint64{m.str(0x4500, "/nonexist"), argv, env}, -2, NoPath, m),
			`execve("/nonexist", ["/bin/true", "arg with \"q\"", "01234567890123456789012345678901"...], 0x7ffc38fa7b70 /* 1 var */) = -1 ENOENT (No such file or directory)`)
		add("execve ok", line(unix.SYS_EXECVE, [6]uint64{prog, argv, env}, 0, NoPath, m),
			`execve("/bin/true", ["/bin/true", "arg with \"q\"", "01234567890123456789012345678901"...], 0x7ffc38fa7b70 /* 1 var */) = 0`)
		add("execve no mem", line(unix.SYS_EXECVE, [6]uint64{prog, argv, env}, 0, "/bin/true", nil),
			`execve("/bin/true", 0x4300, 0x7ffc38fa7b70) = 0`)

		u := make([]byte, 390)
		copy(u, "Linux")
		copy(u[65:], "vm")
		m.put(0x5000, u)
		add("uname", line(unix.SYS_UNAME, [6]uint64{0x5000}, 0, NoPath, m), `uname({sysname="Linux", nodename="vm", ...}) = 0`)
		fs := m.words(0x5200, 0x7f8b87087740)
		add("arch_prctl get", line(unix.SYS_ARCH_PRCTL, [6]uint64{0x1003, fs}, 0, NoPath, m), `arch_prctl(ARCH_GET_FS, [0x7f8b87087740]) = 0`)
		add("arch_prctl set", line(unix.SYS_ARCH_PRCTL, [6]uint64{0x1002, 0x7f4cbe136740}, 0, NoPath, m), `arch_prctl(ARCH_SET_FS, 0x7f4cbe136740) = 0`)
		add("arch_prctl bad", line(unix.SYS_ARCH_PRCTL, [6]uint64{0x3001, 0x7ffc38fa7bb0}, -22, NoPath, m),
			`arch_prctl(0x3001 /* ARCH_??? */, 0x7ffc38fa7bb0) = -1 EINVAL (Invalid argument)`)
		add("prctl set name", line(unix.SYS_PRCTL, [6]uint64{15, m.str(0x5300, "myname")}, 0, NoPath, m), `prctl(PR_SET_NAME, "myname") = 0`)
		add("prctl pdeathsig", line(unix.SYS_PRCTL, [6]uint64{1, 9}, 0, NoPath, m), `prctl(PR_SET_PDEATHSIG, SIGKILL) = 0`)
		add("prctl dumpable", line(unix.SYS_PRCTL, [6]uint64{3}, 1, NoPath, m), `prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)`)
		add("prctl nnp", line(unix.SYS_PRCTL, [6]uint64{38, 1, 0, 0, 0}, 0, NoPath, m), `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0`)
		m.u32s(0x5400, 0, 0, 0)
		add("getresuid", line(unix.SYS_GETRESUID, [6]uint64{0x5400, 0x5404, 0x5408}, 0, NoPath, m), `getresuid([0], [0], [0]) = 0`)
		add("getgroups 0", line(unix.SYS_GETGROUPS, [6]uint64{0, 0}, 0, NoPath, m), `getgroups(0, NULL) = 0`)
		add("getgroups empty", line(unix.SYS_GETGROUPS, [6]uint64{4, 0x5400}, 0, NoPath, m), `getgroups(4, []) = 0`)
		m.put(0x5500, []byte{3, 0, 0, 0, 0, 0, 0, 0})
		add("sched_getaffinity", line(unix.SYS_SCHED_GETAFFINITY, [6]uint64{0, 128, 0x5500}, 8, NoPath, m), `sched_getaffinity(0, 128, [0 1]) = 8`)
	}
	add("set_tid_address", line(unix.SYS_SET_TID_ADDRESS, [6]uint64{0x7f4cbe136a10}, 4022, NoPath, nil), `set_tid_address(0x7f4cbe136a10) = 4022`)
	add("set_robust_list", line(unix.SYS_SET_ROBUST_LIST, [6]uint64{0x7f4cbe136a20, 24}, 0, NoPath, nil), `set_robust_list(0x7f4cbe136a20, 24) = 0`)
	add("rseq", line(unix.SYS_RSEQ, [6]uint64{0x7f4cbe137060, 0x20, 0, 0x53053053}, 0, NoPath, nil), `rseq(0x7f4cbe137060, 0x20, 0, 0x53053053) = 0`)
	add("getpid", line(unix.SYS_GETPID, [6]uint64{}, 13808, NoPath, nil), `getpid() = 13808`)
	add("setsid", line(unix.SYS_SETSID, [6]uint64{}, -1, NoPath, nil), `setsid() = -1 EPERM (Operation not permitted)`)
	add("setpgid", line(unix.SYS_SETPGID, [6]uint64{0, 0}, 0, NoPath, nil), `setpgid(0, 0) = 0`)
	add("setuid", line(unix.SYS_SETUID, [6]uint64{0}, 0, NoPath, nil), `setuid(0) = 0`)
	add("alarm", line(unix.SYS_ALARM, [6]uint64{0}, 0, NoPath, nil), `alarm(0) = 0`)
	add("sched_yield", line(unix.SYS_SCHED_YIELD, [6]uint64{}, 0, NoPath, nil), `sched_yield() = 0`)
	add("unshare", line(unix.SYS_UNSHARE, [6]uint64{0x4020000}, 0, NoPath, nil), `unshare(CLONE_NEWNS|CLONE_NEWUTS) = 0`)
	add("setns", line(unix.SYS_SETNS, [6]uint64{0, 0x40000000}, -22, NoPath, nil), `setns(0, CLONE_NEWNET) = -1 EINVAL (Invalid argument)`)
	add("pidfd_open", line(unix.SYS_PIDFD_OPEN, [6]uint64{15594, 0}, 8, NoPath, nil), `pidfd_open(15594, 0) = 8`)
	add("setpriority", line(unix.SYS_SETPRIORITY, [6]uint64{0, 0, 5}, 0, NoPath, nil), `setpriority(PRIO_PROCESS, 0, 5) = 0`)
	add("getpriority", line(unix.SYS_GETPRIORITY, [6]uint64{0, 0}, 15, NoPath, nil), `getpriority(PRIO_PROCESS, 0) = 15`)
	add("bpf", line(unix.SYS_BPF, [6]uint64{0, 0, 0}, -22, NoPath, nil), `bpf(BPF_MAP_CREATE, NULL, 0) = -1 EINVAL (Invalid argument)`)
	add("seccomp", line(unix.SYS_SECCOMP, [6]uint64{0, 0, 0}, 0, NoPath, nil), `seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL) = 0`)
	add("futex wait", line(unix.SYS_FUTEX, [6]uint64{0x7ffc38fa7f4c, 128, 2, 0}, -11, NoPath, nil),
		`futex(0x7ffc38fa7f4c, FUTEX_WAIT_PRIVATE, 2, NULL) = -1 EAGAIN (Resource temporarily unavailable)`)
	add("futex wake", line(unix.SYS_FUTEX, [6]uint64{0x7ffc38fa7f4c, 1, 1}, 0, NoPath, nil), `futex(0x7ffc38fa7f4c, FUTEX_WAKE, 1) = 0`)
	add("futex wake private", line(unix.SYS_FUTEX, [6]uint64{0x7f4cbe30da4c, 129, 2147483647}, 0, NoPath, nil),
		`futex(0x7f4cbe30da4c, FUTEX_WAKE_PRIVATE, 2147483647) = 0`)
	add("futex bitset", line(unix.SYS_FUTEX, [6]uint64{0x7ffc38fa7f4c, 9 | 256, 1, 0, 0, 0xffffffff}, -11, NoPath, nil),
		`futex(0x7ffc38fa7f4c, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 1, NULL, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)`)

	// Unknown system calls print all six arguments in hex.
	add("unknown 12345", line(12345, [6]uint64{0x5421, 0x7ffc38fa8120, 0x7f8b8718b829, 0, 0, 0}, -38, NoPath, nil),
		`syscall_0x3039(0x5421, 0x7ffc38fa8120, 0x7f8b8718b829, 0, 0, 0) = -1 ENOSYS (Function not implemented)`)
	add("unknown 400", line(400, [6]uint64{0x7ffc38fa8120, 0x7f8b8718b829, 0xffffffffffffff80, 0, 0, 0}, -38, NoPath, nil),
		`syscall_0x190(0x7ffc38fa8120, 0x7f8b8718b829, 0xffffffffffffff80, 0, 0, 0) = -1 ENOSYS (Function not implemented)`)
	// Known but not specially decoded: as many hex arguments as it takes.
	add("generic", line(unix.SYS_KCMP, [6]uint64{1, 2, 0, 3, 0, 9}, 0, NoPath, nil), `kcmp(0x1, 0x2, 0, 0x3, 0) = 0`)

	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got: %s\nwant: %s", c.name, c.got, c.want)
		}
	}
}

func TestFormatReturn(t *testing.T) {
	cases := []struct {
		nr   int
		ret  int64
		want string
	}{
		{unix.SYS_OPENAT, 3, " = 3"},
		{unix.SYS_OPENAT, -2, " = -1 ENOENT (No such file or directory)"},
		{unix.SYS_MMAP, 0x7f12345000, " = 0x7f12345000"},
		{unix.SYS_MMAP, -12, " = -1 ENOMEM (Cannot allocate memory)"},
		{unix.SYS_BRK, 0x563b8ba3a000, " = 0x563b8ba3a000"},
		{unix.SYS_EXIT_GROUP, 0, " = ?"},
		{unix.SYS_EXIT, 12, " = ?"},
		{unix.SYS_UMASK, 0o22, " = 022"},
		{unix.SYS_UMASK, 0, " = 0"},
		{unix.SYS_READ, -512, " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"},
		{unix.SYS_WAIT4, -513, " = ? ERESTARTNOINTR (To be restarted)"},
		{unix.SYS_PAUSE, -514, " = ? ERESTARTNOHAND (To be restarted if no handler)"},
		{unix.SYS_NANOSLEEP, -516, " = ? ERESTART_RESTARTBLOCK (Interrupted by signal)"},
		{unix.SYS_IOCTL, -515, " = -1 ENOIOCTLCMD (Unknown error 515)"},
		{unix.SYS_READ, -41, " = -1 ERRNO_41 (Unknown error 41)"},
		{unix.SYS_READ, -117, " = -1 EUCLEAN (Structure needs cleaning)"},
		{unix.SYS_READ, -133, " = -1 EHWPOISON (Memory page has hardware error)"},
		{unix.SYS_READ, -4095, " = -1 ERRNO_4095 (Unknown error 4095)"},
		{unix.SYS_READ, -4096, " = -4096"}, // not an error value
		{unix.SYS_GETPID, 13808, " = 13808"},
		{99999, -38, " = -1 ENOSYS (Function not implemented)"},
		{unix.SYS_FCNTL, 0x8002, " = 32770"}, // no args: no flag decoding
	}
	for _, c := range cases {
		if got := string(FormatReturn(nil, c.nr, c.ret)); got != c.want {
			t.Errorf("FormatReturn(%s, %d) = %q, want %q", sysabi.Name(c.nr), c.ret, got, c.want)
		}
	}
	if !strings.HasPrefix(Unavailable, " = ?") {
		t.Errorf("Unavailable = %q", Unavailable)
	}
}

func TestFormatLinePadding(t *testing.T) {
	cases := []struct {
		prefix string
		nr     int
		args   [6]uint64
		ret    int64
		want   string
	}{
		{"", unix.SYS_CLOSE, [6]uint64{3}, 0, "close(3)                                = 0"},
		{"", unix.SYS_BRK, [6]uint64{0}, 0x563b8ba3a000, "brk(NULL)                               = 0x563b8ba3a000"},
		{"", unix.SYS_ACCESS, [6]uint64{1, 4}, -2, `access("/etc/ld.so.preload", R_OK)      = -1 ENOENT (No such file or directory)`},
		{"", unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o2000000}, 3, `openat(AT_FDCWD, "/etc/ld.so.preload", O_RDONLY|O_CLOEXEC) = 3`},
		// The column counts from the start of the line, not of b.
		{"old line\n1234  ", unix.SYS_CLOSE, [6]uint64{3}, 0, "old line\n1234  close(3)                          = 0"},
	}
	for _, c := range cases {
		got := string(FormatLine([]byte(c.prefix), c.nr, c.args, c.ret, withPath(c.nr, c.args, "/etc/ld.so.preload", nil)))
		if got != c.want {
			t.Errorf("FormatLine:\n got: %q\nwant: %q", got, c.want)
		}
	}
}

func TestArgs(t *testing.T) {
	m := newMem()
	buf := m.put(0x2000, []byte("a, b"))
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"openat", Args(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o2000000}, withPath(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o2000000}, "/etc/hostname", nil)),
			[]string{"AT_FDCWD", `"/etc/hostname"`, "O_RDONLY|O_CLOEXEC"}},
		{"openat creat", Args(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o101, 0o644}, withPath(unix.SYS_OPENAT, [6]uint64{atFDCWD, 1, 0o101, 0o644}, "f", nil)),
			[]string{"AT_FDCWD", `"f"`, "O_WRONLY|O_CREAT", "0644"}},
		{"read entry", Args(unix.SYS_READ, [6]uint64{3, buf, 10}, withPath(unix.SYS_READ, [6]uint64{3, buf, 10}, NoPath, m)), []string{"3", "0x2000", "10"}},
		{"read exit with comma", ArgsExit(unix.SYS_READ, [6]uint64{3, buf, 10}, 4, m), []string{"3", `"a, b"`, "10"}},
		{"none", Args(unix.SYS_GETPID, [6]uint64{}, withPath(unix.SYS_GETPID, [6]uint64{}, NoPath, nil)), []string{}},
		{"clone", Args(unix.SYS_CLONE, [6]uint64{17}, withPath(unix.SYS_CLONE, [6]uint64{17}, NoPath, nil)), []string{"child_stack=NULL", "flags=SIGCHLD"}},
		{"unknown", Args(1000, [6]uint64{1, 2, 3, 4, 5, 6}, withPath(1000, [6]uint64{1, 2, 3, 4, 5, 6}, NoPath, nil)), []string{"0x1", "0x2", "0x3", "0x4", "0x5", "0x6"}},
		{"fcntl", Args(unix.SYS_FCNTL, [6]uint64{0, unix.F_GETFL}, withPath(unix.SYS_FCNTL, [6]uint64{0, unix.F_GETFL}, NoPath, nil)), []string{"0", "F_GETFL"}},
	}
	for _, c := range cases {
		if strings.Join(c.got, "|") != strings.Join(c.want, "|") || len(c.got) != len(c.want) {
			t.Errorf("%s: Args = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestFormatAllocs checks the promise of the package doc: formatting a
// call from captured values into a buffer with room does not allocate.
func TestFormatAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	mem := newMem()
	args := [6]uint64{atFDCWD, mem.str(0x1000, "/etc/hostname"), 0o2000000}
	sig := [6]uint64{0, 0x1000, 0, 8}
	n := testing.AllocsPerRun(100, func() {
		b := FormatCall(buf[:0], unix.SYS_OPENAT, args, mem)
		b = append(b, ')')
		b = FormatReturn(b, unix.SYS_OPENAT, -2)
		b = FormatLine(b[:0], unix.SYS_MMAP, [6]uint64{0, 8192, 3, 0x22, neg(-1), 0}, 0x7f0000, nil)
		_ = FormatLine(b[:0], unix.SYS_RT_SIGPROCMASK, sig, 0, nil)
	})
	if n != 0 {
		t.Errorf("formatting allocated %v times per run", n)
	}
}
