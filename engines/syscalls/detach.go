package syscalls

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/engines/sysent"
)

// execDetach is strace's -b execve: a process is no longer traced once it
// calls execve, whether the call would succeed or not; a program the
// tracer launched keeps being traced across the execve that starts it.
// strace detaches at the call's entry; the passive engine learns of the
// call at its exit, before the program it loads runs any instruction the
// log would show (the ring buffer's order), and detaches then.
type execDetach struct {
	mu    sync.Mutex
	first map[int]bool // threads whose next execve is their launch
}

func newExecDetach(spec string) (*execDetach, error) {
	switch spec {
	case "":
		return nil, nil
	case "execve":
		return &execDetach{first: map[int]bool{}}, nil
	}
	return nil, fmt.Errorf("detach_on %q: only execve is supported", spec)
}

// launched says that tid's execve now is the one that starts the program.
func (d *execDetach) launched(tid int) {
	d.mu.Lock()
	d.first[tid] = true
	d.mu.Unlock()
}

// at reports whether exit ev is an execve to detach at.
func (d *execDetach) at(ev *core.Event) bool {
	nr := ev.Syscall.Nr
	if nr != unix.SYS_EXECVE && nr != unix.SYS_EXECVEAT {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.first[ev.Tid] {
		delete(d.first, ev.Tid)
		return false
	}
	return true
}

// detached logs the execve as strace does, its arguments and
// " <detached ...>" (if execve is traced), and leaves the thread.
func (s *syscalls) detached(ev *core.Event) core.Action {
	sc := &ev.Syscall
	m := getRegionMem(ev)
	defer putRegionMem(m)
	if s.selected(ev.Tgid, sc.Nr, m, &sc.Args, 0, false) {
		s.Count()
		at := ev.Time
		if sc.EnterTime != 0 {
			at = sc.EnterTime
		}
		r := s.recordAt(ev, at)
		r.Event = core.EventSyscallEntry
		mem := s.limited(m)
		s.entryView(r, sc.Nr, &sc.Args, mem, pipeline.StrField("detached", "true"),
			func(b []byte, nr int, args [6]uint64, mem sysent.Mem) []byte {
				return append(sysent.FormatCall(b, nr, args, mem), " <detached ...>"...)
			})
		s.Out.Emit(r)
	}
	s.mu.Lock()
	delete(s.pending, ev.Tid)
	delete(s.execAt, ev.Tid)
	s.mu.Unlock()
	s.live.Add(-1)
	return core.Detach
}
