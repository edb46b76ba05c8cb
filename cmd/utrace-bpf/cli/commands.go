package cli

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

func runCmd(f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "run [flags] -- CMD [ARGS...]",
		Short: "trace a command from its first instruction",
		Long: `Run starts CMD with the pipeline's engines attached from its execve on,
following its threads and children. It exits with CMD's exit status (128+N if
a signal N killed it). SIGINT and SIGTERM are passed on to CMD.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := loadConfig(f.v, f.config, f.engines)
			if err != nil {
				return err
			}
			return launch(cfg, args, true)
		},
	}
}

// launch runs args with the pipeline of cfg attached from its execve on
// (and its children, with follow) and returns its exit status as an
// exitError.
func launch(cfg *Config, args []string, follow bool) error {
	s, err := openSession(cfg, "run")
	if err != nil {
		return err
	}
	p, err := s.stp.Launch(args, stopper.LaunchOptions{
		Syscalls: s.seccompSet(), Nice: &s.nice, Env: cfg.Env, Credentials: cfg.Credentials, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		s.abort()
		return badInput("run: %v", err)
	}
	// The engines learn that the launcher runs until its exec before its
	// thread is watched: the launcher's last calls (the end of its
	// handshake with Launch) may reach them as soon as it is.
	for _, e := range s.stages {
		if l, ok := e.(interface{ StartAtExec(int) }); ok {
			l.StartAtExec(p.Pid)
		}
	}
	if err := s.attachThread(p.Pid, follow); err != nil {
		p.Signal(syscall.SIGKILL)
		p.Wait()
		s.abort()
		return err
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			p.Signal(sig)
		}
	}()
	if err := p.Start(); err != nil {
		return err
	}
	ws, err := p.Wait()
	if ferr := s.finish(); ferr != nil {
		return ferr
	}
	if err != nil {
		return err
	}
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		return &exitError{ws.ExitStatus()}
	case ws.Signaled():
		return &exitError{128 + int(ws.Signal())}
	}
	return nil
}

func attachCmd(f *flags) *cobra.Command {
	var pidList string
	c := &cobra.Command{
		Use:   "attach -p PID[,PID...] [flags]",
		Short: "trace running processes, all their threads and new children",
		Long: `Attach traces running processes until Ctrl-C (or SIGTERM), then detaches
cleanly and leaves them running.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			// Signals are caught from the start until the summary is out:
			// a Ctrl-C while loading or detaching must not cut it short.
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
			defer signal.Stop(sigs)
			pids, err := parsePids(pidList)
			if err != nil {
				return err
			}
			cfg, err := loadConfig(f.v, f.config, f.engines)
			if err != nil {
				return err
			}
			return attachTo(cfg, pids, true, sigs)
		},
	}
	c.Flags().StringVarP(&pidList, "pid", "p", "", "process ids to trace, comma-separated")
	c.MarkFlagRequired("pid")
	return c
}

// attachTo traces the running processes pids with the pipeline of cfg
// (and their new children, with follow) until a signal on sigs or until
// they are all gone, then detaches.
func attachTo(cfg *Config, pids []int, follow bool, sigs <-chan os.Signal) error {
	s, err := openSession(cfg, "attach")
	if err != nil {
		return err
	}
	if s.needsPtrace() {
		for _, pid := range pids {
			if tracer := tracerOf(pid); tracer != 0 {
				s.abort()
				return badInput("-p %d: already traced by process %d; the engines need ptrace (detach the other debugger first)", pid, tracer)
			}
		}
	}
	for _, pid := range pids {
		if err := s.attachProcess(pid, follow); err != nil {
			s.abort()
			return badInput("attach %d: %v", pid, err)
		}
	}
	for _, pid := range pids {
		// As strace says it: from here on every engine sees the process.
		fmt.Fprintf(os.Stderr, "utrace-bpf: process %d attached\n", pid)
	}
	waitForInterrupt(sigs, pids)
	return s.finish()
}

// parsePids checks every pid before anything starts: it must exist, be a
// user process, and not be this program.
func parsePids(list string) ([]int, error) {
	var pids []int
	for _, f := range strings.Split(list, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, badInput("-p %s: %q is not a process id", list, f)
		}
		if pid == os.Getpid() {
			return nil, badInput("-p %d: that is utrace-bpf itself", pid)
		}
		stat, err := procfs.Process(pid).Stat()
		if err != nil {
			return nil, badInput("-p %d: no such process", pid)
		}
		if stat.Kernel() {
			return nil, badInput("-p %d: a kernel thread; utrace-bpf traces user processes", pid)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// waitForInterrupt returns on a signal from sigs, or when every traced
// process is gone.
func waitForInterrupt(sigs <-chan os.Signal, pids []int) {
	gone := make(chan struct{})
	go func() {
		for _, pid := range pids {
			waitGone(pid)
		}
		close(gone)
	}()
	select {
	case <-sigs:
	case <-gone:
	}
}

// tracerOf returns the process that ptraces pid: 0 for none, or when pid
// cannot be read (the attach then says why).
func tracerOf(pid int) int {
	s, err := procfs.Process(pid).Status()
	if err != nil {
		return 0
	}
	n, _ := s.Int("TracerPid")
	return n
}

func enginesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "engines",
		Short: "list engine types and their options",
		Args:  cobra.NoArgs,
		Run: func(c *cobra.Command, args []string) {
			w := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', 0)
			for _, name := range pipeline.Names() {
				t, _ := pipeline.Lookup(name)
				fmt.Fprintf(w, "%s\t%s\n", t.Name, t.Summary)
				for _, o := range t.Options {
					def := ""
					if o.Default != "" {
						def = " (default " + o.Default + ")"
					}
					fmt.Fprintf(w, "  %s=%s\t%s%s\n", o.Name, o.Kind, o.Doc, def)
				}
			}
			w.Flush()
		},
	}
}
