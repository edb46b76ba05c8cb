package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// A cpioWriter writes an archive in the "newc" format (cpio -H newc), the
// format of an initramfs. It writes each missing parent directory before
// an entry, since the kernel's unpacker does not create them.
type cpioWriter struct {
	w    *bufio.Writer
	off  int64
	ino  uint32
	dirs map[string]bool
}

// File modes of the newc format (those of stat(2)).
const (
	modeType = 0o170000
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
	modeChr  = 0o020000
)

func newCpioWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: bufio.NewWriterSize(w, 1<<20), dirs: map[string]bool{".": true, "/": true}}
}

// Dir adds a directory.
func (c *cpioWriter) Dir(name string, perm uint32) error {
	name = clean(name)
	if c.dirs[name] {
		return nil
	}
	if err := c.parents(name); err != nil {
		return err
	}
	c.dirs[name] = true
	return c.entry(name, modeDir|perm, 0, nil)
}

// File adds a regular file with the given contents.
func (c *cpioWriter) File(name string, perm uint32, data []byte) error {
	name = clean(name)
	if err := c.parents(name); err != nil {
		return err
	}
	return c.entry(name, modeReg|perm, 0, data)
}

// CopyFile adds the file at host path src (following symbolic links) as name.
func (c *cpioWriter) CopyFile(name, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	return c.File(name, uint32(fi.Mode().Perm()), data)
}

// Symlink adds a symbolic link to target.
func (c *cpioWriter) Symlink(name, target string) error {
	name = clean(name)
	if err := c.parents(name); err != nil {
		return err
	}
	return c.entry(name, modeLink|0o777, 0, []byte(target))
}

// CharDev adds a character device node.
func (c *cpioWriter) CharDev(name string, perm uint32, major, minor uint32) error {
	name = clean(name)
	if err := c.parents(name); err != nil {
		return err
	}
	return c.entry(name, modeChr|perm, major<<8|minor, nil)
}

// Close writes the trailer and flushes. It does not close the underlying
// writer.
func (c *cpioWriter) Close() error {
	if err := c.entry("TRAILER!!!", 0, 0, nil); err != nil {
		return err
	}
	return c.w.Flush()
}

func (c *cpioWriter) parents(name string) error {
	dir := path.Dir(name)
	if c.dirs[dir] {
		return nil
	}
	return c.Dir(dir, 0o755)
}

func (c *cpioWriter) entry(name string, mode, rdev uint32, data []byte) error {
	c.ino++
	nlink := 1
	if mode&modeType == modeDir {
		nlink = 2
	}
	// Magic, then 13 fields of 8 hex digits: ino, mode, uid, gid, nlink,
	// mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize
	// (with its NUL) and check.
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev>>8, rdev&0xff, len(name)+1, 0)
	if err := c.write([]byte(hdr + name + "\x00")); err != nil {
		return err
	}
	if err := c.pad(); err != nil {
		return err
	}
	if err := c.write(data); err != nil {
		return err
	}
	return c.pad()
}

func (c *cpioWriter) write(b []byte) error {
	n, err := c.w.Write(b)
	c.off += int64(n)
	return err
}

// pad aligns the archive to 4 bytes, as newc requires after each name and
// each file's data.
func (c *cpioWriter) pad() error {
	if r := c.off % 4; r != 0 {
		return c.write(make([]byte, 4-r))
	}
	return nil
}

// clean makes name relative to the archive's root, as cpio does.
func clean(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		return "."
	}
	return name
}
