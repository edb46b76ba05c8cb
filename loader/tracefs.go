package loader

import (
	"errors"
	"fmt"
	"os"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

// tracefsDir is where tracefs is mounted when it is not mounted anywhere:
// its canonical place since Linux 4.1.
const tracefsDir = "/sys/kernel/tracing"

// tracefsMount returns where tracefs is mounted (whole, not a bind mount of
// part of it), or "" when it is not. A debugfs mount with a tracing
// directory counts, as on old systems.
func tracefsMount() string {
	mounts, err := procfs.Self.Mounts()
	if err != nil {
		return ""
	}
	debugfs := ""
	for _, m := range mounts {
		if m.Root != "/" {
			continue
		}
		switch m.FSType {
		case "tracefs":
			return m.Point
		case "debugfs":
			if _, err := os.Stat(m.Point + "/tracing/events"); err == nil && debugfs == "" {
				debugfs = m.Point + "/tracing"
			}
		}
	}
	return debugfs
}

// ensureTracefs mounts tracefs at /sys/kernel/tracing if it is mounted
// nowhere, as tetragon does: the per-syscall tracepoints that kernel
// triggers attach to are named, and their ids read, only through it. The
// mount is left in place (it is where systemd would have put it). It must
// run before the first per-syscall attach of the process, since
// cilium/ebpf looks for tracefs once and remembers what it found.
func ensureTracefs() error {
	if tracefsMount() != "" {
		return nil
	}
	err := unix.Mount("tracefs", tracefsDir, "tracefs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT):
		return fmt.Errorf("tracefs is not mounted and %s does not exist: this kernel has no tracefs (CONFIG_TRACING)", tracefsDir)
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("tracefs is not mounted, and mounting it at %s needs CAP_SYS_ADMIN: mount -t tracefs tracefs %s, or run as root", tracefsDir, tracefsDir)
	}
	return fmt.Errorf("tracefs is not mounted, and mounting it at %s failed: %w", tracefsDir, err)
}
