// Package pipeline is the framework every tracing engine is written
// against, built-in or not: the Stage interface the CLI drives (one engine
// instance of a pipeline), a Base that attaches a stage's callbacks to each
// thread as a core.Engine and follows the thread's children, the registry
// of engine types with their typed options (what YAML's engines: list and
// -e TYPE:opts name), the Output that records and text lines go to, and
// the helpers most engines need (syscall and signal specs, a path argument).
//
// A new engine is a package that defines a type with core's Report*
// callbacks, embeds Base, and registers a Type from an init function; the
// binary that wants it imports the package. Package
// github.com/utrace-bpf/utrace-bpf/engines/builtin imports the built-in
// ones, and examples/ holds an engine written outside the tree.
//
// The words: a core.Engine is the seed's utrace_engine, one engine's
// attachment to one thread; a Stage is the engine instance that owns those
// attachments across the threads it follows; a Type makes Stages.
package pipeline

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Stage is one engine instance of a pipeline. The CLI attaches the
// pipeline's stages to each traced thread in pipeline order, which is the
// order their callbacks run in; each stage then follows the thread's
// children itself.
type Stage interface {
	// Name is the instance's name in output: its type, or the name the
	// config gave it.
	Name() string
	// Attach attaches the engine to thread tid; with follow it also
	// attaches to the thread's new threads and children before they run.
	Attach(tr *core.Tracer, tid int, follow bool) error
	// Summary writes the engine's end-of-run summary.
	Summary(w io.Writer)
	// Reports is how many reports the engine has handled.
	Reports() uint64
	// NeedsOf returns what the engine asks of each thread.
	NeedsOf() Needs
}

// Needs is what an engine asks of each thread it attaches to: the core's
// account of one engine's needs, which Base applies with the Set* calls
// and core.PlanWatch turns into a thread's watch.
type Needs = core.Needs

// Base implements Stage's attaching and following for an engine whose
// ops value (the Report* methods) is Self. Engines embed it.
type Base struct {
	Self    any // the engine's ops value, attached to every thread
	Needs   Needs
	Out     *Output
	name    string
	reports atomic.Uint64
	// OnAttach, if set, runs for each thread attached (the first and
	// every child).
	OnAttach func(e *core.Engine)
}

// Init sets the instance name, the ops and the needs.
func (b *Base) Init(name string, self any, out *Output, needs Needs) {
	b.name, b.Self, b.Out, b.Needs = name, self, out, needs
	b.Needs.Events |= core.EventClone // to follow children
}

// Name implements Stage.
func (b *Base) Name() string { return b.name }

// Reports implements Stage.
func (b *Base) Reports() uint64 { return b.reports.Load() }

// Count counts one report.
func (b *Base) Count() { b.reports.Add(1) }

// NeedsOf returns what the engine asks of each thread.
func (b *Base) NeedsOf() Needs { return b.Needs }

// Attach implements Stage. The core engine's data is whether to follow.
func (b *Base) Attach(tr *core.Tracer, tid int, follow bool) error {
	e, err := tr.Attach(tid, core.AttachCreate, b.Self, follow)
	if err != nil {
		return fmt.Errorf("%s: attach %d: %w", b.name, tid, err)
	}
	if err := b.setup(e); err != nil {
		e.Control(core.Detach)
		return fmt.Errorf("%s: attach %d: %w", b.name, tid, err)
	}
	return nil
}

func (b *Base) setup(e *core.Engine) error {
	if err := e.SetSyscallFilter(b.Needs.Syscalls); err != nil {
		return err
	}
	if err := e.SetCounting(b.Needs.Count); err != nil {
		return err
	}
	if err := e.SetHistograms(b.Needs.Histograms); err != nil {
		return err
	}
	if err := e.SetExitEntriesOnly(b.Needs.ExitEntriesOnly); err != nil {
		return err
	}
	if err := e.SetCapture(b.Needs.Capture); err != nil {
		return err
	}
	if err := e.SetEnterTimes(b.Needs.EnterTimes); err != nil {
		return err
	}
	if err := e.SetFdPaths(b.Needs.FdPaths); err != nil {
		return err
	}
	if err := e.SetPassiveOnly(b.Needs.PassiveOnly); err != nil {
		return err
	}
	if len(b.Needs.Triggers) > 0 {
		if err := e.SetTriggers(b.Needs.Triggers); err != nil {
			return err
		}
	}
	if err := e.SetSync(b.Needs.Sync); err != nil {
		return err
	}
	if err := e.SetEvents(b.Needs.Events); err != nil {
		return err
	}
	if b.OnAttach != nil {
		b.OnAttach(e)
	}
	return nil
}

// ReportClone follows the new thread or process: the engine attaches to
// the child before it runs, with the same needs (the seed's way to trace a
// whole process tree).
func (b *Base) ReportClone(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if follow, _ := e.Data().(bool); !follow {
		return core.Resume
	}
	child, err := e.Tracer().Attach(ev.Clone.Child, core.AttachCreate, b.Self, true)
	if err == nil {
		err = b.setup(child)
	}
	if err != nil && b.Out != nil {
		b.Out.Warn("%s: follow %d: %v", b.name, ev.Clone.Child, err)
	}
	return core.Resume
}

// Type describes an engine type for the registry.
type Type struct {
	Name    string
	Summary string
	// Uses is what the engine may ask of the kernel, for reports of what
	// a kernel can run (utrace-bpf check --kernel).
	Uses    Uses
	Options []Option
	// New makes an engine instance from checked options.
	New func(name string, opts Options, out *Output) (Stage, error)
}

// Uses is a set of the mechanisms an engine type may need.
type Uses uint8

const (
	UsesKernel   Uses = 1 << iota // in-kernel aggregation
	UsesPassive                   // passive reports through the ring buffer
	UsesPtrace                    // synchronous reports: ptrace stops
	UsesSeccomp                   // for launched programs, seccomp stops only at chosen calls
	UsesTriggers                  // for attached processes, kernel triggers on per-syscall tracepoints
)

// Option describes one option of an engine type.
type Option struct {
	Name    string
	Kind    Kind
	Default string
	Doc     string
}

// Kind is the type of an option's value.
type Kind uint8

// Option kinds.
const (
	String Kind = iota
	Int
	Bool
	Float
	Duration
)

func (k Kind) String() string {
	return [...]string{"string", "int", "bool", "float", "duration"}[k]
}

// Options are an engine's checked option values, by name.
type Options map[string]any

// Str, IntVal, BoolVal, FloatVal and Dur return an option's value, or the
// zero value if it is not set and has no default.
func (o Options) Str(name string) string        { s, _ := o[name].(string); return s }
func (o Options) IntVal(name string) int64      { n, _ := o[name].(int64); return n }
func (o Options) BoolVal(name string) bool      { b, _ := o[name].(bool); return b }
func (o Options) FloatVal(name string) float64  { f, _ := o[name].(float64); return f }
func (o Options) Dur(name string) time.Duration { d, _ := o[name].(time.Duration); return d }

// Has reports whether the option was given or has a default.
func (o Options) Has(name string) bool { _, ok := o[name]; return ok }

var registry = map[string]*Type{}

// Register adds an engine type. It panics on a duplicate name.
func Register(t *Type) {
	if registry[t.Name] != nil {
		panic("engines: duplicate type " + t.Name)
	}
	registry[t.Name] = t
}

// Lookup returns the engine type called name.
func Lookup(name string) (*Type, error) {
	if t := registry[name]; t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("unknown engine %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the registered engine types, sorted.
func Names() []string {
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Parse checks raw option values (as written in a config or on the command
// line) against the type's options and converts them. Unknown names and
// values of the wrong kind are errors naming the option.
func (t *Type) Parse(raw map[string]string) (Options, error) {
	opts := Options{}
	for _, o := range t.Options {
		if o.Default != "" {
			v, err := o.Kind.parse(o.Default)
			if err != nil {
				panic(fmt.Sprintf("engines: %s.%s default: %v", t.Name, o.Name, err))
			}
			opts[o.Name] = v
		}
	}
	for name, val := range raw {
		o := t.option(name)
		if o == nil {
			return nil, fmt.Errorf("engine %s has no option %q (options: %s)", t.Name, name, t.optionNames())
		}
		v, err := o.Kind.parse(val)
		if err != nil {
			return nil, fmt.Errorf("engine %s option %s: %v", t.Name, name, err)
		}
		opts[name] = v
	}
	return opts, nil
}

func (t *Type) option(name string) *Option {
	for i := range t.Options {
		if t.Options[i].Name == name {
			return &t.Options[i]
		}
	}
	return nil
}

func (t *Type) optionNames() string {
	if len(t.Options) == 0 {
		return "none"
	}
	var names []string
	for _, o := range t.Options {
		names = append(names, o.Name)
	}
	return strings.Join(names, ", ")
}

func (k Kind) parse(s string) (any, error) {
	switch k {
	case Int:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %q", s)
		}
		return n, nil
	case Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", s)
		}
		return b, nil
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", s)
		}
		return f, nil
	case Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("want a duration such as 10ms, got %q", s)
		}
		return d, nil
	}
	return s, nil
}
