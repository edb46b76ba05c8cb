package gdbremote

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// x86Registers are names only x86 gives registers.
var x86Registers = regexp.MustCompile(`(?i)\b(rax|rbx|rcx|rdx|rsi|rdi|rbp|rsp|rip|eax|ebx|ecx|edx|esi|edi|ebp|esp|eip|` +
	`eflags|orig_rax|fs_base|gs_base|[xyz]mm\d*h?|mxcsr|st[0-7]|dr[0-7]|fctrl|fstat|ftag|fiseg|fioff|foseg|fooff)\b`)

// The architecture-neutral files name no x86 register: what is x86's is
// in _amd64 files.
func TestNeutralFiles(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".go"), "_test")
		if strings.HasSuffix(base, "_amd64") || strings.HasSuffix(base, "_arm64") || name == "arch_test.go" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := x86Registers.FindString(line); m != "" {
				t.Errorf("%s:%d names %s", name, i+1, m)
			}
		}
	}
}
