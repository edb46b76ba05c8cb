// Package proctree is the proctree engine: the log of forks, execs
// (argv, ids, cgroup, container) and exits (code or signal, lifetime) that
// execsnoop and exitsnoop print, and the process tree at the end.
package proctree

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "proctree",
		Summary: "fork/exec/exit log and process tree with times, exit codes and killing signals",
		Uses:    pipeline.UsesPassive,
		Options: []pipeline.Option{
			{Name: "threads", Kind: pipeline.Bool, Default: "false", Doc: "also log threads, not only processes"},
			{Name: "tree", Kind: pipeline.Bool, Default: "true", Doc: "print the process tree at the end"},
		},
		New: newProctree,
	})
}

// proctree is execsnoop + exitsnoop + pstree from passive reports.
type proctree struct {
	pipeline.Base
	threads, tree bool
	mu            sync.Mutex
	procs         map[int]*procNode // by pid, in order of appearance
	order         []*procNode
	cgroups       map[uint64]string // cgroup paths by id
}

type procNode struct {
	pid, ppid  int
	start, end uint64
	execs      []string
	status     int // wait status at death; -1 while alive
	children   []*procNode
}

func newProctree(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	p := &proctree{threads: opts.BoolVal("threads"), tree: opts.BoolVal("tree"), procs: map[int]*procNode{}, cgroups: map[uint64]string{}}
	p.Init(name, p, out, pipeline.Needs{Watch: core.Watch{Events: core.EventClone | core.EventExec | core.EventDeath}})
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

func (p *proctree) emit(ev *core.Event, text string, fields ...pipeline.Field) {
	p.Count()
	r := pipeline.NewRecord()
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
			pipeline.StrField("kind", kind), pipeline.IntField("child", int64(ev.Clone.Child)))
	}
	p.mu.Unlock()
	return p.Base.ReportClone(e, action, ev)
}

// ReportsFailedExecs implements core.FailedExecReporter: execsnoop shows
// the attempts that failed too.
func (p *proctree) ReportsFailedExecs() bool { return true }

// ReportExec logs an exec, or an exec that failed, with the process's
// facts: execsnoop's columns.
func (p *proctree) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	x := &ev.Exec
	p.mu.Lock()
	defer p.mu.Unlock()
	text := "exec " + strconv.Quote(x.Filename)
	fields := []pipeline.Field{pipeline.StrField("filename", x.Filename), pipeline.IntField("ret", x.Ret)}
	if x.Facts {
		text += " " + quoteArgs(x.Args, x.ArgsTruncated)
		fields = append(fields, pipeline.StrsField("args", x.Args), pipeline.StrField("comm", x.Comm), pipeline.IntField("ppid", int64(x.Ppid)),
			pipeline.IntField("uid", int64(x.UID)), pipeline.IntField("gid", int64(x.GID)))
		if x.ArgsTruncated {
			fields = append(fields, pipeline.IntField("args_truncated", 1))
		}
		text += fmt.Sprintf(" ppid %d uid %d gid %d", x.Ppid, x.UID, x.GID)
		if cg := p.cgroupPath(x.Cgroup); cg != "" {
			text += " cgroup " + cg
			fields = append(fields, pipeline.StrField("cgroup", cg))
			if id := core.ContainerID(cg); id != "" {
				text += " container " + id[:12]
				fields = append(fields, pipeline.StrField("container", id))
			}
		}
	}
	if x.Ret < 0 {
		errno := unix.Errno(-x.Ret)
		text += fmt.Sprintf(" = %d %s (%s)", x.Ret, sysent.ErrnoName(errno), sysent.ErrnoMessage(errno))
		fields = append(fields, pipeline.StrField("error", sysent.ErrnoName(errno)))
		p.emit(ev, text, fields...)
		return core.Resume
	}
	n := p.node(ev.Tgid)
	if n.start == 0 {
		n.start = ev.Time // a process traced from its exec on
	}
	if x.Facts && n.ppid == 0 {
		n.ppid = x.Ppid
		if parent := p.procs[x.Ppid]; parent != nil {
			parent.children = append(parent.children, n)
		}
	}
	n.execs = append(n.execs, x.Filename)
	p.emit(ev, text, fields...)
	return core.Resume
}

// cgroupPath names cgroup id, from a cache: the cgroup may be gone by the
// time its last process is logged. "" when not known.
func (p *proctree) cgroupPath(id uint64) string {
	if id == 0 {
		return ""
	}
	if path, ok := p.cgroups[id]; ok {
		return path
	}
	path := core.CgroupPath(id)
	if len(p.cgroups) >= maxCgroups {
		clear(p.cgroups)
	}
	p.cgroups[id] = path
	return path
}

// maxCgroups bounds the cgroup-name cache of a long monitoring run.
const maxCgroups = 4096

// quoteArgs spells argv as strace does: ["ls", "-l"], with ... when cut.
func quoteArgs(args []string, truncated bool) string {
	b := []byte{'['}
	for i, a := range args {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, a)
	}
	if truncated {
		b = append(b, "..."...)
	}
	return string(append(b, ']'))
}

// ReportDeath logs a process exit (the death of its last thread) with its
// code or killing signal and its lifetime: exitsnoop's columns.
func (p *proctree) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	if !ev.Exit.GroupDead && !p.threads {
		return core.Detach
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ev.Exit.GroupDead {
		p.emit(ev, "thread exit", pipeline.StrField("kind", "thread"))
		return core.Detach
	}
	x := &ev.Exit
	n := p.node(ev.Tgid)
	n.status, n.end = x.Code, ev.Time
	if x.Facts && x.Start != 0 {
		n.start = x.Start
	}
	status := describeStatus(x.Code)
	text := "exit " + status
	fields := []pipeline.Field{pipeline.StrField("status", status), pipeline.IntField("wait_status", int64(x.Code))}
	ws := unix.WaitStatus(x.Code)
	switch {
	case ws.Exited():
		fields = append(fields, pipeline.IntField("exit_code", int64(ws.ExitStatus())))
	case ws.Signaled():
		fields = append(fields, pipeline.StrField("signal", unix.SignalName(ws.Signal())))
		if ws.CoreDump() {
			fields = append(fields, pipeline.IntField("core_dumped", 1))
		}
	}
	if n.start != 0 && n.start <= ev.Time {
		life := ev.Time - n.start
		text += fmt.Sprintf(" after %.3fs", float64(life)/1e9)
		fields = append(fields, pipeline.IntField("lifetime_ns", int64(life)))
	}
	if x.Facts {
		text += fmt.Sprintf(" comm %s ppid %d", x.Comm, x.Ppid)
		fields = append(fields, pipeline.StrField("comm", x.Comm), pipeline.IntField("ppid", int64(x.Ppid)))
	}
	p.emit(ev, text, fields...)
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
