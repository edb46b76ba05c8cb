// Package signals is the signals engine: it logs signal deliveries and
// applies per-signal rules (deliver, ignore, rewrite to another signal,
// stop the thread, hold it), the seed's UTRACE_SIGNAL_* dispositions.
package signals

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "signals",
		Summary: "log signal deliveries; per-signal rules: deliver, ignore, rewrite, stop, hold",
		Uses:    pipeline.UsesPassive | pipeline.UsesPtrace,
		Options: []pipeline.Option{
			{Name: "rules", Kind: pipeline.String, Doc: "comma-separated SIG=ACTION: deliver, ignore, stop, hold, or another signal to rewrite to, e.g. SIGUSR1=ignore,SIGTERM=SIGUSR1"},
			{Name: "hold", Kind: pipeline.Duration, Default: "1s", Doc: "how long a held signal waits before it is delivered"},
			{Name: "log", Kind: pipeline.Bool, Default: "true", Doc: "log every delivery"},
		},
		New: newSignals,
	})
}

// signalRule is what to do with one signal.
type signalRule struct {
	action core.Action // SignalDeliver, SignalIgn or SignalStop
	to     int         // rewrite to this signal (with SignalDeliver)
	hold   bool
}

// signals logs deliveries passively; with rules it needs the signal
// reports synchronously, since only then can it change what happens.
type signals struct {
	pipeline.Base
	rules  map[int]signalRule
	holdAt time.Duration
	log    bool
	mu     sync.Mutex
	// released marks the threads whose held signal is due: the next
	// report of it delivers it.
	released map[int]bool
	// launching holds the processes run launched that still run the
	// launcher, until their exec: the signals they get are the
	// launcher's. (The stopper reports none synchronously; the passive
	// records need this.)
	launching map[int]bool
}

func newSignals(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	s := &signals{rules: map[int]signalRule{}, holdAt: opts.Dur("hold"), log: opts.BoolVal("log"), released: map[int]bool{},
		launching: map[int]bool{}}
	if spec := opts.Str("rules"); spec != "" {
		for _, r := range strings.Split(spec, ",") {
			sig, act, ok := strings.Cut(strings.TrimSpace(r), "=")
			if !ok {
				return nil, fmt.Errorf("rule %q: want SIGNAL=ACTION", r)
			}
			n, err := pipeline.ParseSignal(sig)
			if err != nil {
				return nil, fmt.Errorf("rule %q: %v", r, err)
			}
			rule := signalRule{action: core.SignalDeliver}
			switch act {
			case "deliver":
			case "ignore", "ign":
				rule.action = core.SignalIgn
			case "stop":
				rule.action = core.SignalStop
			case "hold":
				rule.hold = true
			default:
				to, err := pipeline.ParseSignal(act)
				if err != nil {
					return nil, fmt.Errorf("rule %q: want deliver, ignore, stop, hold or a signal: %v", r, err)
				}
				rule.to = to
			}
			s.rules[n] = rule
		}
	}
	needs := pipeline.Needs{Watch: core.Watch{Events: core.EventSignalAll | core.EventExec}}
	if len(s.rules) > 0 {
		needs.Sync = core.EventSignalAll
	}
	s.Init(name, s, out, needs)
	return s, nil
}

// StartAtExec tells the engine that process pid runs the launcher of a
// program until its exec (see launching).
func (s *signals) StartAtExec(pid int) {
	s.mu.Lock()
	s.launching[pid] = true
	s.mu.Unlock()
}

// ReportExec ends the launcher's part of a launched process.
func (s *signals) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	s.mu.Lock()
	delete(s.launching, ev.Tgid)
	s.mu.Unlock()
	return core.Resume
}

// ReportSignal applies the rule for the signal and logs the delivery.
func (s *signals) ReportSignal(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	s.mu.Lock()
	launcher := s.launching[ev.Tgid]
	if ev.Sync {
		// The stopper reports nothing of the launcher: the exec is
		// behind, though its passive report may still be on its way.
		launcher = false
		delete(s.launching, ev.Tgid)
	}
	s.mu.Unlock()
	if launcher {
		return core.Resume | action.SignalAction()
	}
	s.Count()
	orig := ev.Signal.Signo
	result := core.Resume | action.SignalAction()
	what := ""
	if rule, ok := s.rules[orig]; ok && ev.Sync {
		s.mu.Lock()
		due := s.released[ev.Tid]
		delete(s.released, ev.Tid)
		s.mu.Unlock()
		switch {
		case rule.hold && due:
			what = "delivered after hold"
		case rule.hold:
			// Push it back and keep the thread stopped for a while.
			result = core.Stop | action.SignalAction() | core.SignalHold
			what = "held " + s.holdAt.String()
			tid := ev.Tid
			time.AfterFunc(s.holdAt, func() {
				s.mu.Lock()
				s.released[tid] = true
				s.mu.Unlock()
				e.Control(core.Resume)
			})
		case rule.to != 0:
			ev.Signal.Signo = rule.to
			result = core.Resume | core.SignalDeliver
			what = "rewritten to " + pipeline.SignalName(rule.to)
		default:
			result = core.Resume | rule.action
			what = map[core.Action]string{core.SignalDeliver: "delivered", core.SignalIgn: "ignored", core.SignalStop: "stopped"}[rule.action]
		}
	}
	if s.log {
		r := pipeline.NewRecord()
		r.Time, r.Event, r.Pid, r.Tid, r.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, s.Name()
		// strace's line, from the siginfo as it was before any rule:
		// si_code by name and the fields that apply to it.
		info := ev.Signal.Siginfo()
		binary.LittleEndian.PutUint32(info[0:], uint32(orig))
		r.Text = sysent.AppendSignal(r.Text[:0], info[:])
		if what != "" {
			r.Text = append(r.Text, " ("+what+")"...)
		}
		r.Fields = append(r.Fields[:0], pipeline.StrField("signal", pipeline.SignalName(orig)), pipeline.IntField("signo", int64(orig)),
			pipeline.IntField("code", int64(ev.Signal.Code)), pipeline.StrField("siginfo", string(sysent.AppendSiginfo(nil, info[:]))),
			pipeline.StrField("disposition", ev.Type.String()))
		if sysent.HasSender(info[:]) {
			r.Fields = append(r.Fields, pipeline.IntField("sender", int64(ev.Signal.Sender)))
		}
		if what != "" {
			r.Fields = append(r.Fields, pipeline.StrField("action", what))
		}
		s.Out.Emit(r)
	}
	return result
}

// Summary prints nothing beyond the report count the run prints.
func (s *signals) Summary(w io.Writer) {}
