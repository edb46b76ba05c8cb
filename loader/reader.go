package loader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

var le = binary.LittleEndian

// readerState is the reader goroutine's state as other goroutines see it.
type readerState struct {
	started atomic.Bool
	exited  chan struct{} // closed when the reader goroutine returns
	// done is the ring-buffer consumer position up to which every record
	// has been handled.
	done atomic.Uint64
	bad  atomic.Uint64 // malformed records

	mu     sync.Mutex // guards the fields below; cond waits on it
	cond   *sync.Cond // broadcast whenever the reader has drained the ring
	closed bool
	err    error // why the reader stopped
}

func (r *readerState) init() {
	r.exited = make(chan struct{})
	r.cond = sync.NewCond(&r.mu)
}

// drained wakes Flush callers after the reader read all there was.
func (r *readerState) drained(pos uint64) {
	r.done.Store(pos)
	r.mu.Lock()
	r.cond.Broadcast()
	r.mu.Unlock()
}

func (r *readerState) finish(err error) {
	r.mu.Lock()
	r.closed = true
	r.err = err
	r.cond.Broadcast()
	r.mu.Unlock()
}

// stop waits for the reader goroutine, whose ring buffer has been closed.
func (r *readerState) stop() {
	if r.exited == nil {
		return
	}
	if r.started.Load() {
		<-r.exited
	}
	r.finish(nil)
}

// ringPos is a read-only mapping of the ring buffer's consumer and producer
// positions, for Flush.
type ringPos struct {
	mem        []byte
	cons, prod *uint64
}

func mapRingPos(fd int) (*ringPos, error) {
	page := os.Getpagesize()
	mem, err := unix.Mmap(fd, 0, 2*page, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping ring buffer positions: %w", err)
	}
	return &ringPos{
		mem:  mem,
		cons: (*uint64)(unsafe.Pointer(&mem[0])),
		prod: (*uint64)(unsafe.Pointer(&mem[page])),
	}, nil
}

func (p *ringPos) consumed() uint64 { return atomic.LoadUint64(p.cons) }
func (p *ringPos) produced() uint64 { return atomic.LoadUint64(p.prod) }
func (p *ringPos) unmap() error     { return unix.Munmap(p.mem) }

// Start starts the reader goroutine, which decodes every record into one
// reused core.Event and calls deliver with it; deliver must not keep the
// pointer. Records of one thread are delivered in order, one at a time.
// deliver may call SetWatch and SetFlags, but not Flush or Close.
func (l *Loader) Start(deliver func(*core.Event)) error {
	if deliver == nil {
		return errors.New("loader: Start with a nil deliver func")
	}
	if !l.reader.started.CompareAndSwap(false, true) {
		return errors.New("loader: reader already started")
	}
	// Spare Ps for the reader's two threads: one back from a wait takes
	// an idle P at once; with none idle it waits until another of the
	// process's threads, behind every busy traced thread for a CPU, hands
	// it one.
	if n := runtime.NumCPU() + 2; runtime.GOMAXPROCS(0) < n {
		runtime.GOMAXPROCS(n)
	}
	go l.read(deliver)
	return nil
}

func (l *Loader) read(deliver func(*core.Event)) {
	defer close(l.reader.exited)
	st := newStage()
	l.stage.Store(st)
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		l.handleStaged(st, deliver)
	}()
	err := l.drain(st)
	st.close()
	<-handled
	l.reader.finish(err)
}

// drain copies records from the ring buffer into the stage as they come,
// until the ring is closed (nil) or cannot be read. It runs on its own
// thread, at the reader's priority: keeping the ring empty is what keeps
// the kernel from dropping records.
func (l *Loader) drain(st *stage) error {
	defer l.prioritize(drainPriority)()
	var rec ringbuf.Record
	c := getChunk()
	l.setPoll()
	for {
		err := l.rd.ReadInto(&rec)
		if err == nil {
			if !c.add(rec.RawSample) {
				st.push(c)
				c = getChunk()
				c.add(rec.RawSample)
			}
			c.pos = l.pos.consumed()
			continue
		}
		// The errors other than closing come only once the ring is empty.
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, ringbuf.ErrFlushed):
			l.setPoll()
		case errors.Is(err, os.ErrClosed):
			return nil
		default:
			return fmt.Errorf("reading ring buffer: %w", err)
		}
		c.pos, c.drained = l.pos.consumed(), true
		st.push(c)
		c = getChunk()
	}
}

// handleStaged handles the staged records in order, and tells Flush
// callers how far it got.
func (l *Loader) handleStaged(st *stage, deliver func(*core.Event)) {
	defer l.prioritize(handlePriority)()
	var ev core.Event
	handle := func(b []byte) { l.handle(b, &ev, deliver) }
	for c := st.pop(); c != nil; c = st.pop() {
		c.each(handle)
		if c.drained {
			l.reader.drained(c.pos)
		} else {
			l.reader.done.Store(c.pos)
		}
		putChunk(c)
	}
}

// setPoll makes the reader's next wait end after Options.PollInterval while
// the syscall programs are attached, whose records do not wake it one by
// one; otherwise every record wakes it and it looks only once a second, in
// case a wake-up went missing. An idle reader that woke every few
// milliseconds would cost the programs traced synchronously: on a busy
// machine each wake-up preempts something.
func (l *Loader) setPoll() {
	every := idlePoll
	if l.polling.Load() {
		every = l.opts.PollInterval
	}
	l.rd.SetDeadline(time.Now().Add(every))
}

const idlePoll = time.Second

// Flush waits until every record the kernel wrote before the call has been
// delivered. It must not be called from the deliver func.
func (l *Loader) Flush() error {
	if !l.reader.started.Load() {
		return errors.New("loader: Flush before Start")
	}
	target := l.pos.produced()
	r := &l.reader
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.done.Load() < target {
		if r.closed {
			if r.err != nil {
				return r.err
			}
			return fmt.Errorf("loader: %w", os.ErrClosed)
		}
		// Wakes the reader, which drains the ring and broadcasts.
		if err := l.rd.Flush(); err != nil {
			return fmt.Errorf("loader: flushing ring buffer: %w", err)
		}
		r.cond.Wait()
	}
	return nil
}

// handle does the bookkeeping a record calls for and delivers it if the
// thread asked for it.
func (l *Loader) handle(b []byte, ev *core.Event, deliver func(*core.Event)) {
	if len(b) < recHdrLen {
		l.reader.bad.Add(1)
		return
	}
	typ := le.Uint32(b[offType:])
	flags := le.Uint32(b[offFlags:])
	tid := int(le.Uint32(b[offTid:]))
	if typ >= nrEvents {
		l.reader.bad.Add(1)
		return
	}

	// Bookkeeping of inherited and moved flags comes first, so that a
	// callback that sets the child's watch has the last word.
	switch typ {
	case evClone:
		if flags&recTargeted != 0 && len(b) >= recCloneLen {
			l.bookkeep(func() { l.setNeedLocked(int(le.Uint32(b[offCloneChild:])), l.targetedNeed(flags)) })
		} else if flags&recInherited != 0 && len(b) >= recCloneLen {
			n := need{bits: needsFromRecord(flags)}
			if flags&recNeedTrigger != 0 {
				for i := range min(int(le.Uint32(b[offCloneNtrig:])), trigMax) {
					n.trig.Add(int(le.Uint16(b[offCloneTrigNr+2*i:])))
				}
			}
			if !n.zero() {
				l.bookkeep(func() { l.setNeedLocked(int(le.Uint32(b[offCloneChild:])), n) })
			}
		}
	case evExec:
		if flags&recTargeted != 0 {
			l.bookkeep(func() { l.setNeedLocked(tid, l.targetedNeed(flags)) })
		} else if len(b) >= recExecLen {
			if old := int(le.Uint32(b[offExecOldTid:])); old != tid {
				n := need{bits: needsFromRecord(flags)}
				l.bookkeep(func() {
					// The thread's triggers moved with it; the record
					// says it has some, the books say which.
					if flags&recNeedTrigger != 0 {
						n.trig = l.needs[old].trig
					}
					l.setNeedLocked(old, need{})
					l.setNeedLocked(tid, n)
				})
				// The pidfds of both tids now name other threads (or none).
				l.pidfds.evict(old)
				l.pidfds.evict(tid)
			}
		}
	}

	if flags&recDeliver != 0 {
		if decode(b, typ, ev) {
			l.delivered[typ].Add(1)
			deliver(ev)
		} else {
			l.reader.bad.Add(1)
		}
	}

	if typ == evReap {
		l.bookkeep(func() {
			if _, ok := l.needs[tid]; ok {
				l.setNeedLocked(tid, need{})
			}
		})
		l.pidfds.evict(tid)
		if flags&recFinalStats != 0 {
			// The REAP callbacks have had their chance to read the stats.
			l.objs.FinalStats.Delete(uint32(tid))
		}
	}
}

// bookkeep applies a change of needs learnt from the kernel and attaches or
// detaches programs to match.
func (l *Loader) bookkeep(change func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	change()
	if err := l.syncLinksLocked(); err != nil {
		l.attachErr = err
	}
}

// decode fills ev from record b of type typ. It reports false for a record
// too short for its type.
func decode(b []byte, typ uint32, ev *core.Event) bool {
	regions := ev.Syscall.Regions[:0] // the reused event keeps its slice
	*ev = core.Event{
		Type: core.Events(1) << typ,
		Tid:  int(le.Uint32(b[offTid:])),
		Tgid: int(le.Uint32(b[offTgid:])),
		Time: le.Uint64(b[offTime:]),
	}
	switch ev.Type {
	case core.EventSyscallEntry, core.EventSyscallExit:
		if len(b) < recSyscallLen {
			return false
		}
		s := &ev.Syscall
		s.Nr = int(int64(le.Uint64(b[offSysNr:])))
		s.Ret = int64(le.Uint64(b[offSysRet:]))
		for i := range s.Args {
			s.Args[i] = le.Uint64(b[offSysArgs+8*i:])
		}
		s.EnterTime = le.Uint64(b[offSysEnterTime:])
		s.SP = le.Uint64(b[offSysSP:])
		s.Unfinished = le.Uint32(b[offFlags:])&recUnfinished != 0
		s.Resumes = int(le.Uint16(b[offSysResumes:])) - 1
		var ok bool
		if s.Regions, ok = decodeRegions(b, regions); !ok {
			return false
		}
	case core.EventSignal, core.EventSignalIgn, core.EventSignalStop, core.EventSignalTerm, core.EventSignalCore:
		if len(b) < recSignalLen {
			return false
		}
		ev.Signal = core.Signal{
			Signo:  int(int32(le.Uint32(b[offSigSigno:]))),
			Code:   int(int32(le.Uint32(b[offSigCode:]))),
			Errno:  int(int32(le.Uint32(b[offSigErrno:]))),
			Sender: int(int32(le.Uint32(b[offSigSender:]))),
		}
		copy(ev.Signal.Info[:], b[offSigInfo:offSigInfo+sigInfoLen])
		flags := le.Uint32(b[offFlags:])
		ev.Signal.Discarded = flags&recDiscarded != 0
		ev.Signal.InSyscall = flags&recInSyscall != 0
	case core.EventClone:
		if len(b) < recCloneLen {
			return false
		}
		ev.Clone = core.Clone{
			Child:  int(le.Uint32(b[offCloneChild:])),
			Thread: le.Uint32(b[offCloneThread:]) != 0,
			Flags:  le.Uint64(b[offCloneFlags:]),
			Target: int(le.Uint32(b[offCloneTarget:])),
		}
	case core.EventExec:
		if len(b) < recExecLen {
			return false
		}
		ev.Exec = core.Exec{
			Filename:      cstring(b[offExecFilename:offExecArgs]),
			OldTid:        int(le.Uint32(b[offExecOldTid:])),
			Ret:           int64(le.Uint64(b[offExecRet:])),
			Target:        int(le.Uint32(b[offExecTarget:])),
			Facts:         true,
			Comm:          cstring(b[offExecComm:offExecFilename]),
			Ppid:          int(le.Uint32(b[offExecPpid:])),
			UID:           int(le.Uint32(b[offExecUID:])),
			GID:           int(le.Uint32(b[offExecGID:])),
			Cgroup:        le.Uint64(b[offExecCgroup:]),
			ArgsTruncated: le.Uint32(b[offExecArgsTrunc:]) != 0,
		}
		ev.Exec.Args = splitArgs(b[offExecArgs : offExecArgs+min(int(le.Uint32(b[offExecArgsLen:])), argsLen)])
	case core.EventExit, core.EventDeath:
		if len(b) < recExitLen {
			return false
		}
		code := int(int32(le.Uint32(b[offExitCode:])))
		ev.Exit = core.Exit{Code: code, OrigCode: code, GroupDead: le.Uint32(b[offExitGroupDead:]) != 0,
			Facts: true, Start: le.Uint64(b[offExitStart:]), Ppid: int(le.Uint32(b[offExitPpid:])),
			Comm: cstring(b[offExitComm:recExitLen])}
	case core.EventJctl:
		if len(b) < recJctlLen {
			return false
		}
		ev.Jctl = core.Jctl{
			Type:   int(int32(le.Uint32(b[offJctlType:]))),
			Notify: int(int32(le.Uint32(b[offJctlNotify:]))),
			Signo:  int(int32(le.Uint32(b[offJctlSigno:]))),
		}
	case core.EventReap:
	default:
		return false
	}
	return true
}

// decodeRegions appends the regions that follow the syscall record b to
// regions. Their bytes are b's: valid while b is.
func decodeRegions(b []byte, regions []core.Region) ([]core.Region, bool) {
	size := int(le.Uint32(b[offSysSize:]))
	n := int(le.Uint16(b[offSysNregion:]))
	if size < recSyscallLen || size > len(b) {
		return regions, false
	}
	b = b[:size]
	off := recSyscallLen
	for range n {
		if off+recRegionLen > len(b) {
			return regions, false
		}
		l := int(le.Uint32(b[off+offRegionLen:]))
		data := off + recRegionLen
		if l > regionMax || data+l > len(b) {
			return regions, false
		}
		regions = append(regions, core.Region{
			Addr:  le.Uint64(b[off+offRegionAddr:]),
			Data:  b[data : data+l : data+l],
			Flags: core.RegionFlags(le.Uint16(b[off+offRegionFlags:])),
		})
		off = data + (l+7)&^7
	}
	return regions, true
}

// cstring returns the NUL-terminated string at the start of b.
func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// SyscallStats returns tid's in-kernel syscall aggregates, by syscall
// number, for a thread whose flags have Count (or had: after counting
// stops they keep what was counted). It implements core.Aggregator. The
// aggregates of a thread that exited stay readable until it is reaped and
// the REAP event has been delivered. A thread that counts nothing has an
// empty map.
func (l *Loader) SyscallStats(tid int) (map[int]core.SyscallStats, error) {
	var ts utraceTaskStats
	th, err := l.openThread(tid)
	if err == nil {
		err = th.lookup(storeTstats, &ts)
		th.close()
	}
	switch {
	case err == nil:
		return statsMap(&ts.S), nil
	case errors.Is(err, unix.ESRCH) || errors.Is(err, ebpf.ErrKeyNotExist):
		// Gone, or exited (non-leader threads are freed at once): the
		// copy made at exit.
		if err := l.objs.FinalStats.Lookup(uint32(tid), &ts.S); err != nil {
			if errors.Is(err, ebpf.ErrKeyNotExist) {
				return map[int]core.SyscallStats{}, nil
			}
			return nil, fmt.Errorf("reading syscall stats of thread %d: %w", tid, err)
		}
		return statsMap(&ts.S), nil
	default:
		return nil, fmt.Errorf("reading syscall stats of thread %d: %w", tid, err)
	}
}

// SyscallHistogram returns the log2 histogram of the durations of the
// calls to syscall nr that threads counting with Histograms made since the
// loader was loaded, summed over them. It implements
// core.HistogramAggregator.
func (l *Loader) SyscallHistogram(nr int) (core.Histogram, error) {
	var h utraceSyscallHist
	if nr < 0 || nr >= syscallMax {
		return core.Histogram{}, fmt.Errorf("histogram of syscall %d: %w", nr, core.ErrInvalid)
	}
	if err := l.objs.Hists.Lookup(uint32(nr), &h); err != nil {
		return core.Histogram{}, fmt.Errorf("histogram of syscall %d: %w", nr, err)
	}
	return core.Histogram(h.Slot), nil
}

func statsMap(s *utraceSyscallStats) map[int]core.SyscallStats {
	m := make(map[int]core.SyscallStats)
	for nr, st := range s.Nr {
		if st.Calls != 0 || st.Errors != 0 {
			m[nr] = core.SyscallStats{Calls: st.Calls, Errors: st.Errors, Time: time.Duration(st.TimeNs)}
		}
	}
	return m
}

// prioritize gives the calling reader thread a real-time priority
// (SCHED_FIFO at prio, one of the lowest levels), or failing that the
// highest nice value. Busy traced
// threads outnumber the reader: under the fair scheduler 200 of them
// leave it 1/200 of the CPUs, and the ring buffer overflows while the
// reader waits for its turn. At real-time priority it runs as soon as it
// is woken and sleeps as soon as the ring (or the stage) is empty; the
// kernel's RT throttling still leaves the rest of the system its share.
// The thread stays locked for the reader's life, deliver callbacks
// included.
//
// It returns the function that gives the thread back its scheduling, for
// the goroutine to defer: a goroutine that ends locked ends its thread,
// except the process's main thread, which the runtime keeps, and which
// must not stay real-time.
func (l *Loader) prioritize(prio uint32) (restore func()) {
	runtime.LockOSThread()
	var orig *unix.SchedAttr
	if a, err := unix.SchedGetAttr(0, 0); err == nil {
		orig = a
	}
	restore = func() {
		if orig != nil {
			unix.SchedSetAttr(0, orig, 0)
		}
	}
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: prio}
	if err := unix.SchedSetAttr(0, &attr, 0); err == nil {
		l.readerPolicy.Store("SCHED_FIFO")
		return restore
	}
	if err := unix.Setpriority(unix.PRIO_PROCESS, 0, TracerNice); err == nil {
		l.readerPolicy.Store("nice -20")
		return restore
	}
	l.readerPolicy.Store("default (no CAP_SYS_NICE)")
	return restore
}

// The SCHED_FIFO priorities of the reader's two threads: the drainer's
// above the handler's, so that a handler busy with a burst on the
// drainer's CPU does not keep the ring from being emptied.
const (
	handlePriority = 1
	drainPriority  = 2
)

// ReaderPolicy says how the reader thread is scheduled: "SCHED_FIFO",
// "nice -20", or the default when neither was permitted.
func (l *Loader) ReaderPolicy() string {
	p, _ := l.readerPolicy.Load().(string)
	return p
}

// splitArgs splits an exec record's argument bytes, NUL-terminated strings
// (the last one cut short when the record's bound cut it), into argv.
func splitArgs(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	b = bytes.TrimSuffix(b, []byte{0})
	args := make([]string, 0, bytes.Count(b, []byte{0})+1)
	for arg := range bytes.SplitSeq(b, []byte{0}) {
		args = append(args, string(arg))
	}
	return args
}
