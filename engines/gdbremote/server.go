package gdbremote

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
)

// serve accepts gdb connections, one session at a time, and keeps the
// engine's state current between them.
func (g *stub) serve() {
	defer close(g.done)
	conns := make(chan net.Conn)
	go func() {
		defer close(conns)
		for {
			c, err := g.ln.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- c:
			case <-g.quit:
				c.Close()
				return
			}
		}
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case c, ok := <-conns:
			if !ok {
				return
			}
			g.session(c, conns)
		case <-g.kick:
			g.drain()
		case <-tick.C:
			g.drain()
			g.releaseSignaled()
		case <-g.quit:
			return
		}
	}
}

// releaseSignaled lets a program held at its exec for a gdb that has not
// come go on when a signal is pending for it: run passes Ctrl-C and kill
// on to the program, which must not wait for gdb forever then.
func (g *stub) releaseSignaled() {
	g.mu.Lock()
	var held []*thread
	for _, t := range g.threads {
		if t.want && t.held && !g.active {
			held = append(held, t)
		}
	}
	g.mu.Unlock()
	for _, t := range held {
		if !signalPending(t.e.Tgid(), t.e.Tid()) {
			continue
		}
		g.mu.Lock()
		t.want, t.held, t.pending = false, false, nil
		t.gen++
		g.mu.Unlock()
		t.e.Control(core.Resume)
		g.Out.Warn("%s: a signal came for process %d while it waited for gdb; it runs on", g.Name(), t.e.Tgid())
	}
}

// signalPending reports whether a signal is pending for the thread or its
// process.
func signalPending(pid, tid int) bool {
	return pendingMask(pid, tid, "SigPnd")|pendingMask(pid, tid, "ShdPnd:") != 0
}

// session is one gdb connection.
type session struct {
	g    *stub
	c    net.Conn
	w    *wire
	pkts chan packet

	// What gdb said it supports.
	multi, swbreak, hwbreak bool

	gTid, cTid int // Hg and Hc; 0: any thread
	gOther     int // Hg named this forked child, not the debugged process
	started    bool
	running    bool               // gdb waits for a stop reply
	resumed    map[*thread]action // the threads gdb resumed last
	files      map[int]*os.File   // opened by vFile:open, by gdb's number
	last       string             // the last stop reply, for '?'
	detached   bool
}

func (g *stub) session(c net.Conn, conns <-chan net.Conn) {
	s := &session{g: g, c: c, w: newWire(c, g.timeout), pkts: make(chan packet, 16)}
	g.mu.Lock()
	g.conn = c
	g.sessions++
	g.exitSent = false
	g.mu.Unlock()
	stop := make(chan struct{})
	go s.read(stop)
	defer func() {
		close(stop)
		s.closeFiles()
		c.Close()
		g.mu.Lock()
		g.conn = nil
		g.mu.Unlock()
	}()
	for {
		select {
		case p, ok := <-s.pkts:
			if !ok || !s.handle(p) {
				s.end()
				return
			}
		case <-g.kick:
			s.events()
		case extra, ok := <-conns:
			if ok {
				extra.Close() // one gdb at a time
			}
		case <-g.quit:
			s.end()
			return
		}
	}
}

// read turns bytes from gdb into packets, acknowledging them until no-ack
// mode. A read error, a packet too long or cut short closes the session.
func (s *session) read(stop <-chan struct{}) {
	defer close(s.pkts)
	r := bufio.NewReaderSize(s.c, 4096)
	deadline := func(t time.Time) { s.c.SetReadDeadline(t) }
	for {
		p, err := readPacket(r, s.g.timeout, deadline)
		if err != nil {
			return
		}
		if !p.interrupt && !p.nak {
			if s.w.ack(!p.bad) != nil {
				return
			}
			if p.bad && !s.noAck() {
				continue // gdb sends it again
			}
		}
		select {
		case s.pkts <- p:
		case <-stop:
			return
		}
	}
}

func (s *session) noAck() bool {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return s.w.noAck
}

func (s *session) send(data string) bool { return s.w.send(data) == nil }

// events handles what the callbacks queued: when gdb waits, the first
// thread with something to report stops the process and is reported.
func (s *session) events() {
	s.g.drain()
	s.g.mu.Lock()
	for _, t := range s.g.threads {
		if t.fresh {
			// A thread created while gdb waits runs as its creator
			// does; its events are reported like the others'.
			t.fresh = false
			if s.running {
				s.resumed[t] = action{}
			}
		}
	}
	s.g.mu.Unlock()
	if !s.running {
		if s.started && !s.detached {
			s.holdNewThreads()
		}
		return
	}
	if s.exited() {
		s.reportExit()
		return
	}
	if t := s.pendingThread(s.resumed); t != nil {
		s.stopAndReport(t)
	}
}

func (s *session) exited() bool {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	return s.g.exited
}

// holdNewThreads stops threads that appeared while gdb holds the process
// (the CLI attaching to the last ones, a clone that raced with stopAll).
func (s *session) holdNewThreads() {
	for _, t := range s.g.live() {
		s.g.mu.Lock()
		held := t.held
		t.want = true
		s.g.mu.Unlock()
		if !held {
			s.askStop(t)
		}
	}
}

// pendingThread returns a thread with an event to report among those in
// only: the threads gdb resumed. The others keep theirs for when gdb
// resumes them.
func (s *session) pendingThread(only map[*thread]action) *thread {
	for _, t := range s.g.live() {
		if _, ok := only[t]; !ok {
			continue
		}
		s.g.mu.Lock()
		p := t.pending != nil
		s.g.mu.Unlock()
		if p {
			return t
		}
	}
	return nil
}

// setActive switches the threads between watching passively and reporting
// to gdb. Going idle, a thread with a breakpoint trap still pending keeps
// watching signals until it has been dealt with.
func (g *stub) setActive(on bool) {
	g.mu.Lock()
	g.active = on
	ts := make([]*thread, 0, len(g.threads))
	for _, t := range g.threads {
		ts = append(ts, t)
	}
	launch := g.launch
	g.mu.Unlock()
	for _, t := range ts {
		if !on && trapPending(t.e.Tgid(), t.e.Tid()) {
			g.mu.Lock()
			t.keepSig = true
			g.mu.Unlock()
			continue
		}
		g.setNeeds(t.e, on, launch != 0 && t.e.Tid() == launch)
	}
}

// trapPending reports whether SIGTRAP is pending for the thread.
func trapPending(pid, tid int) bool {
	return pendingMask(pid, tid, "SigPnd")&(1<<(unix.SIGTRAP-1)) != 0
}

// pendingMask reads a signal mask of the thread's status.
func pendingMask(pid, tid int, field string) uint64 {
	s, err := procfs.Thread(pid, tid).Status()
	if err != nil {
		return 0
	}
	n, _ := s.Mask(field)
	return n
}

// wait runs until cond holds, applying events meanwhile; false when the
// engine is shutting down.
func (s *session) wait(cond func() bool) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.g.drain()
		if cond() {
			return true
		}
		select {
		case <-s.g.kick:
		case <-tick.C:
		case <-s.g.quit:
			return false
		}
	}
}

// ensureStarted makes the first stop of the session, once the process is
// there to debug: the CLI may still be attaching to its threads, or a
// program run launched may not have reached its exec (where it is held).
// Then the engine starts watching signals, and stops every thread.
func (s *session) ensureStarted() bool {
	if s.started {
		return !s.exited()
	}
	g := s.g
	if !s.wait(g.ready) {
		return false
	}
	s.started = true
	g.setActive(true)
	if !s.stopAll() {
		return false
	}
	ts := g.live()
	if len(ts) == 0 {
		return false
	}
	t := ts[0]
	for _, x := range ts {
		g.mu.Lock()
		if x.pending != nil && x.pending.why == whyLaunch {
			x.pending, t = nil, x
		}
		g.mu.Unlock()
	}
	s.last = s.stopReply(t, stopInfo{why: whyLaunch})
	return true
}

// ready reports whether the process can be debugged: attached, past the
// exec of a launched program, and every thread of it attached (or the
// process gone).
func (g *stub) ready() bool {
	g.mu.Lock()
	pid, launch, exited := g.target, g.launch, g.exited
	known := map[int]bool{}
	for _, t := range g.threads {
		known[t.e.Tid()] = true
	}
	if g.readySince.IsZero() && pid != 0 {
		g.readySince = time.Now()
	}
	since := g.readySince
	g.mu.Unlock()
	switch {
	case exited:
		return true
	case pid == 0 || launch != 0 || isSelf(pid):
		return false
	}
	// The CLI attaches to the threads one by one; give it a moment.
	if time.Since(since) > 2*time.Second {
		return true
	}
	tids, _ := procfs.Process(pid).Tasks()
	for _, tid := range tids {
		if !known[tid] {
			return false
		}
	}
	return true
}

// isSelf reports whether pid runs this very program: a program run
// launched, before its exec.
func isSelf(pid int) bool {
	self, err := os.Executable()
	if err != nil {
		return false
	}
	exe, _ := procfs.Process(pid).Exe()
	return exe == self
}

// stopAll holds every thread of the process and takes the breakpoints out
// of memory. It returns false when the process is gone.
func (s *session) stopAll() bool {
	g := s.g
	g.mu.Lock()
	g.allStop = true
	for _, t := range g.threads {
		t.want = true
	}
	g.mu.Unlock()
	asked := map[*thread]time.Time{}
	start := time.Now()
	ok := s.wait(func() bool {
		if s.exited() {
			return true
		}
		done := true
		for _, t := range g.live() {
			g.mu.Lock()
			held := t.held
			g.mu.Unlock()
			if held {
				continue
			}
			at, was := asked[t]
			switch {
			case !was || time.Since(at) > 300*time.Millisecond:
				// Ask (again: a stop asked of a thread just cloned
				// can be lost).
				asked[t] = time.Now()
				if s.askStop(t) {
					continue
				}
			case t.e.Examine(func(core.Stopped) error { return nil }) == nil:
				// Held, though no report said so: the stop took
				// effect in a report that was running anyway.
				s.markHeld(t)
				continue
			case time.Since(start) > 5*time.Second && !alive(t.e.Tgid(), t.e.Tid()):
				s.markDead(t)
				continue
			case time.Since(start) > stopTimeout:
				// Stuck where a stop cannot reach it (uninterruptible
				// sleep): report without it rather than never.
				g.Out.Warn("%s: thread %d does not stop; going on without it", g.Name(), t.e.Tid())
				continue
			}
			done = false
		}
		return done
	})
	if !ok || s.exited() {
		return false
	}
	s.lift()
	return true
}

// stopTimeout bounds how long stopAll waits for a thread.
const stopTimeout = 10 * time.Second

// askStop asks t to stop; true when it is held now.
func (s *session) askStop(t *thread) bool {
	err := t.e.Control(core.Stop)
	switch {
	case err == nil:
		s.markHeld(t)
		return true
	case errors.Is(err, core.ErrInProgress):
		return false
	}
	s.markDead(t)
	return true
}

func (s *session) markHeld(t *thread) {
	s.g.mu.Lock()
	t.held = true
	s.g.mu.Unlock()
}

func (s *session) markDead(t *thread) {
	s.g.mu.Lock()
	t.dead, t.held = true, false
	s.g.mu.Unlock()
}

func alive(pid, tid int) bool {
	return procfs.Thread(pid, tid).Exists()
}

// memThread returns a held thread to reach the process's memory through,
// gdb's current one if it can.
func (s *session) memThread() *thread {
	var first *thread
	for _, t := range s.g.live() {
		s.g.mu.Lock()
		held := t.held
		s.g.mu.Unlock()
		if !held {
			continue
		}
		if t.e.Tid() == s.gTid {
			return t
		}
		if first == nil {
			first = t
		}
	}
	return first
}

// lift takes every breakpoint instruction out of memory.
func (s *session) lift() error {
	g := s.g
	g.mu.Lock()
	ins := make([]uint64, 0, len(g.inserted))
	for a := range g.inserted {
		ins = append(ins, a)
	}
	tgid := g.target
	g.mu.Unlock()
	if len(ins) == 0 {
		return nil
	}
	t := s.memThread()
	if t == nil {
		return errors.New("no thread held")
	}
	restored := map[uint64]bool{}
	err := t.e.Examine(func(st core.Stopped) error {
		for _, a := range ins {
			if g.restoreInsn(st, tgid, a) {
				restored[a] = true
			}
		}
		return nil
	})
	g.mu.Lock()
	for a := range restored {
		delete(g.inserted, a)
	}
	g.mu.Unlock()
	return err
}

// insert writes a breakpoint instruction at every breakpoint not in
// memory yet.
func (s *session) insert() error {
	g := s.g
	g.mu.Lock()
	var want []uint64
	for a := range g.bps {
		if !g.inserted[a] {
			want = append(want, a)
		}
	}
	tgid := g.target
	g.mu.Unlock()
	if len(want) == 0 {
		return nil
	}
	t := s.memThread()
	if t == nil {
		return errors.New("no thread held")
	}
	var done []uint64
	err := t.e.Examine(func(st core.Stopped) error {
		for _, a := range want {
			if g.insertInsn(st, tgid, a) {
				done = append(done, a)
			}
		}
		return nil
	})
	g.mu.Lock()
	for _, a := range done {
		g.inserted[a], g.ever[a] = true, true
	}
	g.mu.Unlock()
	return err
}

// insertInsn writes our breakpoint instruction at addr in process tgid's
// memory and shadows each byte it replaced. Called inside an Examine, so
// no other engine's examination sees the instruction unshadowed; false
// if it could not be written.
func (g *stub) insertInsn(st core.Stopped, tgid int, addr uint64) bool {
	orig := make([]byte, len(breakpointInsn))
	if n, _ := st.ReadMemory(uintptr(addr), orig); n != len(orig) {
		return false
	}
	n, _ := st.WriteMemory(uintptr(addr), breakpointInsn)
	if n != len(orig) {
		if n > 0 {
			// Cut short: put back what was written.
			st.WriteMemory(uintptr(addr), orig[:n])
		}
		return false
	}
	for i, b := range orig {
		g.tracer.Shadow(tgid, addr+uint64(i), b)
	}
	return true
}

// restoreInsn takes our breakpoint instruction at addr out of process
// tgid's memory: the bytes its shadows hold go back. Called inside an
// Examine; false if they could not be written, and the instruction stays
// (shadowed).
func (g *stub) restoreInsn(st core.Stopped, tgid int, addr uint64) bool {
	orig := make([]byte, len(breakpointInsn))
	var have []int // the bytes shadowed: all of them, or none once restored
	for i := range orig {
		if b, ok := g.tracer.Unshadow(tgid, addr+uint64(i)); ok {
			orig[i], have = b, append(have, i)
		}
	}
	written := 0
	if len(have) == len(orig) {
		n, _ := st.WriteMemory(uintptr(addr), orig)
		written = max(n, 0)
	} else {
		// Some bytes only: the others are not ours to write.
		for written < len(have) {
			i := have[written]
			if n, _ := st.WriteMemory(uintptr(addr)+uintptr(i), orig[i:i+1]); n != 1 {
				break
			}
			written++
		}
	}
	if written == len(have) {
		return true
	}
	// Shadow again what is still ours; a byte already written back is
	// shadowed over itself, which changes nothing seen.
	for _, i := range have {
		g.tracer.Shadow(tgid, addr+uint64(i), orig[i])
	}
	return false
}

// stopAndReport stops the process for t's event and tells gdb.
func (s *session) stopAndReport(t *thread) {
	if !s.stopAll() {
		if s.exited() {
			s.reportExit()
		}
		return
	}
	g := s.g
	g.mu.Lock()
	p := t.pending
	t.pending = nil
	g.mu.Unlock()
	if p == nil {
		p = &stopInfo{why: whyNone}
	}
	s.running = false
	s.send(s.stopReply(t, *p))
}

// reported tidies up after a stop reply for t: a step another thread
// finished meanwhile is forgotten, as gdb gave up that step when it
// learned of t's event (it re-reads the registers). Breakpoint hits and
// signals stay pending until gdb resumes their threads.
func (s *session) reported(t *thread) {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	for _, x := range s.g.threads {
		if x != t && x.pending != nil && x.pending.why == whyStep {
			x.pending = nil
		}
	}
}

// stopReply makes the T packet for t stopping for st, with the registers
// gdb reads first, and makes t gdb's current thread.
func (s *session) stopReply(t *thread, st stopInfo) string {
	sig := int(unix.SIGTRAP)
	switch st.why {
	case whySignal:
		sig = st.sig
	case whyNone:
		sig = int(unix.SIGINT)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "T%02xthread:%s;", toGDB(sig), s.threadID(t))
	if f, err := s.regsOf(t, false); err == nil {
		// The zero layout numbers the expedited registers as every
		// layout does, and needs no floating point state to learn.
		for _, n := range expedited {
			fmt.Fprintf(&b, "%02x:%s;", n, appendReg(nil, layout{}, n, f))
		}
	}
	switch {
	case st.why == whyBreak && s.swbreak:
		b.WriteString("swbreak:;")
	case st.why == whyExec:
		b.WriteString("exec:" + hexBytes([]byte(st.exec)) + ";")
	case st.why == whyHW:
		b.WriteString(s.hwStopReply(st.hw))
	case st.why == whyFork:
		fmt.Fprintf(&b, "fork:p%x.%x;", st.child, st.child)
	case st.why == whyVfork:
		fmt.Fprintf(&b, "vfork:p%x.%x;", st.child, st.child)
	case st.why == whyVforkDone:
		b.WriteString("vforkdone:;")
	case st.why == whySyscallEntry:
		fmt.Fprintf(&b, "syscall_entry:%x;", st.sysNr)
	case st.why == whySyscallReturn:
		fmt.Fprintf(&b, "syscall_return:%x;", st.sysNr)
	}
	s.gTid = t.e.Tid()
	s.last = b.String()
	s.reported(t)
	s.g.mu.Lock()
	t.siginfo = st.siginfo
	s.g.stops++
	s.g.mu.Unlock()
	return s.last
}

// exitReply is the W or X packet for the process's end.
func (s *session) exitReply() string {
	s.g.mu.Lock()
	ws := unix.WaitStatus(s.g.status)
	pid := s.g.target
	s.g.mu.Unlock()
	var r string
	switch {
	case ws.Signaled():
		r = fmt.Sprintf("X%02x", toGDB(int(ws.Signal())))
	case int(ws) < 0:
		r = "W00"
	default:
		r = fmt.Sprintf("W%02x", ws.ExitStatus())
	}
	if s.multi {
		r += fmt.Sprintf(";process:%x", pid)
	}
	return r
}

func (s *session) reportExit() {
	s.running = false
	s.send(s.exitReply())
	s.g.mu.Lock()
	s.g.exitSent = true
	s.g.mu.Unlock()
}

// end closes the session. A process gdb did not detach from is let go as
// if it had: breakpoints out, every thread running. A session that never
// looked at the process (a port probe) changes nothing: a program held at
// its exec stays held for the next gdb.
func (s *session) end() {
	if !s.started {
		return
	}
	if !s.exited() && !s.detached {
		if s.running {
			s.stopAll()
		}
		s.detach()
	}
	s.g.setActive(false)
}

// detach takes the breakpoints out and lets every thread run. A signal
// held back for gdb and not reported yet is delivered now, as a detaching
// ptracer delivers it.
func (s *session) detach() {
	g := s.g
	s.lift()
	g.mu.Lock()
	g.clearHW()
	g.catching, g.catchSet = false, nil
	g.mu.Unlock()
	s.syncDebugRegs(g.live())
	g.mu.Lock()
	clear(g.bps)
	g.allStop = false
	ts := make([]*thread, 0, len(g.threads))
	for _, t := range g.threads {
		t.inject = 0
		if t.pending != nil && t.pending.why == whySignal {
			t.inject = t.pending.sig
		}
		t.want, t.stepping, t.held, t.pending = false, false, false, nil
		t.gen++
		ts = append(ts, t)
	}
	g.mu.Unlock()
	injecting := false
	for _, t := range ts {
		if t.inject != 0 {
			injecting = true
			t.e.Control(core.Interrupt)
		} else {
			t.e.Control(core.Resume)
		}
	}
	if injecting {
		// The injection is made in our report of the interrupt stop:
		// keep watching until it has been.
		deadline := time.Now().Add(time.Second)
		s.wait(func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			for _, t := range ts {
				if t.inject != 0 && !t.dead && time.Now().Before(deadline) {
					return false
				}
			}
			return true
		})
	}
	s.detached = true
	s.running = false
}

// action is what a vCont (or c, s) asks of one thread.
type action struct {
	step bool
	sig  int // Linux signal to deliver, 0 for none
}

// resume carries out gdb's resumption: a pending event of a thread it
// resumes is reported at once instead; a thread sitting on a breakpoint
// first steps over it alone; then the breakpoints go in and the threads
// go.
func (s *session) resume(acts map[*thread]action) {
	g := s.g
	g.drain()
	if s.exited() {
		s.reportExit()
		return
	}
	ts := sortedThreads(acts)
	for _, t := range ts {
		g.mu.Lock()
		p := t.pending
		g.mu.Unlock()
		if p == nil {
			continue
		}
		if p.why == whyBreak && !s.atBreakpoint(t) {
			// gdb removed the breakpoint since: the thread simply
			// runs the instruction.
			g.mu.Lock()
			t.pending = nil
			g.mu.Unlock()
			continue
		}
		g.mu.Lock()
		t.pending = nil
		g.mu.Unlock()
		s.send(s.stopReply(t, *p))
		return
	}
	cont := false
	for _, a := range acts {
		cont = cont || !a.step
	}
	inFlight := map[*thread]bool{} // steps over a breakpoint still going
	if cont {
		for _, t := range ts {
			a := acts[t]
			if !s.atBreakpoint(t) {
				continue
			}
			st, done, ok := s.stepAlone(t, a.sig)
			switch {
			case !ok:
				if s.exited() {
					s.reportExit()
				}
				return
			case !done:
				// The instruction blocks in the kernel (a system
				// call): the PC is past the breakpoint, which can go
				// in again. The step finishes on its own; a
				// thread to continue just runs on then.
				inFlight[t] = true
				acts[t] = action{step: a.step}
				continue
			case st.why != whyStep || a.step:
				s.send(s.stopReply(t, st))
				return
			}
			acts[t] = action{}
		}
		if err := s.insert(); err != nil {
			s.g.Out.Warn("%s: inserting breakpoints: %v", g.Name(), err)
		}
	}
	g.mu.Lock()
	g.allStop = false
	for _, t := range ts {
		a := acts[t]
		t.want, t.stepping, t.held = false, a.step, false
		if !inFlight[t] {
			t.inject = a.sig
			t.gen++
		}
	}
	g.mu.Unlock()
	s.syncDebugRegs(ts)
	s.running, s.resumed = true, acts
	g.mu.Lock()
	for _, t := range g.threads {
		t.fresh = false
	}
	g.mu.Unlock()
	for _, t := range ts {
		a := acts[t]
		var err error
		switch {
		case inFlight[t]:
			continue
		case a.sig != 0:
			err = t.e.Control(core.Interrupt)
		case a.step:
			err = t.e.Control(core.SingleStep)
		default:
			err = t.e.Control(core.Resume)
		}
		if err != nil && !errors.Is(err, core.ErrInProgress) {
			s.markDead(t)
		}
	}
	// Events may have come while resuming.
	s.events()
}

// syncDebugRegs brings the debug registers of the threads, which are
// held, up to date before they run.
func (s *session) syncDebugRegs(ts []*thread) {
	for _, t := range ts {
		if err := s.g.syncDebugRegs(t); err != nil {
			s.g.Out.Warn("%s: %v", s.g.Name(), err)
		}
	}
}

func sortedThreads(acts map[*thread]action) []*thread {
	ts := make([]*thread, 0, len(acts))
	for t := range acts {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].e.Tid() < ts[j].e.Tid() })
	return ts
}

// atBreakpoint reports whether t's PC is at one of gdb's breakpoints.
func (s *session) atBreakpoint(t *thread) bool {
	pc, ok := s.pc(t)
	if !ok {
		return false
	}
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	return s.g.bps[pc]
}

func (s *session) pc(t *thread) (uint64, bool) {
	var pc uint64
	err := t.e.Examine(func(st core.Stopped) error {
		r, err := st.Registers()
		if err == nil {
			pc = r.PC()
		}
		return err
	})
	return pc, err == nil
}

// stepAlone steps t by one instruction while every other thread stays
// held and the breakpoints are out, delivering sig if not 0; it returns
// why t stopped then (whyStep, or a signal or breakpoint of its own), or
// done false if the step has not finished after stepOverWait. ok is false
// when t or the process died.
func (s *session) stepAlone(t *thread, sig int) (st stopInfo, done, ok bool) {
	g := s.g
	s.syncDebugRegs([]*thread{t})
	g.mu.Lock()
	t.want, t.stepping, t.held, t.inject = false, true, false, sig
	t.gen++
	g.mu.Unlock()
	var err error
	if sig != 0 {
		err = t.e.Control(core.Interrupt)
	} else {
		err = t.e.Control(core.SingleStep)
	}
	if err != nil && !errors.Is(err, core.ErrInProgress) {
		s.markDead(t)
		return stopInfo{}, false, false
	}
	deadline := time.Now().Add(stepOverWait)
	ok = s.wait(func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		if t.dead || g.exited {
			return true
		}
		if t.pending != nil {
			st, done = *t.pending, true
			t.pending = nil
			return true
		}
		return time.Now().After(deadline) && t.stepping
	})
	if !ok || s.exited() {
		return stopInfo{}, false, false
	}
	g.mu.Lock()
	dead := t.dead
	g.mu.Unlock()
	return st, done, !dead
}

// stepOverWait is how long a step over a breakpoint may take before the
// other threads go on without waiting for it.
const stepOverWait = 300 * time.Millisecond

// thread ids: pPID.TID with the multiprocess extension, else TID; hex.

func (s *session) threadID(t *thread) string {
	if s.multi {
		return fmt.Sprintf("p%x.%x", t.e.Tgid(), t.e.Tid())
	}
	return fmt.Sprintf("%x", t.e.Tid())
}

// parsePid is the process of a pPID.TID thread id, 0 for another form.
func parsePid(s string) int {
	rest, ok := strings.CutPrefix(s, "p")
	if !ok {
		return 0
	}
	pid, _, _ := strings.Cut(rest, ".")
	n, err := parseTidNum(pid)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// parseThreadID parses a thread id: tid -1 means all threads, 0 any.
func parseThreadID(s string) (tid int, err error) {
	if rest, ok := strings.CutPrefix(s, "p"); ok {
		pid, t, hasT := strings.Cut(rest, ".")
		if _, err := parseTidNum(pid); err != nil {
			return 0, err
		}
		if !hasT {
			return -1, nil
		}
		s = t
	}
	return parseTidNum(s)
}

func parseTidNum(s string) (int, error) {
	if s == "-1" {
		return -1, nil
	}
	n, err := strconv.ParseUint(s, 16, 31)
	if err != nil {
		return 0, fmt.Errorf("bad thread id %q", s)
	}
	return int(n), nil
}

// threadByTid finds a live thread; tid 0 or -1 means any: gdb's current
// one if it is alive, else the first.
func (s *session) threadByTid(tid int) *thread {
	ts := s.g.live()
	anyOne := tid <= 0
	if anyOne {
		tid = s.gTid
	}
	for _, t := range ts {
		if t.e.Tid() == tid {
			return t
		}
	}
	if anyOne && len(ts) > 0 {
		return ts[0]
	}
	return nil
}
