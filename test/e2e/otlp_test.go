package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// otlpReceiver is an OTLP/HTTP logs endpoint, as a collector's otlp
// receiver serves it: POST /v1/logs with a protobuf ExportLogsServiceRequest.
type otlpReceiver struct {
	mu       sync.Mutex
	records  []map[string]any // each record's attributes
	bodies   []string
	resource []map[string]any
	paths    []string
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	var req collogs.ExportLogsServiceRequest
	if err == nil {
		err = proto.Unmarshal(raw, &req)
	}
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, fmt.Sprintf("bad request: %s %s %v", r.Method, r.Header.Get("Content-Type"), err), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.paths = append(o.paths, r.URL.Path)
	for _, rl := range req.ResourceLogs {
		o.resource = append(o.resource, attrMap(rl.GetResource().GetAttributes()))
		for _, sl := range rl.ScopeLogs {
			for _, lr := range sl.LogRecords {
				o.records = append(o.records, attrMap(lr.Attributes))
				o.bodies = append(o.bodies, lr.GetBody().GetStringValue())
			}
		}
	}
	o.mu.Unlock()
	out, _ := proto.Marshal(&collogs.ExportLogsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func attrMap(kvs []*common.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.Key] = anyValue(kv.Value)
	}
	return m
}

// anyValue is an OTLP value as encoding/json decodes the same JSON value
// with UseNumber: numbers as json.Number, arrays as []any.
func anyValue(v *common.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *common.AnyValue_StringValue:
		return x.StringValue
	case *common.AnyValue_IntValue:
		return json.Number(fmt.Sprint(x.IntValue))
	case *common.AnyValue_BoolValue:
		return x.BoolValue
	case *common.AnyValue_DoubleValue:
		return json.Number(fmt.Sprint(x.DoubleValue))
	case *common.AnyValue_ArrayValue:
		out := []any{}
		for _, e := range x.ArrayValue.Values {
			out = append(out, anyValue(e))
		}
		return out
	}
	return fmt.Sprintf("unexpected %T", v.GetValue())
}

// Every record of the JSON log reaches an OTLP/HTTP receiver as a log
// record whose attributes are the line's fields, and the run says so.
func TestOTLPExportMatchesJSONLog(t *testing.T) {
	needRoot(t)
	recv := &otlpReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	prog := progs.Build(t, "forkexec")
	logPath := filepath.Join(t.TempDir(), "log.json")
	r := run(t, "g", "run", "--otlp", srv.URL, "-o", logPath,
		"-e", "syscalls", "-e", "proctree", "-e", "counter", "--", prog, "/bin/true")
	if r.code != 0 {
		t.Fatalf("run: %v", r)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		want = append(want, canonical(t, m))
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	var got []string
	for _, m := range recv.records {
		got = append(got, canonical(t, m))
	}
	sort.Strings(want)
	sort.Strings(got)
	if len(want) < 50 || !equalStrings(got, want) {
		t.Errorf("%d records received, %d lines in the log; first differences:\n%s", len(got), len(want), firstDiffs(got, want, 5))
	}
	re := regexp.MustCompile(fmt.Sprintf(`(?m)^utrace-bpf: otlp: (\d+) of (\d+) records exported to %s/v1/logs$`, regexp.QuoteMeta(srv.URL)))
	if mm := re.FindStringSubmatch(r.stderr); mm == nil || mm[1] != mm[2] || mm[1] != fmt.Sprint(len(want)) {
		t.Errorf("no line saying all %d records were exported:\n%s", len(want), r.stderr)
	}
	for _, p := range recv.paths {
		if p != "/v1/logs" {
			t.Errorf("POST to %s, want /v1/logs", p)
		}
	}
	if len(recv.resource) == 0 || recv.resource[0]["service.name"] != "utrace-bpf" {
		t.Errorf("resource attributes %v, want service.name utrace-bpf", recv.resource)
	}
	// The body names the event (the summary line for a summary).
	for i, m := range recv.records {
		if ev, ok := m["event"]; ok && recv.bodies[i] != ev {
			t.Errorf("record %v: body %q", m, recv.bodies[i])
		}
		if s, ok := m["summary"]; ok && recv.bodies[i] != s {
			t.Errorf("record %v: body %q", m, recv.bodies[i])
		}
	}
}

func canonical(t *testing.T, m map[string]any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(m); err != nil { // encoding/json sorts map keys
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// firstDiffs shows up to n lines in one sorted list and not the other.
func firstDiffs(got, want []string, n int) string {
	count := map[string]int{}
	for _, s := range want {
		count[s]++
	}
	for _, s := range got {
		count[s]--
	}
	var out []string
	for s, c := range count {
		switch {
		case c > 0:
			out = append(out, "missing: "+s)
		case c < 0:
			out = append(out, "extra:   "+s)
		}
	}
	sort.Strings(out)
	if len(out) > n {
		out = out[:n]
	}
	return strings.Join(out, "\n")
}
