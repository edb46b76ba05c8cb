// Package stepper is the stepper engine: it single-steps a thread (the
// seed's UTRACE_SINGLESTEP) for N instructions or until its next system
// call, and reports the count and the hottest code addresses, named by
// package symbolize.
package stepper

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/symbolize"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "stepper",
		Summary: "single-step a thread for N instructions or until its next system call; count and hottest addresses",
		Uses:    pipeline.UsesPtrace,
		Options: []pipeline.Option{
			{Name: "count", Kind: pipeline.Int, Default: "10000", Doc: "instructions to step"},
			{Name: "until_syscall", Kind: pipeline.Bool, Default: "false", Doc: "stop stepping at the next syscall instruction"},
			{Name: "top", Kind: pipeline.Int, Default: "10", Doc: "how many of the hottest addresses to print"},
		},
		New: newStepper,
	})
}

// stepper steps the first thread it is attached to, synchronously: a
// QUIESCE report after every instruction. In a launched program it starts
// at the exec, so it steps the program and not the launcher.
type stepper struct {
	pipeline.Base
	limit        int64
	untilSyscall bool
	top          int

	mu      sync.Mutex
	started bool
	tid     int
	steps   int64
	done    bool
	why     string
	hits    map[uint64]int64
	syms    *symbolize.Symbolizer
}

func newStepper(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	s := &stepper{limit: opts.IntVal("count"), untilSyscall: opts.BoolVal("until_syscall"),
		top: int(opts.IntVal("top")), hits: map[uint64]int64{}}
	if s.limit <= 0 {
		return nil, fmt.Errorf("count %d: want a positive number", s.limit)
	}
	s.Init(name, s, out, pipeline.Needs{Watch: core.Watch{Events: core.EventQuiesce | core.EventExec}, Sync: core.EventExec})
	s.OnAttach = s.start
	return s, nil
}

// start picks the thread to step: the first one attached. A program the
// CLI launched still runs the launcher (this binary) until its exec.
func (s *stepper) start(e *core.Engine) {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return
	}
	s.started, s.tid = true, e.Tid()
	s.mu.Unlock()
	self, _ := os.Executable()
	exe, _ := procfs.Process(e.Tid()).Exe()
	if exe != "" && exe == self {
		return // ReportExec starts it
	}
	e.Control(core.Stop)
}

// ReportExec starts stepping the launched program at its first
// instruction.
func (s *stepper) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	s.mu.Lock()
	mine := e.Tid() == s.tid && s.steps == 0 && !s.done
	s.mu.Unlock()
	if mine {
		return s.step(e, ev.Tid)
	}
	return core.Resume
}

// ReportQuiesce comes after each step.
func (s *stepper) ReportQuiesce(e *core.Engine, action core.Action, event core.Events) core.Action {
	if event != 0 {
		return core.Resume
	}
	return s.step(e, e.Tid())
}

func (s *stepper) step(e *core.Engine, tid int) core.Action {
	s.mu.Lock()
	if s.done || tid != s.tid {
		s.mu.Unlock()
		return core.Resume
	}
	s.mu.Unlock()
	var pc uint64
	insn := make([]byte, len(core.SyscallInstruction))
	err := e.Examine(func(st core.Stopped) error {
		regs, err := st.Registers()
		if err != nil {
			return err
		}
		pc = regs.PC()
		if s.untilSyscall {
			// Only then does the next instruction matter: a read at
			// every step would cost as much as the step.
			st.ReadMemory(uintptr(pc), insn)
		}
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.syms == nil {
		s.syms = symbolize.New(e.Tgid())
	}
	switch {
	case err != nil:
		s.done, s.why = true, err.Error()
	case s.untilSyscall && bytes.Equal(insn, core.SyscallInstruction):
		s.done, s.why = true, "reached a syscall instruction"
	case s.steps >= s.limit:
		s.done, s.why = true, fmt.Sprintf("stepped %d instructions", s.limit)
	}
	if s.done {
		return core.Resume
	}
	s.steps++
	s.hits[pc]++
	s.Count()
	return core.SingleStep
}

// Summary prints the count and the hottest addresses.
func (s *stepper) Summary(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	why := s.why
	if why == "" {
		why = "tracing ended"
	}
	fmt.Fprintf(w, "%s: thread %d: %d instructions stepped (%s), %d distinct addresses\n",
		s.Name(), s.tid, s.steps, why, len(s.hits))
	type hot struct {
		addr uint64
		n    int64
	}
	var hots []hot
	for a, n := range s.hits {
		hots = append(hots, hot{a, n})
	}
	sort.Slice(hots, func(i, j int) bool {
		if hots[i].n != hots[j].n {
			return hots[i].n > hots[j].n
		}
		return hots[i].addr < hots[j].addr
	})
	for i, h := range hots {
		if i == s.top {
			break
		}
		fmt.Fprintf(w, "%s: %10d  %#x %s\n", s.Name(), h.n, h.addr, s.syms.Name(h.addr))
	}
}
