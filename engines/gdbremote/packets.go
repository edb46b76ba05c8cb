package gdbremote

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
)

// Error replies.
const (
	errBadPacket = "E01" // malformed
	errNoThread  = "E02" // no such thread, or none held
	errMemory    = "E03" // memory not accessible
	errState     = "E04" // not possible now (running, exited)
)

// handle answers one packet; false ends the session.
func (s *session) handle(p packet) bool {
	switch {
	case p.interrupt:
		if s.running {
			s.interrupt()
		}
		return true
	case p.nak:
		s.w.resend()
		return true
	case p.bad:
		return s.send(errBadPacket)
	}
	reply, ok := s.dispatch(p.data)
	if !ok {
		return true // no reply now: a resumption, whose stop reply comes later
	}
	return s.send(reply)
}

// interrupt is gdb's Ctrl-C: stop the process and report SIGINT, or the
// event a thread had meanwhile.
func (s *session) interrupt() {
	if t := s.pendingThread(s.resumed); t != nil {
		s.stopAndReport(t)
		return
	}
	if !s.stopAll() {
		if s.exited() {
			s.reportExit()
		}
		return
	}
	if t := s.pendingThread(s.resumed); t != nil {
		s.stopAndReport(t)
		return
	}
	t := s.threadByTid(0)
	if t == nil {
		return
	}
	s.running = false
	s.send(s.stopReply(t, stopInfo{why: whyNone}))
}

// dispatch answers a packet's data. ok false: nothing to send now.
func (s *session) dispatch(d string) (reply string, ok bool) {
	if s.running {
		// gdb waits for a stop reply; in all-stop it sends nothing else
		// but an interrupt.
		return errState, true
	}
	if d == "" {
		return "", true
	}
	switch d[0] {
	case '?':
		if !s.ensureStarted() {
			if s.exited() {
				return s.exitReply(), true
			}
			return errState, true
		}
		return s.last, true
	case 'g':
		return s.readRegs(), true
	case 'G':
		return s.writeRegs(d[1:]), true
	case 'p':
		return s.readReg(d[1:]), true
	case 'P':
		return s.writeReg(d[1:]), true
	case 'm':
		return s.readMem(d[1:], false), true
	case 'x':
		return s.readMem(d[1:], true), true
	case 'M':
		return s.writeMemHex(d[1:]), true
	case 'X':
		return s.writeMemBin(d[1:]), true
	case 'H':
		return s.setThread(d[1:]), true
	case 'T':
		tid, err := parseThreadID(d[1:])
		if err != nil {
			return errBadPacket, true
		}
		if tid > 0 && s.threadByTid(tid) != nil {
			return "OK", true
		}
		return errNoThread, true
	case 'Z', 'z':
		return s.breakpoint(d), true
	case 'c', 's', 'C', 'S':
		return s.oldResume(d)
	case 'D':
		if !s.ensureStarted() {
			return errState, true
		}
		if pidS, ok := strings.CutPrefix(d[1:], ";"); ok {
			pid, err := strconv.ParseUint(pidS, 16, 31)
			if err != nil {
				return errBadPacket, true
			}
			if r := s.detachChild(int(pid)); r != "" {
				return r, true
			}
		}
		s.detach()
		return "OK", true
	case 'k':
		s.kill()
		return "", false
	case 'q':
		return s.query(d), true
	case 'Q':
		return s.set(d), true
	case 'v':
		return s.vPacket(d)
	}
	return "", true
}

// query answers q packets.
func (s *session) query(d string) string {
	name, args, _ := strings.Cut(d, ":")
	switch {
	case name == "qSupported":
		s.g.mu.Lock()
		s.g.execStop, s.g.forkStop, s.g.vforkStop = false, false, false
		s.g.mu.Unlock()
		for f := range strings.SplitSeq(args, ";") {
			switch f {
			case "multiprocess+":
				s.multi = true
			case "swbreak+":
				s.swbreak = true
			case "hwbreak+":
				s.hwbreak = true
			case "exec-events+":
				s.g.mu.Lock()
				s.g.execStop = true
				s.g.mu.Unlock()
			case "fork-events+":
				s.g.mu.Lock()
				s.g.forkStop = strings.Contains(args, "multiprocess+")
				s.g.mu.Unlock()
			case "vfork-events+":
				// The vforkdone stop is the exit of the parent's call,
				// which a seccomp filter may not stop at.
				s.g.mu.Lock()
				pid := s.g.target
				s.g.mu.Unlock()
				on := strings.Contains(args, "multiprocess+") && !underSeccomp(pid)
				s.g.mu.Lock()
				s.g.vforkStop = on
				s.g.mu.Unlock()
			}
		}
		r := fmt.Sprintf("PacketSize=%x;QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+;"+
			"qXfer:exec-file:read+;qXfer:threads:read+;qXfer:siginfo:read+;QPassSignals+;QProgramSignals+;QCatchSyscalls+;vContSupported+", packetSize)
		if s.multi {
			r += ";multiprocess+"
		}
		if s.swbreak {
			r += ";swbreak+"
		}
		if s.hwbreak && archDebugRegs != nil {
			// Stops at hardware breakpoints are reported as such;
			// without any, gdb is not told it could see them.
			r += ";hwbreak+"
		}
		s.g.mu.Lock()
		if s.g.execStop {
			r += ";exec-events+"
		}
		if s.g.forkStop {
			r += ";fork-events+"
		}
		if s.g.vforkStop {
			r += ";vfork-events+"
		}
		s.g.mu.Unlock()
		return r
	case name == "qXfer":
		return s.xfer(args)
	case d == "qAttached" || name == "qAttached":
		s.g.mu.Lock()
		defer s.g.mu.Unlock()
		if s.g.launched {
			return "0"
		}
		return "1"
	case d == "qC":
		if !s.ensureStarted() {
			return errState
		}
		if t := s.threadByTid(0); t != nil {
			return "QC" + s.threadID(t)
		}
		return errNoThread
	case d == "qfThreadInfo":
		if !s.ensureStarted() {
			return "l"
		}
		var ids []string
		for _, t := range s.g.live() {
			ids = append(ids, s.threadID(t))
		}
		if len(ids) == 0 {
			return "l"
		}
		return "m" + strings.Join(ids, ",")
	case d == "qsThreadInfo":
		return "l"
	case strings.HasPrefix(d, "qThreadExtraInfo,"):
		tid, err := parseThreadID(strings.TrimPrefix(d, "qThreadExtraInfo,"))
		if err != nil {
			return errBadPacket
		}
		t := s.threadByTid(tid)
		if t == nil {
			return errNoThread
		}
		return hexBytes([]byte(comm(t.e.Tgid(), t.e.Tid())))
	case d == "qSymbol::" || strings.HasPrefix(d, "qSymbol:"):
		return "OK"
	}
	return ""
}

// set answers Q packets.
func (s *session) set(d string) string {
	name, args, _ := strings.Cut(d, ":")
	switch name {
	case "QStartNoAckMode":
		// gdb acknowledges this OK and then no more; our acks stop now
		// (the reader acknowledged the request already).
		s.w.setNoAck()
		return "OK"
	case "QPassSignals":
		pass := map[int]bool{}
		if args != "" {
			for f := range strings.SplitSeq(args, ";") {
				if f == "" {
					continue // gdb ends the list with one
				}
				n, err := strconv.ParseUint(f, 16, 8)
				if err != nil {
					return errBadPacket
				}
				if h := fromGDB(int(n)); h != 0 {
					pass[h] = true
				}
			}
		}
		s.g.mu.Lock()
		s.g.pass = pass
		s.g.mu.Unlock()
		return "OK"
	case "QProgramSignals":
		return "OK"
	case "QCatchSyscalls":
		return s.catchSyscalls(args)
	case "QNonStop":
		if args == "0" {
			return "OK"
		}
		return errBadPacket
	}
	return ""
}

// vPacket answers v packets.
func (s *session) vPacket(d string) (string, bool) {
	switch {
	case d == "vCont?":
		return "vCont;c;C;s;S;t", true
	case strings.HasPrefix(d, "vCont;"):
		return s.vCont(d[len("vCont;"):])
	case strings.HasPrefix(d, "vKill"):
		s.kill()
		return "OK", true
	case d == "vMustReplyEmpty":
		return "", true
	case strings.HasPrefix(d, "vFile:"):
		return s.hostIO(d), true
	}
	return "", true
}

// vCont parses the actions and resumes. Each thread takes the first action
// that names it (or names no thread).
func (s *session) vCont(spec string) (string, bool) {
	type one struct {
		a   action
		tid int // -1: all
		set bool
	}
	var list []one
	for part := range strings.SplitSeq(spec, ";") {
		act, id, hasID := strings.Cut(part, ":")
		if act == "" {
			return errBadPacket, true
		}
		o := one{tid: -1}
		if hasID {
			tid, err := parseThreadID(id)
			if err != nil {
				return errBadPacket, true
			}
			if tid == 0 {
				tid = -1
			}
			o.tid = tid
		}
		switch act[0] {
		case 'c':
			o.set = true
		case 's':
			o.set, o.a.step = true, true
		case 'C', 'S':
			n, err := strconv.ParseUint(act[1:], 16, 8)
			if err != nil {
				return errBadPacket, true
			}
			o.set, o.a.step, o.a.sig = true, act[0] == 'S', fromGDB(int(n))
		case 't':
			// Stop: in all-stop the threads it names stay stopped.
		default:
			return errBadPacket, true
		}
		if len(act) > 1 && (act[0] == 'c' || act[0] == 's' || act[0] == 't') {
			return errBadPacket, true
		}
		list = append(list, o)
	}
	if !s.ensureStarted() {
		if s.exited() {
			s.reportExit()
			return "", false
		}
		return errState, true
	}
	acts := map[*thread]action{}
	for _, t := range s.g.live() {
		for _, o := range list {
			if o.tid == -1 || o.tid == t.e.Tid() {
				if o.set {
					acts[t] = o.a
				}
				break
			}
		}
	}
	if len(acts) == 0 {
		return errBadPacket, true
	}
	s.resume(acts)
	return "", false
}

// oldResume handles c, C, s and S: continue every thread, or step gdb's
// thread, from where it is (an address argument is not supported).
func (s *session) oldResume(d string) (string, bool) {
	var a action
	arg := d[1:]
	switch d[0] {
	case 'C', 'S':
		sig, rest, _ := strings.Cut(arg, ";")
		n, err := strconv.ParseUint(sig, 16, 8)
		if err != nil {
			return errBadPacket, true
		}
		a.sig, arg = fromGDB(int(n)), rest
	}
	if arg != "" {
		return errBadPacket, true
	}
	a.step = d[0] == 's' || d[0] == 'S'
	if !s.ensureStarted() {
		if s.exited() {
			s.reportExit()
			return "", false
		}
		return errState, true
	}
	acts := map[*thread]action{}
	if a.step {
		t := s.threadByTid(s.cTid)
		if t == nil {
			return errNoThread, true
		}
		acts[t] = a
	} else {
		cur := s.threadByTid(s.cTid)
		for _, t := range s.g.live() {
			if t == cur {
				acts[t] = a
			} else {
				acts[t] = action{}
			}
		}
	}
	s.resume(acts)
	return "", false
}

// kill ends the process with SIGKILL and waits for it to die.
func (s *session) kill() {
	s.g.mu.Lock()
	pid := s.g.target
	s.g.mu.Unlock()
	if pid == 0 || s.exited() {
		return
	}
	unix.Kill(pid, unix.SIGKILL)
	s.running = false
	done := make(chan struct{})
	go func() {
		defer close(done)
		for alive(pid, pid) {
			if st, err := procfs.Process(pid).Stat(); err == nil && st.Dead() {
				return
			}
			select {
			case <-s.g.quit:
				return
			default:
			}
			unix.Nanosleep(&unix.Timespec{Nsec: 5e6}, nil)
		}
	}()
	<-done
}

func (s *session) setThread(d string) string {
	if d == "" {
		return errBadPacket
	}
	tid, err := parseThreadID(d[1:])
	if err != nil {
		return errBadPacket
	}
	if d[0] == 'g' {
		// A forked child gdb is about to detach from: it takes its
		// breakpoints out of the child first.
		pid := parsePid(d[1:])
		s.g.mu.Lock()
		child := s.g.forked[pid]
		s.g.mu.Unlock()
		if child {
			s.gOther = pid
			return "OK"
		}
		s.gOther = 0
	}
	if tid > 0 && s.started && s.threadByTid(tid) == nil {
		return errNoThread
	}
	if tid < 0 {
		tid = 0
	}
	switch d[0] {
	case 'g':
		s.gTid = tid
	case 'c':
		s.cTid = tid
	default:
		return errBadPacket
	}
	return "OK"
}

// detachChild answers D;PID for a forked child: it runs already (the
// engine does not hold children). "" when pid is the debugged process.
func (s *session) detachChild(pid int) string {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	switch {
	case pid == s.g.target:
		return ""
	case s.g.forked[pid]:
		delete(s.g.forked, pid)
		if s.gOther == pid {
			s.gOther = 0
		}
		return "OK"
	}
	return errNoThread
}

// heldThread returns gdb's current thread if it is held.
func (s *session) heldThread() (*thread, string) {
	if !s.ensureStarted() {
		return nil, errState
	}
	t := s.threadByTid(s.gTid)
	if t == nil {
		return nil, errNoThread
	}
	s.g.mu.Lock()
	held := t.held
	s.g.mu.Unlock()
	if !held {
		return nil, errNoThread
	}
	return t, ""
}

// regsOf reads t's registers, the floating point ones too when fp. A
// floating point area that cannot be read leaves those registers
// unavailable, with a warning.
func (s *session) regsOf(t *thread, fp bool) (*regFile, error) {
	var f *regFile
	err := t.e.Examine(func(st core.Stopped) error {
		var fpErr, err error
		f, fpErr, err = loadRegs(st, fp)
		if fpErr != nil {
			s.g.Out.Warn("%s: thread %d: %v", s.g.Name(), t.e.Tid(), fpErr)
		}
		return err
	})
	return f, err
}

// layout is the machine's register layout, learnt from the first thread
// held: XCR0 is the same for every process.
func (s *session) layout() layout {
	s.g.mu.Lock()
	l, known := s.g.layout, s.g.layoutKnown
	s.g.mu.Unlock()
	if known {
		return l
	}
	t := s.memThreadStarted()
	if t == nil {
		return l
	}
	f, err := s.regsOf(t, true)
	if err != nil {
		return l
	}
	l = layoutOf(f)
	s.g.mu.Lock()
	s.g.layout, s.g.layoutKnown = l, true
	s.g.mu.Unlock()
	return l
}

func (s *session) readRegs() string {
	t, e := s.heldThread()
	if t == nil {
		return e
	}
	f, err := s.regsOf(t, true)
	if err != nil {
		return errNoThread
	}
	return encodeRegs(f, s.layout())
}

func (s *session) writeRegs(data string) string {
	t, e := s.heldThread()
	if t == nil {
		return e
	}
	l := s.layout()
	err := t.e.Examine(func(st core.Stopped) error {
		f, fpErr, err := loadRegs(st, true)
		if err != nil {
			return err
		}
		if fpErr != nil {
			s.g.Out.Warn("%s: thread %d: %v", s.g.Name(), t.e.Tid(), fpErr)
		}
		if err := decodeRegs(f, data, l); err != nil {
			return errMalformed{err}
		}
		return f.store(st)
	})
	return errorReply(err)
}

func (s *session) readReg(arg string) string {
	n, err := strconv.ParseUint(arg, 16, 16)
	if err != nil {
		return errBadPacket
	}
	l := s.layout()
	if n >= uint64(len(l.table())) {
		return errBadPacket
	}
	t, e := s.heldThread()
	if t == nil {
		return e
	}
	f, err := s.regsOf(t, fpReg(int(n)))
	if err != nil {
		return errNoThread
	}
	return string(appendReg(nil, l, int(n), f))
}

func (s *session) writeReg(arg string) string {
	num, val, ok := strings.Cut(arg, "=")
	n, err := strconv.ParseUint(num, 16, 16)
	l := s.layout()
	if !ok || err != nil || n >= uint64(len(l.table())) {
		return errBadPacket
	}
	t, e := s.heldThread()
	if t == nil {
		return e
	}
	err = t.e.Examine(func(st core.Stopped) error {
		f, fpErr, err := loadRegs(st, true)
		if err != nil {
			return err
		}
		if fpErr != nil && fpReg(int(n)) {
			return fpErr
		}
		if err := setReg(f, l, int(n), val); err != nil {
			return errMalformed{err}
		}
		return f.store(st)
	})
	return errorReply(err)
}

// errMalformed marks an error in what gdb sent, as opposed to one in
// carrying it out.
type errMalformed struct{ error }

func errorReply(err error) string {
	var m errMalformed
	switch {
	case err == nil:
		return "OK"
	case errors.As(err, &m):
		return errBadPacket
	}
	return errNoThread
}

// maxMem bounds one memory read: what fits in a packet.
const maxMem = packetSize / 2

// readMem answers m (hex) and x (binary) reads. Breakpoint bytes still in
// memory are shown as the bytes they replaced (Examine shows the
// shadows).
func (s *session) readMem(arg string, binary bool) string {
	addr, n, err := parseAddrLen(arg)
	if err != nil {
		return errBadPacket
	}
	if n == 0 {
		if binary {
			return "b"
		}
		return ""
	}
	n = min(n, maxMem)
	t := s.memThreadStarted()
	if t == nil {
		return errState
	}
	buf := make([]byte, n)
	got := 0
	t.e.Examine(func(st core.Stopped) error {
		got, _ = st.ReadMemory(uintptr(addr), buf)
		return nil
	})
	if got <= 0 {
		return errMemory
	}
	buf = buf[:got]
	if binary {
		return "b" + string(buf)
	}
	return hexBytes(buf)
}

func (s *session) memThreadStarted() *thread {
	if !s.ensureStarted() {
		return nil
	}
	return s.memThread()
}

func (s *session) writeMemHex(arg string) string {
	head, data, ok := strings.Cut(arg, ":")
	if !ok {
		return errBadPacket
	}
	addr, n, err := parseAddrLen(head)
	if err != nil {
		return errBadPacket
	}
	b, err := unhex(data)
	if err != nil || uint64(len(b)) != n {
		return errBadPacket
	}
	return s.writeMem(addr, b)
}

func (s *session) writeMemBin(arg string) string {
	head, data, ok := strings.Cut(arg, ":")
	if !ok {
		return errBadPacket
	}
	addr, n, err := parseAddrLen(head)
	if err != nil || uint64(len(data)) != n {
		return errBadPacket
	}
	return s.writeMem(addr, []byte(data))
}

// writeMem writes memory; where a breakpoint instruction of ours is in
// memory, the new bytes become the ones it replaced (Examine keeps the
// instruction and records the bytes as its shadows).
func (s *session) writeMem(addr uint64, b []byte) string {
	if len(b) == 0 {
		return "OK"
	}
	t := s.memThreadStarted()
	if t == nil {
		return errState
	}
	var n int
	t.e.Examine(func(st core.Stopped) error {
		n, _ = st.WriteMemory(uintptr(addr), b)
		return nil
	})
	if n != len(b) {
		return errMemory
	}
	return "OK"
}

// breakpoint answers Z and z: software breakpoints (type 0) are the
// engine's breakpoint instructions, hardware breakpoints and watchpoints
// (1-4) the architecture's debug registers (hwPoint).
func (s *session) breakpoint(d string) string {
	typ, rest, ok := strings.Cut(d[1:], ",")
	if !ok {
		return errBadPacket
	}
	if len(typ) != 1 || typ[0] < '0' || typ[0] > '4' {
		return ""
	}
	addrS, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return errBadPacket
	}
	kind, _, _ := strings.Cut(rest, ";") // conditions and commands are not supported
	addr, err := parseHex(addrS)
	if err != nil {
		return errBadPacket
	}
	size, err := parseHex(kind)
	if err != nil {
		return errBadPacket
	}
	if s.gOther != 0 {
		// A forked child: its copy of memory was cleaned of our
		// breakpoints at the fork, and debug registers are not
		// inherited.
		if d[0] == 'z' {
			return "OK"
		}
		return errState
	}
	if typ != "0" {
		if !s.ensureStarted() {
			return errState
		}
		return s.hwPoint(d[0] == 'Z', typ[0], addr, size)
	}
	if d[0] == 'z' {
		s.g.mu.Lock()
		delete(s.g.bps, addr)
		in := s.g.inserted[addr]
		s.g.mu.Unlock()
		if in {
			// Only while threads run is a byte in memory; with all
			// held it comes out here.
			return s.removeNow(addr)
		}
		return "OK"
	}
	t := s.memThreadStarted()
	if t == nil {
		return errState
	}
	// The instruction goes in when the threads run; check now that it
	// can.
	err = t.e.Examine(func(st core.Stopped) error {
		b := make([]byte, len(breakpointInsn))
		if n, err := st.ReadMemory(uintptr(addr), b); n != len(b) {
			return fmt.Errorf("read: %v", err)
		}
		if n, err := st.WriteMemory(uintptr(addr), b); n != len(b) {
			return fmt.Errorf("write: %v", err)
		}
		return nil
	})
	if err != nil {
		return errMemory
	}
	s.g.mu.Lock()
	s.g.bps[addr] = true
	s.g.mu.Unlock()
	return "OK"
}

func (s *session) removeNow(addr uint64) string {
	t := s.memThreadStarted()
	if t == nil {
		return errState
	}
	s.g.mu.Lock()
	in, tgid := s.g.inserted[addr], s.g.target
	s.g.mu.Unlock()
	if !in {
		return "OK"
	}
	ok := false
	t.e.Examine(func(st core.Stopped) error {
		ok = s.g.restoreInsn(st, tgid, addr)
		return nil
	})
	if !ok {
		return errMemory
	}
	s.g.mu.Lock()
	delete(s.g.inserted, addr)
	s.g.mu.Unlock()
	return "OK"
}

// xfer answers qXfer reads: the target description, the auxiliary vector,
// the executable's path and the thread list.
func (s *session) xfer(args string) string {
	f := strings.SplitN(args, ":", 4)
	if len(f) != 4 || f[1] != "read" {
		return ""
	}
	object, annex := f[0], f[2]
	off, n, err := parseAddrLen(f[3])
	if err != nil {
		return errBadPacket
	}
	var data []byte
	switch object {
	case "features":
		if annex != "target.xml" {
			return "E00"
		}
		data = []byte(targetXML(s.layout()))
	case "auxv":
		if !s.ensureStarted() {
			return errState
		}
		s.g.mu.Lock()
		pid := s.g.target
		s.g.mu.Unlock()
		if data, err = procfs.Process(pid).Auxv(); err != nil {
			return errMemory
		}
	case "exec-file":
		s.g.mu.Lock()
		pid := s.g.target
		s.g.mu.Unlock()
		if annex != "" {
			p, err := strconv.ParseUint(annex, 16, 31)
			if err != nil {
				return errBadPacket
			}
			if int(p) != pid {
				return errNoThread
			}
		}
		path, err := procfs.Process(pid).Exe()
		if err != nil {
			return errNoThread
		}
		data = []byte(path)
	case "siginfo":
		if data = s.siginfo(); data == nil {
			return errNoThread
		}
	case "threads":
		if !s.ensureStarted() {
			return errState
		}
		var b strings.Builder
		b.WriteString("<?xml version=\"1.0\"?>\n<threads>\n")
		for _, t := range s.g.live() {
			fmt.Fprintf(&b, "<thread id=\"%s\" name=\"%s\"/>\n", s.threadID(t), xmlEscape(comm(t.e.Tgid(), t.e.Tid())))
		}
		b.WriteString("</threads>\n")
		data = []byte(b.String())
	default:
		return ""
	}
	return xferSlice(data, off, n)
}

// siginfo is the siginfo_t of gdb's current thread: of the signal it
// was last reported stopping for, else of the ptrace stop it is in; nil
// when there is none.
func (s *session) siginfo() []byte {
	t, _ := s.heldThread()
	if t == nil {
		return nil
	}
	s.g.mu.Lock()
	si := t.siginfo
	s.g.mu.Unlock()
	if si != nil {
		return si
	}
	if err := t.e.Examine(func(st core.Stopped) error {
		var err error
		si, err = st.Siginfo()
		return err
	}); err != nil {
		return nil
	}
	return si
}

func comm(pid, tid int) string {
	c, _ := procfs.Thread(pid, tid).Comm()
	return c
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;").Replace(s)
}
