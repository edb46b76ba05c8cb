package counter

import (
	"bytes"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

func nr(t *testing.T, name string) int {
	t.Helper()
	n, ok := sysabi.Number(name)
	if !ok {
		t.Fatalf("no syscall %s", name)
	}
	return n
}

func newTest(t *testing.T, raw map[string]string) *counter {
	t.Helper()
	typ, err := pipeline.Lookup("counter")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := typ.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	st, err := typ.New("counter", opts, pipeline.NewOutput(&bytes.Buffer{}, nil, false))
	if err != nil {
		t.Fatal(err)
	}
	return st.(*counter)
}

// The table is strace -c's, in the order sort= asks.
func TestTable(t *testing.T) {
	c := newTest(t, map[string]string{"sort": "calls"})
	total := syscallTotals{
		nr(t, "getppid"):   {Calls: 1000, Time: 200 * time.Microsecond},
		nr(t, "nanosleep"): {Calls: 10, Time: 10*time.Millisecond + 800*time.Microsecond},
		nr(t, "close"):     {Calls: 3, Errors: 3, Time: 0},
	}
	var b bytes.Buffer
	c.writeTable(&b, total)
	want := "" +
		"% time     seconds  usecs/call     calls    errors syscall\n" +
		"------ ----------- ----------- --------- --------- ----------------\n" +
		"  1.82    0.000200           0      1000           getppid\n" +
		" 98.18    0.010800        1080        10           nanosleep\n" +
		"  0.00    0.000000           0         3         3 close\n" +
		"------ ----------- ----------- --------- --------- ----------------\n" +
		"100.00    0.011000          10      1013         3 total\n"
	if b.String() != want {
		t.Errorf("got:\n%swant:\n%s", b.String(), want)
	}
}

// by=process has a row per process, by calls unless sort= says otherwise.
func TestProcessTable(t *testing.T) {
	c := newTest(t, map[string]string{"by": "process"})
	if c.sortBy != "calls" {
		t.Errorf("by=process sorts by %s, want calls", c.sortBy)
	}
	c.comm[100], c.comm[200] = "sleeper", "busy"
	procs := map[int]syscallTotals{
		100: {nr(t, "nanosleep"): {Calls: 10, Time: 11 * time.Millisecond}},
		200: {nr(t, "getppid"): {Calls: 900, Time: 200 * time.Microsecond}, nr(t, "close"): {Calls: 100, Errors: 100}},
		300: {}, // counted nothing: no row
	}
	var b bytes.Buffer
	c.writeProcessTable(&b, procs)
	want := "" +
		"% time     seconds     calls    errors     pid process\n" +
		"------ ----------- --------- --------- ------- ----------------\n" +
		"  1.79    0.000200      1000       100     200 busy\n" +
		" 98.21    0.011000        10               100 sleeper\n" +
		"------ ----------- --------- --------- ------- ----------------\n" +
		"100.00    0.011200      1010       100         total\n"
	if b.String() != want {
		t.Errorf("got:\n%swant:\n%s", b.String(), want)
	}
}

// Each interval shows what was counted since the last; a count that went
// down (a thread not read this time) neither shows nor is counted twice.
func TestSince(t *testing.T) {
	const a, b = 1, 2
	prev := map[int]syscallTotals{}
	d := since(map[int]syscallTotals{7: {a: {Calls: 5, Time: 5}}}, prev)
	if got := d[7][a]; got.Calls != 5 || got.Time != 5 {
		t.Errorf("first interval %+v, want 5 calls", got)
	}
	d = since(map[int]syscallTotals{7: {a: {Calls: 8, Errors: 1, Time: 9}, b: {Calls: 1}}}, prev)
	if got := d[7][a]; got != (core.SyscallStats{Calls: 3, Errors: 1, Time: 4}) {
		t.Errorf("second interval %+v, want 3 calls, 1 error, time 4", got)
	}
	if got := d[7][b]; got.Calls != 1 {
		t.Errorf("second interval, new syscall %+v, want 1 call", got)
	}
	// Thread not read: the process's count drops to 6, then is read again at 9.
	d = since(map[int]syscallTotals{7: {a: {Calls: 6, Errors: 1, Time: 9}, b: {Calls: 1}}}, prev)
	if len(d) != 0 {
		t.Errorf("interval with fewer calls counted %v, want nothing", d)
	}
	d = since(map[int]syscallTotals{7: {a: {Calls: 9, Errors: 1, Time: 10}, b: {Calls: 1}}}, prev)
	if got := d[7][a]; got.Calls != 1 || len(d[7]) != 1 {
		t.Errorf("interval after the unread one %v, want 1 call of syscall %d", d, a)
	}
}

func TestHistSince(t *testing.T) {
	var prev, cur core.Histogram
	prev[3], cur[3], cur[5] = 2, 7, 1
	if got := histSince(cur, prev); got[3] != 5 || got[5] != 1 || cur[3] != 7 {
		t.Errorf("histSince %v (cur %v), want slot 3: 5, slot 5: 1", got, cur)
	}
}

func TestOptions(t *testing.T) {
	typ, _ := pipeline.Lookup("counter")
	for _, raw := range []map[string]string{{"by": "thread"}, {"sort": "size"}, {"interval": "-1s"}} {
		opts, err := typ.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := typ.New("counter", opts, nil); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
