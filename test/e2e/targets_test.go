package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// procRecord is a proctree record of the JSON log.
type procRecord struct {
	Event    string   `json:"event"`
	Pid      int      `json:"pid"`
	Engine   string   `json:"engine"`
	Filename string   `json:"filename"`
	Ret      int      `json:"ret"`
	Error    string   `json:"error"`
	Args     []string `json:"args"`
	Comm     string   `json:"comm"`
	Ppid     int      `json:"ppid"`
	ExitCode *int     `json:"exit_code"`
}

// monitor's targets are matched in the kernel as processes exec and fork:
// an untraced shell runs 250 chains of four matching processes, each the
// child of the one before, and 250 chains of four that match nothing.
// Every matching exec and exit is reported, with its argv, parent and
// status, and nothing of the others; a failed exec is reported with its
// return value; bpftrace, where installed, counts the same execs in the
// same run.
func TestMonitorSelectsInKernel(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	chain := progs.Build(t, "execchain")
	for _, name := range []string{"mytgt", "other"} {
		if b, err := os.ReadFile(chain); err != nil || os.WriteFile(filepath.Join(dir, name), b, 0o755) != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "monitor.yaml")
	if err := os.WriteFile(cfg, []byte("targets:\n  - comm: \"myt?t*\"\nengines:\n  - type: proctree\n    tree: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "log.json")

	var bt *exec.Cmd
	var btOut syncBuffer
	if path, err := exec.LookPath("bpftrace"); err == nil {
		bt = exec.Command(path, "-e", `tracepoint:sched:sched_process_exec /comm == "mytgt"/ { @execs = count(); }`)
		bt.Stdout, bt.Stderr = &btOut, os.Stderr
		waitForLine(t, bt, &btOut, "Attaching")
		defer bt.Process.Kill()
	} else {
		t.Log("bpftrace not installed: no count to compare with")
	}

	mon := exec.Command(bin, "monitor", "-c", cfg, "--format", "json", "-o", logFile)
	var monErr syncBuffer
	mon.Stderr = &monErr
	waitForLine(t, mon, &monErr, "utrace-bpf: monitoring:")
	defer mon.Process.Kill()

	const chains, depth = 250, 3
	sh := exec.Command("/bin/sh", "-c", fmt.Sprintf(
		"i=0; while [ $i -lt %d ]; do ./mytgt %d $((i %% 40)); ./other %d $((i %% 40)); i=$((i+1)); done; ./mytgt fail; exit 0",
		chains, depth, depth))
	sh.Dir = dir
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	time.Sleep(200 * time.Millisecond) // the last records on their way
	mon.Process.Signal(os.Interrupt)
	if err := mon.Wait(); err != nil {
		t.Fatalf("monitor: %v\n%s", err, monErr.String())
	}
	if !strings.Contains(monErr.String(), ", lost 0") {
		t.Errorf("the monitor lost events:\n%s", monErr.String())
	}

	execs, deaths := map[int]procRecord{}, map[int]procRecord{}
	var failed []procRecord
	f, err := os.Open(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r procRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Engine != "proctree" {
			continue
		}
		if r.Pid == sh.Process.Pid || strings.Contains(r.Filename, "other") || r.Comm == "other" {
			t.Errorf("a process that matches no target was reported: %s", sc.Text())
		}
		switch {
		case r.Event == "exec" && r.Ret < 0:
			failed = append(failed, r)
		case r.Event == "exec":
			if _, dup := execs[r.Pid]; dup {
				t.Errorf("pid %d exec'd twice: %s", r.Pid, sc.Text())
			}
			execs[r.Pid] = r
		case r.Event == "death":
			deaths[r.Pid] = r
		}
	}

	// Each chain: the shell's child runs "mytgt 3 CODE", its child "mytgt
	// 2 CODE", and so on; each exits with CODE + its depth.
	tops := 0
	for pid, x := range execs {
		if len(x.Args) == 2 && x.Args[1] == "fail" {
			continue
		}
		if len(x.Args) != 3 || x.Args[0] != "./mytgt" || x.Comm != "mytgt" {
			t.Errorf("pid %d: exec %+v", pid, x)
			continue
		}
		d, _ := strconv.Atoi(x.Args[1])
		code, _ := strconv.Atoi(x.Args[2])
		if d == depth {
			tops++
			if x.Ppid != sh.Process.Pid {
				t.Errorf("pid %d: ppid %d, want the shell's %d", pid, x.Ppid, sh.Process.Pid)
			}
		} else if p, ok := execs[x.Ppid]; !ok || p.Args[1] != strconv.Itoa(d+1) || p.Args[2] != x.Args[2] {
			t.Errorf("pid %d (%v): its parent %d is not the chain's process before it (%+v)", pid, x.Args, x.Ppid, p)
		}
		dx, ok := deaths[pid]
		if !ok || dx.ExitCode == nil || *dx.ExitCode != code+d || dx.Ppid != x.Ppid {
			t.Errorf("pid %d (%v): exit %+v, want code %d", pid, x.Args, dx, code+d)
		}
	}
	if want := chains * (depth + 1); len(execs) != want+1 || tops != chains {
		t.Errorf("%d execs reported (%d chains), want %d (%d) and the failing one", len(execs), tops, want+1, chains)
	}
	if len(failed) != 1 || failed[0].Ret != -int(syscall.ENOENT) || failed[0].Error != "ENOENT" ||
		failed[0].Filename != "./nonexistent-prog" || !slices.Equal(failed[0].Args, []string{"nonexistent-prog", "x"}) {
		t.Errorf("failed execs: %+v", failed)
	}

	if bt != nil {
		bt.Process.Signal(os.Interrupt)
		bt.Wait()
		m := regexp.MustCompile(`@execs: (\d+)`).FindStringSubmatch(btOut.String())
		if m == nil {
			t.Fatalf("bpftrace printed no count:\n%s", btOut.String())
		}
		if n, _ := strconv.Atoi(m[1]); n != len(execs) {
			t.Errorf("bpftrace counted %d execs of mytgt, the monitor reported %d", n, len(execs))
		}
	}
}

// waitForLine starts cmd and waits until buf, where cmd writes, holds a
// line starting with prefix.
func waitForLine(t *testing.T, cmd *exec.Cmd, buf *syncBuffer, prefix string) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.Lines(buf.String()) {
			if strings.HasPrefix(line, prefix) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("%s did not print %q within 30 s:\n%s", cmd.Path, prefix, buf.String())
}
