// Package tree holds checks of the source tree itself: rules of the
// project's layout that the compiler cannot see.
package tree

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// x86Registers are the x86-64 register names, as the kernel's and x/sys's
// register structures spell them and as debuggers print them.
var x86Registers = regexp.MustCompile(`(?i)^(orig_?rax|[re](ax|bx|cx|dx|si|di|bp|sp|ip)|r(8|9|1[0-5])|eflags|[fg]s_?base|[xyz]mm[0-9]+h?|mxcsr|dr[0-7])$`)

// archFile reports whether a file is one an architecture owns: built for
// it only (_amd64, _arm64), or named for it and holding its facts for
// tests that check every architecture on any machine (_x86, as bpf2go
// names x86-64's objects).
func archFile(name string) bool {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".go"), "_test")
	return strings.HasSuffix(base, "_amd64") || strings.HasSuffix(base, "_arm64") ||
		strings.HasSuffix(base, "_x86") || strings.HasSuffix(base, "_x86_bpfel") || strings.HasSuffix(base, "_arm64_bpfel")
}

// goFiles are the repository's Go files outside architecture files.
func goFiles(t *testing.T) []string {
	root := filepath.Join("..", "..")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !archFile(d.Name()) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("only %d Go files under %s: not the repository?", len(files), root)
	}
	return files
}

// No file outside an architecture's own names an x86-64 register, in an
// identifier or a string, or compares a system call number with a
// literal: such code is right on one architecture only.
func TestNoArchitectureOutsideArchFiles(t *testing.T) {
	for _, path := range goFiles(t) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if x86Registers.MatchString(n.Name) {
					t.Errorf("%s: x86-64 register %s outside an _amd64 file", fset.Position(n.Pos()), n.Name)
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil && x86Registers.MatchString(s) {
						t.Errorf("%s: x86-64 register %q outside an _amd64 file", fset.Position(n.Pos()), s)
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					if syscallNumber(n.X, n.Y) || syscallNumber(n.Y, n.X) {
						t.Errorf("%s: a system call number compared with a literal", fset.Position(n.Pos()))
					}
				}
			case *ast.KeyValueExpr:
				if syscallNumber(n.Key, n.Value) {
					t.Errorf("%s: a system call number given as a literal", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}

// syscallNumber reports whether nr names a system call number (Nr, nr,
// lastNr…) and lit is an integer literal other than -1 and 0, which mean
// "no call" on every architecture.
func syscallNumber(nr, lit ast.Expr) bool {
	var name string
	switch x := nr.(type) {
	case *ast.Ident:
		name = x.Name
	case *ast.SelectorExpr:
		name = x.Sel.Name
	default:
		return false
	}
	if name != "Nr" && name != "nr" && !strings.HasSuffix(name, "Nr") {
		return false
	}
	b, ok := lit.(*ast.BasicLit)
	return ok && b.Kind == token.INT && b.Value != "0"
}

// The test sees the files it means to: a file with a register name in it
// is found, and the arch files are skipped.
func TestArchCheckSeesFiles(t *testing.T) {
	var sawCore, sawArch bool
	for _, path := range goFiles(t) {
		sawCore = sawCore || filepath.ToSlash(path) == "../../core/regs.go"
		sawArch = sawArch || archFile(filepath.Base(path))
	}
	if !sawCore || sawArch {
		t.Errorf("walk: core/regs.go seen %v, an arch file seen %v", sawCore, sawArch)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "core", "regs_amd64.go")); err != nil {
		t.Errorf("core/regs_amd64.go: %v", err)
	}
}
