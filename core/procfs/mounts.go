package procfs

import (
	"strings"
)

// Mount is a line of a mountinfo file (proc_pid_mountinfo(5)).
type Mount struct {
	Root   string // the directory of the filesystem mounted there: "/" when whole, else a bind mount's
	Point  string // where it is mounted
	FSType string // "cgroup2", "tracefs", "ext4", ...
	Source string
}

// Mounts reads the mounts of the process's mount namespace from its
// mountinfo file.
func (d Dir) Mounts() ([]Mount, error) {
	b, err := read(d.Path("mountinfo"), make([]byte, 8192))
	if err != nil {
		return nil, err
	}
	return parseMountinfo(string(b)), nil
}

// parseMountinfo parses lines of
//
//	id parent major:minor root point options [optional...] - type source superoptions
//
// A line without the " - " separator or with too few fields is left out
// rather than failing the whole file: the mounts callers look for are
// elsewhere in it.
func parseMountinfo(text string) []Mount {
	var ms []Mount
	for line := range strings.Lines(text) {
		pre, post, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 1 {
			continue
		}
		m := Mount{Root: unescape(f[3]), Point: unescape(f[4]), FSType: g[0]}
		if len(g) > 1 {
			m.Source = unescape(g[1])
		}
		ms = append(ms, m)
	}
	return ms
}

// unescape undoes the kernel's octal escapes of blanks, newlines and
// backslashes in paths ("\040" for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
