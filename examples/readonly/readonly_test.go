package readonly_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/test/testenv"
)

// The example binary refuses every change under the tree, lets reads and
// changes elsewhere through, and says what it refused.
func TestReadonlyRefusesChanges(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "utrace-bpf-readonly")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/utrace-bpf-readonly").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tree, other := filepath.Join(dir, "tree"), filepath.Join(dir, "other")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "f"), []byte("kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `echo x > tree/f; rm tree/f; mkdir tree/d; mv tree/f tree/g; cat tree/f; echo y > other`
	cmd := exec.Command(bin, "run", "-e", "readonly:path="+tree, "--", "sh", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		// The path as the call gave it, relative to the working directory.
		`openat("tree/f") refused: EROFS`,
		`unlinkat("tree/f") refused: EROFS`,
		`mkdir("tree/d") refused: EROFS`,
		`("tree/f") refused: EROFS`, // rename, renameat or renameat2, as mv chooses
		"readonly: 4 calls refused under " + tree,
		"kept", // the read went through, and saw the file unchanged
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Read-only file system"); n != 4 {
		t.Errorf("the programs saw EROFS %d times, want 4:\n%s", n, text)
	}
	if b, err := os.ReadFile(filepath.Join(tree, "f")); err != nil || string(b) != "kept\n" {
		t.Errorf("tree/f = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(tree, "d")); !os.IsNotExist(err) {
		t.Errorf("tree/d was made: %v", err)
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != "y\n" {
		t.Errorf("outside the tree: %q, %v", b, err)
	}
}
