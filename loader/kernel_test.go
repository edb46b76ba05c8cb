package loader_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// The probe finds what the running kernel offers; every kernel the loader
// runs on has what Check requires.
func TestProbeKernel(t *testing.T) {
	needRoot(t)
	k := loader.ProbeKernel()
	if err := k.Check(); err != nil {
		t.Fatalf("Check on the running kernel: %v", err)
	}
	if k.Release == "" || !k.BTF || !k.TpBTF || !k.RingBuf || !k.TaskStorage {
		t.Errorf("probe %+v: want a release and every required feature", k)
	}
	if ok, why := k.Triggers(); !ok {
		t.Errorf("kernel triggers unavailable here: %s", why)
	}
}

// A kernel without a required feature gets one line naming it and the
// minimum release, wrapping ErrKernel.
func TestKernelCheckMessage(t *testing.T) {
	k := loader.Kernel{Release: "5.4.0-1", BTF: true, TpBTF: true, RingBuf: true}
	err := k.Check()
	if !errors.Is(err, loader.ErrKernel) {
		t.Fatalf("Check without task storage: %v, want ErrKernel", err)
	}
	msg := err.Error()
	for _, want := range []string{"5.4.0-1", "task storage", "Linux " + loader.MinKernel} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message %q is not one line", msg)
	}
}

// tasks returns the tids of process pid once it has n threads.
func tasks(t *testing.T, pid, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == n {
			var tids []int
			for _, e := range ents {
				tid, _ := strconv.Atoi(e.Name())
				tids = append(tids, tid)
			}
			return tids
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d has %d threads, want %d", pid, len(ents), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// countTasks counts the threads of the system, which the mailbox visits.
func countTasks(t *testing.T) int {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err == nil {
			ents, _ := os.ReadDir("/proc/" + p.Name() + "/task")
			n += len(ents)
		}
	}
	return n
}

// On kernels without PIDFD_THREAD (before 6.9) the task storage of a thread
// that is not a process leader is reached through the task-storage
// mailbox: its flags, its counts and a trigger's pending record. Emulated
// here on any kernel; the kernel matrix runs the loader's tests on 6.1,
// where it is real.
func TestMailboxForThreads(t *testing.T) {
	t.Cleanup(loader.EmulateOldKernel())
	l, _ := start(t, nil)
	bin := progs.Build(t, "gdbthreads")
	p := progs.Start(t, nil, bin, "2")
	p.Go(t)
	var tid int
	for _, id := range tasks(t, p.Pid, 3) {
		if id != p.Pid {
			tid = id
		}
	}

	start := time.Now()
	if err := l.SetWatch(tid, core.Watch{Events: core.EventDeath, Count: true}); err != nil {
		t.Fatal(err)
	}
	t.Logf("watching non-leader thread %d through the mailbox: %v, %d iterator runs (%d tasks on this machine)",
		tid, time.Since(start), loader.MailboxRuns(l), countTasks(t))
	if loader.MailboxRuns(l) == 0 {
		t.Errorf("the flags of non-leader thread %d were set without the mailbox", tid)
	}
	f, err := l.Flags(tid)
	if err != nil {
		t.Fatal(err)
	}
	if f.Events != core.EventDeath || !f.Count {
		t.Errorf("flags of thread %d read back as %+v", tid, f)
	}
	const nrNanosleep, nrClockNanosleep = 35, 230
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := l.SyscallStats(tid)
		if err != nil {
			t.Fatal(err)
		}
		if st[nrNanosleep].Calls+st[nrClockNanosleep].Calls >= 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d counted %v, want nanosleep calls", tid, st)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A trigger fires in the thread; its pending record is taken through
	// the mailbox.
	if err := l.SetWatch(tid, core.Watch{Triggers: []core.Trigger{{Nr: nrClockNanosleep}}}); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, p.Pid)
	ev, ok := l.TakeTrigger(tid)
	if !ok {
		t.Fatalf("thread %d stopped with no trigger pending", tid)
	}
	if ev.Tid != tid || ev.Tgid != p.Pid || ev.Syscall.Nr != nrClockNanosleep {
		t.Errorf("trigger event %+v: want clock_nanosleep of %d/%d", ev, tid, p.Pid)
	}
	if _, ok := l.TakeTrigger(tid); ok {
		t.Error("trigger taken twice")
	}
	if err := l.SetWatch(tid, core.Watch{}); err != nil {
		t.Fatal(err)
	}
	if f, err := l.Flags(tid); err != nil || f.Events != 0 || len(f.Triggers) != 0 {
		t.Errorf("flags after unwatching: %+v, %v", f, err)
	}
	cont(t, p.Pid)
	p.CloseStdin()
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Errorf("gdbthreads exited %v", st)
	}
}

// On kernels whose sched_process_exit has no group_dead (6.12 and before)
// it is derived in the kernel: exactly one DEATH per process has it. (Not
// always the main thread's here, though it joins the others: a thread's
// futex wakes the join before the thread reaches the tracepoint, and the
// first thread through it after the last began to exit claims it.)
// Emulated here; real in the kernel matrix on 6.1 and 6.12.
func TestDerivedGroupDead(t *testing.T) {
	t.Cleanup(loader.EmulateOldKernel())
	l, c := start(t, nil)
	bin := progs.Build(t, "threads")
	for range 5 {
		p := progs.Start(t, nil, bin, "4", "100")
		if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventDeath, Follow: true}); err != nil {
			t.Fatal(err)
		}
		p.Go(t)
		p.Wait(t)
		flush(t, l)
		var deaths, dead int
		for _, ev := range c.of(p.Pid) {
			if ev.Type != core.EventDeath {
				continue
			}
			deaths++
			if ev.Exit.GroupDead {
				dead++
			}
		}
		if deaths != 5 || dead != 1 {
			t.Errorf("%d deaths, %d with group_dead; want 5 and 1", deaths, dead)
		}
	}
}
