package procfs

import (
	"fmt"
	"strconv"
	"strings"
)

// Mapping is a line of a maps file (proc_pid_maps(5)): a range of the
// process's address space.
type Mapping struct {
	Start, End uint64 // [Start, End)
	Perms      string // "r-xp": read, write, execute, private or shared
	Offset     uint64 // of Start in the file
	Path       string // the file, a pseudo-path ("[stack]"), or "" for anonymous memory
}

// Exec reports whether the mapping is executable.
func (m Mapping) Exec() bool { return len(m.Perms) > 2 && m.Perms[2] == 'x' }

// Maps reads the process's mappings.
func (d Dir) Maps() ([]Mapping, error) {
	path := d.Path("maps")
	b, err := read(path, make([]byte, 16384))
	if err != nil {
		return nil, err
	}
	ms, err := parseMaps(string(b))
	if err != nil {
		return nil, malformed(path, err)
	}
	return ms, nil
}

// parseMaps parses lines of
//
//	start-end perms offset major:minor inode   path
//
// The path is the rest of the line, spaces included.
func parseMaps(text string) ([]Mapping, error) {
	var ms []Mapping
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		var f [5]string
		rest := line
		for i := range f {
			rest = strings.TrimLeft(rest, " ")
			var ok bool
			if f[i], rest, ok = strings.Cut(rest, " "); !ok && i < len(f)-1 {
				return nil, fmt.Errorf("short line %q", line)
			}
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			return nil, fmt.Errorf("range in %q", line)
		}
		m := Mapping{Perms: f[1], Path: strings.TrimLeft(rest, " ")}
		var err1, err2, err3 error
		m.Start, err1 = strconv.ParseUint(lo, 16, 64)
		m.End, err2 = strconv.ParseUint(hi, 16, 64)
		m.Offset, err3 = strconv.ParseUint(f[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("numbers in %q", line)
		}
		ms = append(ms, m)
	}
	return ms, nil
}
