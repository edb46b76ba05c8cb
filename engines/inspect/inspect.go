// Package inspect is the inspect engine: on a condition (a system call
// and its return, a fatal signal, an exec) it stops the thread and dumps
// its registers, the memory its arguments point at and a stack trace, then
// resumes it or leaves it stopped and detached for a debugger to take.
package inspect

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/symbolize"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "inspect",
		Summary: "on a condition, stop the thread and dump registers, argument memory and a stack trace; resume, or leave it stopped for a debugger",
		Uses:    pipeline.UsesPtrace | pipeline.UsesSeccomp | pipeline.UsesTriggers,
		Options: []pipeline.Option{
			{Name: "syscall", Kind: pipeline.String, Doc: "system calls that trigger, e.g. openat"},
			{Name: "path", Kind: pipeline.String, Doc: "only when the path argument starts with this"},
			{Name: "ret", Kind: pipeline.String, Doc: "trigger at the call's exit when its return value matches, e.g. <0, =-2, !=0"},
			{Name: "signal", Kind: pipeline.String, Doc: "trigger at the delivery of this signal, e.g. SIGSEGV"},
			{Name: "exec", Kind: pipeline.String, Doc: "trigger at an exec of a file whose path starts with this"},
			{Name: "then", Kind: pipeline.String, Default: "resume", Doc: "resume, or stop: leave the process stopped and detached for a debugger"},
			{Name: "depth", Kind: pipeline.Int, Default: "16", Doc: "stack frames to walk (frame pointers)"},
			{Name: "count", Kind: pipeline.Int, Default: "1", Doc: "how many times to trigger (0: always)"},
		},
		New: newInspect,
	})
}

type inspect struct {
	pipeline.Base
	nrs    map[int]bool
	path   string
	ret    func(int64) bool
	signo  int
	exec   string
	stop   bool
	depth  int
	limit  int64
	mu     sync.Mutex
	fired  int64
	lastBy map[int]*core.Event // syscall entries awaiting a ret check, by tid
}

func newInspect(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	in := &inspect{nrs: map[int]bool{}, path: opts.Str("path"), exec: opts.Str("exec"),
		depth: int(opts.IntVal("depth")), limit: opts.IntVal("count"), lastBy: map[int]*core.Event{}}
	switch opts.Str("then") {
	case "resume":
	case "stop":
		in.stop = true
	default:
		return nil, fmt.Errorf("then %q: want resume or stop", opts.Str("then"))
	}
	var needs pipeline.Needs
	if spec := opts.Str("syscall"); spec != "" {
		nrs, err := sysabi.Expand(spec)
		if err != nil {
			return nil, err
		}
		var set core.SyscallSet
		for _, nr := range nrs {
			in.nrs[nr] = true
			set.Add(nr)
		}
		needs.Syscalls = &set
		needs.Events |= core.EventSyscallEntry
		if r := opts.Str("ret"); r != "" {
			cond, err := parseRetCond(r)
			if err != nil {
				return nil, err
			}
			in.ret = cond
			needs.Events |= core.EventSyscallExit
		}
	}
	if s := opts.Str("signal"); s != "" {
		n, err := pipeline.ParseSignal(s)
		if err != nil {
			return nil, err
		}
		in.signo = n
		needs.Events |= core.EventSignalAll
	}
	if in.exec != "" {
		needs.Events |= core.EventExec
	}
	if needs.Events == 0 {
		return nil, fmt.Errorf("say when to inspect: syscall=NAME, signal=SIG or exec=PATH")
	}
	needs.Sync = needs.Events
	needs.HandsOver = in.stop
	in.Init(name, in, out, needs)
	return in, nil
}

// parseRetCond parses "<0", "<=-1", "=-2", "==3", "!=0", ">0", ">=1".
func parseRetCond(s string) (func(int64) bool, error) {
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">", "="} {
		rest, ok := strings.CutPrefix(s, op)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(rest, 0, 64)
		if err != nil {
			break
		}
		switch op {
		case "<=":
			return func(r int64) bool { return r <= n }, nil
		case ">=":
			return func(r int64) bool { return r >= n }, nil
		case "!=":
			return func(r int64) bool { return r != n }, nil
		case "<":
			return func(r int64) bool { return r < n }, nil
		case ">":
			return func(r int64) bool { return r > n }, nil
		}
		return func(r int64) bool { return r == n }, nil
	}
	return nil, fmt.Errorf("ret %q: want a comparison such as <0, =-2 or !=0", s)
}

func (in *inspect) take() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.limit > 0 && in.fired >= in.limit {
		return false
	}
	in.fired++
	return true
}

func (in *inspect) matchesPath(e *core.Engine, ev *core.Event) bool {
	if in.path == "" {
		return true
	}
	p, have := pipeline.SyscallPath(e, ev)
	return have && strings.HasPrefix(p, in.path)
}

// ReportSyscallEntry triggers at the entry, or remembers the call for its
// exit when a return condition is set.
func (in *inspect) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	keep := core.Resume | action.SyscallAction()
	if !in.nrs[ev.Syscall.Nr] || !in.matchesPath(e, ev) {
		return keep
	}
	if in.ret != nil {
		c := *ev
		in.mu.Lock()
		in.lastBy[ev.Tid] = &c
		in.mu.Unlock()
		return keep
	}
	if !in.take() {
		return keep
	}
	return in.fire(e, ev, ev, action.SyscallAction())
}

// ReportSyscallExit triggers when the return value matches.
func (in *inspect) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	in.mu.Lock()
	entry := in.lastBy[ev.Tid]
	delete(in.lastBy, ev.Tid)
	in.mu.Unlock()
	if entry == nil || in.ret == nil || !in.ret(ev.Syscall.Ret) || !in.take() {
		return core.Resume
	}
	entry.Syscall.Ret = ev.Syscall.Ret
	return in.fire(e, ev, entry, 0)
}

// ReportSignal triggers at the delivery of the chosen signal.
func (in *inspect) ReportSignal(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	keep := core.Resume | action.SignalAction()
	if ev.Signal.Signo != in.signo || !in.take() {
		return keep
	}
	return in.fire(e, ev, nil, action.SignalAction())
}

// ReportExec triggers at an exec of the chosen file.
func (in *inspect) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	if in.exec == "" || !strings.HasPrefix(ev.Exec.Filename, in.exec) || !in.take() {
		return core.Resume
	}
	return in.fire(e, ev, nil, 0)
}

// fire dumps the thread's state; call is the syscall to decode, if any.
func (in *inspect) fire(e *core.Engine, ev, call *core.Event, keep core.Action) core.Action {
	in.Count()
	var regs *core.Registers
	var stack []uint64
	var callLine []byte
	err := e.Examine(func(st core.Stopped) error {
		r, err := st.Registers()
		if err != nil {
			return err
		}
		regs = r
		stack = walkStack(st, r, in.depth)
		if call != nil {
			mem := stoppedMem{st}
			if ev.Type == core.EventSyscallExit {
				callLine = sysent.FormatLine(nil, call.Syscall.Nr, call.Syscall.Args, call.Syscall.Ret, mem)
			} else {
				callLine = append(sysent.FormatCall(nil, call.Syscall.Nr, call.Syscall.Args, mem), ')')
			}
		}
		return nil
	})
	rec := pipeline.NewRecord()
	rec.Time, rec.Event, rec.Pid, rec.Tid, rec.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, in.Name()
	if err != nil {
		rec.Text = fmt.Appendf(rec.Text, "inspect at %v: %v", ev.Type, err)
		rec.Fields = append(rec.Fields, pipeline.StrField("error", err.Error()))
		in.Out.Emit(rec)
		return core.Resume | keep
	}
	syms := symbolize.New(ev.Tgid)
	var frames []string
	for _, pc := range stack {
		frames = append(frames, fmt.Sprintf("%#x %s", pc, syms.Name(pc)))
	}
	regText := formatRegs(regs)
	rec.Text = fmt.Appendf(rec.Text, "inspect at %v", ev.Type)
	if callLine != nil {
		rec.Text = append(append(rec.Text, ": "...), callLine...)
	}
	rec.Text = append(rec.Text, "\n  registers: "+strings.Join(regText, " ")...)
	rec.Text = append(rec.Text, "\n  stack:\n    "+strings.Join(frames, "\n    ")...)
	rec.Fields = append(rec.Fields, pipeline.StrsField("registers", regText), pipeline.StrsField("stack", frames))
	if callLine != nil {
		rec.Fields = append(rec.Fields, pipeline.StrField("call", string(callLine)))
	}
	if in.stop {
		rec.Text = append(rec.Text, "\n  left stopped for a debugger: gdb -p "+strconv.Itoa(ev.Tgid)...)
	}
	in.Out.Emit(rec)
	if in.stop {
		return leaveStopped(ev)
	}
	return core.Resume | keep
}

// leaveStopped is the action that leaves the process stopped and detached
// for a debugger, with its fate unchanged: once continued it meets what it
// would have met. At a signal the thread stops in the signal's place
// (SignalStop: a group-stop once the stopper has let go). A fault (a
// SIGSEGV, SIGBUS, SIGILL or SIGFPE the kernel raised for an instruction)
// is then dropped: the instruction runs again when the process is
// continued and faults again, so a debugger sees the fault itself; any
// other signal is pushed back (SignalHold) and taken once the process is
// continued. Elsewhere a SIGSTOP queued now stops the whole process once
// every tracer has let go.
func leaveStopped(ev *core.Event) core.Action {
	if ev.Type&core.EventSignalAll == 0 {
		unix.Kill(ev.Tgid, unix.SIGSTOP)
		return core.Detach
	}
	if isFault(ev.Signal) {
		return core.Detach | core.SignalStop
	}
	return core.Detach | core.SignalStop | core.SignalHold
}

// isFault reports whether the signal is a synchronous fault: one of the
// signals an instruction raises, with a kernel si_code (positive; a
// process's kill, tgkill or sigqueue has SI_USER, 0, or a negative code).
func isFault(s core.Signal) bool {
	switch unix.Signal(s.Signo) {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE:
		return s.Code > 0
	}
	return false
}

func formatRegs(r *core.Registers) []string {
	named := r.Named()
	out := make([]string, len(named))
	for i, x := range named {
		out[i] = fmt.Sprintf("%s=%#x", x.Name, x.Value)
	}
	return out
}

// walkStack follows the frame-pointer chain from the registers: the
// return address sits above each saved frame pointer (x86-64's rbp chain
// and arm64's frame records have the same shape). Code built without frame
// pointers gives a short or wrong chain; the walk stops at the first
// unreadable or non-increasing frame.
func walkStack(st core.Stopped, r *core.Registers, depth int) []uint64 {
	pcs := []uint64{r.PC()}
	fp := r.FramePointer()
	var buf [16]byte
	for len(pcs) < depth && fp != 0 && fp%8 == 0 {
		if n, _ := st.ReadMemory(uintptr(fp), buf[:]); n != len(buf) {
			break
		}
		next := binary.LittleEndian.Uint64(buf[:8])
		ret := binary.LittleEndian.Uint64(buf[8:])
		if ret == 0 {
			break
		}
		pcs = append(pcs, ret)
		if next <= fp {
			break
		}
		fp = next
	}
	return pcs
}

// stoppedMem is sysent.Mem over a thread held stopped.
type stoppedMem struct{ st core.Stopped }

func (m stoppedMem) Read(addr uint64, n int) ([]byte, error) {
	b := make([]byte, n)
	got, err := m.st.ReadMemory(uintptr(addr), b)
	if got < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

func (m stoppedMem) ReadString(addr uint64, max int) ([]byte, bool, error) {
	b := make([]byte, max+1)
	n, err := m.st.ReadMemory(uintptr(addr), b)
	if n == 0 {
		return nil, false, err
	}
	b = b[:n]
	for i, c := range b {
		if c == 0 {
			return b[:i], false, nil
		}
	}
	if len(b) > max {
		return b[:max], true, nil
	}
	return b, false, nil
}

// Summary says how often it fired.
func (in *inspect) Summary(w io.Writer) {
	in.mu.Lock()
	defer in.mu.Unlock()
	fmt.Fprintf(w, "%s: inspected %d time(s)\n", in.Name(), in.fired)
}
