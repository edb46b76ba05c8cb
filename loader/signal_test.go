package loader_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

const (
	siTkill    = -6 // SI_TKILL: raise()
	segvMaperr = 1  // SEGV_MAPERR
)

// Each way a signal can go is classified as utrace does: a handled SIGUSR1
// gives SIGNAL, an ignored one SIGNAL_IGN, default SIGTERM SIGNAL_TERM,
// SIGSEGV SIGNAL_CORE, SIGTSTP SIGNAL_STOP.
func TestSignalClasses(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "signals")

	tests := []struct {
		mode  string
		class core.Events
		signo syscall.Signal
		code  int
		death int // wait status
	}{
		{"handled", core.EventSignal, syscall.SIGUSR1, siTkill, 0},
		{"ignored", core.EventSignalIgn, syscall.SIGUSR1, siTkill, 0},
		{"term", core.EventSignalTerm, syscall.SIGTERM, siTkill, int(syscall.SIGTERM)},
		{"segv", core.EventSignalCore, syscall.SIGSEGV, segvMaperr, int(syscall.SIGSEGV)},
		{"tstp", core.EventSignalStop, syscall.SIGTSTP, siTkill, 0},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			// Its own process group, whose parent (this test) is outside
			// it: not orphaned, so SIGTSTP really stops it.
			p := progs.Start(t, &syscall.SysProcAttr{Setpgid: true}, bin, tt.mode)
			w := core.Watch{Events: core.EventSignalAll | core.EventDeath}
			if err := l.SetWatch(p.Pid, w); err != nil {
				t.Fatal(err)
			}
			p.Go(t)
			c.waitFor(t, "signal "+tt.mode, func(ev *core.Event) bool {
				return ev.Tid == p.Pid && ev.Type&core.EventSignalAll != 0
			})
			if tt.class == core.EventSignalStop {
				syscall.Kill(p.Pid, syscall.SIGCONT)
			}
			p.Wait(t)
			c.waitFor(t, "death", func(ev *core.Event) bool {
				return ev.Tid == p.Pid && ev.Type == core.EventDeath
			})
			flush(t, l)

			sender := 0
			if tt.code == siTkill {
				sender = p.Pid
			}
			want := []string{
				describe(&core.Event{Type: tt.class, Tid: p.Pid, Tgid: p.Pid,
					Signal: core.Signal{Signo: int(tt.signo), Code: tt.code, Sender: sender}}),
			}
			if tt.class == core.EventSignalStop {
				// The SIGCONT that resumed it: ignored by default, so
				// discarded when sent, and reported there.
				want = append(want, describe(&core.Event{Type: core.EventSignalIgn, Tid: p.Pid, Tgid: p.Pid,
					Signal: core.Signal{Signo: int(syscall.SIGCONT), Sender: os.Getpid(), Discarded: true}}))
			}
			want = append(want, describe(&core.Event{Type: core.EventDeath, Tid: p.Pid, Tgid: p.Pid,
				Exit: core.Exit{Code: tt.death, OrigCode: tt.death, GroupDead: true}}))
			if got := describeAll(c.of(p.Pid)); !equal(got, want) {
				t.Errorf("events:\n%s\nwant:\n%s", join(got), join(want))
			}
		})
	}
}

// SIGSTOP and SIGCONT sent to a process give every thread a JCTL
// CLD_STOPPED then a JCTL CLD_CONTINUED; the signal itself is reported once,
// as SIGNAL_STOP, by the thread that dequeued it. For a single thread,
// Notify is exact. The sched_switch program is attached only while a
// thread wants JCTL.
func TestJctl(t *testing.T) {
	for _, threads := range []int{1, 3} {
		t.Run(strconv.Itoa(threads)+"threads", func(t *testing.T) {
			l, c := start(t, nil)
			bin := progs.Build(t, "waiter")

			p := progs.Start(t, &syscall.SysProcAttr{Setpgid: true}, bin, strconv.Itoa(threads))
			if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventJctl | core.EventSignalAll, Follow: true}); err != nil {
				t.Fatal(err)
			}
			if _, jctl := l.Attached(); !jctl {
				t.Error("sched_switch program not attached for a JCTL watch")
			}
			p.Go(t)
			if line := p.ReadLine(t); line != "ready" {
				t.Fatalf("waiter said %q", line)
			}
			tids := threadsOf(t, p.Pid)
			if len(tids) != threads {
				t.Fatalf("%d threads, want %d", len(tids), threads)
			}

			stopAll(t, c, p.Pid, tids)
			syscall.Kill(p.Pid, syscall.SIGCONT)
			for _, tid := range tids {
				c.waitFor(t, "CLD_CONTINUED", func(ev *core.Event) bool {
					return ev.Tid == tid && ev.Type == core.EventJctl && ev.Jctl.Type == core.JctlContinued
				})
			}
			p.Wait(t)
			flush(t, l)

			evs := c.of(p.Pid)
			var stops, conts int
			for _, ev := range evs {
				switch {
				case ev.Type == core.EventSignalStop && ev.Signal.Signo == int(syscall.SIGSTOP):
					stops++
				case ev.Type == core.EventSignalIgn && ev.Signal.Signo == int(syscall.SIGCONT) && ev.Signal.Discarded:
					// SIGCONT's default action is to ignore it (it
					// resumes the process as it is sent): the kernel
					// discards it when sent, and says so.
					conts++
				case ev.Type&core.EventSignalAll != 0:
					t.Errorf("unexpected %s", describe(&ev))
				}
			}
			if stops != 1 || conts != 1 {
				t.Errorf("%d SIGNAL_STOP of SIGSTOP and %d discarded SIGNAL_IGN of SIGCONT, want 1 each:\n%s", stops, conts, dump(evs))
			}
			got := perThread(evs)
			for _, tid := range tids {
				var jctl []string
				for _, s := range got[tid] {
					if strings.HasPrefix(s, "jctl") {
						jctl = append(jctl, s)
					}
				}
				want := []string{
					describe(&core.Event{Type: core.EventJctl, Tid: tid, Tgid: p.Pid, Jctl: core.Jctl{Type: core.JctlStopped, Signo: int(syscall.SIGSTOP)}}),
					describe(&core.Event{Type: core.EventJctl, Tid: tid, Tgid: p.Pid, Jctl: core.Jctl{Type: core.JctlContinued}}),
				}
				if threads == 1 {
					want = []string{
						describe(&core.Event{Type: core.EventJctl, Tid: tid, Tgid: p.Pid, Jctl: core.Jctl{Type: core.JctlStopped, Notify: core.JctlStopped, Signo: int(syscall.SIGSTOP)}}),
						describe(&core.Event{Type: core.EventJctl, Tid: tid, Tgid: p.Pid, Jctl: core.Jctl{Type: core.JctlContinued, Notify: core.JctlContinued}}),
					}
				} else {
					// Notify is a best guess with several threads.
					for i := range jctl {
						jctl[i] = anyNotify.ReplaceAllString(jctl[i], "Notify:0 ")
					}
				}
				if !equal(jctl, want) {
					t.Errorf("thread %d JCTL events:\n%s\nwant:\n%s", tid, join(jctl), join(want))
				}
			}
		})
	}
}

// SIGKILL wakes the threads of a stopped process to die: each reports its
// stop, and none a continue.
func TestJctlKilledWhileStopped(t *testing.T) {
	const threads = 3
	l, c := start(t, nil)
	p := progs.Start(t, &syscall.SysProcAttr{Setpgid: true}, progs.Build(t, "waiter"), strconv.Itoa(threads))
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventJctl | core.EventDeath, Follow: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if line := p.ReadLine(t); line != "ready" {
		t.Fatalf("waiter said %q", line)
	}
	tids := threadsOf(t, p.Pid)
	stopAll(t, c, p.Pid, tids)
	syscall.Kill(p.Pid, syscall.SIGKILL)
	for _, tid := range tids {
		c.waitFor(t, "DEATH", func(ev *core.Event) bool { return ev.Tid == tid && ev.Type == core.EventDeath })
	}
	p.Wait(t)
	flush(t, l)
	for _, ev := range c.of(p.Pid) {
		if ev.Type == core.EventJctl && ev.Jctl.Type != core.JctlStopped {
			t.Errorf("a thread killed while stopped reported %s", describe(&ev))
		}
	}
}

// stopAll sends process pid SIGSTOP and waits for each of its threads
// tids to report its job-control stop.
func stopAll(t *testing.T, c *collector, pid int, tids []int) {
	t.Helper()
	syscall.Kill(pid, syscall.SIGSTOP)
	for _, tid := range tids {
		c.waitFor(t, "CLD_STOPPED", func(ev *core.Event) bool {
			return ev.Tid == tid && ev.Type == core.EventJctl && ev.Jctl.Type == core.JctlStopped
		})
	}
}

// anyNotify matches the Notify field of a described Jctl.
var anyNotify = regexp.MustCompile(`Notify:\d+ `)

// A fatal signal sent to a whole multi-threaded process is turned into a
// SIGKILL of every thread by the kernel; it is reported once, as the
// original signal (SIGNAL_TERM, SIGTERM, sent by us), by the thread the
// kernel picked, and the implicit SIGKILLs are not reported.
func TestSignalFatalToProcess(t *testing.T) {
	l, c := start(t, nil)
	bin := progs.Build(t, "waiter")

	p := progs.Start(t, nil, bin, "3")
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventSignalAll | core.EventDeath, Follow: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if line := p.ReadLine(t); line != "ready" {
		t.Fatalf("waiter said %q", line)
	}
	syscall.Kill(p.Pid, syscall.SIGTERM)
	if st := p.Wait(t); st.Signal() != syscall.SIGTERM {
		t.Fatalf("waiter ended with %v, want death by SIGTERM", st)
	}
	c.waitFor(t, "group death", func(ev *core.Event) bool {
		return ev.Tgid == p.Pid && ev.Type == core.EventDeath && ev.Exit.GroupDead
	})
	flush(t, l)

	var signals, deaths int
	for _, ev := range c.of(p.Pid) {
		switch ev.Type {
		case core.EventSignalTerm:
			signals++
			want := core.Signal{Signo: int(syscall.SIGTERM), Code: 0, Sender: os.Getpid()}
			if ev.Signal != want {
				t.Errorf("got %s, want signal %+v", describe(&ev), want)
			}
		case core.EventDeath:
			deaths++
			if ev.Exit.Code != int(syscall.SIGTERM) {
				t.Errorf("got %s, want code %d", describe(&ev), syscall.SIGTERM)
			}
		default:
			t.Errorf("unexpected %s", describe(&ev))
		}
	}
	if signals != 1 || deaths != 3 {
		t.Errorf("%d signal and %d death events, want 1 and 3:\n%s", signals, deaths, dump(c.of(p.Pid)))
	}
}
