// Package sysabi is the system call ABI of the architecture utrace-bpf runs
// on: each call's number and name, the per-syscall tracepoint it has, how
// many arguments it takes and of which kinds, which of them are file
// names, the strace classes it belongs to, what of the memory its
// arguments point at the kernel side copies for the log (Captures), and
// the sizes and layouts of the structures it passes.
//
// It is the one source of these facts. Package loader fills the BPF
// programs' capture and path tables from it and names per-syscall
// tracepoints by it; package engines/sysent prints calls by its layouts;
// trace= filters select by its names and classes. Tests check the
// generated and derived forms against it (the BPF maps the loader fills,
// the decoder's reads against the captures).
//
// The table is per ABI, and only what differs between ABIs is written per
// architecture: the numbers, and the structures whose layout differs. The
// x86-64 numbers (table_amd64.go) are the kernel's
// arch/x86/entry/syscalls/syscall_64.tbl; the arm64 ones (aarch64.go) are
// the kernel's generic table, include/uapi/asm-generic/unistd.h, as arm64
// selects it. Everything else about a call (its argument count, classes,
// tracepoint, argument kinds and path arguments: calls.go, layouts.go) is
// by name and shared, and so are the structure sizes that agree
// (sizes.go). The tests check every architecture's numbers and structures
// on any machine, against the kernel headers and the C compilers.
package sysabi

import (
	"strconv"
	"strings"
)

// call is what calls.go says about one system call.
type call struct {
	nargs      uint8
	classes    Classes
	tracepoint string // the SYSCALL_DEFINE name where it differs from the call's name
}

// entry describes one system call of this architecture's table.
type entry struct {
	name string
	call
}

// table is this architecture's calls, indexed by number; unused numbers
// have an empty name.
var table = newTable(numbers[:], archTracepoints)

// newTable joins an architecture's numbers with the facts in calls and its
// tracepoint names where they differ from calls'. A number whose name has
// no facts is a mistake in the tables, which the tests catch; newTable
// panics on it rather than invent an argument count.
func newTable(numbers []string, tracepoints map[string]string) []entry {
	t := make([]entry, len(numbers))
	for nr, name := range numbers {
		if name == "" {
			continue
		}
		c, ok := calls[name]
		if !ok {
			panic("sysabi: no facts about system call " + name)
		}
		if tp, ok := tracepoints[name]; ok {
			c.tracepoint = tp
		}
		t[nr] = entry{name: name, call: c}
	}
	return t
}

// byName maps every known name to its number. It is built once from table
// so that the two can never disagree.
var byName = func() map[string]int {
	m := make(map[string]int, len(table))
	for nr, e := range table {
		if e.name != "" {
			m[e.name] = nr
		}
	}
	return m
}()

// Name returns the name of system call nr. Numbers the table does not know
// (including negative ones) are named the way strace names them,
// "syscall_0x" followed by the number in hex, so a trace of a brand-new
// kernel still says which call it saw.
func Name(nr int) string {
	if Known(nr) {
		return table[nr].name
	}
	return "syscall_0x" + strconv.FormatUint(uint64(nr), 16)
}

// Number returns the number of the system call called name. It also accepts
// the "syscall_0x1a4" (or decimal "syscall_420") form that Name produces for
// numbers it does not know, so Name and Number are inverses for every
// non-negative number.
func Number(name string) (int, bool) {
	if nr, ok := byName[name]; ok {
		return nr, true
	}
	if rest, ok := strings.CutPrefix(name, "syscall_"); ok && rest != "" {
		n, err := strconv.ParseUint(rest, 0, 31)
		if err == nil {
			return int(n), true
		}
	}
	return 0, false
}

// Known reports whether nr is a system call of this architecture's table.
func Known(nr int) bool {
	return nr >= 0 && nr <= MaxNr && table[nr].name != ""
}

// NumArgs returns how many arguments system call nr takes (as strace counts
// them), or 6 for unknown numbers, since then nothing better is known and
// strace prints all six registers too.
func NumArgs(nr int) int {
	if !Known(nr) {
		return 6
	}
	return int(table[nr].nargs)
}

// All returns the numbers of every known system call, ascending.
func All() []int {
	out := make([]int, 0, len(byName))
	for nr, e := range table {
		if e.name != "" {
			out = append(out, nr)
		}
	}
	return out
}

// Tracepoint returns the name of system call nr's per-syscall tracepoints
// (syscalls/sys_enter_NAME, sys_exit_NAME), "" for unknown numbers.
func Tracepoint(nr int) string {
	if !Known(nr) {
		return ""
	}
	if tp := table[nr].tracepoint; tp != "" {
		return tp
	}
	return table[nr].name
}

// LayoutOf returns how system call nr's arguments are laid out; ok is false
// for calls with no layout (printed as raw arguments).
func LayoutOf(nr int) (l Layout, ok bool) {
	if !Known(nr) {
		return Layout{}, false
	}
	l, ok = layouts[table[nr].name]
	return l, ok
}

// PathArgs returns the indexes of system call nr's file-name arguments,
// in order: those the kernel side copies as paths.
func PathArgs(nr int) []int {
	l, _ := LayoutOf(nr)
	var r []int
	for i, k := range l.Args {
		if k == ArgPath {
			r = append(r, i)
		}
	}
	return r
}

// PathArg reports which argument of system call nr is the file name the
// call acts on: what path filters (the path= option, strace's -P, trigger
// path prefixes) match. Calls with two names (rename, link, ...) act on
// the first; symlink and symlinkat on the link being created, since their
// first argument is free text stored in the link, not a path looked up;
// mount on its target, since its source is often "none" or "proc".
func PathArg(nr int) (idx int, ok bool) {
	if !Known(nr) {
		return 0, false
	}
	idx, ok = actsOn[table[nr].name]
	return idx, ok
}

// actsOn is PathArg's table, by name.
var actsOn = map[string]int{
	"open":              0,
	"stat":              0,
	"lstat":             0,
	"access":            0,
	"execve":            0,
	"truncate":          0,
	"chdir":             0,
	"rename":            0,
	"mkdir":             0,
	"rmdir":             0,
	"creat":             0,
	"link":              0,
	"unlink":            0,
	"symlink":           1,
	"readlink":          0,
	"chmod":             0,
	"chown":             0,
	"lchown":            0,
	"utime":             0,
	"mknod":             0,
	"uselib":            0,
	"statfs":            0,
	"pivot_root":        0,
	"chroot":            0,
	"acct":              0,
	"mount":             1,
	"umount2":           0,
	"swapon":            0,
	"swapoff":           0,
	"quotactl":          1,
	"setxattr":          0,
	"lsetxattr":         0,
	"getxattr":          0,
	"lgetxattr":         0,
	"listxattr":         0,
	"llistxattr":        0,
	"removexattr":       0,
	"lremovexattr":      0,
	"utimes":            0,
	"inotify_add_watch": 1,
	"openat":            1,
	"mkdirat":           1,
	"mknodat":           1,
	"fchownat":          1,
	"futimesat":         1,
	"newfstatat":        1,
	"unlinkat":          1,
	"renameat":          1,
	"linkat":            1,
	"symlinkat":         2,
	"readlinkat":        1,
	"fchmodat":          1,
	"faccessat":         1,
	"utimensat":         1,
	"fanotify_mark":     4,
	"name_to_handle_at": 1,
	"renameat2":         1,
	"execveat":          1,
	"statx":             1,
	"open_tree":         1,
	"move_mount":        1,
	"fspick":            1,
	"openat2":           1,
	"faccessat2":        1,
	"mount_setattr":     1,
	"fchmodat2":         1,
	"setxattrat":        1,
	"getxattrat":        1,
	"listxattrat":       1,
	"removexattrat":     1,
	"open_tree_attr":    1,
	"file_getattr":      1,
	"file_setattr":      1,
}

// MustNumber is Number for names known to be in the table; it panics on
// others. For tables and tests.
func MustNumber(name string) int {
	nr, ok := Number(name)
	if !ok {
		panic("sysabi: no system call " + name)
	}
	return nr
}
