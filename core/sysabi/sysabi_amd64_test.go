package sysabi

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNameNumberRoundTrip(t *testing.T) {
	n := 0
	for nr := 0; nr <= MaxNr; nr++ {
		name := Name(nr)
		got, ok := Number(name)
		if !ok || got != nr {
			t.Errorf("Number(Name(%d) = %q) = %d, %v", nr, name, got, ok)
		}
		if Known(nr) {
			n++
			if strings.HasPrefix(name, "syscall_") {
				t.Errorf("known syscall %d has placeholder name %q", nr, name)
			}
		}
	}
	if n != len(All()) || n < 380 {
		t.Errorf("%d known syscalls, All() has %d", n, len(All()))
	}
}

func TestNames(t *testing.T) {
	cases := []struct {
		nr   int
		name string
	}{
		{0, "read"}, {1, "write"}, {2, "open"}, {9, "mmap"}, {59, "execve"},
		{60, "exit"}, {231, "exit_group"}, {257, "openat"}, {262, "newfstatat"},
		{332, "statx"}, {334, "rseq"}, {435, "clone3"}, {436, "close_range"},
		{437, "openat2"}, {439, "faccessat2"}, {440, "process_madvise"},
		{441, "epoll_pwait2"}, {442, "mount_setattr"}, {444, "landlock_create_ruleset"},
		{445, "landlock_add_rule"}, {446, "landlock_restrict_self"}, {447, "memfd_secret"},
		{448, "process_mrelease"}, {449, "futex_waitv"}, {450, "set_mempolicy_home_node"},
		{451, "cachestat"}, {452, "fchmodat2"}, {453, "map_shadow_stack"},
		{454, "futex_wake"}, {455, "futex_wait"}, {456, "futex_requeue"},
		{457, "statmount"}, {458, "listmount"}, {459, "lsm_get_self_attr"},
		{460, "lsm_set_self_attr"}, {461, "lsm_list_modules"}, {462, "mseal"},
		{463, "setxattrat"}, {464, "getxattrat"}, {465, "listxattrat"},
		{466, "removexattrat"}, {467, "open_tree_attr"}, {468, "file_getattr"},
		{469, "file_setattr"}, {470, "listns"},
		// Unknown numbers are named as strace names them, in hex.
		{335 + 2, "syscall_0x151"}, {400, "syscall_0x190"}, {12345, "syscall_0x3039"},
		{MaxNr + 1, "syscall_0x" + strconv.FormatInt(MaxNr+1, 16)},
	}
	for _, c := range cases {
		if got := Name(c.nr); got != c.name {
			t.Errorf("Name(%d) = %q, want %q", c.nr, got, c.name)
		}
		if got, ok := Number(c.name); !ok || got != c.nr {
			t.Errorf("Number(%q) = %d, %v, want %d", c.name, got, ok, c.nr)
		}
	}
	for _, bad := range []string{"", "nope", "syscall_", "syscall_xyz", "OPENAT", "syscall_-1"} {
		if nr, ok := Number(bad); ok {
			t.Errorf("Number(%q) = %d, want not found", bad, nr)
		}
	}
	if nr, ok := Number("syscall_420"); !ok || nr != 420 {
		t.Errorf("Number(syscall_420) = %d, %v", nr, ok)
	}
	if NumArgs(unix.SYS_OPENAT) != 4 || NumArgs(unix.SYS_GETPID) != 0 || NumArgs(9999) != 6 {
		t.Errorf("NumArgs: openat %d, getpid %d, unknown %d", NumArgs(unix.SYS_OPENAT), NumArgs(unix.SYS_GETPID), NumArgs(9999))
	}
}

// TestTableMatchesXSys cross-checks the table against x/sys/unix's
// constants, an independent copy of the kernel's syscall_64.tbl.
func TestTableMatchesXSys(t *testing.T) {
	for name, nr := range map[string]int{
		"read": unix.SYS_READ, "openat": unix.SYS_OPENAT, "newfstatat": unix.SYS_NEWFSTATAT,
		"umount2": unix.SYS_UMOUNT2, "_sysctl": unix.SYS__SYSCTL, "pread64": unix.SYS_PREAD64,
		"clone3": unix.SYS_CLONE3, "futex_waitv": unix.SYS_FUTEX_WAITV, "cachestat": unix.SYS_CACHESTAT,
		"mseal": unix.SYS_MSEAL, "file_setattr": unix.SYS_FILE_SETATTR, "listns": unix.SYS_LISTNS,
		"rseq_slice_yield": unix.SYS_RSEQ_SLICE_YIELD, "uretprobe": unix.SYS_URETPROBE,
		"uprobe": unix.SYS_UPROBE, "getrandom": unix.SYS_GETRANDOM, "statx": unix.SYS_STATX,
	} {
		if got, ok := Number(name); !ok || got != nr {
			t.Errorf("Number(%q) = %d, %v; x/sys says %d", name, got, ok, nr)
		}
	}
	// The layouts and the path table are keyed by name: every name must
	// be in this architecture's table (or be a call it lacks).
	for name := range layouts {
		if _, ok := Number(name); !ok {
			t.Errorf("layout of %s, which this architecture's table does not have", name)
		}
	}
	for name := range actsOn {
		if _, ok := Number(name); !ok {
			t.Errorf("path argument of %s, which this architecture's table does not have", name)
		}
	}
}

// TestTableMatchesHeader compares the whole table with the installed
// kernel header, when there is one.
func TestTableMatchesHeader(t *testing.T) {
	f, err := os.Open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
	if err != nil {
		f, err = os.Open("/usr/include/asm/unistd_64.h")
	}
	if err != nil {
		t.Skip("no asm/unistd_64.h on this machine")
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define __NR_(\w+)\s+(\d+)`)
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		nr, _ := strconv.Atoi(m[2])
		if got := Name(nr); got != m[1] {
			t.Errorf("header says %d is %s, table says %s", nr, m[1], got)
		}
		n++
	}
	if n < 300 {
		t.Errorf("only %d syscalls in the header", n)
	}
}

func TestClasses(t *testing.T) {
	cases := []struct {
		name string
		want Classes
	}{
		{"openat", ClassDesc | ClassFile},
		{"open", ClassDesc | ClassFile},
		{"read", ClassDesc},
		{"stat", ClassFile | ClassStat | ClassStatLike},
		{"newfstatat", ClassDesc | ClassFile | ClassFStat | ClassStatLike},
		{"statfs", ClassFile | ClassStatfs | ClassStatfsLike},
		{"execve", ClassFile | ClassProcess},
		{"kill", ClassSignal | ClassProcess},
		{"mmap", ClassDesc | ClassMemory},
		{"socket", ClassNetwork},
		{"shmget", ClassIPC},
		{"getpid", ClassPure},
		{"getuid", ClassCreds | ClassPure},
		{"clock_gettime", ClassClock},
		{"sched_yield", 0},
		{"statx", ClassDesc | ClassFile | ClassFStat | ClassStatLike},
		{"faccessat2", ClassDesc | ClassFile},
		{"clone3", ClassProcess},
		{"mseal", ClassMemory},
	}
	for _, c := range cases {
		nr, _ := Number(c.name)
		if got := Class(nr); got != c.want {
			t.Errorf("Class(%s) = %v, want %v", c.name, got, c.want)
		}
	}
	if Class(-1) != 0 || Class(400) != 0 {
		t.Error("unknown syscalls must have no class")
	}
	if got := (ClassDesc | ClassFile).String(); got != "%file|%desc" {
		t.Errorf("String = %q", got)
	}
	if got := ClassStatLike.String(); got != "%%stat" {
		t.Errorf("String = %q", got)
	}
}

func TestParseClass(t *testing.T) {
	for in, want := range map[string]Classes{
		"file": ClassFile, "%file": ClassFile, "%network": ClassNetwork, "net": ClassNetwork, "%net": ClassNetwork,
		"%process": ClassProcess, "signal": ClassSignal, "%memory": ClassMemory, "%desc": ClassDesc,
		"%ipc": ClassIPC, "%creds": ClassCreds, "%clock": ClassClock, "%pure": ClassPure, "%stat": ClassStat,
		"%lstat": ClassLStat, "%fstat": ClassFStat, "%%stat": ClassStatLike, "%statfs": ClassStatfs,
		"%fstatfs": ClassFStatfs, "%%statfs": ClassStatfsLike,
	} {
		got, err := ParseClass(in)
		if err != nil || got != want {
			t.Errorf("ParseClass(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "%", "%files", "%%file", "openat"} {
		if _, err := ParseClass(bad); err == nil {
			t.Errorf("ParseClass(%q) succeeded", bad)
		}
	}
}

func names(nrs []int) []string {
	out := make([]string, len(nrs))
	for i, nr := range nrs {
		out[i] = Name(nr)
	}
	return out
}

func TestExpand(t *testing.T) {
	got, err := Expand("openat,read,close")
	if err != nil || !slices.Equal(got, []int{0, 3, 257}) {
		t.Errorf("Expand(openat,read,close) = %v, %v", got, err)
	}
	// Duplicates collapse and the result is sorted.
	got, err = Expand("read, read ,write,syscall_0x0")
	if err != nil || !slices.Equal(got, []int{0, 1}) {
		t.Errorf("Expand with duplicates = %v, %v", got, err)
	}

	file, err := Expand("%file")
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := Expand("file")
	if err != nil || !slices.Equal(file, legacy) {
		t.Errorf("file and %%file differ: %v vs %v (%v)", names(legacy), names(file), err)
	}
	for _, want := range []string{"open", "openat", "stat", "execve", "unlinkat", "statx", "openat2", "fchmodat2"} {
		if !slices.Contains(names(file), want) {
			t.Errorf("%%file lacks %s", want)
		}
	}
	for _, not := range []string{"read", "close", "mmap", "socket"} {
		if slices.Contains(names(file), not) {
			t.Errorf("%%file has %s", not)
		}
	}

	mixed, err := Expand("openat,read,%network")
	if err != nil {
		t.Fatal(err)
	}
	mn := names(mixed)
	for _, want := range []string{"openat", "read", "socket", "connect", "sendto", "accept4"} {
		if !slices.Contains(mn, want) {
			t.Errorf("openat,read,%%network lacks %s", want)
		}
	}

	// "stat" is the system call, not the %stat class.
	got, _ = Expand("stat")
	if !slices.Equal(names(got), []string{"stat"}) {
		t.Errorf("Expand(stat) = %v", names(got))
	}

	all, _ := Expand("all")
	if len(all) != len(All()) {
		t.Errorf("all: %d, want %d", len(all), len(All()))
	}
	none, _ := Expand("none")
	if len(none) != 0 {
		t.Errorf("none: %v", none)
	}
	notRW, _ := Expand("!read,write")
	if len(notRW) != len(all)-2 || slices.Contains(notRW, 0) || slices.Contains(notRW, 1) {
		t.Errorf("!read,write has %d entries", len(notRW))
	}
	re, err := Expand("/^open")
	if err != nil || !slices.Equal(names(re), []string{"open", "openat", "open_by_handle_at", "open_tree", "openat2", "open_tree_attr"}) {
		t.Errorf("Expand(/^open) = %v, %v", names(re), err)
	}
	opt, err := Expand("?nosuchcall,read")
	if err != nil || !slices.Equal(opt, []int{0}) {
		t.Errorf("Expand(?nosuchcall,read) = %v, %v", opt, err)
	}

	for spec, word := range map[string]string{
		"openat,nosuchcall": `"nosuchcall"`,
		"%nosuchclass":      `"%nosuchclass"`,
		"":                  "empty",
		"read,,write":       "empty",
		"/(":                `"/("`,
		"/^zzz":             `"/^zzz"`,
		"syscall_0x999":     `"syscall_0x999"`,
	} {
		_, err := Expand(spec)
		if err == nil || !strings.Contains(err.Error(), word) {
			t.Errorf("Expand(%q) error = %v, want it to mention %s", spec, err, word)
		}
	}
}

func TestPathArg(t *testing.T) {
	cases := []struct {
		name string
		idx  int
	}{
		{"open", 0}, {"openat", 1}, {"execve", 0}, {"execveat", 1}, {"stat", 0},
		{"lstat", 0}, {"newfstatat", 1}, {"statx", 1}, {"unlink", 0}, {"unlinkat", 1},
		{"mkdir", 0}, {"mkdirat", 1}, {"rename", 0}, {"renameat", 1}, {"renameat2", 1},
		{"access", 0}, {"faccessat", 1}, {"faccessat2", 1}, {"chdir", 0},
		{"readlink", 0}, {"readlinkat", 1}, {"symlink", 1}, {"symlinkat", 2},
		{"openat2", 1}, {"truncate", 0}, {"chmod", 0}, {"fchmodat", 1}, {"mount", 1},
		{"inotify_add_watch", 1}, {"creat", 0}, {"utimensat", 1},
	}
	for _, c := range cases {
		nr, ok := Number(c.name)
		if !ok {
			t.Fatalf("unknown %s", c.name)
		}
		idx, ok := PathArg(nr)
		if !ok || idx != c.idx {
			t.Errorf("PathArg(%s) = %d, %v; want %d", c.name, idx, ok, c.idx)
		}
		if idx >= NumArgs(nr) {
			t.Errorf("PathArg(%s) = %d beyond its %d arguments", c.name, idx, NumArgs(nr))
		}
	}
	for _, name := range []string{"read", "close", "fstat", "getpid", "mmap"} {
		nr, _ := Number(name)
		if _, ok := PathArg(nr); ok {
			t.Errorf("PathArg(%s) ok, want none", name)
		}
	}
	// Every call that acts on a path is in %file, and has a path argument
	// (the decoder prints it, the kernel side copies it) where it has a
	// layout.
	for _, nr := range All() {
		idx, ok := PathArg(nr)
		if !ok {
			continue
		}
		if Class(nr)&ClassFile == 0 {
			t.Errorf("%s has a path argument but is not %%file", Name(nr))
		}
		if l, has := LayoutOf(nr); has && l.Decoder == DecodeNone && (idx >= len(l.Args) || l.Args[idx] != ArgPath) {
			t.Errorf("%s: PathArg %d is not an ArgPath of its layout %v", Name(nr), idx, l.Args)
		}
	}
}
