package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// A Prometheus scrape of /metrics during a run shows the live counters of
// a program that waits, and one after it (the server lingers after the
// summary) shows exactly the summary line's numbers and the counter
// engine's table.
func TestMetricsDuringAndAfter(t *testing.T) {
	needRoot(t)
	const n, m = 50, 20 // getppid calls and failing close calls per phase
	prog := progs.Build(t, "phases")
	logPath := filepath.Join(t.TempDir(), "log")
	cmd := exec.Command(bin, "run", "--metrics", "127.0.0.1:0", "--metrics-linger", "1m", "-o", logPath,
		"-e", "counter", "-e", "inject:syscall=getppid,error=EPERM", "-e", "syscalls:trace=close",
		"--", prog, strconv.Itoa(n), strconv.Itoa(m))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	var errText strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(re *regexp.Regexp) []string {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("utrace-bpf ended without a line matching %s:\n%s", re, errText.String())
				}
				errText.WriteString(l + "\n")
				if mm := re.FindStringSubmatch(l); mm != nil {
					return mm
				}
			case <-timeout:
				t.Fatalf("no line matching %s:\n%s", re, errText.String())
			}
		}
	}
	url := waitLine(regexp.MustCompile(`^utrace-bpf: metrics on (http://\S+/metrics)$`))[1]

	// bpftrace, the anchor, counts the program's close calls from here
	// on, as the counter engine does from its start: the differences
	// from this scrape must agree.
	waitChildBlocked(t, cmd.Process.Pid)
	before := scrape(t, url)
	bt := startBpftrace(t, `tracepoint:raw_syscalls:sys_exit /comm == "phases" && args->id == 3/ { @calls = count(); if (args->ret < 0) { @errors = count(); } }`)

	if _, err := stdin.Write([]byte{'g'}); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("program: %q, %v", line, err)
	}
	// The ring buffer's records reach the reader in batches: the
	// closes' are delivered within moments.
	var during map[string]float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		during = scrape(t, url)
		if during[`utrace_bpf_events_delivered_total{event="syscall_exit"}`] >= m || time.Now().After(deadline) {
			break
		}
	}
	for series, want := range map[string]float64{
		`utrace_bpf_syscall_errors_total{engine="counter",name="close"}`: m,
		`utrace_bpf_threads{tier="synchronous"}`:                         1,
		`utrace_bpf_threads{tier="passive"}`:                             0,
		`utrace_bpf_threads{tier="in-kernel"}`:                           0,
		`utrace_bpf_engine_reports_total{engine="inject"}`:               n,
		`utrace_bpf_events_lost_total{event="syscall_exit"}`:             0,
		`utrace_bpf_stop_duration_seconds_bucket{le="+Inf"}`:             during[`utrace_bpf_stop_duration_seconds_count`],
		`utrace_bpf_ring_buffer_size_bytes`:                              during[`utrace_bpf_ring_buffer_size_bytes`],
	} {
		got, ok := during[series]
		if !ok || got != want {
			t.Errorf("during the run: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	// The loader's and dynamic linker's closes succeed, the program's
	// fail. (The injected getppid calls never run: the kernel counts
	// none.)
	if c := during[`utrace_bpf_syscalls_total{engine="counter",name="close"}`]; c < m {
		t.Errorf("during the run: %v close calls, want at least %d", c, m)
	}
	// Every getppid stopped the thread for the inject engine.
	if c := during["utrace_bpf_stop_duration_seconds_count"]; c < n {
		t.Errorf("during the run: %v stops, want at least %d", c, n)
	}
	if d := during[`utrace_bpf_events_delivered_total{event="syscall_exit"}`]; d < m {
		t.Errorf("during the run: %v syscall_exit records delivered, want at least %d (the closes)", d, m)
	}

	stdin.Close()
	sum := waitLine(regexp.MustCompile(`^utrace-bpf: reports: (.*); events delivered (\d+), lost (\d+)`))
	after := scrape(t, url)
	// The summary line's numbers, one by one.
	for _, part := range strings.Split(sum[1], ", ") {
		name, count, _ := strings.Cut(part, " ")
		series := fmt.Sprintf(`utrace_bpf_engine_reports_total{engine=%q}`, name)
		if got := strconv.FormatFloat(after[series], 'f', -1, 64); got != count {
			t.Errorf("after the run: %s = %s, the summary says %s", series, got, count)
		}
	}
	var delivered, lost float64
	for series, v := range after {
		switch {
		case strings.HasPrefix(series, "utrace_bpf_events_delivered_total{"):
			delivered += v
		case strings.HasPrefix(series, "utrace_bpf_events_lost_total{"):
			lost += v
		}
	}
	if got := strconv.FormatFloat(delivered, 'f', -1, 64); got != sum[2] {
		t.Errorf("after the run: events delivered add up to %s, the summary says %s", got, sum[2])
	}
	if got := strconv.FormatFloat(lost, 'f', -1, 64); got != sum[3] {
		t.Errorf("after the run: events lost add up to %s, the summary says %s", got, sum[3])
	}
	for series, want := range map[string]float64{
		`utrace_bpf_syscalls_total{engine="counter",name="getppid"}`:     0,
		`utrace_bpf_syscall_errors_total{engine="counter",name="close"}`: 2 * m,
		`utrace_bpf_threads{tier="synchronous"}`:                         0,
		`utrace_bpf_engine_reports_total{engine="inject"}`:               2 * n,
	} {
		if got := after[series]; got != want {
			t.Errorf("after the run: %s = %v, want %v", series, got, want)
		}
	}
	// Counters never go down; the histogram's buckets add up.
	for series, v := range during {
		if strings.HasPrefix(series, "utrace_bpf_") && strings.Contains(series, "_total") && after[series] < v {
			t.Errorf("%s went down: %v during, %v after", series, v, after[series])
		}
	}
	if bt != nil {
		counts := bt.stop(t)
		for _, c := range []struct{ series, bpftrace string }{
			{`utrace_bpf_syscalls_total{engine="counter",name="close"}`, "calls"},
			{`utrace_bpf_syscall_errors_total{engine="counter",name="close"}`, "errors"},
		} {
			if got, want := after[c.series]-before[c.series], counts[c.bpftrace]; got != want || want != 2*m {
				t.Errorf("%s grew by %v while the program ran; bpftrace counted %v (want %d)", c.series, got, want, 2*m)
			}
		}
	}
	checkHistogram(t, after, "utrace_bpf_stop_duration_seconds")
	if c := after["utrace_bpf_stop_duration_seconds_count"]; c < 2*n {
		t.Errorf("after the run: %v stops, want at least %d", c, 2*n)
	}

	// The lingering server ends at SIGTERM, and the run exits with the
	// program's status.
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("utrace-bpf: %v\n%s", err, errText.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("SIGTERM ended the linger after %v", d)
	}

	// The counter engine's table in the log says what the metrics said.
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, in := 0, false
	for _, line := range strings.Split(string(log), "\n") {
		switch {
		case strings.HasPrefix(line, "% time"):
			in = true
			continue
		case !in:
			continue
		case strings.HasPrefix(line, "------"):
			if rows > 0 {
				in = false
			}
			continue
		}
		f := strings.Fields(line)
		name := f[len(f)-1]
		errs := "0"
		if len(f) == 6 {
			errs = f[4]
		}
		series := fmt.Sprintf(`{engine="counter",name=%q}`, name)
		if got := strconv.FormatFloat(after["utrace_bpf_syscalls_total"+series], 'f', -1, 64); got != f[3] {
			t.Errorf("%s: %s calls in the table, %s in the metrics", name, f[3], got)
		}
		if got := strconv.FormatFloat(after["utrace_bpf_syscall_errors_total"+series], 'f', -1, 64); got != errs {
			t.Errorf("%s: %s errors in the table, %s in the metrics", name, errs, got)
		}
		rows++
	}
	if rows < 3 {
		t.Errorf("the counter table has %d rows:\n%s", rows, log)
	}
}

// scrape reads a Prometheus text exposition into series -> value, the
// series written as name{label="value",...} with the labels sorted.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v\n%s", url, resp.Status, err, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET %s: Content-Type %q", url, ct)
	}
	return parseExposition(t, string(body))
}

var (
	seriesRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mm := seriesRE.FindStringSubmatch(line)
		if mm == nil {
			t.Fatalf("bad exposition line %q", line)
		}
		v, err := strconv.ParseFloat(mm[3], 64)
		if err != nil {
			t.Fatalf("bad value in %q", line)
		}
		key := mm[1]
		if mm[2] != "" {
			var labels []string
			for _, l := range labelRE.FindAllStringSubmatch(mm[2], -1) {
				labels = append(labels, fmt.Sprintf("%s=%q", l[1], l[2]))
			}
			sort.Strings(labels)
			key += "{" + strings.Join(labels, ",") + "}"
		}
		if _, dup := out[key]; dup {
			t.Errorf("series %s twice", key)
		}
		out[key] = v
	}
	return out
}

// checkHistogram checks that a histogram's buckets are cumulative and end
// at its count.
func checkHistogram(t *testing.T, series map[string]float64, name string) {
	t.Helper()
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range series {
		if rest, ok := strings.CutPrefix(k, name+`_bucket{le="`); ok {
			le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
			if err != nil {
				t.Fatalf("%s: bad le", k)
			}
			bs = append(bs, bucket{le, v})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) < 2 {
		t.Fatalf("%s: %d buckets", name, len(bs))
	}
	for i := 1; i < len(bs); i++ {
		if bs[i].n < bs[i-1].n {
			t.Errorf("%s: bucket le=%v has %v, less than le=%v's %v", name, bs[i].le, bs[i].n, bs[i-1].le, bs[i-1].n)
		}
	}
	if last := bs[len(bs)-1]; last.n != series[name+"_count"] {
		t.Errorf("%s: +Inf bucket %v, count %v", name, last.n, series[name+"_count"])
	}
}

// bpftrace is a running bpftrace program.
type bpftrace struct {
	cmd *exec.Cmd
	out *syncBuffer
}

// startBpftrace runs program with bpftrace, once its probes are attached;
// it returns nil when bpftrace is not installed.
func startBpftrace(t *testing.T, program string) *bpftrace {
	t.Helper()
	path, err := exec.LookPath("bpftrace")
	if err != nil {
		t.Log("no bpftrace: the counts are checked against the program and the summary only")
		return nil
	}
	b := &bpftrace{cmd: exec.Command(path, "-e", program), out: &syncBuffer{}}
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Kill()
			b.cmd.Wait()
		}
	})
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(b.out.String(), "Attaching"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("bpftrace did not attach:\n%s", b.out.String())
		}
	}
	return b
}

// stop ends bpftrace with SIGTERM, which it handles as Ctrl-C (a SIGINT
// could be ignored: a shell starts background jobs so), and returns the counts
// it printed: "@name: N" lines.
func (b *bpftrace) stop(t *testing.T) map[string]float64 {
	t.Helper()
	b.cmd.Process.Signal(syscall.SIGTERM)
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("bpftrace: %v\n%s", err, b.out.String())
	}
	counts := map[string]float64{}
	for _, mm := range regexp.MustCompile(`(?m)^@(\w+): (\d+)$`).FindAllStringSubmatch(b.out.String(), -1) {
		counts[mm[1]], _ = strconv.ParseFloat(mm[2], 64)
	}
	return counts
}

// waitChildBlocked waits until a child of process pid has blocked reading
// its standard input (see progs.h): it has exec'd and its dynamic loader's
// calls are done.
func waitChildBlocked(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		tids, _ := procfs.Process(pid).Tasks()
		for _, tid := range tids {
			children, _ := procfs.Thread(pid, tid).Children()
			for _, child := range children {
				sc, err := procfs.Process(child).Syscall()
				exe, _ := procfs.Process(child).Exe()
				if err == nil && sc.Reads(0) && filepath.Base(exe) != filepath.Base(bin) {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no child of %d blocked reading its standard input", pid)
		}
	}
}
