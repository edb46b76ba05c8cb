package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"golang.org/x/sys/unix"
)

// session is one tracing run: the output, the engines, and the two
// backends around the tracer.
type session struct {
	cfg     *Config
	out     *pipeline.Output
	stages  []pipeline.Stage
	ldr     *loader.Loader
	stp     *stopper.Stopper
	tr      *core.Tracer
	status  *statusServer
	metrics *metricsServer // nil without --metrics
	otlp    *otlpSink      // nil without --otlp
	mode    string
	nice    int // the nice value utrace-bpf was started with
	// rules are the armed target rules (monitor); adoptMu serialises
	// attaching to the processes they select, from the ring-buffer
	// reader and the scan at start.
	rules   []loader.Target
	adoptMu sync.Mutex
}

// openSession checks privileges, makes the engines and loads the backends.
// Nothing is attached yet.
func openSession(cfg *Config, mode string) (*session, error) {
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, mode: mode, nice: loader.SetNice(loader.TracerNice)}
	var err error
	if s.out, err = openOutput(cfg); err != nil {
		return nil, err
	}
	if cfg.OTLP != "" {
		if s.otlp, err = startOTLP(cfg.OTLP, s.out); err != nil {
			s.out.Close()
			return nil, err
		}
	}
	for _, spec := range cfg.Engines {
		e, err := spec.Type.New(spec.Name, spec.Options, s.out)
		if err != nil {
			s.otlp.close(false)
			s.out.Close()
			return nil, badInput("%s: %v", spec.Where, err)
		}
		s.stages = append(s.stages, e)
	}
	var expect core.Events
	failedExecs := false
	// The kernel copies as much of each string as the most demanding
	// engine shows (strace's -s).
	strLimit := 0
	for _, e := range s.stages {
		if l, ok := e.(interface{ StringLimit() int }); ok {
			strLimit = max(strLimit, l.StringLimit())
		}
	}
	for _, e := range s.stages {
		n := e.NeedsOf()
		expect |= n.Events
		if n.Count {
			expect |= core.EventSyscall
		}
		if r, ok := e.(core.FailedExecReporter); ok && r.ReportsFailedExecs() {
			failedExecs = true
		}
	}
	if s.ldr, err = loader.Load(&loader.Options{RingSize: cfg.BufferSize, StringLimit: strLimit,
		Preload: expect, FailedExecs: failedExecs}); err != nil {
		s.otlp.close(false)
		s.out.Close()
		if errors.Is(err, loader.ErrKernel) {
			return nil, badInput("%s", err.Error())
		}
		return nil, err
	}
	s.stp = stopper.New()
	s.stp.OnError(func(tid int, err error) { s.out.Warn("%v", err) })
	if ts, ok := any(s.ldr).(core.TriggerSource); ok {
		s.stp.UseTriggers(ts)
	}
	s.tr = core.NewTracer(core.Config{Source: s.ldr, Stopper: s.stp})
	s.stp.Start(s.tr)
	if err := s.ldr.Start(s.deliver); err != nil {
		s.stp.Close()
		s.ldr.Close()
		s.otlp.close(false)
		s.out.Close()
		return nil, err
	}
	s.status = startStatus(s)
	if cfg.Metrics != "" {
		if s.metrics, err = startMetrics(s); err != nil {
			s.abort()
			return nil, err
		}
	}
	return s, nil
}

func openOutput(cfg *Config) (*pipeline.Output, error) {
	if cfg.OutputFile == "" || cfg.OutputFile == "-" {
		return pipeline.NewOutput(os.Stderr, nil, cfg.Format == "json"), nil
	}
	if cfg.SplitOutput {
		// Each file is made at its thread's first line: check now that
		// they can be.
		probe := cfg.OutputFile + ".probe"
		f, err := os.Create(probe)
		if err != nil {
			return nil, badInput("output: %v", err)
		}
		f.Close()
		os.Remove(probe)
		o := pipeline.NewSplitOutput(cfg.OutputFile, cfg.Format == "json")
		o.SplitAppend(cfg.AppendOutput)
		return o, nil
	}
	f, err := createOutput(cfg.OutputFile, cfg.AppendOutput)
	if err != nil {
		return nil, badInput("output: %v", err)
	}
	o := pipeline.NewOutput(f, f, cfg.Format == "json")
	o.FileLeaders(!cfg.SingleLeaders)
	return o, nil
}

// createOutput opens the log file name, emptied or (append, strace -A)
// kept and written at its end.
func createOutput(name string, append bool) (*os.File, error) {
	if !append {
		return os.Create(name)
	}
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
}

// attachThread attaches the whole pipeline to one thread, in order.
func (s *session) attachThread(tid int, follow bool) error {
	for _, e := range s.stages {
		if err := e.Attach(s.tr, tid, follow); err != nil {
			return err
		}
	}
	return nil
}

// attachProcess attaches the pipeline to every thread of pid.
func (s *session) attachProcess(pid int, follow bool) error {
	for _, tid := range threadsOf(pid) {
		if err := s.attachThread(tid, follow); err != nil {
			return err
		}
	}
	return nil
}

// seccompSet is the set of system calls a launched program must stop for:
// those some engine needs synchronously. nil means no filter: either no
// engine needs synchronous syscalls, or one needs every one of them.
func (s *session) seccompSet() *core.SyscallSet {
	var set core.SyscallSet
	any := false
	for _, e := range s.stages {
		needs := e.NeedsOf()
		if needs.Sync&core.EventSyscall == 0 {
			continue
		}
		if needs.Syscalls == nil || needs.HandsOver {
			return nil
		}
		for nr := range 512 {
			if needs.Syscalls.Has(nr) {
				set.Add(nr)
			}
		}
		any = true
	}
	if !any {
		return nil
	}
	if ok, _ := stopper.ProbeKernel().Seccomp(); !ok {
		// No SECCOMP_RET_TRACE: the stopper stops at every call instead.
		return nil
	}
	return &set
}

// finish detaches everything, prints the summary and releases the
// backends. Events already in the ring buffer are delivered first. It
// returns the first error writing the log: strace, too, reports a log it
// could not write, and the run then exits with status 1.
func (s *session) finish() error {
	if err := s.ldr.Flush(); err != nil {
		// The summary's counts say what was delivered; this says why
		// the rest was not.
		s.out.Warn("delivering the last events: %v", err)
	}
	var alive []int
	if s.cfg.KillOnExit {
		alive = s.tracedProcesses()
	}
	s.tr.DetachAll()
	if err := s.stp.Close(); err != nil {
		s.out.Warn("detaching: %v", err)
	}
	s.kill(alive)
	s.summary()
	s.otlp.close(true)
	s.metrics.linger(s.cfg.MetricsLinger)
	return s.close()
}

// tracedProcesses lists the processes with a traced thread, each by a
// pidfd, so that a pid reused after the process is gone is not killed.
func (s *session) tracedProcesses() []int {
	seen := map[int]bool{}
	var fds []int
	for _, th := range s.tr.Threads() {
		if seen[th.Tgid] || th.Dying {
			continue
		}
		seen[th.Tgid] = true
		if fd, err := unix.PidfdOpen(th.Tgid, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

// kill sends SIGKILL to the processes of pidfds (--kill-on-exit) and
// closes them.
func (s *session) kill(pidfds []int) {
	for _, fd := range pidfds {
		if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
			s.out.Warn("kill on exit: %v", err)
		}
		unix.Close(fd)
	}
}

// abort undoes a session that failed to start tracing: everything is
// detached and released, and nothing is printed but the error.
func (s *session) abort() {
	s.tr.DetachAll()
	s.stp.Close()
	s.close()
}

func (s *session) close() error {
	s.status.close()
	merr := s.metrics.close()
	if err := s.ldr.Close(); err != nil {
		s.out.Warn("unloading the BPF programs: %v", err)
	}
	s.otlp.close(false)
	if err := s.out.Close(); err != nil {
		return fmt.Errorf("writing the log: %w", err)
	}
	return merr
}

// needsPtrace reports whether some engine needs the synchronous tier.
func (s *session) needsPtrace() bool {
	for _, e := range s.stages {
		if n := e.NeedsOf(); n.Sync != 0 || len(n.Triggers) > 0 || n.Events&core.EventQuiesce != 0 {
			return true
		}
	}
	return false
}

// summary ends every run: reports per engine and lost events, never silent.
func (s *session) summary() {
	for _, e := range s.stages {
		e.Summary(&textSink{s.out, e.Name()})
	}
	// The tracer's own account goes to standard error, as strace's
	// messages do, never into the log: after the log, so that a log on
	// standard error ends before it. A log that could not be written is
	// what there is to say (finish says it).
	if s.out.Flush() != nil {
		return
	}
	st, err := s.ldr.Stats()
	if err != nil {
		fmt.Fprintln(os.Stderr, "utrace-bpf: reading loss counters: "+err.Error())
		return
	}
	var parts []string
	for _, e := range s.stages {
		parts = append(parts, fmt.Sprintf("%s %d", e.Name(), e.Reports()))
	}
	all := st.For(core.EventAll)
	line := fmt.Sprintf("utrace-bpf: reports: %s; events delivered %d, lost %d", strings.Join(parts, ", "), all.Delivered, all.Lost)
	if all.Lost > 0 {
		var lost []string
		for i := range 14 {
			ev := core.Events(1) << i
			if l := st.For(ev).Lost; l > 0 {
				lost = append(lost, fmt.Sprintf("%v %d", ev, l))
			}
		}
		line += " (" + strings.Join(lost, ", ") + "; try a larger --buffer-size)"
	}
	fmt.Fprintln(os.Stderr, line)
}

// textSink lets an engine write summary lines to the output.
type textSink struct {
	out  *pipeline.Output
	name string
}

func (t *textSink) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		t.out.Text(t.name, line)
	}
	return len(p), nil
}

// threadsOf lists the threads of a process from /proc/PID/task.
func threadsOf(pid int) []int {
	tids, err := procfs.Process(pid).Tasks()
	if err != nil {
		return []int{pid}
	}
	return tids
}

// Capabilities utrace-bpf needs, by bit number in CapEff
// (include/uapi/linux/capability.h).
var needCaps = []struct {
	bit  uint
	name string
}{{39, "CAP_BPF"}, {38, "CAP_PERFMON"}, {19, "CAP_SYS_PTRACE"}, {24, "CAP_SYS_RESOURCE"}}

// checkPrivileges explains what is missing before anything is started.
func checkPrivileges() error {
	s, err := procfs.Self.Status()
	if err != nil {
		return nil // let the kernel say no
	}
	eff, err := s.Mask("CapEff")
	if err != nil {
		return nil // likewise
	}
	const capSysAdmin = 21
	var missing []string
	for _, c := range needCaps {
		if eff&(1<<c.bit) == 0 && !(c.bit != 19 && eff&(1<<capSysAdmin) != 0) {
			missing = append(missing, c.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return badInput("missing capabilities %s: run as root (sudo utrace-bpf ...) or grant them with "+
		"'setcap cap_bpf,cap_perfmon,cap_sys_ptrace,cap_sys_resource+ep utrace-bpf'", strings.Join(missing, ", "))
}
