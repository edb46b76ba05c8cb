package loader

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Options tune a Loader. The zero value of a field selects its default.
type Options struct {
	// RingSize is the size of the ring buffer in bytes, a power of two and
	// a multiple of the page size. Default DefaultRingSize().
	RingSize int
	// WakeupBytes is how many bytes of syscall records may be pending
	// before the reader is woken. Default 64 KiB, at most RingSize/4.
	WakeupBytes int
	// PollInterval is how often the reader looks for records nobody woke
	// it for: the longest a syscall record waits. Default 10 ms.
	PollInterval time.Duration
	// StringLimit is strace's -s: how many bytes of each string and
	// buffer syscall records carry (paths are copied whole). Default 32;
	// at most MaxStringLimit. Negative means 0.
	StringLimit int
	// Preload are the events the caller expects to watch (syscall events
	// for counting too): the programs they need are loaded by Load, at
	// the same time as the others, rather than by the first watch that
	// asks for them. Loading is mostly the kernel's verifier, and
	// programs load in parallel. They are still attached only when
	// needed.
	Preload core.Events
	// FailedExecs attaches the program that reports failed execs
	// (core.FailedExecReporter) to the per-syscall tracepoints of execve
	// and execveat, which needs tracefs (mounted if it is not).
	FailedExecs bool
}

// MaxStringLimit is the largest Options.StringLimit: what one region of a
// record holds, less the NUL and the byte that tells a string goes on.
const MaxStringLimit = regionMax - 2

// DefaultRingSize is the ring buffer's default size: 4 MiB per CPU, at
// least 8 MiB and at most 64 MiB. The ring need only absorb what comes
// while the reader's drainer is away from it: it copies records out as
// they come, into memory that grows only while a burst lasts (the
// stage). 8 MiB keeps the 200-thread load test of the syscalls log
// lossless on two CPUs (test/reliability), with room to spare; more CPUs
// produce more at once. The ring is mapped in full, twice, for the whole
// run: it is most of the tracer's memory.
func DefaultRingSize() int {
	n := 4 << 20 * runtime.NumCPU()
	size := 8 << 20
	for size < n && size < 64<<20 {
		size <<= 1
	}
	return size
}

const (
	defaultWakeupBytes  = 64 << 10
	defaultPollInterval = 10 * time.Millisecond
	defaultStringLimit  = 32
)

func (o *Options) withDefaults() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.RingSize == 0 {
		r.RingSize = DefaultRingSize()
	}
	page := os.Getpagesize()
	if r.RingSize < page || r.RingSize&(r.RingSize-1) != 0 {
		return r, fmt.Errorf("ring buffer size %d: want a power of two of at least %d", r.RingSize, page)
	}
	if r.WakeupBytes == 0 {
		r.WakeupBytes = min(defaultWakeupBytes, r.RingSize/4)
	}
	if r.WakeupBytes < 0 || r.WakeupBytes > r.RingSize {
		return r, fmt.Errorf("wakeup threshold %d: want 0..%d (the ring size)", r.WakeupBytes, r.RingSize)
	}
	if r.PollInterval == 0 {
		r.PollInterval = defaultPollInterval
	}
	if r.PollInterval < 0 {
		return r, fmt.Errorf("poll interval %v: want > 0", r.PollInterval)
	}
	switch {
	case o == nil || o.StringLimit == 0:
		r.StringLimit = defaultStringLimit
	case r.StringLimit < 0:
		r.StringLimit = 0
	case r.StringLimit > MaxStringLimit:
		return r, fmt.Errorf("string limit %d: at most %d", r.StringLimit, MaxStringLimit)
	}
	return r, nil
}

// A Loader is the loaded BPF programs and maps and the reader of their ring
// buffer. Its methods may be called from any goroutine.
type Loader struct {
	opts   Options
	kernel *Kernel
	objs   *objects
	store  storeMailbox // task storage of threads without a pidfd (kernels before 6.9)
	// always holds the links of the programs that stay attached.
	always  []link.Link
	rd      *ringbuf.Reader
	pos     *ringPos
	tidBits *tidBits
	// polling is set while the syscall programs are attached: their
	// records wake the reader in batches, so it also polls.
	polling atomic.Bool

	// mu guards the lazily attached links and the needs bookkeeping.
	mu          sync.Mutex
	sysEnter    link.Link // attached while nSyscall > 0
	sysExit     link.Link
	schedSwitch link.Link // attached while nJctl > 0
	needs       map[int]need
	nSyscall    int
	nJctl       int
	// trigUsers counts, per syscall number, the threads with a trigger on
	// it; trigLinks holds its per-syscall tracepoint links while it is > 0.
	trigUsers [syscallMax]int32
	trigLinks map[int]*trigLinks
	attachErr error // last failure to attach from the reader, for Stats
	closed    bool
	// targetNeed is what the template of the armed target rules needs
	// (SetTargets), kept in needs under targetsTid.
	targetNeed need

	pidfds    pidfdCache // for TakeTrigger
	trigTaken counter

	delivered    [nrEvents]counter
	readerPolicy atomic.Value // string: how the reader threads are scheduled
	stage        atomic.Pointer[stage]
	reader       readerState
	closeOnce    sync.Once
	closeErr     error
}

// Load loads the BPF objects into the kernel and attaches the programs
// that stay attached (fork, exec, exit, free, signal delivery). The
// syscall and sched_switch programs are attached when a watch needs them.
// Call Start to read events and Close to release everything.
func Load(opts *Options) (*Loader, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("loader options: %w", err)
	}
	if err := checkSystem(); err != nil {
		return nil, err
	}
	// The maps are made while the kernel is probed (which decodes its
	// BTF, the longest part of starting): two CPUs' worth of start-up. A
	// kernel that fails the check has its error reported, not the maps'.
	type made struct {
		objs *objects
		err  error
	}
	maps := make(chan made, 1)
	go func() {
		objs, err := makeMaps(&o)
		maps <- made{objs, err}
	}()
	k := kernel()
	m := <-maps
	if err := k.Check(); err != nil {
		if m.objs != nil {
			m.objs.Close()
		}
		return nil, err
	}
	if m.err != nil {
		return nil, m.err
	}
	l := &Loader{opts: o, kernel: k, needs: make(map[int]need), trigLinks: make(map[int]*trigLinks), objs: m.objs}
	if err := l.objs.useVariants(kernel()); err != nil {
		l.Close()
		return nil, err
	}
	always := []string{
		utraceProgUtraceFork, utraceProgUtraceSignal, utraceProgUtraceExec,
		utraceProgUtraceExit, utraceProgUtraceFree, utraceProgUtraceSignalDiscarded,
	}
	// The costliest loads first (test/bench -only startup lists them):
	// the syscall programs, then fork, signal and exec.
	var load []string
	if o.Preload&core.EventSyscall != 0 {
		load = append(load, utraceProgUtraceSysExit, utraceProgUtraceSysEnter)
	}
	load = append(load, always...)
	if o.Preload&core.EventJctl != 0 {
		load = append(load, utraceProgUtraceSchedSwitch)
	}
	if err := l.objs.preload(load...); err != nil {
		l.Close()
		return nil, err
	}
	for _, name := range always {
		lk, err := l.attach(name)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.always = append(l.always, lk)
	}
	if o.FailedExecs {
		if err := l.attachFailedExecs(); err != nil {
			l.Close()
			return nil, err
		}
	}
	if l.rd, err = ringbuf.NewReader(l.objs.Events); err != nil {
		l.Close()
		return nil, fmt.Errorf("opening ring buffer reader: %w", err)
	}
	if l.pos, err = mapRingPos(l.objs.Events.FD()); err != nil {
		l.Close()
		return nil, err
	}
	if l.tidBits, err = mapTidBits(l.objs.TidBits.FD()); err != nil {
		l.Close()
		return nil, err
	}
	l.reader.init()
	return l, nil
}

// makeMaps reads the embedded object, sizes it as o says, creates its
// maps and fills the capture table.
func makeMaps(o *Options) (*objects, error) {
	spec, err := loadUtrace()
	if err != nil {
		return nil, fmt.Errorf("reading embedded BPF object: %w", err)
	}
	spec.Maps[utraceMapEvents].MaxEntries = uint32(o.RingSize)
	if err := spec.Variables[utraceVarWakeupBytes].Set(uint64(o.WakeupBytes)); err != nil {
		return nil, fmt.Errorf("setting wakeup_bytes: %w", err)
	}
	if err := spec.Variables[utraceVarStrLimit].Set(uint32(o.StringLimit)); err != nil {
		return nil, fmt.Errorf("setting str_limit: %w", err)
	}
	if err := setSyscallNumbers(spec); err != nil {
		return nil, err
	}
	objs, err := loadObjects(spec)
	if err != nil {
		return nil, explainLoad("maps", err)
	}
	if err := fillCapSpecs(objs.CapSpecs); err != nil {
		objs.Close()
		return nil, err
	}
	return objs, nil
}

// checkSystem turns the usual reasons why loading fails into a message
// that says what to do. (Without privilege the library's feature probes
// fail first, with misleading messages.)
func checkSystem() error {
	if !privileged() {
		return errors.New("loading BPF programs needs privilege: run as root, or with the capabilities CAP_BPF and CAP_PERFMON")
	}
	return nil
}

// privileged reports whether the process has the capabilities loading and
// attaching tracing programs needs.
func privileged() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return true // unknown: let the kernel decide
	}
	eff := uint64(data[0].Effective) | uint64(data[1].Effective)<<32
	has := func(c int) bool { return eff&(1<<c) != 0 }
	return has(unix.CAP_SYS_ADMIN) || has(unix.CAP_BPF) && has(unix.CAP_PERFMON)
}

// explainLoad says what failed to load, with the verifier's log when it
// refused a program.
func explainLoad(what string, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("loading BPF %s: the kernel's verifier (Linux %s) rejected it: %+v", what, ProbeKernel().Release, ve)
	}
	if errors.Is(err, unix.EPERM) && !privileged() {
		return fmt.Errorf("loading BPF %s: %w (run as root, or with the capabilities CAP_BPF and CAP_PERFMON)", what, err)
	}
	return fmt.Errorf("loading BPF %s: %w", what, err)
}

// attach loads the tp_btf program name if needed and attaches it.
func (l *Loader) attach(name string) (link.Link, error) {
	p, err := l.objs.program(name)
	if err != nil {
		return nil, err
	}
	lk, err := link.AttachTracing(link.TracingOptions{Program: p, AttachType: ebpf.AttachTraceRawTp})
	if err != nil {
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("attaching %s: %w (run as root)", name, err)
		}
		return nil, fmt.Errorf("attaching %s: %w", name, err)
	}
	return lk, nil
}

// Close detaches the programs, stops the reader and releases the maps.
// Watched threads run on; their flags go with the maps. Records not yet
// read are dropped.
func (l *Loader) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		l.mu.Lock()
		l.closed = true
		for _, lk := range []*link.Link{&l.sysEnter, &l.sysExit, &l.schedSwitch} {
			if *lk != nil {
				errs = append(errs, (*lk).Close())
				*lk = nil
			}
		}
		for nr, t := range l.trigLinks {
			errs = append(errs, t.close())
			delete(l.trigLinks, nr)
		}
		l.mu.Unlock()
		l.pidfds.close()
		errs = append(errs, l.store.close())
		for _, lk := range l.always {
			errs = append(errs, lk.Close())
		}
		if l.rd != nil {
			errs = append(errs, l.rd.Close())
		}
		l.reader.stop()
		if l.pos != nil {
			errs = append(errs, l.pos.unmap())
		}
		if l.tidBits != nil {
			errs = append(errs, l.tidBits.unmap())
			l.tidBits = nil
		}
		if l.objs != nil {
			errs = append(errs, l.objs.Close())
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Attached reports which lazily attached programs are attached now: the
// syscall programs (sys_enter, sys_exit) and the job-control program
// (sched_switch). The per-syscall tracepoints of triggers are listed by
// TriggerHooks.
func (l *Loader) Attached() (syscalls, jctl bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sysEnter != nil, l.schedSwitch != nil
}

// syncLinksLocked attaches the lazily attached programs that the current
// needs require and detaches those no longer needed. l.mu must be held.
func (l *Loader) syncLinksLocked() error {
	if l.closed {
		return fmt.Errorf("loader: %w", os.ErrClosed)
	}
	var errs []error
	if l.nSyscall > 0 && l.sysEnter == nil {
		if err := l.objs.preload(utraceProgUtraceSysEnter, utraceProgUtraceSysExit); err != nil {
			return err
		}
		enter, err := l.attach(utraceProgUtraceSysEnter)
		if err != nil {
			return err
		}
		exit, err := l.attach(utraceProgUtraceSysExit)
		if err != nil {
			enter.Close()
			return err
		}
		// A thread inside a system call now reports its exit without an
		// entry; engines see that for any watch set mid-call anyway.
		l.sysEnter, l.sysExit = enter, exit
	}
	if l.nSyscall == 0 && l.sysEnter != nil {
		errs = append(errs, l.sysEnter.Close(), l.sysExit.Close())
		l.sysEnter, l.sysExit = nil, nil
		// No thread needs them: forget the bits of those gone. Threads
		// added later set theirs again.
		l.tidBits.clear()
	}
	if l.nJctl > 0 && l.schedSwitch == nil {
		lk, err := l.attach(utraceProgUtraceSchedSwitch)
		if err != nil {
			return err
		}
		l.schedSwitch = lk
	}
	if l.nJctl == 0 && l.schedSwitch != nil {
		errs = append(errs, l.schedSwitch.Close())
		l.schedSwitch = nil
	}
	if polling := l.sysEnter != nil; l.polling.Swap(polling) != polling && l.rd != nil {
		// Wake the reader: to start polling for batched syscall
		// records, or to drain the last of them before it stops.
		l.rd.Flush()
	}
	if err := errors.Join(errs...); err != nil {
		return errors.Join(fmt.Errorf("detaching programs: %w", err), l.syncTriggersLocked())
	}
	return l.syncTriggersLocked()
}

// tidBits is a shared mapping of the tid bitmap (map tid_bits): two bits
// per tid, which the syscall programs test before any lookup. User space
// sets bits atomically, as the programs do; it clears them all only when
// the syscall programs are detached.
type tidBits struct {
	mem []byte
}

func mapTidBits(fd int) (*tidBits, error) {
	mem, err := unix.Mmap(fd, 0, tidBitsWords*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the tid bitmap: %w", err)
	}
	return &tidBits{mem: mem}, nil
}

func (b *tidBits) word(i int) *uint64 { return (*uint64)(unsafe.Pointer(&b.mem[8*i])) }

// set sets bits (tidBitSyscall, tidBitCount) for tid.
func (b *tidBits) set(tid int, bits uint64) {
	if b == nil || bits == 0 {
		return
	}
	t := tid % tidBitsTids
	atomic.OrUint64(b.word(t/32), bits<<(2*(t%32)))
}

func (b *tidBits) clear() {
	for i := range tidBitsWords {
		atomic.StoreUint64(b.word(i), 0)
	}
}

func (b *tidBits) unmap() error { return unix.Munmap(b.mem) }

// Interface checks.
var (
	_ core.Source              = (*Loader)(nil)
	_ core.Aggregator          = (*Loader)(nil)
	_ core.HistogramAggregator = (*Loader)(nil)
	_ core.TriggerSource       = (*Loader)(nil)
)
