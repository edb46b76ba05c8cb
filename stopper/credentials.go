package stopper

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Credentials are the user and groups a launched program runs as (strace
// -u): the launcher takes them on just before it says it is ready, so that
// the program and everything it does after the exec are that user's,
// and the tracer, root, still traces it.
type Credentials struct {
	Uid, Gid   uint32   // real (and saved) user and group
	Euid, Egid uint32   // effective: Uid and Gid, or a setuid/setgid program's owner
	Groups     []uint32 // supplementary groups
}

// shimCredEnv passes Credentials to the launcher.
const shimCredEnv = "UTRACE_BPF_SHIM_CRED"

// encode writes c as "UID:GID:EUID:EGID:G,G,...".
func (c *Credentials) encode() string {
	gs := make([]string, len(c.Groups))
	for i, g := range c.Groups {
		gs[i] = strconv.FormatUint(uint64(g), 10)
	}
	return fmt.Sprintf("%d:%d:%d:%d:%s", c.Uid, c.Gid, c.Euid, c.Egid, strings.Join(gs, ","))
}

// decodeCredentials parses what encode wrote.
func decodeCredentials(s string) (*Credentials, error) {
	f := strings.Split(s, ":")
	if len(f) != 5 {
		return nil, fmt.Errorf("credentials %q: want UID:GID:EUID:EGID:GROUPS", s)
	}
	var ids [4]uint32
	for i := range ids {
		n, err := strconv.ParseUint(f[i], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("credentials %q: %w", s, err)
		}
		ids[i] = uint32(n)
	}
	c := &Credentials{Uid: ids[0], Gid: ids[1], Euid: ids[2], Egid: ids[3]}
	for _, g := range strings.Split(f[4], ",") {
		if g == "" {
			continue
		}
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("credentials %q: %w", s, err)
		}
		c.Groups = append(c.Groups, uint32(n))
	}
	return c, nil
}

// take makes the calling thread, and so the program it execs, c's: groups
// first, while it may still set them, then group, then user. The raw
// calls change this thread only, which is the one that execs.
func (c *Credentials) take() error {
	var groups unsafe.Pointer
	if len(c.Groups) > 0 {
		groups = unsafe.Pointer(&c.Groups[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(c.Groups)), uintptr(groups), 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(c.Gid), uintptr(c.Egid), uintptr(c.Egid)); e != 0 {
		return fmt.Errorf("setresgid: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(c.Uid), uintptr(c.Euid), uintptr(c.Euid)); e != 0 {
		return fmt.Errorf("setresuid: %w", e)
	}
	return nil
}
