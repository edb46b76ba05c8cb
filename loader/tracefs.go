package loader

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// tracefsDir is where tracefs is mounted when it is not mounted anywhere:
// its canonical place since Linux 4.1.
const tracefsDir = "/sys/kernel/tracing"

// tracefsMount returns where tracefs is mounted (whole, not a bind mount of
// part of it), or "" when it is not. A debugfs mount with a tracing
// directory counts, as on old systems.
func tracefsMount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	debugfs := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+1 >= len(fields) || fields[3] != "/" {
			continue
		}
		switch fields[sep+1] {
		case "tracefs":
			return fields[4]
		case "debugfs":
			if _, err := os.Stat(fields[4] + "/tracing/events"); err == nil && debugfs == "" {
				debugfs = fields[4] + "/tracing"
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
