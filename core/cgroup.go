package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// ErrNoCgroup2 is returned for a cgroup path on a system without a cgroup
// v2 hierarchy mounted.
var ErrNoCgroup2 = errors.New("no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)")

// Cgroup2Mount returns where the cgroup v2 hierarchy is mounted, or "".
func Cgroup2Mount() string {
	mounts, err := procfs.Self.Mounts()
	if err != nil {
		return ""
	}
	for _, m := range mounts {
		if m.FSType == "cgroup2" && m.Root == "/" {
			return m.Point
		}
	}
	return ""
}

// CgroupID returns the id of the cgroup v2 at path p (as /proc/PID/cgroup
// spells it, from the root of the hierarchy) and its depth below the root,
// as bpf_get_current_ancestor_cgroup_id counts it.
func CgroupID(p string) (id uint64, level int, err error) {
	mnt := Cgroup2Mount()
	if mnt == "" {
		return 0, 0, fmt.Errorf("cgroup %q: %w", p, ErrNoCgroup2)
	}
	clean := path.Clean("/" + p)
	var st unix.Stat_t
	if err := unix.Stat(path.Join(mnt, clean), &st); err != nil {
		return 0, 0, fmt.Errorf("cgroup %q: %w", p, err)
	}
	if clean != "/" {
		level = strings.Count(clean, "/")
	}
	// On 64-bit kernels a cgroup's id is its kernfs node's, which is the
	// directory's inode number.
	return st.Ino, level, nil
}

// CgroupPath returns the path of the cgroup v2 with id, as /proc/PID/cgroup
// spells it, by opening it by its file handle (a kernfs handle is the id),
// or "" when it is gone or there is no cgroup v2 hierarchy.
func CgroupPath(id uint64) string {
	mnt := Cgroup2Mount()
	if mnt == "" || id == 0 {
		return ""
	}
	root, err := unix.Open(mnt, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(root)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], id)
	const fileidKernfs = 0xfe // FILEID_KERNFS, include/linux/exportfs.h
	fd, err := unix.OpenByHandleAt(root, unix.NewFileHandle(fileidKernfs, b[:]), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_PATH)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	p, err := procfs.Self.Fd(fd)
	if err != nil {
		return ""
	}
	rel := strings.TrimPrefix(p, mnt)
	if rel == "" {
		rel = "/"
	}
	return rel
}

// containerScope matches the last element of a container's cgroup path as
// the runtimes name it: docker-ID.scope (docker under systemd), /docker/ID,
// cri-containerd-ID.scope and /kubepods/.../ID (containerd), crio-ID.scope
// (CRI-O; crio-conmon-ID is its monitor, not the container) and
// libpod-ID.scope (podman).
var containerScope = regexp.MustCompile(`^(?:docker-|cri-containerd-|crio-|libpod-)?([0-9a-f]{64})(?:\.scope)?$`)

// ContainerID returns the id of the container whose cgroup path p is (or
// is below), or "".
func ContainerID(p string) string {
	for p != "" && p != "/" {
		dir, last := path.Split(p)
		if m := containerScope.FindStringSubmatch(last); m != nil {
			return m[1]
		}
		p = strings.TrimSuffix(dir, "/")
	}
	return ""
}
