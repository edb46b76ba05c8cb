package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func monitorCmd(f *flags) *cobra.Command {
	var interval time.Duration
	c := &cobra.Command{
		Use:   "monitor [flags]",
		Short: "trace every process the config's targets select, system-wide",
		Long: `Monitor attaches the pipeline to every process that matches one of the
config's targets (comm or exe glob, uid, cgroup path prefix, pid; all set
fields must match), now and as they appear, until Ctrl-C. With follow (the
default) the children of a matching process are traced from their first
instruction, by inheritance in the kernel. Without targets every user
process is traced.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
			defer signal.Stop(sigs)
			cfg, err := loadConfig(f.v, f.config, f.engines)
			if err != nil {
				return err
			}
			s, err := openSession(cfg, "monitor")
			if err != nil {
				return err
			}
			seen := map[int]bool{}
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				s.scan(seen)
				select {
				case <-sigs:
					return s.finish()
				case <-tick.C:
				}
			}
		},
	}
	c.Flags().DurationVar(&interval, "scan", 100*time.Millisecond, "how often to look for new matching processes")
	return c
}

// scan attaches to matching processes not seen before. Processes the
// kernel already made inherit a watch (children of followed ones) are
// traced by now and are skipped.
func (s *session) scan(seen map[int]bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	alive := map[int]bool{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		alive[pid] = true
		if seen[pid] {
			continue
		}
		seen[pid] = true
		if s.traced(pid) {
			continue
		}
		if t := s.selects(pid); t != nil {
			s.attachProcess(pid, t.Follow)
		}
	}
	for pid := range seen {
		if !alive[pid] {
			delete(seen, pid)
		}
	}
}

func (s *session) traced(pid int) bool {
	for _, th := range s.tr.Threads() {
		if th.Tgid == pid {
			return true
		}
	}
	return false
}

// selects returns the first target that matches pid (any user process,
// followed, when there are no targets), or nil.
func (s *session) selects(pid int) *Target {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil || isKernelThread(stat) {
		return nil
	}
	if len(s.cfg.Targets) == 0 {
		return &Target{UID: -1, Follow: true}
	}
	comm, _ := os.ReadFile(dir + "/comm")
	exe, _ := os.Readlink(dir + "/exe")
	cgroup, _ := os.ReadFile(dir + "/cgroup")
	uid := -1
	if st, err := os.Stat(dir); err == nil {
		uid = int(st.Sys().(*syscall.Stat_t).Uid)
	}
	for i := range s.cfg.Targets {
		t := &s.cfg.Targets[i]
		if t.Pid != 0 && t.Pid != pid {
			continue
		}
		if t.UID >= 0 && t.UID != uid {
			continue
		}
		if t.Comm != "" && !glob(t.Comm, strings.TrimSpace(string(comm))) {
			continue
		}
		if t.Exe != "" && !glob(t.Exe, exe) {
			continue
		}
		if t.Cgroup != "" && !strings.Contains(string(cgroup), "::"+t.Cgroup) {
			continue
		}
		return t
	}
	return nil
}

func glob(pattern, s string) bool {
	ok, _ := filepath.Match(pattern, s)
	return ok
}
