package loader

import (
	"math/bits"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"golang.org/x/sys/unix"
)

const capLenRet = uint8(sysabi.CapLenRet)

// The hand-written offsets of abi.go agree with the layout bpf2go generated
// from the object's BTF, and the event numbers with core's bits.
func TestABI(t *testing.T) {
	var (
		hdr   utraceRecHdr
		sys   utraceRecSyscall
		reg   utraceRecRegion
		cs    utraceCallState
		spec  utraceCapSpec
		sig   utraceRecSignal
		cl    utraceRecClone
		ex    utraceRecExec
		exit  utraceRecExit
		jc    utraceRecJctl
		fl    utraceTaskFlags
		st    utraceSyscallStats
		te    utraceTrigEntry
		tp    utraceTrigPending
		rule  utraceTargetRule
		tconf utraceTargetConf
		hist  utraceSyscallHist
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
		{"syscall.enter_time", unsafe.Offsetof(sys.EnterTime), offSysEnterTime},
		{"syscall.sp", unsafe.Offsetof(sys.Sp), offSysSP},
		{"syscall.size", unsafe.Offsetof(sys.Size), offSysSize},
		{"syscall.nregion", unsafe.Offsetof(sys.Nregion), offSysNregion},
		{"syscall.resumes", unsafe.Offsetof(sys.Resumes), offSysResumes},
		{"sizeof syscall", unsafe.Sizeof(sys), recSyscallLen},
		{"region.addr", unsafe.Offsetof(reg.Addr), offRegionAddr},
		{"region.len", unsafe.Offsetof(reg.Len), offRegionLen},
		{"region.flags", unsafe.Offsetof(reg.Flags), offRegionFlags},
		{"sizeof region", unsafe.Sizeof(reg), recRegionLen},
		{"cap_spec.entry items", uintptr(len(spec.Entry)), capItems},
		{"cap_spec.exit items", uintptr(len(spec.Exit)), capItems},
		{"call_state.buf alignment", unsafe.Offsetof(cs.Buf) % 8, 0},
		{"signal.signo", unsafe.Offsetof(sig.Signo), offSigSigno},
		{"signal.code", unsafe.Offsetof(sig.Code), offSigCode},
		{"signal.si_errno", unsafe.Offsetof(sig.SiErrno), offSigErrno},
		{"signal.sender", unsafe.Offsetof(sig.Sender), offSigSender},
		{"signal.info", unsafe.Offsetof(sig.Info), offSigInfo},
		{"signal.info size", unsafe.Sizeof(sig.Info), sigInfoLen},
		{"sizeof signal", unsafe.Sizeof(sig), recSignalLen},
		{"clone.child", unsafe.Offsetof(cl.Child), offCloneChild},
		{"clone.thread", unsafe.Offsetof(cl.Thread), offCloneThread},
		{"clone.flags", unsafe.Offsetof(cl.Flags), offCloneFlags},
		{"clone.ntrig", unsafe.Offsetof(cl.Ntrig), offCloneNtrig},
		{"clone.trig_nr", unsafe.Offsetof(cl.TrigNr), offCloneTrigNr},
		{"clone.trig_nr entries", uintptr(len(cl.TrigNr)), trigMax},
		{"clone.target", unsafe.Offsetof(cl.Target), offCloneTarget},
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
		{"exec.target", unsafe.Offsetof(ex.Target), offExecTarget},
		{"exec.ret", unsafe.Offsetof(ex.Ret), offExecRet},
		{"exec.ppid", unsafe.Offsetof(ex.Ppid), offExecPpid},
		{"exec.uid", unsafe.Offsetof(ex.Uid), offExecUID},
		{"exec.gid", unsafe.Offsetof(ex.Gid), offExecGID},
		{"exec.args_len", unsafe.Offsetof(ex.ArgsLen), offExecArgsLen},
		{"exec.cgroup", unsafe.Offsetof(ex.Cgroup), offExecCgroup},
		{"exec.args_trunc", unsafe.Offsetof(ex.ArgsTrunc), offExecArgsTrunc},
		{"exec.comm", unsafe.Offsetof(ex.Comm), offExecComm},
		{"exec.filename", unsafe.Offsetof(ex.Filename), offExecFilename},
		{"exec.args", unsafe.Offsetof(ex.Args), offExecArgs},
		{"exec.args size", unsafe.Sizeof(ex.Args), argsLen},
		{"sizeof exec", unsafe.Sizeof(ex), recExecLen},
		{"exit.code", unsafe.Offsetof(exit.Code), offExitCode},
		{"exit.group_dead", unsafe.Offsetof(exit.GroupDead), offExitGroupDead},
		{"exit.start_time", unsafe.Offsetof(exit.StartTime), offExitStart},
		{"exit.ppid", unsafe.Offsetof(exit.Ppid), offExitPpid},
		{"exit.comm", unsafe.Offsetof(exit.Comm), offExitComm},
		{"sizeof exit", unsafe.Sizeof(exit), recExitLen},
		{"jctl.type", unsafe.Offsetof(jc.Type), offJctlType},
		{"jctl.notify", unsafe.Offsetof(jc.Notify), offJctlNotify},
		{"jctl.signo", unsafe.Offsetof(jc.Signo), offJctlSigno},
		{"sizeof jctl", unsafe.Sizeof(jc), recJctlLen},
		{"task_flags.comm", unsafe.Sizeof(fl.Comm), commLen},
		{"task_flags.syscalls bits", unsafe.Sizeof(fl.Syscalls) * 8, syscallMax},
		{"syscall_stats entries", uintptr(len(st.Nr)), syscallMax},
		{"syscall_hist slots", uintptr(len(hist.Slot)), core.HistogramSlots},
		{"target_rule.comm_pat", unsafe.Sizeof(rule.CommPat), targetPatLen},
		{"target_rule.exe_pat", unsafe.Sizeof(rule.ExePat), targetPatLen},
		{"target_conf.count_set bits", unsafe.Sizeof(tconf.CountSet) * 8, syscallMax},
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
	if decode(b, 7, &ev) {
		t.Fatal("a syscall record with no size decoded")
	}
	want := core.Event{Type: core.EventSyscallExit, Tid: 12, Tgid: 10, Time: 99,
		Syscall: core.Syscall{Nr: unix.SYS_GETPPID, Ret: -2, Args: [6]uint64{5: 6}, Resumes: -1}}
	le.PutUint32(b[offSysSize:], recSyscallLen)
	if !decode(b, 7, &ev) {
		t.Fatal("decode failed")
	}
	ev.Syscall.Regions = nil
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("decoded %+v, want %+v", ev, want)
	}

	// Two regions: a string and output bytes, each padded to 8.
	rb := append([]byte(nil), b...)
	region := func(addr uint64, data string, flags uint16) {
		h := make([]byte, recRegionLen)
		le.PutUint64(h[offRegionAddr:], addr)
		le.PutUint32(h[offRegionLen:], uint32(len(data)))
		le.PutUint16(h[offRegionFlags:], flags)
		rb = append(rb, h...)
		rb = append(rb, data...)
		rb = append(rb, make([]byte, (8-len(data)%8)%8)...)
	}
	region(0x1000, "/etc/hostname", uint16(core.RegionString))
	region(0x2000, "vm\n", uint16(core.RegionExit))
	le.PutUint32(rb[offSysSize:], uint32(len(rb)))
	le.PutUint16(rb[offSysNregion:], 2)
	if !decode(rb, 7, &ev) {
		t.Fatal("decode of a record with regions failed")
	}
	wantRegions := []core.Region{{Addr: 0x1000, Data: []byte("/etc/hostname"), Flags: core.RegionString},
		{Addr: 0x2000, Data: []byte("vm\n"), Flags: core.RegionExit}}
	if !reflect.DeepEqual(ev.Syscall.Regions, wantRegions) {
		t.Errorf("regions %+v, want %+v", ev.Syscall.Regions, wantRegions)
	}
	le.PutUint16(rb[offSysNregion:], 3)
	if decode(rb, 7, &ev) {
		t.Error("a record with fewer regions than it says decoded")
	}
	le.PutUint32(rb[offSysSize:], uint32(len(rb)+8))
	if decode(rb, 7, &ev) {
		t.Error("a record shorter than its size decoded")
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
	if err != nil || o.RingSize != DefaultRingSize() || o.WakeupBytes != defaultWakeupBytes || o.PollInterval != defaultPollInterval {
		t.Errorf("defaults %+v, %v", o, err)
	}
	if n := DefaultRingSize(); n < 8<<20 || n > 64<<20 || n&(n-1) != 0 {
		t.Errorf("default ring size %d: want a power of two in [8 MiB, 64 MiB]", n)
	}
	o, _ = (&Options{RingSize: 16 << 10}).withDefaults()
	if o.WakeupBytes != 4<<10 {
		t.Errorf("wakeup threshold %d for a 16 KiB ring, want 4 KiB", o.WakeupBytes)
	}
}

// The capture table the loader gives the programs is sysabi's: every
// call's path argument and captures, none over the programs' bounds; and
// the trigger comparisons are numbered as core.RetOp.
func TestCapSpecs(t *testing.T) {
	specs, err := capSpecs()
	if err != nil {
		t.Fatal(err)
	}
	for nr := range syscallMax {
		sp := &specs[nr]
		idx, ok := sysabi.PathArg(nr)
		if ok != (sp.PathArg != 0) || ok && int(sp.PathArg) != idx+1 {
			t.Errorf("%s: path_arg %d, sysabi.PathArg %d %v", sysabi.Name(nr), sp.PathArg, idx, ok)
		}
		caps := sysabi.Captures(nr)
		if int(sp.Nentry)+int(sp.Nexit) != len(caps) {
			t.Errorf("%s: %d+%d items, sysabi has %d captures", sysabi.Name(nr), sp.Nentry, sp.Nexit, len(caps))
		}
		for _, it := range append(sp.Entry[:sp.Nentry:sp.Nentry], sp.Exit[:sp.Nexit]...) {
			if it.How == 0 || it.How > uint8(sysabi.CapStack) || it.Arg >= 6 ||
				it.How != uint8(sysabi.CapStack) && it.Aux >= 6 && it.Aux != 0xff || it.Size > regionMax {
				t.Errorf("%s: capture item %+v out of the programs' bounds", sysabi.Name(nr), it)
			}
		}
	}
	// Spot checks of what the log needs: both paths of symlinkat (the
	// link's is the one triggers match), read's data at exit.
	if sp := &specs[sysabi.MustNumber("symlinkat")]; sp.Nentry != 2 || sp.Entry[0].Arg != 0 || sp.Entry[1].Arg != 2 || sp.PathArg != 3 {
		t.Errorf("symlinkat: %+v", sp)
	}
	if sp := &specs[sysabi.MustNumber("read")]; sp.Nentry != 0 || sp.Nexit != 1 || sp.Exit[0].How != capLenRet {
		t.Errorf("read: %+v", sp)
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

// The numbering of the capture kinds, region flags and record bounds in
// bpf/utrace.h is sysabi's and core's.
func TestCaptureNumbering(t *testing.T) {
	h := mustRead(t, "../bpf/utrace.h")
	def := func(name string) int {
		m := regexp.MustCompile(`#define ` + name + ` (0x[0-9a-f]+|\d+)`).FindSubmatch(h)
		if m == nil {
			t.Fatalf("%s not defined in bpf/utrace.h", name)
		}
		n, _ := strconv.ParseInt(string(m[1]), 0, 64)
		return int(n)
	}
	for name, want := range map[string]sysabi.How{
		"CAP_STRING": sysabi.CapString, "CAP_FIXED": sysabi.CapFixed, "CAP_LEN_ARG": sysabi.CapLenArg,
		"CAP_LEN_RET": sysabi.CapLenRet, "CAP_LEN_PTR": sysabi.CapLenPtr, "CAP_ARRAY": sysabi.CapArray,
		"CAP_STR_ARRAY": sysabi.CapStrArray, "CAP_STR_COUNT": sysabi.CapStrCount, "CAP_IOVEC": sysabi.CapIovec,
		"CAP_MSGHDR": sysabi.CapMsghdr, "CAP_FD_SET": sysabi.CapFdSet, "CAP_DEREF": sysabi.CapDeref,
		"CAP_DIRENTS": sysabi.CapDirents, "CAP_EXEC_NEW": sysabi.CapExecNew, "CAP_STACK": sysabi.CapStack,
	} {
		if got := def(name); got != int(want) {
			t.Errorf("%s is %d in C, %d in sysabi", name, got, want)
		}
	}
	for name, want := range map[string]core.RegionFlags{
		"REG_STRING": core.RegionString, "REG_TRUNC": core.RegionTruncated, "REG_FAULT": core.RegionFault,
		"REG_EXIT": core.RegionExit, "REG_COUNT": core.RegionCount, "REG_EXEC_ARGS": core.RegionExecArgs,
		"REG_EXEC_FN": core.RegionExecFn, "REG_FD_PATH": core.RegionFdPath,
		"REG_FD_NAMED": core.RegionFdNamed, "REG_FD_DEVICE": core.RegionFdDevice, "REG_FD_DELETED": core.RegionFdDeleted,
	} {
		if got := def(name); got != int(want) {
			t.Errorf("%s is %#x in C, %#x in core", name, got, want)
		}
	}
	for name, want := range map[string]int{"OPT_FOLLOW": optFollow, "OPT_SYSCALL_FILTER": optSyscallFilter,
		"OPT_COMM_FILTER": optCommFilter, "OPT_EXIT_ENTRIES": optExitEntries, "OPT_CAPTURE": optCapture,
		"OPT_ENTER_TIME": optEnterTime, "OPT_FD_PATHS": optFdPaths, "OPT_FD_DETAIL": optFdDetail} {
		if got := def(name); got != want {
			t.Errorf("%s is %#x in C, %#x in Go", name, got, want)
		}
	}
	for name, want := range map[string]int{"AUX_RET": sysabi.AuxRet, "COND_NONE": condNone, "COND_INTR": condIntr, "CAP_ITEMS": capItems,
		"REGION_MAX": regionMax, "PATH_MAX": sysabi.PathMax, "SYSCALL_MAX": syscallMax,
		"HIST_SLOTS":  core.HistogramSlots,
		"FD_RET_NONE": int(sysabi.FdNone), "FD_RET_VALUE": int(sysabi.FdValue), "FD_RET_PAIR": int(sysabi.FdPairAt(0))} {
		if got := def(name); got != want {
			t.Errorf("%s is %d in C, %d in Go", name, got, want)
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

// The tracepoint names of the running kernel's system calls are sysabi's:
// every syscalls/sys_enter_NAME in tracefs is some number's NAME, and the
// calls the tests and benchmarks use are there. (Run after a trigger test
// has made sure tracefs is mounted; it mounts it itself otherwise.)
func TestTracepointNames(t *testing.T) {
	if err := ensureTracefs(); err != nil && os.Geteuid() == 0 {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(tracefsMount() + "/events/syscalls")
	if err != nil {
		if os.Geteuid() != 0 && os.Getenv("CI") == "" {
			t.Skipf("tracefs: %v (not root, CI unset)", err)
		}
		t.Fatalf("tracefs: %v", err)
	}
	known := map[string]bool{}
	for _, nr := range sysabi.All() {
		n := sysabi.Tracepoint(nr)
		if known[n] {
			t.Errorf("%s twice in the table", n)
		}
		known[n] = true
	}
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), "sys_enter_")
		if ok && !known[name] {
			t.Errorf("tracepoint syscalls/%s: %s is not in the table", e.Name(), name)
		}
	}
	for nr, name := range map[int]string{0: "read", 2: "open", 4: "newstat", 59: "execve", 110: "getppid", 257: "openat", 435: "clone3", 437: "openat2"} {
		if got := sysabi.Tracepoint(nr); got != name {
			t.Errorf("sysabi.Tracepoint(%d) = %q, want %q", nr, got, name)
		}
	}
}
