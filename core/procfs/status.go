package procfs

import (
	"bytes"
	"fmt"
	"strconv"
)

// Status is the text of a status file (proc_pid_status(5)): one
// "Name:\tvalue" line per field. Its accessors look a field up by its name,
// without the colon.
type Status []byte

// Status reads the directory's status file.
func (d Dir) Status() (Status, error) {
	// Status files are some 1400 bytes.
	b, err := read(d.Path("status"), make([]byte, 2048))
	return Status(b), err
}

// value returns the named field's value, without the blanks around it.
func (s Status) value(name string) ([]byte, bool) {
	for line := range bytes.Lines(s) {
		if len(line) > len(name) && line[len(name)] == ':' && string(line[:len(name)]) == name {
			return bytes.TrimSpace(line[len(name)+1:]), true
		}
	}
	return nil, false
}

// Field returns the value of the named field ("State" gives "S
// (sleeping)") and whether there is one.
func (s Status) Field(name string) (string, bool) {
	v, ok := s.value(name)
	return string(v), ok
}

// Int returns the named field's value as a decimal number (Tgid, PPid,
// TracerPid, Seccomp), or the first of its values for a field with several
// (Uid and Gid: the real id).
func (s Status) Int(name string) (int, error) {
	v, err := s.first(name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("status %s: %w", name, err)
	}
	return n, nil
}

// Mask returns the named field's value as a hexadecimal mask: the signal
// masks (SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt: bit n-1 is signal n) and
// the capability sets (CapEff: bit n is capability n).
func (s Status) Mask(name string) (uint64, error) {
	v, err := s.first(name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(v), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("status %s: %w", name, err)
	}
	return n, nil
}

func (s Status) first(name string) ([]byte, error) {
	v, ok := s.value(name)
	if !ok {
		return nil, fmt.Errorf("status %s: %w", name, ErrNoField)
	}
	if i := bytes.IndexAny(v, " \t"); i >= 0 {
		v = v[:i]
	}
	return v, nil
}
