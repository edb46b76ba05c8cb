package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestCpioWriter(t *testing.T) {
	var b bytes.Buffer
	w := newCpioWriter(&b)
	if err := w.File("a/b/c.txt", 0o644, []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Symlink("/bin/sh", "/bin/busybox"); err != nil {
		t.Fatal(err)
	}
	if err := w.CharDev("dev/console", 0o600, 5, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b.Len()%4 != 0 {
		t.Errorf("archive of %d bytes, want a multiple of 4", b.Len())
	}
	// The first entry is the parent directory a, made on demand.
	if hdr := b.String()[:110]; !strings.HasPrefix(hdr, "070701") || hdr[14:22] != "000041ed" {
		t.Errorf("first header %q, want magic 070701 and mode 040755", hdr)
	}
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("no cpio command to list the archive")
	}
	cmd := exec.Command("cpio", "-it", "--quiet")
	cmd.Stdin = &b
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -it: %v", err)
	}
	if got, want := strings.Fields(string(out)), []string{"a", "a/b", "a/b/c.txt", "bin", "bin/sh", "dev", "dev/console"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("cpio -it lists %q, want %q", got, want)
	}
}
