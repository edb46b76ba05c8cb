package sysabi

import (
	"fmt"
	"regexp"
	"strings"
)

// Classes is a set of strace trace classes (the %file, %network, ... of
// strace's -e trace=). A system call may belong to several: openat is both
// %desc and %file.
type Classes uint32

// The classes strace defines. The comment after each is strace's spelling.
const (
	ClassFile       Classes = 1 << iota // %file: takes a file name
	ClassDesc                           // %desc: takes or returns a file descriptor
	ClassIPC                            // %ipc: SysV IPC
	ClassNetwork                        // %network (%net)
	ClassProcess                        // %process: process lifecycle
	ClassSignal                         // %signal
	ClassMemory                         // %memory: memory mapping
	ClassCreds                          // %creds: user/group ids and capabilities
	ClassClock                          // %clock: read or change system clocks
	ClassPure                           // %pure: always succeed, take no arguments
	ClassStat                           // %stat: stat variants
	ClassLStat                          // %lstat: lstat variants
	ClassFStat                          // %fstat: fstat and fstatat variants
	ClassStatLike                       // %%stat: any stat-like call
	ClassStatfs                         // %statfs: statfs variants
	ClassFStatfs                        // %fstatfs: fstatfs variants
	ClassStatfsLike                     // %%statfs: any statfs-like call
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
	return table[nr].classes
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
	return 0, fmt.Errorf("sysabi: unknown syscall class %q", name)
}

// legacyClasses are the class names strace still accepts without a '%'
// in -e trace=. Other bare words are system call names only; that is what
// keeps "stat" meaning the stat system call rather than %stat.
var legacyClasses = map[string]Classes{
	"file": ClassFile, "desc": ClassDesc, "ipc": ClassIPC, "network": ClassNetwork,
	"process": ClassProcess, "signal": ClassSignal, "memory": ClassMemory,
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
		return nil, fmt.Errorf("sysabi: empty syscall list")
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
		return fmt.Errorf("sysabi: empty item in syscall list")
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
			return fmt.Errorf("sysabi: bad syscall regexp %q: %v", word, err)
		}
		matched := false
		for nr, e := range table {
			if e.name != "" && re.MatchString(e.name) {
				set[nr] = true
				matched = true
			}
		}
		if !matched {
			return fmt.Errorf("sysabi: syscall regexp %q matches nothing", word)
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
			return fmt.Errorf("sysabi: syscall number %q out of range", word)
		}
		set[nr] = true
		return nil
	}
	if c, ok := legacyClasses[word]; ok {
		addClass(c, set)
		return nil
	}
	return fmt.Errorf("sysabi: unknown syscall or class %q", word)
}

func addClass(c Classes, set *[MaxNr + 1]bool) {
	for nr, e := range table {
		if e.classes&c != 0 {
			set[nr] = true
		}
	}
}
