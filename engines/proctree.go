package engines

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/utrace-bpf/utrace-bpf/core"
	"golang.org/x/sys/unix"
)

func init() {
	Register(&Type{
		Name:    "proctree",
		Summary: "fork/exec/exit log and process tree with times, exit codes and killing signals",
		Uses:    UsesPassive,
		Options: []Option{
			{Name: "threads", Kind: Bool, Default: "false", Doc: "also log threads, not only processes"},
			{Name: "tree", Kind: Bool, Default: "true", Doc: "print the process tree at the end"},
		},
		New: newProctree,
	})
}

// proctree is execsnoop + exitsnoop + pstree from passive reports.
type proctree struct {
	Base
	threads, tree bool
	mu            sync.Mutex
	procs         map[int]*procNode // by pid, in order of appearance
	order         []*procNode
}

type procNode struct {
	pid, ppid  int
	start, end uint64
	execs      []string
	status     int // wait status at death; -1 while alive
	children   []*procNode
}

func newProctree(name string, opts Options, out *Output) (Engine, error) {
	p := &proctree{threads: opts.BoolVal("threads"), tree: opts.BoolVal("tree"), procs: map[int]*procNode{}}
	p.Init(name, p, out, Needs{Events: core.EventClone | core.EventExec | core.EventDeath})
	return p, nil
}

func (p *proctree) node(pid int) *procNode {
	n := p.procs[pid]
	if n == nil {
		n = &procNode{pid: pid, status: -1}
		p.procs[pid] = n
		p.order = append(p.order, n)
	}
	return n
}

func (p *proctree) emit(ev *core.Event, text string, fields ...Field) {
	p.Count()
	r := NewRecord()
	r.Time, r.Event, r.Pid, r.Tid, r.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, p.Name()
	r.Text = append(r.Text[:0], text...)
	r.Fields = append(r.Fields[:0], fields...)
	p.Out.Emit(r)
}

// ReportClone logs the new process (or thread) and follows it.
func (p *proctree) ReportClone(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	p.mu.Lock()
	if !ev.Clone.Thread {
		parent := p.node(ev.Tgid)
		child := p.node(ev.Clone.Child)
		child.ppid, child.start = ev.Tgid, ev.Time
		parent.children = append(parent.children, child)
	}
	if !ev.Clone.Thread || p.threads {
		kind := "fork"
		if ev.Clone.Thread {
			kind = "thread"
		}
		p.emit(ev, fmt.Sprintf("%s %d", kind, ev.Clone.Child),
			StrField("kind", kind), IntField("child", int64(ev.Clone.Child)))
	}
	p.mu.Unlock()
	return p.Base.ReportClone(e, action, ev)
}

// ReportExec logs an exec.
func (p *proctree) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	p.mu.Lock()
	n := p.node(ev.Tgid)
	if n.start == 0 {
		n.start = ev.Time // a process traced from its exec on
	}
	n.execs = append(n.execs, ev.Exec.Filename)
	p.emit(ev, "exec "+strconv.Quote(ev.Exec.Filename), StrField("filename", ev.Exec.Filename))
	p.mu.Unlock()
	return core.Resume
}

// ReportDeath logs a process exit (the death of its last thread) with its
// code or killing signal.
func (p *proctree) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	if !ev.Exit.GroupDead && !p.threads {
		return core.Detach
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ev.Exit.GroupDead {
		p.emit(ev, "thread exit", StrField("kind", "thread"))
		return core.Detach
	}
	n := p.node(ev.Tgid)
	n.status, n.end = ev.Exit.Code, ev.Time
	text := "exit " + describeStatus(ev.Exit.Code)
	if n.start != 0 {
		text += fmt.Sprintf(" after %.3fs", float64(ev.Time-n.start)/1e9)
	}
	p.emit(ev, text, StrField("status", describeStatus(ev.Exit.Code)), IntField("wait_status", int64(ev.Exit.Code)))
	return core.Detach
}

// describeStatus spells a wait status: "code 3" or "killed by SIGSEGV
// (core dumped)".
func describeStatus(status int) string {
	ws := unix.WaitStatus(status)
	switch {
	case status < 0:
		return "unknown"
	case ws.Exited():
		return "code " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		s := "killed by " + unix.SignalName(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("status %#x", status)
}

// Summary prints the tree, pstree-like.
func (p *proctree) Summary(w io.Writer) {
	if !p.tree {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var roots []*procNode
	for _, n := range p.order {
		if n.ppid == 0 || p.procs[n.ppid] == nil {
			roots = append(roots, n)
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].start < roots[j].start })
	for _, r := range roots {
		p.printNode(w, r, "")
	}
}

func (p *proctree) printNode(w io.Writer, n *procNode, indent string) {
	name := "?"
	if len(n.execs) > 0 {
		name = strings.Join(n.execs, " → ")
	}
	state := "running"
	if n.status >= 0 {
		state = describeStatus(n.status)
	}
	fmt.Fprintf(w, "%s%d %s [%s]\n", indent, n.pid, name, state)
	for _, c := range n.children {
		p.printNode(w, c, indent+"  ")
	}
}
