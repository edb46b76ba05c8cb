package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// niceOfTask reads a thread's nice value from /proc/PID/task/TID/stat
// (field 19).
func niceOfTask(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 17 {
		return 0, fmt.Errorf("%s: short stat", path)
	}
	return strconv.Atoi(f[16])
}

// utrace-bpf's own threads run at nice -20 so that a saturated machine does
// not starve it; the program run launches starts at the caller's nice value.
func TestTracerNice(t *testing.T) {
	needRoot(t)
	p, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours := 20 - p
	out, err := exec.Command(bin, "run", "-e", "counter", "-o", "/dev/null", "--",
		"sh", "-c", "cut -d' ' -f19 /proc/self/stat").Output()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(ours) {
		t.Errorf("launched program's nice %q, want the caller's %d", got, ours)
	}

	target := exec.Command("sleep", "30")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	tracer, errb := attachSync(t, target.Process.Pid, "signals:rules=SIGUSR1=ignore")
	defer tracer.Process.Kill()
	time.Sleep(100 * time.Millisecond) // let the runtime start its threads
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", tracer.Process.Pid))
	if err != nil || len(tasks) < 2 {
		t.Fatalf("threads of utrace-bpf: %v %v\n%s", tasks, err, errb.String())
	}
	for _, task := range tasks {
		if n, err := niceOfTask(task); err != nil || n != -20 {
			t.Errorf("%s: nice %d (%v), want -20", task, n, err)
		}
	}
	if n, err := niceOfTask(fmt.Sprintf("/proc/%d/stat", target.Process.Pid)); err != nil || n != ours {
		t.Errorf("attached program's nice %d (%v), want %d: attaching must not change it", n, err, ours)
	}
}
