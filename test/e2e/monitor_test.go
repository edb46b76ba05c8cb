package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// monitor traces the processes its targets select, system-wide, and
// status shows them with their engines and tiers; the status socket is
// root's only.
func TestMonitorAndStatus(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	prog := filepath.Join(dir, "watchme")
	src := progs.Build(t, "stopee")
	if b, err := os.ReadFile(src); err != nil || os.WriteFile(prog, b, 0o755) != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "monitor.yaml")
	os.WriteFile(cfg, []byte(`targets:
  - comm: "watchme"
engines:
  - type: proctree
  - type: signals
    rules: SIGUSR1=ignore
`), 0o644)
	mon := exec.Command(bin, "monitor", "-c", cfg)
	var out syncBuffer
	mon.Stderr = &out
	waitForLine(t, mon, &out, "utrace-bpf: monitoring:")
	defer mon.Process.Kill()

	// A matching process started after the monitor: it raises SIGUSR1,
	// which the signals engine ignores.
	target := exec.Command(prog, "raise-usr1")
	stdin, _ := target.StdinPipe()
	var tout bytes.Buffer
	target.Stdout = &tout
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	pid := target.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	var st struct {
		Threads []struct {
			Tid     int `json:"tid"`
			Engines []struct {
				Name, Tier string
			} `json:"engines"`
		} `json:"threads"`
	}
	for time.Now().Before(deadline) {
		raw, _ := exec.Command(bin, "status", "--json").Output()
		// One JSON object per running instance; other tests may run some.
		st.Threads = nil
		dec := json.NewDecoder(bytes.NewReader(raw))
		for {
			var one struct {
				Threads []struct {
					Tid     int `json:"tid"`
					Engines []struct {
						Name, Tier string
					} `json:"engines"`
				} `json:"threads"`
			}
			if dec.Decode(&one) != nil {
				break
			}
			st.Threads = append(st.Threads, one.Threads...)
		}
		// Found once the whole pipeline is attached: the monitor
		// attaches the engines one after the other.
		found := false
		for _, th := range st.Threads {
			found = found || th.Tid == pid && len(th.Engines) == 2
		}
		if found {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var tiers []string
	for _, th := range st.Threads {
		if th.Tid == pid {
			for _, e := range th.Engines {
				tiers = append(tiers, e.Name+"="+e.Tier)
			}
		}
	}
	if strings.Join(tiers, " ") != "proctree=passive signals=synchronous" {
		t.Fatalf("status of pid %d: %v (all: %+v)", pid, tiers, st)
	}
	text, _ := exec.Command(bin, "status").Output()
	if !strings.Contains(string(text), "tid "+strconv.Itoa(pid)) || !strings.Contains(string(text), "signals[synchronous]") {
		t.Errorf("status text:\n%s", text)
	}
	fi, err := os.Stat("/run/utrace-bpf")
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("status dir %v %v, want mode 0700", fi.Mode(), err)
	}
	stdin.Write([]byte("\n"))
	if err := target.Wait(); err != nil || !strings.Contains(tout.String(), "alive") {
		t.Errorf("target: %v %q", err, tout.String())
	}
	time.Sleep(100 * time.Millisecond)
	mon.Process.Signal(os.Interrupt)
	if err := mon.Wait(); err != nil {
		t.Fatalf("monitor: %v\n%s", err, out.String())
	}
	log := out.String()
	for _, want := range []string{"--- SIGUSR1", "(ignored)", "exit code 0", "reports: proctree"} {
		if !strings.Contains(log, want) {
			t.Errorf("monitor output lacks %q:\n%s", want, log)
		}
	}
}
