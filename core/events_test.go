package core

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// Seed utrace.h, enum utrace_events: fourteen bits in this order, and the
// SIGNAL_ALL and SYSCALL groups.
func TestEventBitsMatchSeed(t *testing.T) {
	order := []Events{EventQuiesce, EventReap, EventClone, EventExec, EventExit, EventDeath,
		EventSyscallEntry, EventSyscallExit, EventSignal, EventSignalIgn, EventSignalStop,
		EventSignalTerm, EventSignalCore, EventJctl}
	for i, ev := range order {
		if ev != 1<<i {
			t.Errorf("%v = %#x, want bit %d", ev, uint32(ev), i)
		}
	}
	if EventSignalAll != 0x1f00 || EventSyscall != 0xc0 || EventAll != 0x3fff {
		t.Errorf("groups: signal_all %#x syscall %#x all %#x", EventSignalAll, EventSyscall, EventAll)
	}
}

func TestEventsStringAndParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		mask Events
		str  string
	}{
		{"syscall_entry", EventSyscallEntry, "syscall_entry"},
		{"syscall", EventSyscall, "syscall_entry|syscall_exit"},
		{"signal_all", EventSignalAll, "signal|signal_ign|signal_stop|signal_term|signal_core"},
		{"clone, exec|death reap", EventClone | EventExec | EventDeath | EventReap, "reap|clone|exec|death"},
		{"jctl quiesce", EventJctl | EventQuiesce, "quiesce|jctl"},
		{"", 0, "0"},
	} {
		got, err := ParseEvents(tc.in)
		if err != nil || got != tc.mask {
			t.Errorf("ParseEvents(%q) = %v, %v; want %v", tc.in, got, err, tc.mask)
		}
		if s := tc.mask.String(); s != tc.str {
			t.Errorf("%#x.String() = %q, want %q", uint32(tc.mask), s, tc.str)
		}
		back, err := ParseEvents(tc.mask.String())
		if tc.mask != 0 && (err != nil || back != tc.mask) {
			t.Errorf("round trip %v: %v, %v", tc.mask, back, err)
		}
	}
	all, _ := ParseEvents("all")
	if all != EventAll {
		t.Errorf("all = %v", all)
	}
	if _, err := ParseEvents("syscall_entry,bogus"); err == nil {
		t.Error("unknown event name accepted")
	}
	if s := (EventJctl | 1<<20).String(); s != "jctl|0x100000" {
		t.Errorf("unknown bit shown as %q", s)
	}
	if !EventExec.Single() || EventSyscall.Single() || Events(0).Single() {
		t.Error("Single wrong")
	}
}

// Seed utrace.h: resume actions 0..6 with mask 0x0f, signal actions
// 0x00..0x70 with mask 0xf0 and HOLD 0x100, syscall RUN/ABORT 0x00/0x10.
func TestActionEncodingMatchesSeed(t *testing.T) {
	resume := []Action{Stop, Report, Interrupt, SingleStep, BlockStep, Resume, Detach}
	for i, a := range resume {
		if a != Action(i) {
			t.Errorf("%v = %d, want %d", a, a, i)
		}
	}
	signal := []Action{SignalDeliver, SignalIgn, SignalTerm, SignalCore, SignalStop, SignalTSTP, SignalReport, SignalHandler}
	for i, a := range signal {
		if a != Action(i<<4) {
			t.Errorf("signal action %d = %#x", i, uint32(a))
		}
	}
	if ResumeMask != 0x0f || SignalMask != 0xf0 || SignalHold != 0x100 || SyscallMask != 0xf0 ||
		SyscallRun != 0 || SyscallAbort != 0x10 {
		t.Error("masks or syscall actions differ from the seed")
	}
	a := Stop | SignalTerm | SignalHold
	if a.ResumeAction() != Stop || a.SignalAction() != SignalTerm || !a.Held() {
		t.Errorf("accessors on %v", a)
	}
	if (Resume | SyscallAbort).SyscallAction() != SyscallAbort {
		t.Error("SyscallAction")
	}
	for a, s := range map[Action]string{
		Stop | SignalTerm | SignalHold: "stop|signal_term|hold",
		Resume:                         "resume",
		Detach | SignalReport:          "detach|signal_report",
		9:                              "resume(9)",
		Resume | 0x200:                 "resume|0x200",
	} {
		if got := a.String(); got != s {
			t.Errorf("%#x.String() = %q, want %q", uint32(a), got, s)
		}
	}
	if a, err := ParseResumeAction("singlestep"); err != nil || a != SingleStep {
		t.Errorf("ParseResumeAction: %v %v", a, err)
	}
	if a, err := ParseSignalAction("tstp"); err != nil || a != SignalTSTP {
		t.Errorf("ParseSignalAction: %v %v", a, err)
	}
	if _, err := ParseResumeAction("go"); err == nil {
		t.Error("bad resume action accepted")
	}
	if _, err := ParseSignalAction("report"); err == nil {
		t.Error("signal action report is not for engines to choose")
	}
}

// The seed's error codes: every sentinel matches its errno.
func TestErrorsMatchErrno(t *testing.T) {
	for err, errno := range map[error]unix.Errno{
		ErrDetached:   unix.ESRCH,
		ErrAlready:    unix.EALREADY,
		ErrInProgress: unix.EINPROGRESS,
		ErrExist:      unix.EEXIST,
		ErrNotFound:   unix.ENOENT,
		ErrPerm:       unix.EPERM,
		ErrInvalid:    unix.EINVAL,
		ErrAgain:      unix.EAGAIN,
		ErrNoStopper:  unix.EOPNOTSUPP,
	} {
		if !errors.Is(err, errno) {
			t.Errorf("errors.Is(%v, %v) is false", err, errno)
		}
		if errors.Is(err, unix.EBADF) {
			t.Errorf("%v matches EBADF", err)
		}
	}
}

func TestSyscallSet(t *testing.T) {
	var s SyscallSet
	s.Add(0)
	s.Add(257)
	s.Add(511)
	s.Add(512)
	s.Add(-1)
	if !s.Has(0) || !s.Has(257) || !s.Has(511) || s.Has(1) || s.Has(512) || s.Has(-1) {
		t.Errorf("set %v", s)
	}
	if !(&Syscall{Ret: -2}).Failed() || (&Syscall{Ret: 3}).Failed() || (&Syscall{Ret: -5000}).Failed() {
		t.Error("Failed")
	}
}
