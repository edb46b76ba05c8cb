package loader

import (
	"math/bits"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// The hand-written offsets of abi.go agree with the layout bpf2go generated
// from the object's BTF, and the event numbers with core's bits.
func TestABI(t *testing.T) {
	var (
		hdr  utraceRecHdr
		sys  utraceRecSyscall
		path utraceRecSyscallPath
		sig  utraceRecSignal
		cl   utraceRecClone
		ex   utraceRecExec
		exit utraceRecExit
		jc   utraceRecJctl
		fl   utraceTaskFlags
		st   utraceSyscallStats
		te   utraceTrigEntry
		tp   utraceTrigPending
	)
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"hdr.type", unsafe.Offsetof(hdr.Type), offType},
		{"hdr.flags", unsafe.Offsetof(hdr.Flags), offFlags},
		{"hdr.tid", unsafe.Offsetof(hdr.Tid), offTid},
		{"hdr.tgid", unsafe.Offsetof(hdr.Tgid), offTgid},
		{"hdr.time", unsafe.Offsetof(hdr.Time), offTime},
		{"sizeof hdr", unsafe.Sizeof(hdr), recHdrLen},
		{"syscall.nr", unsafe.Offsetof(sys.Nr), offSysNr},
		{"syscall.ret", unsafe.Offsetof(sys.Ret), offSysRet},
		{"syscall.args", unsafe.Offsetof(sys.Args), offSysArgs},
		{"sizeof syscall", unsafe.Sizeof(sys), recSyscallLen},
		{"syscall_path.path", unsafe.Offsetof(path.Path), offSysPath},
		{"sizeof syscall_path", unsafe.Sizeof(path), recSyscallPathLen},
		{"signal.signo", unsafe.Offsetof(sig.Signo), offSigSigno},
		{"signal.code", unsafe.Offsetof(sig.Code), offSigCode},
		{"signal.si_errno", unsafe.Offsetof(sig.SiErrno), offSigErrno},
		{"signal.sender", unsafe.Offsetof(sig.Sender), offSigSender},
		{"sizeof signal", unsafe.Sizeof(sig), recSignalLen},
		{"clone.child", unsafe.Offsetof(cl.Child), offCloneChild},
		{"clone.thread", unsafe.Offsetof(cl.Thread), offCloneThread},
		{"clone.flags", unsafe.Offsetof(cl.Flags), offCloneFlags},
		{"clone.ntrig", unsafe.Offsetof(cl.Ntrig), offCloneNtrig},
		{"clone.trig_nr", unsafe.Offsetof(cl.TrigNr), offCloneTrigNr},
		{"clone.trig_nr entries", uintptr(len(cl.TrigNr)), trigMax},
		{"task_flags.trig entries", uintptr(len(fl.Trig)), trigMax},
		{"trigger.prefix", unsafe.Sizeof(fl.Trig[0].Prefix), trigPrefixLen},
		{"trigger.prefix alignment", unsafe.Offsetof(fl.Trig) % 8, 0},
		{"trigger.prefix offset alignment", unsafe.Offsetof(fl.Trig[0].Prefix) % 8, 0},
		{"trigger size alignment", unsafe.Sizeof(fl.Trig[0]) % 8, 0},
		{"trig_entry.path alignment", unsafe.Offsetof(te.Path) % 8, 0},
		{"trig_entry.path", unsafe.Sizeof(te.Path), 256},
		{"trig_pending.path", unsafe.Sizeof(tp.Path), 256},
		{"sizeof clone", unsafe.Sizeof(cl), recCloneLen},
		{"exec.old_tid", unsafe.Offsetof(ex.OldTid), offExecOldTid},
		{"exec.filename", unsafe.Offsetof(ex.Filename), offExecFilename},
		{"sizeof exec", unsafe.Sizeof(ex), recExecLen},
		{"exit.code", unsafe.Offsetof(exit.Code), offExitCode},
		{"exit.group_dead", unsafe.Offsetof(exit.GroupDead), offExitGroupDead},
		{"sizeof exit", unsafe.Sizeof(exit), recExitLen},
		{"jctl.type", unsafe.Offsetof(jc.Type), offJctlType},
		{"jctl.notify", unsafe.Offsetof(jc.Notify), offJctlNotify},
		{"sizeof jctl", unsafe.Sizeof(jc), recJctlLen},
		{"task_flags.comm", unsafe.Sizeof(fl.Comm), commLen},
		{"task_flags.syscalls bits", unsafe.Sizeof(fl.Syscalls) * 8, syscallMax},
		{"syscall_stats entries", uintptr(len(st.Nr)), syscallMax},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: BTF says %d, abi.go %d", c.name, c.got, c.want)
		}
	}

	events := []struct {
		nr  int
		bit core.Events
	}{
		{evReap, core.EventReap}, {evClone, core.EventClone}, {evExec, core.EventExec},
		{evExit, core.EventExit}, {evDeath, core.EventDeath}, {evSyscallExit, core.EventSyscallExit},
		{evJctl, core.EventJctl},
	}
	for _, e := range events {
		if core.Events(1)<<e.nr != e.bit {
			t.Errorf("event number %d is not %v", e.nr, e.bit)
		}
	}
	if n := bits.Len32(uint32(core.EventAll)); n != nrEvents {
		t.Errorf("core has %d events, the BPF side %d", n, nrEvents)
	}
	// The C enum's order, by the names core gives its bits.
	cNames := []string{"quiesce", "reap", "clone", "exec", "exit", "death", "syscall_entry", "syscall_exit",
		"signal", "signal_ign", "signal_stop", "signal_term", "signal_core", "jctl"}
	for i, name := range cNames {
		if got := (core.Events(1) << i).String(); got != name {
			t.Errorf("event number %d is %s in core, %s in bpf/utrace.h", i, got, name)
		}
	}
}

// decode refuses records too short for their type, and reads the common
// header and a syscall payload.
func TestDecode(t *testing.T) {
	var ev core.Event
	b := make([]byte, recSyscallLen)
	le.PutUint32(b[offType:], 7) // SYSCALL_EXIT
	le.PutUint32(b[offTid:], 12)
	le.PutUint32(b[offTgid:], 10)
	le.PutUint64(b[offTime:], 99)
	le.PutUint64(b[offSysNr:], 110)
	le.PutUint64(b[offSysRet:], ^uint64(1)) // -2
	le.PutUint64(b[offSysArgs+8*5:], 6)
	if !decode(b, 7, &ev) {
		t.Fatal("decode failed")
	}
	want := core.Event{Type: core.EventSyscallExit, Tid: 12, Tgid: 10, Time: 99,
		Syscall: core.Syscall{Nr: 110, Ret: -2, Args: [6]uint64{5: 6}}}
	if ev != want {
		t.Errorf("decoded %+v, want %+v", ev, want)
	}
	for typ := uint32(1); typ < nrEvents; typ++ {
		if typ == evReap {
			continue
		}
		if decode(b[:recHdrLen], typ, &ev) {
			t.Errorf("type %d decoded from a bare header", typ)
		}
	}
	if !decode(b[:recHdrLen], evReap, &ev) || ev.Type != core.EventReap {
		t.Errorf("REAP not decoded from its header")
	}
	if got := cstring([]byte("abc\x00def")); got != "abc" {
		t.Errorf("cstring = %q", got)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{RingSize: 1000}, {RingSize: 4096, WakeupBytes: 8192}, {PollInterval: -1}} {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o, err := (*Options)(nil).withDefaults()
	if err != nil || o.RingSize != defaultRingSize || o.WakeupBytes != defaultWakeupBytes || o.PollInterval != defaultPollInterval {
		t.Errorf("defaults %+v, %v", o, err)
	}
	o, _ = (&Options{RingSize: 16 << 10}).withDefaults()
	if o.WakeupBytes != 4<<10 {
		t.Errorf("wakeup threshold %d for a 16 KiB ring, want 4 KiB", o.WakeupBytes)
	}
}

// The Go table of calls with a path argument is path_arg() of
// bpf/helpers.h, and the trigger comparisons are numbered as core.RetOp.
func TestPathArgTable(t *testing.T) {
	src, err := os.ReadFile("../bpf/helpers.h")
	if err != nil {
		t.Fatal(err)
	}
	fn := regexp.MustCompile(`(?s)static __always_inline int path_arg\(long nr\)\n\{(.*?)\n\}`).FindSubmatch(src)
	if fn == nil {
		t.Fatal("path_arg not found in bpf/helpers.h")
	}
	var c []int
	for _, m := range regexp.MustCompile(`case (\d+):`).FindAllSubmatch(fn[1], -1) {
		nr, _ := strconv.Atoi(string(m[1]))
		c = append(c, nr)
	}
	var g []int
	for nr := range syscallMax {
		if pathArg(nr) {
			g = append(g, nr)
		}
	}
	slices.Sort(c)
	if !slices.Equal(c, g) {
		t.Errorf("path_arg() in C has %v, pathArg in Go %v", c, g)
	}

	ops := regexp.MustCompile(`#define RET_(\w+) (\d)`).FindAllSubmatch(mustRead(t, "../bpf/utrace.h"), -1)
	want := map[string]core.RetOp{"ANY": core.RetAny, "EQ": core.RetEq, "NE": core.RetNe, "LT": core.RetLt,
		"LE": core.RetLe, "GT": core.RetGt, "GE": core.RetGe}
	if len(ops) != len(want) {
		t.Fatalf("%d RET_ constants in utrace.h, want %d", len(ops), len(want))
	}
	for _, m := range ops {
		if n, _ := strconv.Atoi(string(m[2])); core.RetOp(n) != want[string(m[1])] {
			t.Errorf("RET_%s is %d in C, %d in core", m[1], n, want[string(m[1])])
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The tracepoint names of the running kernel's system calls are in the
// table: every syscalls/sys_enter_NAME in tracefs is some number's NAME,
// and the calls the tests and benchmarks use are there.
func TestTracepointNames(t *testing.T) {
	ents, err := os.ReadDir("/sys/kernel/tracing/events/syscalls")
	if err != nil {
		t.Skipf("tracefs: %v", err)
	}
	known := map[string]bool{}
	for _, n := range tracepointNames {
		if n != "" {
			if known[n] {
				t.Errorf("%s twice in the table", n)
			}
			known[n] = true
		}
	}
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), "sys_enter_")
		if ok && !known[name] {
			t.Errorf("tracepoint syscalls/%s: %s is not in the table", e.Name(), name)
		}
	}
	for nr, name := range map[int]string{0: "read", 2: "open", 4: "newstat", 59: "execve", 110: "getppid", 257: "openat", 435: "clone3", 437: "openat2"} {
		if got := tracepointName(nr); got != name {
			t.Errorf("tracepointName(%d) = %q, want %q", nr, got, name)
		}
	}
}
