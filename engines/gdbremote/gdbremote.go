// Package gdbremote is a GDB Remote Serial Protocol server as a utrace-bpf
// engine: gdb debugs the traced process through the same stopper every
// other engine shares, so a syscall log, a fault injector and a debugger
// work on one process at once (Linux allows one ptracer per thread; here
// the debugger is one engine among many).
//
// The target is Linux on x86-64 or arm64, all-stop, and the aim is
// gdbserver's behaviour: gdb prints the same under both. The engine is
// written only against package core: it holds threads with Control(Stop)
// and a Stop from its callbacks, reads and writes registers and memory
// with Examine, steps with SingleStep, and learns of breakpoint hits as
// synchronous SIGTRAP reports. Its breakpoints (Z0) are its own: it
// writes the breakpoint instructions (int3, brk #0) while threads of the
// process run and takes them out again whenever gdb holds the process,
// so gdb's memory reads, and other engines examining a thread gdb holds,
// see the program's own bytes; while they are in, their bytes are the
// tracer's breakpoint shadows (core.Tracer.Shadow), so no engine's
// Examine sees them then either.
//
// What differs between the architectures is in their own files: the
// register set gdb sees and its target description (x86-64: the general,
// x87, SSE and AVX registers; arm64: x0-x30, sp, pc, cpsr and the FP/SIMD
// registers), the breakpoint instruction and where its trap leaves the
// PC, and hardware breakpoints and watchpoints. On x86-64 those (Z1, Z2,
// Z4) are the debug registers, one set written into every thread before
// it runs. On arm64 the server offers none: Z1-Z4 get the empty reply, so
// gdb's hbreak and hardware watchpoints fail to insert; "set
// can-use-hw-watchpoints 0" makes gdb watch by single-stepping instead.
//
// Events gdb can catch are core reports: system calls (QCatchSyscalls)
// synchronous entries and exits filtered to gdb's list, forks (fork-events)
// the parent's synchronous CLONE report, vforks also the exit of the
// parent's call (vforkdone), execs the EXEC report. $_siginfo is the
// siginfo_t of the signal reported, and gdb reads the target's files with
// host I/O (vFile), as from gdbserver.
//
// While no gdb is connected the engine only follows threads and watches
// for exits, passively; a thread costs nothing more. When gdb connects it
// asks for signals and execs synchronously (and clones, with fork events;
// system calls while gdb catches them); when gdb detaches it lets go
// again, and the process runs on.
//
// Callbacks never wait for the network: they decide at once (hold the
// thread or let it go, from the state the protocol goroutine left) and hand
// what happened to that goroutine through a queue.
package gdbremote

import (
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "gdbremote",
		Summary: "GDB remote protocol server: debug the traced process with gdb (target remote) while the other engines keep working",
		Uses:    pipeline.UsesPtrace,
		Options: []pipeline.Option{
			{Name: "listen", Kind: pipeline.String, Default: "127.0.0.1:2345",
				Doc: "where gdb connects: HOST:PORT (port 0 picks one), or unix:PATH for a socket only its owner can open (gdb: target remote PATH)"},
			{Name: "hold", Kind: pipeline.Bool, Default: "true",
				Doc: "in run, hold the program at its exec until gdb connects and continues"},
			{Name: "syscalls", Kind: pipeline.String,
				Doc: "the system calls gdb's catch syscall may stop at in a program run launches (e.g. write,openat): they go into its seccomp filter, and the others cost nothing; without them every call stops while gdb catches some"},
			{Name: "packet_timeout", Kind: pipeline.Duration, Default: "10s",
				Doc: "a packet must arrive whole within this time of its start, or the connection is closed"},
		},
		New: newEngine,
	})
}

// The events the engine asks for with no gdb connected (following threads,
// seeing the process exit) and with one.
const (
	idleEvents   = core.EventClone | core.EventExec | core.EventDeath
	activeEvents = idleEvents | core.EventQuiesce | core.EventSignalAll
	activeSync   = core.EventSignalAll | core.EventExec
)

// why a thread stopped for gdb.
type why uint8

const (
	whyNone          why = iota // held because the server asked; nothing to report
	whyLaunch                   // the launched program, held at its exec
	whyStep                     // a single step finished
	whyBreak                    // one of our breakpoints; the PC is rewound to it
	whySignal                   // a signal for gdb to decide about; it was not delivered
	whyExec                     // the process exec'd a new program
	whyHW                       // a debug register fired: a hardware breakpoint or watchpoint
	whySyscallEntry             // a system call gdb catches, at its entry
	whySyscallReturn            // and at its exit
	whyFork                     // the thread forked a child process
	whyVfork                    // the thread vforked one, and waits for it
	whyVforkDone                // the vfork child exec'd or exited; the parent goes on
)

type stopInfo struct {
	why  why
	sig  int    // Linux signal number, for whySignal
	exec string // the new program, for whyExec
	// siginfo is the signal's siginfo_t, for whySignal and whyBreak:
	// gdb's $_siginfo (qXfer:siginfo:read).
	siginfo []byte
	hw      hwSlot // the slot that fired, for whyHW
	sysNr   int    // the system call, for whySyscallEntry and whySyscallReturn
	child   int    // the new process, for whyFork
}

// thread is the engine's state of one thread of the debugged process.
// Every field is guarded by engine.mu.
type thread struct {
	e *core.Engine

	// What the callbacks do: hold the thread (want), step it (stepping),
	// or let it run. gen counts the server's resumptions, so that a
	// notification the thread sent before one is recognized as stale.
	want     bool
	stepping bool
	gen      uint64
	passSig  int  // let this signal's next delivery through (gdb continued with it)
	inject   int  // signal to inject at the report our Interrupt brings
	keepSig  bool // still watching signals after a detach: a trap may be pending

	// What the server knows.
	fresh   bool      // attached since the server last looked
	held    bool      // held stopped by us
	dead    bool      // died, or cannot be controlled any more
	pending *stopInfo // an event not yet reported to gdb
	siginfo []byte    // of the signal last reported for the thread
	hwGen   uint64    // the engine's hwGen its debug registers hold
	// vforkWait is the vfork child the thread waits for, until its call
	// returns.
	vforkWait int
}

// resume is the action a callback returns for t.
func (t *thread) resume() core.Action {
	switch {
	case t.want:
		return core.Stop
	case t.stepping:
		return core.SingleStep
	}
	return core.Resume
}

type evKind uint8

const (
	evStop   evKind = iota // the thread is held; stop says why
	evAttach               // a new thread
	evDeath                // the thread died
)

// event is what a callback hands the server.
type event struct {
	kind      evKind
	t         *thread
	gen       uint64
	stop      stopInfo
	status    int  // wait status, for evDeath
	groupDead bool // evDeath: the process is gone
}

// stub is the gdb remote stub: one pipeline stage that serves one gdb
// connection for the threads it attaches to.
type stub struct {
	pipeline.Base
	addr    string // the listen option
	hold    bool
	timeout time.Duration
	ln      net.Listener
	kick    chan struct{} // a nudge when the queue has events
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once

	mu       sync.Mutex
	tracer   *core.Tracer // the tracer of the threads, for the breakpoint shadows
	threads  map[*core.Engine]*thread
	target   int  // the debugged process (the first one attached)
	launch   int  // the tid run launched, until its exec
	launched bool // the process was started by run, not attached to
	active   bool // a gdb is connected: signals and execs are synchronous
	allStop  bool // new threads start held
	queue    []event
	bps      map[uint64]bool // gdb's breakpoints
	// inserted are the addresses where a breakpoint instruction of ours
	// is in memory; the bytes it replaced are the tracer's shadows
	// (core.Tracer.Shadow), which every engine's Examine shows in their
	// place.
	inserted  map[uint64]bool
	ever      map[uint64]bool // every address that ever held one of our breakpoints
	pass      map[int]bool    // QPassSignals, as Linux numbers
	execStop  bool            // gdb wants exec events
	forkStop  bool            // gdb wants fork events
	vforkStop bool            // and vfork events
	forked    map[int]bool    // the children reported to gdb
	// The hardware breakpoints and watchpoints, the same in every
	// thread (archDebugRegs' slots, made at the first Z1-Z4); hwGen
	// counts their changes.
	hw    []hwSlot
	hwGen uint64
	// gdb's catch syscall: on, and the calls (nil: all); declared are
	// the calls the syscalls option named.
	catching bool
	catchSet *core.SyscallSet
	declared core.SyscallSet
	// The machine's register layout, once a thread showed it.
	layout      layout
	layoutKnown bool
	// readySince is when the first thread was attached.
	readySince time.Time
	exited     bool // the process is gone
	status     int  // its wait status
	// For Summary.
	conn     net.Conn
	sessions int
	stops    int
	exitSent bool
}

func newEngine(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	g := &stub{addr: opts.Str("listen"), hold: opts.BoolVal("hold"), timeout: opts.Dur("packet_timeout"),
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		threads: map[*core.Engine]*thread{}, bps: map[uint64]bool{}, inserted: map[uint64]bool{},
		ever: map[uint64]bool{}, pass: map[int]bool{}, forked: map[int]bool{}}
	if g.timeout <= 0 {
		return nil, fmt.Errorf("packet_timeout %v: want a positive duration", g.timeout)
	}
	ln, err := listen(g.addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %v", g.addr, err)
	}
	g.ln = ln
	needs := pipeline.Needs{Watch: core.Watch{Events: idleEvents}}
	if spec := opts.Str("syscalls"); spec != "" {
		nrs, err := sysabi.Expand(spec)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("syscalls: %v", err)
		}
		for _, nr := range nrs {
			g.declared.Add(nr)
		}
		// What the launch's seccomp filter lists; each thread's own
		// needs are set by setNeeds.
		needs.Sync, needs.Syscalls = core.EventSyscall, &g.declared
	}
	g.Init(name, g, out, needs)
	g.OnAttach = g.onAttach
	out.Text(name, fmt.Sprintf("%s: listening on %s; connect with: gdb -ex 'target remote %s' PROGRAM", name, ln.Addr(), ln.Addr()))
	go g.serve()
	return g, nil
}

// listen opens the server's socket: unix:PATH (or an absolute path) for a
// unix socket that only its owner may open, else HOST:PORT over TCP.
func listen(addr string) (net.Listener, error) {
	path, isUnix := strings.CutPrefix(addr, "unix:")
	if !isUnix && strings.HasPrefix(addr, "/") {
		path, isUnix = addr, true
	}
	if !isUnix {
		return net.Listen("tcp", addr)
	}
	if path == "" {
		return nil, fmt.Errorf("empty socket path")
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path) // a stale socket of an earlier run
	}
	old := unix.Umask(0o177)
	ln, err := net.Listen("unix", path)
	unix.Umask(old)
	return ln, err
}

// post queues ev for the server. Called with g.mu held.
func (g *stub) post(ev event) {
	g.queue = append(g.queue, ev)
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// onAttach registers each thread attached (the first ones by the CLI, new
// threads from ReportClone). Threads of other processes are not ours to
// debug: the engine detaches from them.
func (g *stub) onAttach(e *core.Engine) {
	g.mu.Lock()
	if g.target == 0 {
		g.target = e.Tgid()
		// A program run launched runs this binary until its exec.
		g.launched = isSelf(e.Tgid())
	}
	if e.Tgid() != g.target {
		g.mu.Unlock()
		e.Control(core.Detach)
		return
	}
	g.tracer = e.Tracer()
	t := &thread{e: e, want: g.allStop, fresh: true}
	g.threads[e] = t
	active := g.active
	held := g.launch == e.Tid()
	hw := g.usesHW()
	g.post(event{kind: evAttach, t: t})
	g.mu.Unlock()
	switch {
	case active:
		g.setNeeds(e, true, false)
		if hw {
			// Its debug registers are set in the report this
			// brings, before it runs.
			e.Control(core.Report)
		}
	case held:
		g.setNeeds(e, false, true)
	}
}

// setNeeds asks for what the engine needs of a thread: passively its
// clones, execs and death; with gdb connected, signals and execs
// synchronously too (and so QUIESCE reports), and the system calls gdb
// catches. launch adds a synchronous exec for the program run launched,
// to hold it there.
func (g *stub) setNeeds(e *core.Engine, active, launch bool) {
	if active {
		g.mu.Lock()
		catching, set, fork := g.catching, g.catchSet, g.forkStop || g.vforkStop
		vfork := false
		if t := g.threads[e]; t != nil {
			vfork = t.vforkWait != 0
		}
		g.mu.Unlock()
		events, sync := activeEvents, activeSync
		if fork {
			sync |= core.EventClone
		}
		if catching {
			events, sync = events|core.EventSyscall, sync|core.EventSyscall
		}
		if vfork {
			// The exit of the vfork is the vforkdone stop.
			events, sync = events|core.EventSyscallExit, sync|core.EventSyscallExit
			if set != nil || !catching {
				vset := core.SyscallSet{}
				if set != nil && catching {
					vset = *set
				}
				for _, nr := range vforkCalls {
					vset.Add(nr)
				}
				set = &vset
			}
		}
		e.SetSyscallFilter(set)
		e.SetEvents(events)
		e.SetSync(sync)
		return
	}
	var sync core.Events
	if launch {
		sync = core.EventExec
	}
	e.SetSync(sync)
	e.SetEvents(idleEvents)
}

// StartAtExec is called by run for the program it launches, before or
// after its thread is attached: with hold, the program is held at its
// exec until gdb connects and continues.
func (g *stub) StartAtExec(tid int) {
	g.mu.Lock()
	g.launched = true
	if !g.hold {
		g.mu.Unlock()
		return
	}
	g.launch = tid
	var e *core.Engine
	for _, t := range g.threads {
		if t.e.Tid() == tid {
			e = t.e
		}
	}
	active := g.active
	g.mu.Unlock()
	if e != nil && !active {
		g.setNeeds(e, false, true)
	}
}

// ReportClone follows new threads of the process (Base attaches to them
// before they run). Child processes are not followed, but their copy of
// memory is cleaned of our breakpoints; when gdb asked for fork events, a
// fork (a child with its own copy of memory) stops the parent for gdb,
// which then detaches from the child (D;PID, gdb's detach-on-fork); the
// child runs on meanwhile, as the engine debugs one process. A child
// sharing the parent's memory (vfork, posix_spawn) is a vfork event when
// gdb asked for those; the parent's call then returns when the child
// execs or exits, and its synchronous syscall exit is gdb's vforkdone
// (the stopper has no PTRACE_EVENT_VFORK_DONE).
func (g *stub) ReportClone(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	g.Count()
	own := false
	if ev.Clone.Thread {
		g.Base.ReportClone(e, action, ev)
	} else if ev.Sync {
		own = g.cleanChild(e.Tgid(), ev.Clone.Child)
	}
	g.mu.Lock()
	locked := true
	defer func() {
		if locked {
			g.mu.Unlock()
		}
	}()
	t := g.threads[e]
	if t == nil {
		return core.Resume
	}
	switch {
	case ev.Clone.Thread || !ev.Sync || !g.active || t.stepping:
	case own && g.forkStop:
		g.forked[ev.Clone.Child] = true
		t.want = true
		g.post(event0(t, stopInfo{why: whyFork, child: ev.Clone.Child}))
		return core.Stop
	case !own && g.vforkStop:
		// The parent waits in the kernel until the child execs or
		// exits; the exit of its call is gdb's vforkdone.
		g.forked[ev.Clone.Child] = true
		t.want, t.vforkWait = true, ev.Clone.Child
		g.post(event0(t, stopInfo{why: whyVfork, child: ev.Clone.Child}))
		g.mu.Unlock()
		locked = false
		// Before the thread runs again.
		g.setNeeds(e, true, false)
		return core.Stop
	}
	return t.resume()
}

// cleanChild takes our breakpoints out of a new child process, which got a
// copy of the parent's memory with them in it and would die of the first
// it ran into. The child waits at its first stop while its parent's CLONE
// report runs. A child sharing the parent's memory (vfork, posix_spawn) is
// left alone: its bytes are the parent's. core.Stopped reaches only threads
// an engine holds, so this writes /proc/PID/mem directly.
//
// It reports whether the child has memory of its own.
func (g *stub) cleanChild(parent, child int) bool {
	const kcmpVM = 1
	if r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(parent), uintptr(child), kcmpVM, 0, 0, 0); errno != 0 || r == 0 {
		return false // shared, or cannot tell
	}
	ins := g.tracer.Shadows(parent)
	if len(ins) == 0 {
		return true
	}
	f, err := os.OpenFile(procfs.Process(child).Path("mem"), os.O_RDWR, 0)
	if err != nil {
		g.Out.Warn("%s: child %d keeps the breakpoints of its parent: %v", g.Name(), child, err)
		return true
	}
	defer f.Close()
	for a, b := range ins {
		if _, err := f.WriteAt([]byte{b}, int64(a)); err != nil {
			g.Out.Warn("%s: child %d keeps the breakpoint at %#x of its parent: %v", g.Name(), child, a, err)
		}
	}
	return true
}

// ReportQuiesce comes when the thread stopped: for a stop of its own
// (event 0: our Stop took effect, or a step finished) or before another
// synchronous event, perhaps one of another engine's.
func (g *stub) ReportQuiesce(e *core.Engine, action core.Action, event core.Events) core.Action {
	g.Count()
	g.mu.Lock()
	t := g.threads[e]
	hw := g.active && g.usesHW()
	g.mu.Unlock()
	if t == nil {
		return core.Resume
	}
	var hit hwSlot
	var fired bool
	if hw {
		if err := g.syncDebugRegs(t); err != nil {
			g.Out.Warn("%s: %v", g.Name(), err)
		}
		if event == 0 {
			// A step can end on a watchpoint too.
			hit, fired = g.hwHit(e)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if fired && t.stepping {
		t.stepping, t.want = false, true
		g.post(event0(t, stopInfo{why: whyHW, hw: hit}))
		return core.Stop
	}
	return g.quiesced(t, event)
}

// quiesced decides about a stop with no signal. Called with g.mu held.
func (g *stub) quiesced(t *thread, event core.Events) core.Action {
	switch {
	case event == 0 && t.stepping:
		t.stepping, t.want = false, true
		g.post(event0(t, stopInfo{why: whyStep}))
		return core.Stop
	case t.want:
		g.post(event0(t, stopInfo{why: whyNone}))
		return core.Stop
	}
	// Another engine's synchronous event, perhaps in the middle of our
	// step (a system call instruction): go on as before.
	return t.resume()
}

func event0(t *thread, s stopInfo) event { return event{kind: evStop, t: t, gen: t.gen, stop: s} }

// ReportSignal sees every signal while gdb is connected: breakpoint traps
// are swallowed and reported, signals gdb passes go through, any other is
// held back for gdb to decide about. It also gets the report an Interrupt
// makes, where the engine injects the signal gdb continued with.
func (g *stub) ReportSignal(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	g.Count()
	keep := action & (core.SignalMask | core.SignalHold)
	var siginfo []byte
	if ev.Type != core.EventQuiesce {
		// What gdb shows as $_siginfo if it stops for this signal; the
		// thread may be in another stop by the time gdb asks. Without
		// it, the siginfo of the stop gdb finds is shown.
		e.Examine(func(st core.Stopped) error {
			var err error
			siginfo, err = st.Siginfo()
			return err
		})
	}
	g.mu.Lock()
	hw := g.active && g.usesHW() && ev.Type != core.EventQuiesce &&
		ev.Signal.Signo == int(unix.SIGTRAP) && ev.Signal.Code == trapHWBkpt
	g.mu.Unlock()
	var hit hwSlot
	var fired bool
	if hw {
		hit, fired = g.hwHit(e)
	}
	g.mu.Lock()
	t := g.threads[e]
	if t == nil {
		g.mu.Unlock()
		return core.Resume | keep
	}
	if fired && g.active {
		defer g.mu.Unlock()
		t.stepping, t.want = false, true
		g.post(event0(t, stopInfo{why: whyHW, hw: hit, siginfo: siginfo}))
		return core.Stop | core.SignalIgn
	}
	if ev.Type == core.EventQuiesce {
		defer g.mu.Unlock()
		if t.inject != 0 && !t.want {
			ev.Signal.Signo = t.inject
			t.passSig, t.inject = t.inject, 0
			return t.resume() | core.SignalDeliver
		}
		return g.quiesced(t, 0) | keep
	}
	sig := ev.Signal.Signo
	if sig == int(unix.SIGTRAP) && ev.Signal.Code == swBreakCode && len(g.ever) > 0 {
		ever := make(map[uint64]bool, len(g.ever))
		for a := range g.ever {
			ever[a] = true
		}
		g.mu.Unlock()
		addr, ours := rewindTrap(e, ever)
		g.mu.Lock()
		if ours {
			defer g.mu.Unlock()
			if g.active && g.bps[addr] {
				t.stepping, t.want = false, true
				g.post(event0(t, stopInfo{why: whyBreak, siginfo: siginfo}))
				return core.Stop | core.SignalIgn
			}
			// A breakpoint taken out since the thread hit it: the
			// instruction runs as if it never was there.
			if t.keepSig && !g.active {
				t.keepSig = false
				go g.setNeeds(e, false, false)
			}
			return t.resume() | core.SignalIgn
		}
	}
	defer g.mu.Unlock()
	switch {
	case t.passSig == sig:
		t.passSig = 0
		return t.resume() | keep
	case !g.active || g.pass[sig]:
		return t.resume() | keep
	}
	t.stepping, t.want = false, true
	g.post(event0(t, stopInfo{why: whySignal, sig: sig, siginfo: siginfo}))
	return core.Stop | core.SignalIgn
}

// rewindTrap looks at a thread that took a breakpoint trap: when the
// breakpoint was at one of the addresses in ever, it moves the PC back
// onto it (where the architecture leaves it past the instruction) and
// reports the address.
func rewindTrap(e *core.Engine, ever map[uint64]bool) (uint64, bool) {
	var addr uint64
	ours := false
	e.Examine(func(st core.Stopped) error {
		r, err := st.Registers()
		if err != nil {
			return err
		}
		at := r.PC() - trapPCAdjust
		if !ever[at] {
			return nil
		}
		if at != r.PC() {
			r.SetPC(at)
			if err := st.SetRegisters(r); err != nil {
				return err
			}
		}
		addr, ours = at, true
		return nil
	})
	return addr, ours
}

// ReportExec holds the launched program at its exec; a later exec replaces
// the program, and the breakpoints went with the old one.
func (g *stub) ReportExec(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	g.Count()
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.threads[e]
	if t == nil {
		return core.Resume
	}
	if g.launch != 0 && (ev.Tid == g.launch || ev.Exec.OldTid == g.launch) {
		g.launch = 0
		t.want = true
		g.post(event0(t, stopInfo{why: whyLaunch}))
		return core.Stop
	}
	clear(g.bps)
	clear(g.inserted)
	e.Tracer().ForgetShadows(e.Tgid())
	clear(g.ever)
	g.clearHW() // the kernel cleared the debug registers too
	if g.active && g.execStop && !t.want {
		t.stepping, t.want = false, true
		g.post(event0(t, stopInfo{why: whyExec, exec: ev.Exec.Filename}))
	}
	return t.resume()
}

// ReportDeath tells the server a thread, or the process, is gone.
func (g *stub) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	g.Count()
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.threads[e]; t != nil {
		delete(g.threads, e)
		g.post(event{kind: evDeath, t: t, status: ev.Exit.Code, groupDead: ev.Exit.GroupDead})
	}
	return core.Detach
}

// apply updates the state from one event. Called with g.mu held.
func (g *stub) apply(ev event) {
	t := ev.t
	switch ev.kind {
	case evStop:
		if ev.gen != t.gen || t.dead {
			return // from before a resumption
		}
		t.held = true
		if ev.stop.why != whyNone {
			s := ev.stop
			t.pending = &s
		}
	case evDeath:
		t.dead, t.held, t.pending = true, false, nil
		if ev.groupDead {
			g.exited, g.status = true, ev.status
			clear(g.inserted)
			t.e.Tracer().ForgetShadows(g.target)
		}
	}
}

// drain applies the queued events.
func (g *stub) drain() {
	g.mu.Lock()
	q := g.queue
	g.queue = nil
	for _, ev := range q {
		g.apply(ev)
	}
	g.mu.Unlock()
}

// live lists the threads of the process that are not dead, by tid.
func (g *stub) live() []*thread {
	g.mu.Lock()
	defer g.mu.Unlock()
	var ts []*thread
	for _, t := range g.threads {
		if !t.dead {
			ts = append(ts, t)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].e.Tid() < ts[j].e.Tid() })
	return ts
}

// Summary ends the server: it lets gdb see the exit of a process that just
// ended, closes the socket, and takes out breakpoints still in memory.
func (g *stub) Summary(w io.Writer) {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		exiting := g.exited
		for _, ev := range g.queue {
			exiting = exiting || ev.kind == evDeath && ev.groupDead
		}
		waiting := g.conn != nil && exiting && !g.exitSent
		g.mu.Unlock()
		if !waiting {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.shutdown()
	g.mu.Lock()
	defer g.mu.Unlock()
	fmt.Fprintf(w, "%s: served %s: %d gdb session(s), %d stop(s) reported\n", g.Name(), g.ln.Addr(), g.sessions, g.stops)
}

// shutdown stops the server goroutine. The tracer has let go of the
// threads by now, so breakpoints still in memory are taken out through
// /proc/PID/mem directly; a process left with our breakpoints would die of the
// next one it ran into.
func (g *stub) shutdown() {
	g.once.Do(func() {
		close(g.quit)
		g.ln.Close()
		g.mu.Lock()
		if g.conn != nil {
			g.conn.Close()
		}
		g.mu.Unlock()
		select {
		case <-g.done:
		case <-time.After(2 * time.Second):
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.inserted) > 0 && !g.exited && g.target != 0 {
			f, err := os.OpenFile(procfs.Process(g.target).Path("mem"), os.O_RDWR, 0)
			if err != nil {
				g.Out.Warn("%s: process %d keeps the breakpoints of gdb: %v", g.Name(), g.target, err)
			}
			for addr := range g.inserted {
				for i := range breakpointInsn {
					a := addr + uint64(i)
					orig, ok := g.tracer.Unshadow(g.target, a)
					if !ok || f == nil {
						continue
					}
					if _, err := f.WriteAt([]byte{orig}, int64(a)); err != nil {
						g.Out.Warn("%s: process %d keeps the breakpoint at %#x: %v", g.Name(), g.target, addr, err)
					}
				}
			}
			if f != nil {
				f.Close()
			}
			clear(g.inserted)
		}
	})
}
