// Package reliability proves that tracing never corrupts, hangs or kills
// what it watches: load, signal storms, races with exits and detaches, the
// tracer's own death, and tid reuse, on the real kernel with real
// processes. go test -soak runs longer variants.
package reliability

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
	"github.com/utrace-bpf/utrace-bpf/test/testenv"
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
	if bin, err = testenv.BuildUtrace(dir, "../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
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

func needRoot(t *testing.T) { t.Helper(); testenv.NeedRoot(t) }

// scale picks the CI size or the soak size.
func scale(ci, long int) int {
	if *soak {
		return long
	}
	return ci
}

func backends(t *testing.T, opts *loader.Options) (*core.Tracer, *loader.Loader, *stopper.Stopper) {
	return testenv.Backends(t, opts)
}
