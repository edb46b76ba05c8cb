package e2e

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
)

func backends(t *testing.T) (*core.Tracer, *loader.Loader, *stopper.Stopper) {
	return testenv.Backends(t, nil)
}

// holder holds its thread stopped at QUIESCE and logs the final reports.
type holder struct {
	mu  sync.Mutex
	log []string
	got chan string
}

func (h *holder) note(s string) {
	h.mu.Lock()
	h.log = append(h.log, s)
	h.mu.Unlock()
	h.got <- s
}

func (h *holder) ReportQuiesce(e *core.Engine, a core.Action, ev core.Events) core.Action {
	if ev == 0 {
		h.note("quiesce")
	}
	return core.Stop
}

func (h *holder) ReportDeath(e *core.Engine, ev *core.Event) core.Action {
	h.note(fmt.Sprintf("death %#x", ev.Exit.Code))
	return core.Resume
}

func (h *holder) ReportReap(e *core.Engine, ev *core.Event) { h.note("reap") }

// SIGKILL is never delayed: a thread an engine holds stopped still dies,
// DEATH comes before REAP, and REAP detaches the engine.
func TestSigkillHeldThread(t *testing.T) {
	tr, _, _ := backends(t)
	p := progs.Start(t, nil, progs.Build(t, "stopee"), "busy")
	p.ReadLine(t) // ready
	p.Go(t)
	h := &holder{got: make(chan string, 8)}
	e, err := tr.Attach(p.Pid, core.AttachCreate, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetEvents(core.EventQuiesce | core.EventDeath | core.EventReap); err != nil {
		t.Fatal(err)
	}
	if err := e.Control(core.Stop); err != core.ErrInProgress {
		t.Fatalf("stop: %v", err)
	}
	wait := func(want string) {
		t.Helper()
		select {
		case got := <-h.got:
			if !strings.HasPrefix(got, want) {
				t.Fatalf("got %q, want %q (log %v)", got, want, h.log)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s report (log %v)", want, h.log)
		}
	}
	wait("quiesce")
	syscall.Kill(p.Pid, syscall.SIGKILL)
	ws := waitTraced(t, p)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("status %v", ws)
	}
	wait("death 0x9")
	wait("reap")
	if err := e.Control(core.Resume); err != core.ErrDetached {
		t.Errorf("after reap: %v", err)
	}
}

func waitTraced(t *testing.T, p *progs.Proc) syscall.WaitStatus {
	t.Helper()
	testenv.WaitTraced(t, p)
	return p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
}
