package loader

// The layout of bpf/utrace.h, mirrored. Records are decoded from these
// offsets with encoding/binary; abi_test.go checks them against the types
// bpf2go generated from the object's BTF.

// Event numbers (enum utrace_event) are the bit numbers of core.Events.
const (
	evReap        = 1
	evClone       = 2
	evExec        = 3
	evExit        = 4
	evDeath       = 5
	evSyscallExit = 7
	evJctl        = 13
	nrEvents      = 14
)

// task_flags.opts
const (
	optFollow        = 0x1
	optSyscallFilter = 0x2
	optCommFilter    = 0x4
	optExitEntries   = 0x8
	optCapture       = 0x10
	optEnterTime     = 0x20
	optFdPaths       = 0x40
	optFdDetail      = 0x80
)

// rec_hdr.flags
const (
	recDeliver     = 0x1
	recInherited   = 0x2
	recNeedSyscall = 0x4
	recNeedJctl    = 0x8
	recCounted     = 0x10
	recFinalStats  = 0x20
	recNeedTrigger = 0x40
	recUnfinished  = 0x80
	recDiscarded   = 0x100
	recInSyscall   = 0x200
	recTargeted    = 0x400
)

// The tid bitmap: two bits per tid modulo tidBitsTids.
const (
	tidBitsTids   = 65536
	tidBitsWords  = tidBitsTids / 32
	tidBitSyscall = 0x1
	tidBitCount   = 0x2
)

// Slots of the counters map after the per-event loss counters.
const (
	cntInheritFailed = nrEvents
	cntStatsFailed   = nrEvents + 1
	cntTrigFired     = nrEvents + 2
	cntTrigStoreFail = nrEvents + 3
	cntTrigReplaced  = nrEvents + 4
	cntTrigSignalErr = nrEvents + 5
	cntTargetFailed  = nrEvents + 6
	nrCounters       = nrEvents + 7
)

// Triggers: per thread at most trigMax, path prefixes of at most
// trigPrefixLen bytes.
const (
	trigMax       = 8
	trigPrefixLen = 64
)

const (
	syscallMax = 512
	commLen    = 16
)

// Target rules (struct target_rule): at most targetMax, patterns of fewer
// than targetPatLen bytes, fields by TGT_* bit.
const (
	targetMax    = 32
	targetPatLen = 128

	tgtComm   = 0x1
	tgtExe    = 0x2
	tgtUID    = 0x4
	tgtGID    = 0x8
	tgtCgroup = 0x10
	tgtPid    = 0x20
	tgtPpid   = 0x40
)

// Captures: items per call and phase (CAP_ITEMS), the unconditional
// cap_item.cond_arg (COND_NONE) and the one for exit items copied only
// when a signal interrupted the call (COND_INTR), and the bound of one
// region's bytes.
const (
	capItems  = 6
	condNone  = 0xff
	condIntr  = 0xfe
	regionMax = 8192
)

// Offsets and sizes of the records.
const (
	// rec_hdr
	offType   = 0
	offFlags  = 4
	offTid    = 8
	offTgid   = 12
	offTime   = 16
	recHdrLen = 24

	// rec_syscall, then its regions
	offSysNr        = 24
	offSysRet       = 32
	offSysArgs      = 40
	offSysEnterTime = 88
	offSysSP        = 96
	offSysSize      = 104
	offSysNregion   = 108
	offSysResumes   = 110
	recSyscallLen   = 112

	// rec_region, then its bytes padded to 8
	offRegionAddr  = 0
	offRegionLen   = 8
	offRegionFlags = 12
	recRegionLen   = 16

	// rec_signal
	offSigSigno  = 24
	offSigCode   = 28
	offSigErrno  = 32
	offSigSender = 36
	offSigInfo   = 40
	sigInfoLen   = 48
	recSignalLen = 88

	// rec_clone
	offCloneChild  = 24
	offCloneThread = 28
	offCloneFlags  = 32
	offCloneNtrig  = 40
	offCloneTrigNr = 44
	offCloneTarget = 60
	recCloneLen    = 64

	// rec_exec
	offExecOldTid    = 24
	offExecTarget    = 28
	offExecRet       = 32
	offExecPpid      = 40
	offExecUID       = 44
	offExecGID       = 48
	offExecArgsLen   = 52
	offExecCgroup    = 56
	offExecArgsTrunc = 64
	offExecComm      = 72
	offExecFilename  = 88
	offExecArgs      = 344
	argsLen          = 1024
	recExecLen       = 1368

	// rec_exit
	offExitCode      = 24
	offExitGroupDead = 28
	offExitStart     = 32
	offExitPpid      = 40
	offExitComm      = 48
	recExitLen       = 64

	// rec_jctl
	offJctlType   = 24
	offJctlNotify = 28
	offJctlSigno  = 32
	recJctlLen    = 40
)
