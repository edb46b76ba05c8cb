package core

import (
	"fmt"
	"math/bits"
	"strings"
)

// Events is a set of event bits, the Go form of the seed's UTRACE_EVENT(type)
// values. The bit numbers are the seed's, in its order, so that masks stored
// in the BPF per-task flags and those in engines agree.
type Events uint32

// The fourteen utrace events.
const (
	EventQuiesce      Events = 1 << iota // thread is available for examination (synchronous stops only)
	EventReap                            // dead thread reaped; the last event, engines are detached after it
	EventClone                           // clone/fork/vfork just done, reported by the parent
	EventExec                            // execve succeeded
	EventExit                            // thread exit in progress
	EventDeath                           // thread has died
	EventSyscallEntry                    // thread entered the kernel for a system call
	EventSyscallExit                     // thread is returning from a system call
	EventSignal                          // signal delivery will run a user handler
	EventSignalIgn                       // signal delivery is a no-op
	EventSignalStop                      // signal delivery will stop the process
	EventSignalTerm                      // signal delivery will terminate the process
	EventSignalCore                      // signal delivery will dump core
	EventJctl                            // job control stop or continue completed

	numEvents = iota
)

// Groups of events, as in the seed.
const (
	// EventSignalAll is every kind of signal event; all use ReportSignal.
	EventSignalAll = EventSignal | EventSignalIgn | EventSignalStop | EventSignalTerm | EventSignalCore
	// EventSyscall is both syscall events.
	EventSyscall = EventSyscallEntry | EventSyscallExit
	// EventAll is every valid bit.
	EventAll Events = 1<<numEvents - 1
)

// deathEvents are the bits that make the dying thread call back into the
// engines after exit (the seed's DEATH_EVENTS): while one of them is set, a
// death report is on its way and detaching races with it.
const deathEvents = EventDeath | EventQuiesce

var eventNames = [numEvents]string{
	"quiesce", "reap", "clone", "exec", "exit", "death",
	"syscall_entry", "syscall_exit",
	"signal", "signal_ign", "signal_stop", "signal_term", "signal_core",
	"jctl",
}

// groupNames are accepted by ParseEvents in addition to the single events.
var groupNames = map[string]Events{
	"signal_all": EventSignalAll,
	"syscall":    EventSyscall,
	"all":        EventAll,
}

// String returns the lower-case names of the bits joined by "|", e.g.
// "syscall_entry|syscall_exit", or "0" for the empty set. Unknown bits are
// shown in hexadecimal.
func (e Events) String() string {
	if e == 0 {
		return "0"
	}
	if i := bits.TrailingZeros32(uint32(e)); e&(e-1) == 0 && i < numEvents {
		return eventNames[i] // one event: no allocation, for output of every record
	}
	var b strings.Builder
	for rest := e; rest != 0; {
		i := bits.TrailingZeros32(uint32(rest))
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		if i >= numEvents {
			fmt.Fprintf(&b, "%#x", uint32(rest))
			break
		}
		b.WriteString(eventNames[i])
		rest &^= 1 << i
	}
	return b.String()
}

// Single reports whether e holds exactly one event bit.
func (e Events) Single() bool { return e != 0 && e&(e-1) == 0 }

// ParseEvent returns the bit or group named by a lower-case name such as
// "syscall_entry", "signal_all" or "syscall".
func ParseEvent(name string) (Events, error) {
	name = strings.TrimSpace(name)
	for i, n := range eventNames {
		if n == name {
			return 1 << i, nil
		}
	}
	if g, ok := groupNames[name]; ok {
		return g, nil
	}
	return 0, fmt.Errorf("unknown event %q (want one of %s, signal_all, syscall, all)",
		name, strings.Join(eventNames[:], ", "))
}

// ParseEvents parses a list of event names separated by "|", "," or spaces,
// the form String produces and configs use.
func ParseEvents(list string) (Events, error) {
	var mask Events
	for _, f := range strings.FieldsFunc(list, func(r rune) bool {
		return r == '|' || r == ',' || r == ' ' || r == '\t'
	}) {
		ev, err := ParseEvent(f)
		if err != nil {
			return 0, err
		}
		mask |= ev
	}
	return mask, nil
}
