package pipeline_test

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

// execCounter counts the execs of the processes it follows, passively:
// the kernel reports them through the ring buffer and no thread stops.
type execCounter struct {
	pipeline.Base
	execs atomic.Int64
	quiet bool
}

// ReportExec is core's callback for EventExec.
func (c *execCounter) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	c.execs.Add(1)
	c.Count()
	if !c.quiet {
		c.Out.Text(c.Name(), "exec "+ev.Exec.Filename)
	}
	return core.Resume
}

// Summary implements pipeline.Stage.
func (c *execCounter) Summary(w io.Writer) {
	fmt.Fprintf(w, "%s: %d execs\n", c.Name(), c.execs.Load())
}

// An engine type registers itself with its options; the CLI (or any
// program) then makes stages of it by name, from -e TYPE:opts or YAML, and
// attaches each to the threads it traces.
func Example() {
	pipeline.Register(&pipeline.Type{
		Name:    "execcount",
		Summary: "count the execs of the traced processes",
		Uses:    pipeline.UsesPassive,
		Options: []pipeline.Option{
			{Name: "quiet", Kind: pipeline.Bool, Default: "false", Doc: "no line per exec, only the summary"},
		},
		New: func(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
			c := &execCounter{quiet: opts.BoolVal("quiet")}
			// Init attaches c's callbacks to every thread with these needs
			// and follows new children (Base adds EventClone).
			c.Init(name, c, out, pipeline.Needs{Watch: core.Watch{Events: core.EventExec}})
			return c, nil
		},
	})

	// What the CLI does with -e execcount:quiet=true.
	typ, err := pipeline.Lookup("execcount")
	if err != nil {
		panic(err)
	}
	opts, err := typ.Parse(map[string]string{"quiet": "true"})
	if err != nil {
		panic(err)
	}
	out := pipeline.NewOutput(os.Stdout, nil, false)
	defer out.Close()
	stage, err := typ.New("execcount", opts, out)
	if err != nil {
		panic(err)
	}
	// stage.Attach(tracer, tid, true) would attach it to a thread and
	// its future children; here it has seen nothing.
	stage.Summary(os.Stdout)
	fmt.Println(stage.NeedsOf().Events&core.EventExec != 0)
	// Output:
	// execcount: 0 execs
	// true
}
