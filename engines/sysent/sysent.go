package sysent

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

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
	if nr >= 0 && nr <= MaxNr && table[nr].name != "" {
		return table[nr].name
	}
	return unknownName(nr)
}

func unknownName(nr int) string {
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

// Known reports whether nr is a system call of the x86-64 table.
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

// Classes is a set of strace trace classes (the %file, %network, ... of
// strace's -e trace=). A system call may belong to several: openat is both
// %desc and %file.
type Classes uint32

// The classes strace defines. The comment after each is strace's spelling.
const (
	File       Classes = 1 << iota // %file: takes a file name
	Desc                           // %desc: takes or returns a file descriptor
	IPC                            // %ipc: SysV IPC
	Network                        // %network (%net)
	Process                        // %process: process lifecycle
	Signal                         // %signal
	Memory                         // %memory: memory mapping
	Creds                          // %creds: user/group ids and capabilities
	Clock                          // %clock: read or change system clocks
	Pure                           // %pure: always succeed, take no arguments
	Stat                           // %stat: stat variants
	LStat                          // %lstat: lstat variants
	FStat                          // %fstat: fstat and fstatat variants
	StatLike                       // %%stat: any stat-like call
	Statfs                         // %statfs: statfs variants
	FStatfs                        // %fstatfs: fstatfs variants
	StatfsLike                     // %%statfs: any statfs-like call
)

// classNames lists the classes in bit order, spelled without the leading
// '%'. "%%stat" is the class "%stat" with the '%' prefix, as in strace.
var classNames = [...]string{
	"file", "desc", "ipc", "network", "process", "signal", "memory",
	"creds", "clock", "pure", "stat", "lstat", "fstat", "%stat",
	"statfs", "fstatfs", "%statfs",
}

// String returns the classes as strace spells them, joined with '|', e.g.
// "%file|%desc".
func (c Classes) String() string {
	if c == 0 {
		return "0"
	}
	var sb strings.Builder
	for i, n := range classNames {
		if c&(1<<i) != 0 {
			if sb.Len() > 0 {
				sb.WriteByte('|')
			}
			sb.WriteByte('%')
			sb.WriteString(n)
		}
	}
	return sb.String()
}

// Class returns the classes system call nr belongs to; 0 for unknown numbers
// and for calls (like sched_yield) that belong to none.
func Class(nr int) Classes {
	if !Known(nr) {
		return 0
	}
	return table[nr].class
}

// ParseClass parses one class name. The leading '%' is optional ("file"
// and "%file" are the same), "net" is accepted for "network", and the
// double-percent forms "%%stat" and "%%statfs" select the any-stat classes.
func ParseClass(name string) (Classes, error) {
	n := strings.TrimPrefix(name, "%")
	if n == "net" {
		n = "network"
	}
	for i, cn := range classNames {
		if n == cn {
			return 1 << i, nil
		}
	}
	return 0, fmt.Errorf("sysent: unknown syscall class %q", name)
}

// legacyClasses are the class names strace still accepts without a '%'
// in -e trace=. Other bare words are system call names only; that is what
// keeps "stat" meaning the stat system call rather than %stat.
var legacyClasses = map[string]Classes{
	"file": File, "desc": Desc, "ipc": IPC, "network": Network,
	"process": Process, "signal": Signal, "memory": Memory,
}

// Expand turns an strace-style -e trace= list into system call numbers,
// sorted and without duplicates. Items are separated by commas and may be:
//
//   - a system call name ("openat"), or the "syscall_0x1a4" form of a number;
//   - a class ("%file", "%%stat", or one of the legacy bare names "file",
//     "process", "network", "signal", "ipc", "desc", "memory");
//   - "all" (every known call) or "none";
//   - "/regex": every call whose name matches the regular expression;
//   - any of the above prefixed by '?', which makes an unknown item match
//     nothing instead of being an error (as in strace).
//
// A leading '!' negates the whole list: "!read,write" is every known call
// except read and write. The error names the first word it could not
// understand.
func Expand(spec string) ([]int, error) {
	negate := false
	if rest, ok := strings.CutPrefix(spec, "!"); ok {
		negate = true
		spec = rest
	}
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("sysent: empty syscall list")
	}
	var set [MaxNr + 1]bool
	for _, word := range strings.Split(spec, ",") {
		word = strings.TrimSpace(word)
		optional := false
		if rest, ok := strings.CutPrefix(word, "?"); ok {
			optional = true
			word = rest
		}
		if err := expandWord(word, &set); err != nil {
			if optional {
				continue
			}
			return nil, err
		}
	}
	out := make([]int, 0, 16)
	for nr, on := range set {
		if on != negate && table[nr].name != "" {
			out = append(out, nr)
		}
	}
	return out, nil
}

// expandWord adds the calls one list item selects to set.
func expandWord(word string, set *[MaxNr + 1]bool) error {
	switch {
	case word == "":
		return fmt.Errorf("sysent: empty item in syscall list")
	case word == "all":
		for nr := range set {
			set[nr] = true
		}
		return nil
	case word == "none":
		return nil
	case strings.HasPrefix(word, "/"):
		re, err := regexp.Compile(word[1:])
		if err != nil {
			return fmt.Errorf("sysent: bad syscall regexp %q: %v", word, err)
		}
		matched := false
		for nr, e := range table {
			if e.name != "" && re.MatchString(e.name) {
				set[nr] = true
				matched = true
			}
		}
		if !matched {
			return fmt.Errorf("sysent: syscall regexp %q matches nothing", word)
		}
		return nil
	case strings.HasPrefix(word, "%"):
		c, err := ParseClass(word)
		if err != nil {
			return err
		}
		addClass(c, set)
		return nil
	}
	if nr, ok := Number(word); ok {
		if nr > MaxNr {
			return fmt.Errorf("sysent: syscall number %q out of range", word)
		}
		set[nr] = true
		return nil
	}
	if c, ok := legacyClasses[word]; ok {
		addClass(c, set)
		return nil
	}
	return fmt.Errorf("sysent: unknown syscall or class %q", word)
}

func addClass(c Classes, set *[MaxNr + 1]bool) {
	for nr, e := range table {
		if e.class&c != 0 {
			set[nr] = true
		}
	}
}

// pathArgs maps a system call to the index of the file name argument that
// names what the call acts on. Calls with two names (rename, link, ...)
// list the first; symlink and symlinkat list the link being created, since
// their first argument is free text stored in the link, not a path looked
// up. mount lists its target, since its source is often "none" or "proc".
var pathArgs = map[int]int{
	unix.SYS_OPEN:              0,
	unix.SYS_STAT:              0,
	unix.SYS_LSTAT:             0,
	unix.SYS_ACCESS:            0,
	unix.SYS_EXECVE:            0,
	unix.SYS_TRUNCATE:          0,
	unix.SYS_CHDIR:             0,
	unix.SYS_RENAME:            0,
	unix.SYS_MKDIR:             0,
	unix.SYS_RMDIR:             0,
	unix.SYS_CREAT:             0,
	unix.SYS_LINK:              0,
	unix.SYS_UNLINK:            0,
	unix.SYS_SYMLINK:           1,
	unix.SYS_READLINK:          0,
	unix.SYS_CHMOD:             0,
	unix.SYS_CHOWN:             0,
	unix.SYS_LCHOWN:            0,
	unix.SYS_UTIME:             0,
	unix.SYS_MKNOD:             0,
	unix.SYS_USELIB:            0,
	unix.SYS_STATFS:            0,
	unix.SYS_PIVOT_ROOT:        0,
	unix.SYS_CHROOT:            0,
	unix.SYS_ACCT:              0,
	unix.SYS_MOUNT:             1,
	unix.SYS_UMOUNT2:           0,
	unix.SYS_SWAPON:            0,
	unix.SYS_SWAPOFF:           0,
	unix.SYS_QUOTACTL:          1,
	unix.SYS_SETXATTR:          0,
	unix.SYS_LSETXATTR:         0,
	unix.SYS_GETXATTR:          0,
	unix.SYS_LGETXATTR:         0,
	unix.SYS_LISTXATTR:         0,
	unix.SYS_LLISTXATTR:        0,
	unix.SYS_REMOVEXATTR:       0,
	unix.SYS_LREMOVEXATTR:      0,
	unix.SYS_UTIMES:            0,
	unix.SYS_INOTIFY_ADD_WATCH: 1,
	unix.SYS_OPENAT:            1,
	unix.SYS_MKDIRAT:           1,
	unix.SYS_MKNODAT:           1,
	unix.SYS_FCHOWNAT:          1,
	unix.SYS_FUTIMESAT:         1,
	unix.SYS_NEWFSTATAT:        1,
	unix.SYS_UNLINKAT:          1,
	unix.SYS_RENAMEAT:          1,
	unix.SYS_LINKAT:            1,
	unix.SYS_SYMLINKAT:         2,
	unix.SYS_READLINKAT:        1,
	unix.SYS_FCHMODAT:          1,
	unix.SYS_FACCESSAT:         1,
	unix.SYS_UTIMENSAT:         1,
	unix.SYS_FANOTIFY_MARK:     4,
	unix.SYS_NAME_TO_HANDLE_AT: 1,
	unix.SYS_RENAMEAT2:         1,
	unix.SYS_EXECVEAT:          1,
	unix.SYS_STATX:             1,
	unix.SYS_OPEN_TREE:         1,
	unix.SYS_MOVE_MOUNT:        1,
	unix.SYS_FSPICK:            1,
	unix.SYS_OPENAT2:           1,
	unix.SYS_FACCESSAT2:        1,
	unix.SYS_MOUNT_SETATTR:     1,
	unix.SYS_FCHMODAT2:         1,
	unix.SYS_SETXATTRAT:        1,
	unix.SYS_GETXATTRAT:        1,
	unix.SYS_LISTXATTRAT:       1,
	unix.SYS_REMOVEXATTRAT:     1,
	unix.SYS_OPEN_TREE_ATTR:    1,
	unix.SYS_FILE_GETATTR:      1,
	unix.SYS_FILE_SETATTR:      1,
}

// PathArg reports which argument of system call nr is the file name the
// call acts on, for tracers that copy that one string out of the traced
// process when the call is entered (the BPF side cannot afford to chase
// every pointer).
func PathArg(nr int) (idx int, ok bool) {
	idx, ok = pathArgs[nr]
	return idx, ok
}

// PathArgs returns a copy of the whole path-argument table: system call
// number to argument index.
func PathArgs() map[int]int {
	m := make(map[int]int, len(pathArgs))
	for k, v := range pathArgs {
		m[k] = v
	}
	return m
}

// PathArgEntry is one row of PathArgTable.
type PathArgEntry struct {
	Nr   int    // system call number
	Name string // system call name
	Arg  int    // index of the path argument
}

// PathArgTable returns the path-argument table sorted by system call
// number, the form that is easiest to mirror into a BPF C switch or array.
func PathArgTable() []PathArgEntry {
	out := make([]PathArgEntry, 0, len(pathArgs))
	for nr, idx := range pathArgs {
		out = append(out, PathArgEntry{Nr: nr, Name: Name(nr), Arg: idx})
	}
	slices.SortFunc(out, func(a, b PathArgEntry) int { return a.Nr - b.Nr })
	return out
}
