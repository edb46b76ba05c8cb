package gdbremote

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// gdb's host I/O (vFile): gdb reads the target's files through the
// server, as under gdbserver: the executable and libraries ("target:"
// paths) and the /proc files of the process (its memory map after an
// exec). Files are opened read-only, in the tracer's own file system.

// maxHostIO bounds one pread reply.
const maxHostIO = packetSize / 2

// hostIO answers vFile packets; "" for the ones not supported.
func (s *session) hostIO(d string) string {
	op, args, _ := strings.Cut(strings.TrimPrefix(d, "vFile:"), ":")
	switch op {
	case "setfs":
		// Every process here shares the tracer's file system view.
		return "F0"
	case "open":
		f := strings.Split(args, ",")
		if len(f) != 3 {
			return errBadPacket
		}
		path, err := unhex(f[0])
		flags, ferr := strconv.ParseUint(f[1], 16, 32)
		if err != nil || ferr != nil {
			return errBadPacket
		}
		if flags != 0 { // FILEIO_O_RDONLY: nothing else is offered
			return fileioErr(syscall.EACCES)
		}
		file, err := os.Open(string(path))
		if err != nil {
			return fileioErr(err)
		}
		if s.files == nil {
			s.files = map[int]*os.File{}
		}
		fd := 0
		for s.files[fd] != nil {
			fd++
		}
		s.files[fd] = file
		return fmt.Sprintf("F%x", fd)
	case "pread":
		f := strings.Split(args, ",")
		if len(f) != 3 {
			return errBadPacket
		}
		fd, err1 := strconv.ParseUint(f[0], 16, 31)
		n, err2 := strconv.ParseUint(f[1], 16, 31)
		off, err3 := strconv.ParseUint(f[2], 16, 63)
		if err1 != nil || err2 != nil || err3 != nil {
			return errBadPacket
		}
		file := s.files[int(fd)]
		if file == nil {
			return fileioErr(syscall.EBADF)
		}
		buf := make([]byte, min(n, maxHostIO))
		got, err := file.ReadAt(buf, int64(off))
		if err != nil && !errors.Is(err, io.EOF) {
			return fileioErr(err)
		}
		return fmt.Sprintf("F%x;", got) + string(buf[:got])
	case "close":
		fd, err := strconv.ParseUint(args, 16, 31)
		if err != nil {
			return errBadPacket
		}
		file := s.files[int(fd)]
		if file == nil {
			return fileioErr(syscall.EBADF)
		}
		delete(s.files, int(fd))
		if err := file.Close(); err != nil {
			return fileioErr(err)
		}
		return "F0"
	case "readlink":
		path, err := unhex(args)
		if err != nil {
			return errBadPacket
		}
		target, err := os.Readlink(string(path))
		if err != nil {
			return fileioErr(err)
		}
		return fmt.Sprintf("F%x;", len(target)) + target
	}
	return ""
}

// closeFiles closes what gdb left open.
func (s *session) closeFiles() {
	for fd, f := range s.files {
		f.Close()
		delete(s.files, fd)
	}
}

// fileioErr is the F reply for an error: gdb's File-I/O errno values,
// which are Linux's for the errors they have, else EUNKNOWN.
func fileioErr(err error) string {
	var errno syscall.Errno
	code := 9999
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EPERM, syscall.ENOENT, syscall.EINTR, syscall.EBADF, syscall.EACCES, syscall.EFAULT,
			syscall.EBUSY, syscall.EEXIST, syscall.ENODEV, syscall.ENOTDIR, syscall.EISDIR, syscall.EINVAL,
			syscall.ENFILE, syscall.EMFILE, syscall.EFBIG, syscall.ENOSPC, syscall.ESPIPE, syscall.EROFS:
			code = int(errno)
		case syscall.ENAMETOOLONG:
			code = 91
		}
	}
	return fmt.Sprintf("F-1,%x", code)
}
