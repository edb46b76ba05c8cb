package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

// The sync setup runs in a child process (this binary again, with
// syncChildEnv set) so that taskset can place the tracer and the tracee
// together, as it does for strace and rawptrace. The child sets up
// utrace-bpf as the CLI does (loader, stopper, tracer), launches the
// workload through stopper.Launch without a seccomp filter and attaches
// an engine that wants every system call's entry and exit synchronously:
// a ptrace stop and a report at each.

const syncChildEnv = "UTRACE_BENCH_SYNC_CHILD"

func init() {
	if os.Getenv(syncChildEnv) != "" {
		os.Unsetenv(syncChildEnv)
		if err := syncChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "sync child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// syncAll reports every system call synchronously and resumes at once.
type syncAll struct {
	pipeline.Base
	n atomic.Int64
}

func (s *syncAll) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if ev.Sync {
		s.n.Add(1)
	}
	return core.Resume | action.SyscallAction()
}

func (s *syncAll) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if ev.Sync {
		s.n.Add(1)
	}
	return core.Resume
}

func syncChild(argv []string) error {
	ldr, err := loader.Load(nil)
	if err != nil {
		return err
	}
	defer ldr.Close()
	stp := stopper.New()
	tr := core.NewTracer(core.Config{Source: ldr, Stopper: stp})
	stp.Start(tr)
	if err := ldr.Start(func(ev *core.Event) { tr.Deliver(ev) }); err != nil {
		stp.Close()
		return err
	}
	eng := &syncAll{}
	eng.Init("sync", eng, nil, pipeline.Needs{Watch: core.Watch{Events: core.EventSyscall}, Sync: core.EventSyscall})
	p, err := stp.Launch(argv, stopper.LaunchOptions{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		stp.Close()
		return err
	}
	if err := eng.Attach(tr, p.Pid, true); err != nil {
		p.Signal(os.Kill)
		p.Wait()
		stp.Close()
		return err
	}
	if err := p.Start(); err != nil {
		stp.Close()
		return err
	}
	ws, err := p.Wait()
	ldr.Flush()
	tr.DetachAll()
	stp.Close()
	if err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("workload: %v", ws)
	}
	st, err := ldr.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sync: %d synchronous reports, lost %d\n", eng.n.Load(), st.For(core.EventAll).Lost)
	return nil
}

var syncReportsRE = regexp.MustCompile(`sync: (\d+) synchronous reports, lost (\d+)`)

// syncRun runs the workload under the sync child, pinned to CPU 0 with
// taskset if pinned.
func syncRun(pinned bool) func(*cmpRun, *cmpWorkload, int) (sample, error) {
	return func(c *cmpRun, w *cmpWorkload, size int) (sample, error) {
		self, err := os.Executable()
		if err != nil {
			return sample{}, err
		}
		argv := []string{self}
		if pinned {
			argv = append([]string{"taskset", "-c", "0"}, argv...)
		}
		d, stderr, err := launched(append(argv, w.argv(size)...), append(os.Environ(), syncChildEnv+"=1"))
		s := sample{d: d, delivered: -1, lost: -1, counted: -1}
		if err != nil {
			return s, err
		}
		m := syncReportsRE.FindStringSubmatch(stderr)
		if m == nil {
			return s, fmt.Errorf("sync child: no report count: %s", lastLines(stderr, 3))
		}
		s.delivered, _ = strconv.ParseInt(m[1], 10, 64)
		s.lost, _ = strconv.ParseInt(m[2], 10, 64)
		return s, nil
	}
}
