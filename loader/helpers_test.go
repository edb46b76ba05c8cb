package loader_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/loader"
)

// needRoot skips a test that needs the real kernel, but only outside CI:
// in CI it must run.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 && os.Getenv("CI") == "" {
		t.Skip("needs root to load BPF programs (CI unset, so skipping)")
	}
}

// collector gathers delivered events.
type collector struct {
	mu     sync.Mutex
	events []core.Event
}

func (c *collector) deliver(ev *core.Event) {
	e := *ev
	// Regions are valid during the callback only: keep copies.
	e.Syscall.Regions = nil
	for _, r := range ev.Syscall.Regions {
		r.Data = append([]byte(nil), r.Data...)
		e.Syscall.Regions = append(e.Syscall.Regions, r)
	}
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

// snapshot returns the events gathered so far.
func (c *collector) snapshot() []core.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]core.Event(nil), c.events...)
}

// of returns the events gathered so far about the threads of process tgid.
func (c *collector) of(tgid int) []core.Event {
	var r []core.Event
	for _, ev := range c.snapshot() {
		if ev.Tgid == tgid {
			r = append(r, ev)
		}
	}
	return r
}

// waitFor waits until some gathered event satisfies pred.
func (c *collector) waitFor(t *testing.T, what string, pred func(*core.Event) bool) core.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range c.snapshot() {
			if pred(&ev) {
				return ev
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; got:\n%s", what, dump(c.snapshot()))
	return core.Event{}
}

// start loads a Loader with opts, starts its reader into a new collector,
// and closes it at the end of the test.
func start(t *testing.T, opts *loader.Options) (*loader.Loader, *collector) {
	t.Helper()
	return startWith(t, opts, nil)
}

// startWith is start with a hook that sees each event, on the reader's
// goroutine, before the collector gathers it.
func startWith(t *testing.T, opts *loader.Options, hook func(*loader.Loader, *core.Event)) (*loader.Loader, *collector) {
	t.Helper()
	needRoot(t)
	l, err := loader.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	c := &collector{}
	deliver := c.deliver
	if hook != nil {
		deliver = func(ev *core.Event) {
			hook(l, ev)
			c.deliver(ev)
		}
	}
	if err := l.Start(deliver); err != nil {
		t.Fatal(err)
	}
	return l, c
}

func flush(t *testing.T, l *loader.Loader) {
	t.Helper()
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
}

func describe(ev *core.Event) string {
	s := fmt.Sprintf("%-13s tid=%d tgid=%d", ev.Type, ev.Tid, ev.Tgid)
	switch {
	case ev.Type&core.EventSyscall != 0:
		s += fmt.Sprintf(" nr=%d ret=%d path=%q", ev.Syscall.Nr, ev.Syscall.Ret, pathOf(ev))
	case ev.Type&core.EventSignalAll != 0:
		sig := ev.Signal
		sig.Info = [48]byte{} // the siginfo's fields are checked by the tests that care
		s += fmt.Sprintf(" %+v", sig)
	case ev.Type == core.EventClone:
		s += fmt.Sprintf(" %+v", ev.Clone)
	case ev.Type == core.EventExec:
		// The process facts are checked by TestProcessFacts.
		x := ev.Exec
		s += fmt.Sprintf(" {Filename:%s OldTid:%d Ret:%d Target:%d}", x.Filename, x.OldTid, x.Ret, x.Target)
	case ev.Type&(core.EventExit|core.EventDeath) != 0:
		x := ev.Exit
		s += fmt.Sprintf(" {Code:%d OrigCode:%d GroupDead:%v}", x.Code, x.OrigCode, x.GroupDead)
	case ev.Type == core.EventJctl:
		s += fmt.Sprintf(" %+v", ev.Jctl)
	}
	return s
}

// pathOf returns the path argument a syscall event carries: the one a
// synchronous report read, or, for passive events with Capture, the
// region at the argument sysabi.PathArg names.
func pathOf(ev *core.Event) string {
	if ev.Syscall.Path != "" {
		return ev.Syscall.Path
	}
	idx, ok := sysabi.PathArg(ev.Syscall.Nr)
	if !ok {
		return ""
	}
	for _, r := range ev.Syscall.Regions {
		if r.Addr == ev.Syscall.Args[idx] && r.Flags&core.RegionString != 0 && r.Flags&core.RegionFault == 0 {
			return string(r.Data)
		}
	}
	return ""
}

func dump(evs []core.Event) string {
	var b strings.Builder
	for i := range evs {
		b.WriteString("  ")
		b.WriteString(describe(&evs[i]))
		b.WriteByte('\n')
	}
	return b.String()
}

func syscallSet(nrs ...int) *core.SyscallSet {
	var s core.SyscallSet
	for _, nr := range nrs {
		s.Add(nr)
	}
	return &s
}

func describeAll(evs []core.Event) []string {
	r := make([]string, len(evs))
	for i := range evs {
		r[i] = describe(&evs[i])
	}
	return r
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func join(s []string) string { return "  " + strings.Join(s, "\n  ") }

// threadsOf lists the tids of process pid.
func threadsOf(t *testing.T, pid int) []int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var tids []int
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		tids = append(tids, tid)
	}
	return tids
}
