package sysabi

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCallsCoverTables checks the one-source-of-truth promise: every name
// in every architecture's numbers has its facts in calls, and every fact
// (calls, layouts, path arguments, tracepoint overrides) is about a call
// some architecture has.
func TestCallsCoverTables(t *testing.T) {
	used := map[string]bool{}
	for arch, nums := range archNumbers(t) {
		seen := map[string]int{}
		for nr, name := range nums {
			if name == "" {
				continue
			}
			if _, ok := calls[name]; !ok {
				t.Errorf("%s: %d is %s, which calls.go does not describe", arch, nr, name)
			}
			if prev, dup := seen[name]; dup {
				t.Errorf("%s: %s is both %d and %d", arch, name, prev, nr)
			}
			seen[name] = nr
			used[name] = true
		}
	}
	for name := range calls {
		if !used[name] {
			t.Errorf("calls.go describes %s, which no architecture has", name)
		}
	}
	for name := range layouts {
		if !used[name] {
			t.Errorf("layout of %s, which no architecture has", name)
		}
	}
	for name := range actsOn {
		if !used[name] {
			t.Errorf("path argument of %s, which no architecture has", name)
		}
	}
	for name := range arm64Tracepoints {
		if _, ok := calls[name]; !ok {
			t.Errorf("arm64 tracepoint of %s, which calls.go does not describe", name)
		}
	}
	if len(table) != MaxNr+1 {
		t.Errorf("table has %d entries, MaxNr is %d", len(table), MaxNr)
	}
}

// arm64Want is what arch/arm64/include/uapi/asm/unistd.h defines before
// including asm-generic/unistd.h: the optional calls arm64 has.
var arm64Want = []string{
	"__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SET_GET_RLIMIT",
	"__ARCH_WANT_TIME32_SYSCALLS", "__ARCH_WANT_SYS_CLONE3", "__ARCH_WANT_MEMFD_SECRET",
}

// TestArm64TableMatchesHeader compares arm64Numbers, and the tracepoints
// they get, with the kernel's generic table as arm64 selects it, read
// from asm-generic/unistd.h (the amd64 machine's own copy serves: the
// file is the same for every architecture). Calls newer than the header
// are checked on arm64 by TestTableMatchesXSys.
func TestArm64TableMatchesHeader(t *testing.T) {
	path := ""
	for _, p := range []string{"/usr/aarch64-linux-gnu/include/asm-generic/unistd.h", "/usr/include/asm-generic/unistd.h"} {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "" {
			t.Skip("no asm-generic/unistd.h on this machine")
		}
		t.Fatal("no asm-generic/unistd.h (linux-libc-dev) to check the arm64 table against")
	}
	// Where the cross headers are installed, arm64's own unistd.h says
	// which optional calls it wants; it must be what arm64Want says.
	if f, err := os.ReadFile("/usr/aarch64-linux-gnu/include/asm/unistd.h"); err == nil {
		var wants []string
		for _, m := range regexp.MustCompile(`(?m)^#define (__ARCH_WANT_\w+)`).FindAllStringSubmatch(string(f), -1) {
			wants = append(wants, m[1])
		}
		if strings.Join(wants, " ") != strings.Join(arm64Want, " ") {
			t.Errorf("arm64's asm/unistd.h wants %v, the test assumes %v", wants, arm64Want)
		}
	}
	defined := map[string]bool{}
	for _, w := range arm64Want {
		defined[w] = true
	}
	nrs, syms, count := readGenericUnistd(t, path, defined)
	if len(nrs) < 250 {
		t.Fatalf("only %d system calls in %s", len(nrs), path)
	}
	for nr, name := range nrs {
		if nr > arm64MaxNr || arm64Numbers[nr] != name {
			t.Errorf("%s says %d is %s, arm64Numbers says %q", path, nr, name, arm64Numbers[min(nr, arm64MaxNr)])
			continue
		}
		// The tracepoint is the kernel function's name without sys_;
		// sys_ni_syscall (nfsservctl) has none.
		if sym := syms[nr]; sym != "" && sym != "sys_ni_syscall" {
			tp := name
			if c := calls[name]; c.tracepoint != "" {
				tp = c.tracepoint
			}
			if o, ok := arm64Tracepoints[name]; ok {
				tp = o
			}
			if want := strings.TrimPrefix(sym, "sys_"); tp != want {
				t.Errorf("arm64 %s: tracepoint %s, the header's function is %s", name, tp, sym)
			}
		}
	}
	for nr, name := range arm64Numbers {
		if _, ok := nrs[nr]; name != "" && nr < count && !ok {
			t.Errorf("arm64Numbers has %d (%s), which %s does not", nr, name, path)
		}
	}
}

// readGenericUnistd reads asm-generic/unistd.h as the C preprocessor would
// for a 64-bit architecture that defines the names in defined: the
// numbers of the __NR_ names it defines, the kernel functions its
// __SYSCALL lines give them, and __NR_syscalls. It understands the
// directives the header uses and fails the test on any other, so that a
// change to the header is noticed rather than misread.
func readGenericUnistd(t *testing.T, path string, defined map[string]bool) (nrs map[int]string, syms map[int]string, count int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values := map[string]string{"__BITS_PER_LONG": "64"}
	resolve := func(v string) (int, bool) {
		for range 4 {
			if n, err := strconv.Atoi(v); err == nil {
				return n, true
			}
			next, ok := values[v]
			if !ok {
				return 0, false
			}
			v = next
		}
		return 0, false
	}
	atom := regexp.MustCompile(`^(!?)\s*(?:defined\s*\(\s*(\w+)\s*\)|(\w+)\s*(==|!=)\s*(\d+))$`)
	eval := func(expr string) bool {
		any := false
		for _, alt := range strings.Split(expr, "||") {
			all := true
			for _, term := range strings.Split(alt, "&&") {
				m := atom.FindStringSubmatch(strings.TrimSpace(term))
				if m == nil {
					t.Fatalf("%s: cannot evaluate #if %s", path, expr)
				}
				var v bool
				if m[2] != "" {
					v = defined[m[2]]
				} else {
					n, _ := resolve(m[3])
					v = (strconv.Itoa(n) == m[5]) == (m[4] == "==")
				}
				all = all && v != (m[1] == "!")
			}
			any = any || all
		}
		return any
	}
	directive := regexp.MustCompile(`^#\s*(\w+)\s*(.*?)\s*(?:/\*.*\*/)?$`)
	call := regexp.MustCompile(`^(__SYSCALL|__SC_COMP|__SC_3264|__SC_COMP_3264)\((\w+),\s*(\w+)(?:,\s*(\w+))?`)
	type cond struct{ parent, taken, active bool }
	var stack []cond
	active := true
	names := map[string]string{}
	nrs, syms = map[int]string{}, map[int]string{}
	sc := bufio.NewScanner(f)
	var line string
	for sc.Scan() {
		line += sc.Text()
		if strings.HasSuffix(line, `\`) {
			line = strings.TrimSuffix(line, `\`) + " "
			continue
		}
		l := strings.TrimSpace(line)
		line = ""
		if m := directive.FindStringSubmatch(l); m != nil {
			switch m[1] {
			case "ifdef", "ifndef":
				v := defined[m[2]] == (m[1] == "ifdef")
				stack = append(stack, cond{active, v, active && v})
			case "if":
				v := eval(m[2])
				stack = append(stack, cond{active, v, active && v})
			case "else":
				c := &stack[len(stack)-1]
				c.active = c.parent && !c.taken
				c.taken = true
			case "endif":
				stack = stack[:len(stack)-1]
			case "define", "undef":
				if !active {
					break
				}
				fields := strings.Fields(m[2])
				name := strings.SplitN(fields[0], "(", 2)[0]
				if m[1] == "undef" {
					delete(defined, name)
					delete(values, name)
					break
				}
				defined[name] = true
				if len(fields) == 2 && !strings.Contains(fields[0], "(") {
					values[name] = fields[1]
					if n, ok := strings.CutPrefix(name, "__NR_"); ok {
						names[name] = n
					}
				}
			case "include":
				// <asm/bitsperlong.h>: __BITS_PER_LONG is set above.
			default:
				t.Fatalf("%s: unknown directive %q", path, l)
			}
			active = len(stack) == 0 || stack[len(stack)-1].active
			continue
		}
		if m := call.FindStringSubmatch(l); m != nil && active {
			nr, ok := resolve(m[2])
			if !ok {
				t.Fatalf("%s: %s of an undefined number", path, l)
			}
			sym := m[3]
			if m[1] == "__SC_3264" || m[1] == "__SC_COMP_3264" {
				sym = m[4] // the 64-bit function
			}
			syms[nr] = sym
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for macro, name := range names {
		if name == "syscalls" || name == "arch_specific_syscall" {
			continue
		}
		if nr, ok := resolve(macro); ok {
			nrs[nr] = name
		}
	}
	count, _ = resolve("__NR_syscalls")
	return nrs, syms, count
}
