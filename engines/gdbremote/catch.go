package gdbremote

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// gdb's catch syscall (QCatchSyscalls): while gdb catches system calls,
// every thread reports their entries and exits synchronously, filtered by
// the core to the numbers gdb listed, and a matching one stops the
// process with a syscall_entry or syscall_return stop reply.
//
// How much the other calls cost depends on how the process is traced. A
// program run launches under a seccomp filter stops only at the calls the
// filter lists: the engine's syscalls option names the calls gdb may
// catch, and they go into the filter (the engine asks for them in its
// Needs), so the others cost nothing. Without a filter (an attached
// process, or a launch where no engine named calls) the stopper stops at
// every call while gdb catches some, as gdbserver does: the kernel
// triggers that spare attached processes that cost stop a thread only
// after a call, and gdb needs its entry too.

// parseCatch parses QCatchSyscalls' arguments: "0" (off), "1" (every
// call) or "1;NR;NR..." (hex numbers). set is nil for every call.
func parseCatch(args string) (on bool, set *core.SyscallSet, err error) {
	first, list, _ := strings.Cut(args, ";")
	switch first {
	case "0":
		if list != "" {
			return false, nil, fmt.Errorf("QCatchSyscalls:0 with a list")
		}
		return false, nil, nil
	case "1":
	default:
		return false, nil, fmt.Errorf("QCatchSyscalls:%s", first)
	}
	if list == "" {
		return true, nil, nil
	}
	set = new(core.SyscallSet)
	for f := range strings.SplitSeq(list, ";") {
		nr, err := strconv.ParseUint(f, 16, 16)
		if err != nil || nr >= 512 {
			return false, nil, fmt.Errorf("QCatchSyscalls: bad number %q", f)
		}
		set.Add(int(nr))
	}
	return true, set, nil
}

// catchSyscalls answers QCatchSyscalls: it changes what every thread
// reports. The threads are held: gdb sends it before resuming.
func (s *session) catchSyscalls(args string) string {
	on, set, err := parseCatch(args)
	if err != nil {
		return errBadPacket
	}
	g := s.g
	g.mu.Lock()
	g.catching, g.catchSet = on, set
	pid, launched, declared := g.target, g.launched, g.declared
	g.mu.Unlock()
	if on && launched && underSeccomp(pid) {
		// Only the calls the launch's filter lists can stop.
		var missing []string
		for nr := range 512 {
			if (set == nil || set.Has(nr)) && !declared.Has(nr) {
				missing = append(missing, sysabi.Name(nr))
			}
		}
		if set == nil {
			missing = []string{"every call"}
		}
		if len(missing) > 0 {
			g.Out.Warn("%s: catch syscall: the program runs under a seccomp filter, which may not stop it for %s; name the calls in -e gdbremote:syscalls=...",
				g.Name(), strings.Join(missing, ", "))
		}
	}
	if !s.started {
		return "OK" // the session's start asks for it
	}
	for _, t := range g.live() {
		g.setNeeds(t.e, true, false)
	}
	return "OK"
}

// underSeccomp reports whether process pid runs under a seccomp filter.
func underSeccomp(pid int) bool {
	s, err := procfs.Process(pid).Status()
	if err != nil {
		return false
	}
	mode, err := s.Int("Seccomp")
	return err == nil && mode == 2 // SECCOMP_MODE_FILTER
}

// ReportSyscallEntry and ReportSyscallExit come while gdb catches system
// calls, for the ones it listed: the thread stops for gdb, unless it is
// stepping (gdb steps over a system call instruction in one step, as a
// ptrace single step does).
func (g *stub) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	return g.syscallStop(e, ev, whySyscallEntry)
}

func (g *stub) ReportSyscallExit(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	return g.syscallStop(e, ev, whySyscallReturn)
}

func (g *stub) syscallStop(e *core.Engine, ev *core.Event, w why) core.Action {
	g.Count()
	g.mu.Lock()
	t := g.threads[e]
	if t != nil && w == whySyscallReturn && t.vforkWait != 0 && ev.Sync && slices.Contains(vforkCalls, ev.Syscall.Nr) {
		t.vforkWait = 0
		t.want = true
		g.post(event0(t, stopInfo{why: whyVforkDone}))
		active := g.active
		g.mu.Unlock()
		g.setNeeds(e, active, false) // no more exits
		return core.Stop
	}
	defer g.mu.Unlock()
	switch {
	case t == nil:
		return core.Resume
	case !ev.Sync || !g.active || !g.catching || t.stepping ||
		g.catchSet != nil && !g.catchSet.Has(ev.Syscall.Nr):
		return t.resume()
	}
	t.want = true
	g.post(event0(t, stopInfo{why: w, sysNr: ev.Syscall.Nr}))
	return core.Stop
}
