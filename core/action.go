package core

import (
	"fmt"
	"strings"
)

// Action is the value a report callback returns and receives, encoded as in
// the seed: a resume action in the low nibble (ResumeMask), and for signal
// and syscall-entry reports a signal or syscall action in the next nibble,
// plus the SignalHold flag. Combine them with |, e.g. Stop|SignalIgn.
type Action uint32

// Resume actions (utrace_resume_action). Their order matters: when several
// engines choose, the smallest value prevails.
const (
	Stop       Action = iota // stay stopped after the callbacks, until this engine resumes the thread
	Report                   // resume, but make a QUIESCE (or SIGNAL) report soon
	Interrupt                // like Report, and interrupt a blocking system call; ReportSignal follows
	SingleStep               // resume for one user instruction
	BlockStep                // resume until the next branch
	Resume                   // resume normally
	Detach                   // detach this engine; implies Resume

	ResumeMask Action = 0x0f
)

// Signal actions (utrace_signal_action), used with ReportSignal. The action
// passed in says what the signal would do; the one returned says what it
// will do, and is what the next engine sees.
const (
	SignalDeliver Action = 0x00 // deliver according to the signal's disposition
	SignalIgn     Action = 0x10 // ignore the signal
	SignalTerm    Action = 0x20 // terminate the process
	SignalCore    Action = 0x30 // terminate with a core dump
	SignalStop    Action = 0x40 // stop, as SIGSTOP does
	SignalTSTP    Action = 0x50 // job-control stop, as SIGTSTP does
	SignalReport  Action = 0x60 // report requested by Report or Interrupt, before pending signals
	SignalHandler Action = 0x70 // report after a signal handler frame was set up

	SignalMask Action = 0xf0
	// SignalHold pushes the signal back on the queue, to be seen again after
	// whatever happens now.
	SignalHold Action = 0x100
)

// Syscall actions (utrace_syscall_action), used with ReportSyscallEntry.
// The return value of each engine replaces the previous engine's choice.
const (
	SyscallRun   Action = 0x00 // run the system call
	SyscallAbort Action = 0x10 // do not run it; the caller sees Syscall.Ret

	SyscallMask Action = 0xf0
)

// ResumeAction returns the resume-action part of a (utrace_resume_action).
func (a Action) ResumeAction() Action { return a & ResumeMask }

// SignalAction returns the signal-action part of a (utrace_signal_action).
func (a Action) SignalAction() Action { return a & SignalMask }

// SyscallAction returns the syscall-action part of a (utrace_syscall_action).
func (a Action) SyscallAction() Action { return a & SyscallMask }

// Held reports whether the SignalHold flag is set.
func (a Action) Held() bool { return a&SignalHold != 0 }

var resumeNames = [...]string{"stop", "report", "interrupt", "singlestep", "blockstep", "resume", "detach"}

var signalNames = [...]string{"deliver", "ign", "term", "core", "stop", "tstp", "report", "handler"}

// String shows the resume action and, when set, the upper bits in the
// signal-action spelling, e.g. "stop|signal_ign|hold". A syscall abort shows
// as "signal_ign" there, as the two share their encoding; use SyscallAction
// to tell them apart in syscall reports.
func (a Action) String() string {
	r := a.ResumeAction()
	var b strings.Builder
	if int(r) < len(resumeNames) {
		b.WriteString(resumeNames[r])
	} else {
		fmt.Fprintf(&b, "resume(%d)", uint32(r))
	}
	if s := a.SignalAction(); s != 0 {
		b.WriteString("|signal_")
		b.WriteString(signalNames[s>>4])
	}
	if a.Held() {
		b.WriteString("|hold")
	}
	if extra := a &^ (ResumeMask | SignalMask | SignalHold); extra != 0 {
		fmt.Fprintf(&b, "|%#x", uint32(extra))
	}
	return b.String()
}

// ParseResumeAction parses the lower-case name of a resume action.
func ParseResumeAction(name string) (Action, error) {
	for i, n := range resumeNames {
		if n == name {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown resume action %q (want one of %s)", name, strings.Join(resumeNames[:], ", "))
}

// ParseSignalAction parses the lower-case name of a signal action
// ("deliver", "ign", "term", "core", "stop", "tstp").
func ParseSignalAction(name string) (Action, error) {
	for i, n := range signalNames[:6] {
		if n == name {
			return Action(i << 4), nil
		}
	}
	return 0, fmt.Errorf("unknown signal action %q (want one of %s)", name, strings.Join(signalNames[:6], ", "))
}
