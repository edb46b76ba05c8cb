package e2e

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"golang.org/x/sys/unix"
)

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
	tids, err := procfs.Process(tracer.Process.Pid).Tasks()
	if err != nil || len(tids) < 2 {
		t.Fatalf("threads of utrace-bpf: %v %v\n%s", tids, err, errb.String())
	}
	for _, tid := range tids {
		if st, err := procfs.Thread(tracer.Process.Pid, tid).Stat(); err != nil || st.Nice != -20 {
			t.Errorf("thread %d: nice %d (%v), want -20", tid, st.Nice, err)
		}
	}
	if st, err := procfs.Process(target.Process.Pid).Stat(); err != nil || st.Nice != ours {
		t.Errorf("attached program's nice %d (%v), want %d: attaching must not change it", st.Nice, err, ours)
	}
}
