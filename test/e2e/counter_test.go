package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// The log2 slots (core.Histogram's) that the latency test's calls fall in.
const (
	slot1ms  = 20 // 1048576 -> 2097151 ns: a 1 ms sleep and its timer slack
	slotFast = 12 // 4096 ns: getppid returns well below
)

// The counter engine's latency histograms, counted in the kernel: a
// program making 1000 nanosleep(1 ms) and 1000 getppid gives two
// distributions with exactly those counts, nanosleep's in the 1 ms
// bucket (a sleep lasts at least the time asked, so a few just below 2^20
// ns fall in the bucket below, and a preempted one may land above), and
// getppid's in the low buckets. bpftrace, where installed, measures the
// same calls with its hist() of the same log2 buckets: the anchor.
func TestLatencyHistograms(t *testing.T) {
	needRoot(t)
	const n = 1000
	latency := progs.Build(t, "latency")
	bt := startBpftrace(t, `tracepoint:raw_syscalls:sys_enter /comm == "latency"/ { @start[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /comm == "latency" && @start[tid]/ { @h[args->id] = hist(nsecs - @start[tid]); delete(@start[tid]); }
END { clear(@start); }`)

	r := run(t, "", "run", "-e", "counter:histogram=true,trace=/^(nanosleep|getppid)$", "--", latency, strconv.Itoa(n))
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	hists := textHistograms(t, r.stderr)
	if len(hists) != 2 {
		t.Fatalf("histograms of %d calls, want nanosleep and getppid:\n%v", len(hists), r)
	}
	sleep, fast := hists["nanosleep"], hists["getppid"]
	if sleep == nil || fast == nil {
		t.Fatalf("no histogram of nanosleep or getppid:\n%v", r)
	}
	if got := sum(sleep[:]); got != n {
		t.Errorf("nanosleep histogram counts %d calls, want %d\n%v", got, n, r)
	}
	if got := sum(fast[:]); got != n {
		t.Errorf("getppid histogram counts %d calls, want %d\n%v", got, n, r)
	}
	// The bulk where it belongs, the rest in the neighbour buckets.
	if sleep[slot1ms] < n*8/10 || sum(sleep[slot1ms-1:slot1ms+2]) < n*97/100 || sum(sleep[:slot1ms-1]) != 0 {
		t.Errorf("nanosleep(1 ms) durations not in the 1 ms bucket (2^%d ns): %s\n%v", slot1ms, slots(sleep), r)
	}
	if sum(fast[:slotFast]) < n*95/100 {
		t.Errorf("getppid durations not in the low buckets (< 2^%d ns): %s\n%v", slotFast, slots(fast), r)
	}
	// The table agrees with the histograms.
	for name, h := range hists {
		m := regexp.MustCompile(`(?m)^ *[\d.]+ +[\d.]+ +\d+ +(\d+) +\d* *` + name + `$`).FindStringSubmatch(r.stderr)
		if m == nil || m[1] != strconv.FormatUint(sum(h[:]), 10) {
			t.Errorf("%s: table row %v, histogram counts %d", name, m, sum(h[:]))
		}
	}

	if bt == nil {
		return
	}
	anchor := bpftraceHistograms(t, bt)
	for name, ours := range hists {
		nr, _ := sysabi.Number(name)
		theirs, ok := anchor[nr]
		if !ok {
			t.Errorf("bpftrace has no histogram of %s (%d): %v", name, nr, anchor)
			continue
		}
		if sum(theirs[:]) != sum(ours[:]) {
			t.Errorf("%s: bpftrace counted %d calls, utrace-bpf %d", name, sum(theirs[:]), sum(ours[:]))
		}
		t.Logf("%s: utrace-bpf %v, bpftrace %v", name, slots(ours), slots(&theirs))
		if name != "nanosleep" {
			// getppid's few hundred ns are within the two tools'
			// own overhead on the same tracepoints: only the count
			// compares.
			continue
		}
		// The two measure from their own programs on the same
		// tracepoints: a call near a bucket's bound may fall on the
		// other side in one of them.
		for i := range ours {
			if d := int64(ours[i]) - int64(theirs[i]); d > n/40 || d < -n/40 {
				t.Errorf("%s: bucket 2^%d has %d calls, bpftrace's %d", name, i, ours[i], theirs[i])
			}
		}
	}
}

// In JSON mode each histogram is one object (docs/events.schema.json's
// counter_histogram) whose buckets hold the calls.
func TestLatencyHistogramsJSON(t *testing.T) {
	needRoot(t)
	const n = 200
	latency := progs.Build(t, "latency")
	log := filepath.Join(t.TempDir(), "log.json")
	r := run(t, "", "run", "--format", "json", "-o", log, "-e", "counter:histogram=true,trace=/^(nanosleep|getppid)$",
		"--", latency, strconv.Itoa(n))
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	out, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	var sleeps uint64 // nanosleep's in the 1 ms bucket
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var h struct {
			Engine    string `json:"engine"`
			Histogram string `json:"histogram"`
			Unit      string `json:"unit"`
			Buckets   []struct {
				Low, High, Count uint64
			} `json:"buckets"`
		}
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if h.Histogram == "" {
			continue
		}
		if h.Engine != "counter" || h.Unit != "nsecs" {
			t.Errorf("histogram %s", line)
		}
		for _, b := range h.Buckets {
			if slot := core.HistogramSlot(b.Low); core.HistogramSlot(b.High) != slot || b.Count == 0 {
				t.Errorf("bucket %+v is not one log2 slot with calls: %s", b, line)
			}
			if h.Histogram == "nanosleep" && core.HistogramSlot(b.Low) == slot1ms {
				sleeps = b.Count
			}
			got[h.Histogram] += b.Count
		}
	}
	if want := map[string]uint64{"nanosleep": n, "getppid": n}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls in the histograms %v, want %v\n%s", got, want, out)
	}
	if sleeps < n*8/10 {
		t.Errorf("%d of %d nanosleep(1 ms) in the 1 ms bucket\n%s", sleeps, n, out)
	}
}

var histRow = regexp.MustCompile(`^ *(\d+) -> (\d+) +: (\d+) +\|[* ]*\|$`)

// textHistograms reads the histograms the counter engine printed: each
// "syscall = NAME" line, the header, then print_log2_hist's rows.
func textHistograms(t *testing.T, out string) map[string]*core.Histogram {
	t.Helper()
	hists := map[string]*core.Histogram{}
	var cur *core.Histogram
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "syscall = "); ok {
			cur = new(core.Histogram)
			hists[name] = cur
			continue
		}
		m := histRow.FindStringSubmatch(line)
		if cur == nil || m == nil {
			continue
		}
		low, _ := strconv.ParseUint(m[1], 10, 64)
		count, _ := strconv.ParseUint(m[3], 10, 64)
		cur[core.HistogramSlot(low)] = count
	}
	return hists
}

// bpftraceHistograms stops bt and reads the histograms its @h map
// printed, by syscall number.
func bpftraceHistograms(t *testing.T, bt *bpftrace) map[int]core.Histogram {
	t.Helper()
	bt.stop(t)
	hists := map[int]core.Histogram{}
	head := regexp.MustCompile(`^@h\[(\d+)\]: *$`)
	// "[0]", "[1]", "[2, 4)", "[512K, 1M)": the bucket's least value,
	// with a power-of-1024 suffix.
	row := regexp.MustCompile(`^\[(\d+)([KMGTPE]?)[,\]].*\s(\d+) \|`)
	nr := -1
	for _, line := range strings.Split(bt.out.String(), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			nr, _ = strconv.Atoi(m[1])
			continue
		}
		m := row.FindStringSubmatch(line)
		if m == nil || nr < 0 {
			continue
		}
		low, _ := strconv.ParseUint(m[1], 10, 64)
		low <<= map[string]uint{"K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}[m[2]]
		count, _ := strconv.ParseUint(m[3], 10, 64)
		h := hists[nr]
		h[core.HistogramSlot(low)] += count
		hists[nr] = h
	}
	return hists
}

func sum(slots []uint64) uint64 {
	var s uint64
	for _, v := range slots {
		s += v
	}
	return s
}

// slots lists h's slots with calls, as slot:count.
func slots(h *core.Histogram) string {
	var b strings.Builder
	for i, v := range h {
		if v != 0 {
			fmt.Fprintf(&b, " 2^%d:%d", i, v)
		}
	}
	return strings.TrimSpace(b.String())
}

// by=process gives a row per process, with its name and exactly its
// calls (the shell's, running the two, too), and the total of the rows.
func TestCounterByProcess(t *testing.T) {
	needRoot(t)
	latency := progs.Build(t, "latency")
	r := run(t, "", "run", "-e", "counter:by=process,trace=/^(nanosleep|getppid)$", "--",
		"sh", "-c", latency+" 30 & "+latency+" 10; wait")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	rows := regexp.MustCompile(`(?m)^ *[\d.]+ +[\d.]+ +(\d+) +\d* +(\d+) latency$`).FindAllStringSubmatch(r.stderr, -1)
	var calls []string
	for _, m := range rows {
		calls = append(calls, m[1])
	}
	// By calls, most first: 2 x 30, then 2 x 10.
	if strings.Join(calls, " ") != "60 20" || rows[0][2] == rows[1][2] {
		t.Errorf("latency rows %q, want two processes with 60 and 20 calls\n%v", rows, r)
	}
	// The shell's own getppid, if any, has its row: the total is the rows'.
	var all uint64
	for _, m := range regexp.MustCompile(`(?m)^ *[\d.]+ +[\d.]+ +(\d+) +\d* +\d+ \S+$`).FindAllStringSubmatch(r.stderr, -1) {
		c, _ := strconv.ParseUint(m[1], 10, 64)
		all += c
	}
	if all < 80 || !regexp.MustCompile(`(?m)^100\.00 +[\d.]+ +`+strconv.FormatUint(all, 10)+` +total$`).MatchString(r.stderr) {
		t.Errorf("no total row of the rows' %d calls\n%v", all, r)
	}
}

// interval= prints the table and the histograms every interval, of the
// calls made since the last: together the intervals hold every call once.
func TestCounterInterval(t *testing.T) {
	needRoot(t)
	const n = 400
	latency := progs.Build(t, "latency")
	r := run(t, "", "run", "-e", "counter:interval=150ms,histogram=true,trace=/^(nanosleep|getppid)$", "--", latency, strconv.Itoa(n))
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	parts := regexp.MustCompile(`(?m)^\[\d\d:\d\d:\d\d\]$`).Split(r.stderr, -1)[1:]
	if len(parts) < 3 {
		t.Fatalf("%d intervals in a run of %d ms, want 3 or more\n%v", len(parts), n, r)
	}
	calls := map[string]uint64{}
	inHists := map[string]uint64{}
	for _, part := range parts {
		for _, m := range regexp.MustCompile(`(?m)^ *[\d.]+ +[\d.]+ +\d+ +(\d+) +\d* *(nanosleep|getppid)$`).FindAllStringSubmatch(part, -1) {
			c, _ := strconv.ParseUint(m[1], 10, 64)
			calls[m[2]] += c
		}
		for name, h := range textHistograms(t, part) {
			inHists[name] += sum(h[:])
		}
		if !strings.Contains(part, "% time") {
			t.Errorf("an interval without its table:\n%s", part)
		}
	}
	want := map[string]uint64{"nanosleep": n, "getppid": n}
	if fmt.Sprint(calls) != fmt.Sprint(want) || fmt.Sprint(inHists) != fmt.Sprint(want) {
		t.Errorf("the intervals' tables count %v, their histograms %v, want %v\n%v", calls, inHists, want, r)
	}
}
