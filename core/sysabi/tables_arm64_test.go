package sysabi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// archNumbers returns every architecture's numbers. The x86-64 ones are
// not compiled on arm64, so they are read from table_amd64.go's source.
func archNumbers(t *testing.T) map[string][]string {
	f, err := parser.ParseFile(token.NewFileSet(), "table_amd64.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var amd64 []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "numbers" {
			return true
		}
		for _, elt := range spec.Values[0].(*ast.CompositeLit).Elts {
			kv := elt.(*ast.KeyValueExpr)
			nr, err := strconv.Atoi(kv.Key.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			name, err := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			for len(amd64) <= nr {
				amd64 = append(amd64, "")
			}
			amd64[nr] = name
		}
		return false
	})
	if len(amd64) < 300 {
		t.Fatalf("read only %d numbers from table_amd64.go", len(amd64))
	}
	return map[string][]string{"amd64": amd64, "arm64": numbers[:]}
}

// TestTableMatchesXSys cross-checks the table against x/sys/unix's
// constants, an independent copy of the kernel's generic table that also
// covers the calls newer than the installed headers.
func TestTableMatchesXSys(t *testing.T) {
	for name, nr := range map[string]int{
		"io_setup": unix.SYS_IO_SETUP, "openat": unix.SYS_OPENAT, "newfstatat": unix.SYS_NEWFSTATAT,
		"fstat": unix.SYS_FSTAT, "read": unix.SYS_READ, "clone": unix.SYS_CLONE, "execve": unix.SYS_EXECVE,
		"mmap": unix.SYS_MMAP, "fadvise64": unix.SYS_FADVISE64, "rt_sigreturn": unix.SYS_RT_SIGRETURN,
		"wait4": unix.SYS_WAIT4, "clone3": unix.SYS_CLONE3, "memfd_secret": unix.SYS_MEMFD_SECRET,
		"cachestat": unix.SYS_CACHESTAT, "mseal": unix.SYS_MSEAL, "file_setattr": unix.SYS_FILE_SETATTR,
		"listns": unix.SYS_LISTNS, "rseq_slice_yield": unix.SYS_RSEQ_SLICE_YIELD,
	} {
		if got, ok := Number(name); !ok || got != nr {
			t.Errorf("Number(%q) = %d, %v; x/sys says %d", name, got, ok, nr)
		}
	}
	for _, name := range []string{"open", "stat", "fork", "poll", "select", "dup2", "arch_prctl"} {
		if nr, ok := Number(name); ok {
			t.Errorf("arm64 has no %s, but Number says %d", name, nr)
		}
	}
}
