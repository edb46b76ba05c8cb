package cli

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/loader"
)

func monitorCmd(f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "monitor [flags]",
		Short: "trace every process the config's targets select, system-wide",
		Long: `Monitor attaches the pipeline to every process that matches one of the
config's targets (comm or exe pattern, uid, gid, cgroup, pid, ppid; all set
fields must match), until Ctrl-C. The rules are matched in the kernel at
each exec and fork, so a process is traced from the first system call of
the program that made it match, however short-lived; processes already
running are found once, at start. With follow (the default) the children
of a matching process are traced from their first instruction, by
inheritance in the kernel. Without targets every user process is traced.`,
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
			if err := s.armTargets(); err != nil {
				s.abort()
				return err
			}
			n := s.scanRunning()
			// Said once the rules are armed: from here on nothing that
			// matches is missed.
			fmt.Fprintf(os.Stderr, "utrace-bpf: monitoring: %d target rules armed in the kernel, %d running processes traced\n",
				len(s.rules), n)
			<-sigs
			return s.finish()
		},
	}
}

// targetRules returns the config's targets, or with none a rule that
// selects every user process, followed.
func (s *session) targetRules() []loader.Target {
	if len(s.cfg.Targets) == 0 {
		return []loader.Target{{UID: -1, GID: -1, Follow: true}}
	}
	rules := make([]loader.Target, len(s.cfg.Targets))
	for i := range s.cfg.Targets {
		rules[i] = s.cfg.Targets[i].Target
	}
	return rules
}

// armTargets hands the rules to the kernel with the watch the pipeline's
// engines set when they attach, so that what the kernel gives a process it
// selects is what the engines then confirm (session.deliver attaches them).
func (s *session) armTargets() error {
	needs := make([]core.Needs, len(s.stages))
	for i, e := range s.stages {
		needs[i] = e.NeedsOf()
	}
	w, _, _ := core.PlanWatch(needs)
	s.rules = s.targetRules()
	if err := s.ldr.SetTargets(s.rules, w); err != nil {
		return fmt.Errorf("arming the targets: %w", err)
	}
	return nil
}

// deliver hands an event from the passive source to the tracer. A report
// that a target rule selected a process comes first for it: the pipeline
// attaches to the process there, before its next event is delivered.
func (s *session) deliver(ev *core.Event) {
	switch {
	case ev.Type == core.EventExec && ev.Exec.Target > 0:
		s.adopt(ev.Tid, ev.Tgid, ev.Exec.Target-1)
	case ev.Type == core.EventClone && ev.Clone.Target > 0:
		// About a parent nobody traces: only the child is news.
		s.adopt(ev.Clone.Child, ev.Clone.Child, ev.Clone.Target-1)
		return
	}
	s.tr.Deliver(ev)
}

// adopt attaches the pipeline to thread tid of process tgid, which rule
// selected, unless it is traced already (found by the scan at start, or
// selected again). The thread may have exited since: its reports are on
// their way all the same.
func (s *session) adopt(tid, tgid, rule int) {
	if rule >= len(s.rules) {
		return
	}
	s.adoptMu.Lock()
	defer s.adoptMu.Unlock()
	if s.tr.Traced(tid) {
		return
	}
	defer s.tr.Adopting(tid, tgid)()
	if err := s.attachThread(tid, s.rules[rule].Follow); err != nil {
		s.out.Warn("target %d: %v", rule+1, err)
	}
}

// scanRunning attaches to the processes that were running before the
// rules were armed and match one: once, at start; the kernel selects the
// others as they exec or fork. It returns how many it attached to.
func (s *session) scanRunning() int {
	pids, err := procfs.Pids()
	if err != nil {
		s.out.Warn("looking for running processes: %v", err)
		return 0
	}
	n := 0
	self := os.Getpid()
	for _, pid := range pids {
		if pid == self {
			continue
		}
		p, ok := loader.ReadProcess(pid)
		if !ok {
			continue
		}
		for i := range s.rules {
			if s.rules[i].Matches(p) {
				if s.adoptProcess(pid, s.rules[i].Follow) {
					n++
				}
				break
			}
		}
	}
	return n
}

// adoptProcess attaches the pipeline to every thread of pid not traced
// yet; it reports whether it attached to some.
func (s *session) adoptProcess(pid int, follow bool) bool {
	s.adoptMu.Lock()
	defer s.adoptMu.Unlock()
	attached := false
	for _, tid := range threadsOf(pid) {
		if s.tr.Traced(tid) {
			continue
		}
		if err := s.attachThread(tid, follow); err != nil {
			s.out.Warn("process %d: %v", pid, err)
			return attached
		}
		attached = true
	}
	return attached
}
