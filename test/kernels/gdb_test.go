package main

import (
	"strings"
	"testing"
)

// gdb-multiarch's output on the arm64 cloud kernel (against gdbserver),
// and gdb's on x86-64 against the engine.
const (
	gdbArm64 = `0x0000000000400580 in _start ()
Breakpoint 1 at 0x400704: file /work/test/progs/c/gdbadd.c, line 22.

Breakpoint 1, add (a=20, b=22) at /work/test/progs/c/gdbadd.c:22
22		int sum = a + b;
x0             0x14                20
pc             0x400704            0x400704 <add+12>
[Inferior 1 (process 165) exited with code 03]
`
	gdbAmd64 = `0x0000000000401650 in _start ()
Breakpoint 1 at 0x401795: file /work/test/progs/c/gdbadd.c, line 22.

Breakpoint 1, add (a=20, b=22) at /work/test/progs/c/gdbadd.c:22
22		int sum = a + b;
rdi            0x14                20
rip            0x401795            0x401795 <add+15>
[Inferior 1 (process 312) exited with code 03]
`
)

func TestCheckGDB(t *testing.T) {
	for _, tt := range []struct {
		name string
		arch *arch
		out  string
		lack string // in the reason, "" if it passes
	}{
		{"arm64", arm64, gdbArm64, ""},
		{"amd64", amd64, gdbAmd64, ""},
		{"other arch's registers", amd64, gdbArm64, amd64.arg0},
		{"wrong argument", arm64, strings.Replace(gdbArm64, "0x14                20", "0x15                21", 1), "x0"},
		{"pc outside add", arm64, strings.Replace(gdbArm64, "<add+12>", "<main+12>", 1), "add"},
		{"no breakpoint hit", arm64, strings.Replace(gdbArm64, "Breakpoint 1, add", "Program received signal SIGSEGV", 1), "Breakpoint 1, add"},
		{"exit code", arm64, strings.Replace(gdbArm64, "code 03", "code 01", 1), "exited with code 03"},
	} {
		why := checkGDB(tt.arch, []byte(tt.out))
		switch {
		case tt.lack == "" && why != "":
			t.Errorf("%s: %s", tt.name, why)
		case tt.lack != "" && !strings.Contains(why, tt.lack):
			t.Errorf("%s: %q, want a complaint about %s", tt.name, why, tt.lack)
		}
	}
}
