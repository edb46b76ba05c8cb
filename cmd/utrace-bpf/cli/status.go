package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

// statusDir holds one unix socket per running utrace-bpf, named by its pid.
// The directory is root's and mode 0700, the sockets 0600: the status shows
// what other processes do.
const statusDir = "/run/utrace-bpf"

// Status is what a running instance reports.
type Status struct {
	Pid     int            `json:"pid"`
	Mode    string         `json:"mode"`
	Config  string         `json:"config"`
	Engines []string       `json:"engines"`
	Threads []ThreadStatus `json:"threads"`
	Lost    map[string]uint64
	Events  uint64 `json:"events_delivered"`
}

// ThreadStatus is one traced thread.
type ThreadStatus struct {
	Tid     int            `json:"tid"`
	Pid     int            `json:"pid"`
	Stopped bool           `json:"stopped"`
	Engines []EngineStatus `json:"engines"`
}

// EngineStatus is one engine on a thread and the tier it costs.
type EngineStatus struct {
	Name   string `json:"name"`
	Tier   string `json:"tier"` // in-kernel, passive, synchronous
	Events string `json:"events"`
}

type statusServer struct {
	ln   net.Listener
	path string
}

// startStatus serves the session's status; failing to do so is only a
// warning (tracing matters more).
func startStatus(s *session) *statusServer {
	if err := os.MkdirAll(statusDir, 0o700); err != nil {
		s.out.Warn("status socket: %v", err)
		return nil
	}
	os.Chmod(statusDir, 0o700)
	path := filepath.Join(statusDir, strconv.Itoa(os.Getpid())+".sock")
	os.Remove(path)
	old := unix.Umask(0o177)
	ln, err := net.Listen("unix", path)
	unix.Umask(old)
	if err != nil {
		s.out.Warn("status socket: %v", err)
		return nil
	}
	srv := &statusServer{ln: ln, path: path}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			json.NewEncoder(conn).Encode(s.snapshot())
			conn.Close()
		}
	}()
	return srv
}

func (srv *statusServer) close() {
	if srv != nil {
		srv.ln.Close()
		os.Remove(srv.path)
	}
}

func (s *session) snapshot() Status {
	st := Status{Pid: os.Getpid(), Mode: s.mode, Config: s.cfg.File, Lost: map[string]uint64{}}
	for _, e := range s.stages {
		st.Engines = append(st.Engines, e.Name())
	}
	for _, th := range s.tr.Threads() {
		ts := ThreadStatus{Tid: th.Tid, Pid: th.Tgid, Stopped: th.Stopped}
		for _, e := range th.Engines {
			name := fmt.Sprintf("%T", e.Ops)
			if n, ok := e.Ops.(pipeline.Stage); ok {
				name = n.Name()
			}
			ts.Engines = append(ts.Engines, EngineStatus{Name: name, Tier: tierOf(e).String(), Events: e.Events.String()})
		}
		st.Threads = append(st.Threads, ts)
	}
	sort.Slice(st.Threads, func(i, j int) bool { return st.Threads[i].Tid < st.Threads[j].Tid })
	if ls, err := s.ldr.Stats(); err == nil {
		all := ls.For(core.EventAll)
		st.Events = all.Delivered
		for i := range 14 {
			ev := core.Events(1) << i
			if l := ls.For(ev).Lost; l > 0 {
				st.Lost[ev.String()] = l
			}
		}
	}
	return st
}

// tier is what an engine costs the thread it is attached to, cheapest
// first.
type tier uint8

const (
	tierKernel      tier = iota // counts in the kernel, no event leaves it
	tierPassive                 // events through the ring buffer
	tierSynchronous             // ptrace stops
	nrTiers
)

func (t tier) String() string { return [...]string{"in-kernel", "passive", "synchronous"}[t] }

// tierOf is the tier an engine's needs on a thread put it in.
func tierOf(e core.EngineStatus) tier {
	switch {
	case e.Sync != 0 || e.WantsStop:
		return tierSynchronous
	case e.Events&^core.EventClone == 0:
		return tierKernel
	}
	return tierPassive
}

// threadTier is the tier of a thread: its costliest engine's.
func threadTier(th core.ThreadStatus) tier {
	t := tierKernel
	for _, e := range th.Engines {
		t = max(t, tierOf(e))
	}
	return t
}

func statusCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "show running utrace-bpf instances: threads, engines, tiers, losses",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			// The directory is root's and 0700: another user cannot
			// even list it, and an empty list would tell a lie.
			ents, err := os.ReadDir(statusDir)
			switch {
			case os.IsPermission(err):
				return needRoot()
			case err != nil && !os.IsNotExist(err):
				return fmt.Errorf("status: %w", err)
			}
			var socks []string
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".sock") {
					socks = append(socks, filepath.Join(statusDir, e.Name()))
				}
			}
			if len(socks) == 0 {
				fmt.Println("no utrace-bpf running")
				return nil
			}
			for _, sock := range socks {
				conn, err := net.DialTimeout("unix", sock, time.Second)
				if err != nil {
					if os.IsPermission(err) {
						return needRoot()
					}
					os.Remove(sock) // left by an instance that died
					continue
				}
				var st Status
				err = json.NewDecoder(conn).Decode(&st)
				conn.Close()
				if err != nil {
					continue
				}
				if asJSON {
					json.NewEncoder(os.Stdout).Encode(st)
					continue
				}
				printStatus(st)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// needRoot is status's answer to a user who may not read the sockets.
func needRoot() error {
	return badInput("status: needs root: the status sockets in %s are root's, as what they show is other "+
		"processes' (run sudo utrace-bpf status)", statusDir)
}

func printStatus(st Status) {
	fmt.Printf("utrace-bpf pid %d (%s, %s): engines %s; events delivered %d",
		st.Pid, st.Mode, st.Config, strings.Join(st.Engines, ", "), st.Events)
	if len(st.Lost) > 0 {
		var lost []string
		for k, v := range st.Lost {
			lost = append(lost, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(lost)
		fmt.Printf(", lost %s", strings.Join(lost, ", "))
	}
	fmt.Println()
	for _, th := range st.Threads {
		var es []string
		for _, e := range th.Engines {
			es = append(es, fmt.Sprintf("%s[%s]", e.Name, e.Tier))
		}
		state := ""
		if th.Stopped {
			state = " stopped"
		}
		fmt.Printf("  tid %d (pid %d)%s: %s\n", th.Tid, th.Pid, state, strings.Join(es, " "))
	}
}

// waitGone returns when process pid has exited.
func waitGone(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != unix.EINTR {
			return
		}
	}
}
