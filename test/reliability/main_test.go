// Package reliability proves that tracing never corrupts, hangs or kills
// what it watches: load, signal storms, races with exits and detaches, the
// tracer's own death, and tid reuse, on the real kernel with real
// processes. go test -soak runs longer variants.
package reliability

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"golang.org/x/sys/unix"
)

var soak = flag.Bool("soak", false, "run the long variants (minutes)")

var (
	bin     string // the utrace-bpf binary
	loadBin string // test/progs/c/load.c
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "utrace-reliability")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "utrace-bpf")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/utrace-bpf").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building utrace-bpf: %v\n%s", err, out)
		os.Exit(1)
	}
	if loadBin, err = progs.BuildIn(dir, "load"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "" {
			t.Skip("reliability tests need root")
		}
		t.Fatal("reliability tests need root in CI")
	}
}

// scale picks the CI size or the soak size.
func scale(ci, long int) int {
	if *soak {
		return long
	}
	return ci
}

// backends wires a tracer to both real backends.
func backends(t *testing.T, opts *loader.Options) (*core.Tracer, *loader.Loader, *stopper.Stopper) {
	t.Helper()
	needRoot(t)
	ldr, err := loader.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	stp := stopper.New()
	tr := core.NewTracer(core.Config{Source: ldr, Stopper: stp})
	if ts, ok := any(ldr).(core.TriggerSource); ok {
		stp.UseTriggers(ts)
	}
	stp.Start(tr.Deliver)
	var once sync.Once
	if err := ldr.Start(func(ev *core.Event) {
		once.Do(func() {
			runtime.LockOSThread()
			if err := unix.Setpriority(unix.PRIO_PROCESS, 0, -20); err != nil {
				t.Log(err)
			}
			if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}, 0); err != nil {
				t.Log(err)
			}
		})
		tr.Deliver(ev)
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stp.Close()
		ldr.Close()
	})
	return tr, ldr, stp
}
