package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

const schemaFile = "../../docs/events.schema.json"

// eventsSchema compiles docs/events.schema.json: the whole (every line is
// one of the kinds) and each kind of record in $defs on its own.
func eventsSchema(t *testing.T) (*jsonschema.Schema, map[string]*jsonschema.Schema) {
	t.Helper()
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	var top struct {
		Version string                     `json:"version"`
		Defs    map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(top.Version) {
		t.Errorf("%s: version %q, want MAJOR.MINOR.PATCH", schemaFile, top.Version)
	}
	abs, _ := filepath.Abs(schemaFile)
	url := "file://" + abs
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	whole, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	kinds := map[string]*jsonschema.Schema{}
	for name := range top.Defs {
		if name == "header" {
			continue
		}
		if kinds[name], err = c.Compile(url + "#/$defs/" + name); err != nil {
			t.Fatalf("%s: $defs/%s: %v", schemaFile, name, err)
		}
	}
	return whole, kinds
}

// The JSON lines real runs of every engine write are each exactly one of
// the record kinds docs/events.schema.json describes: a record the schema
// does not know fails the test, as does a record kind no run wrote.
func TestJSONOutputMatchesSchema(t *testing.T) {
	needRoot(t)
	whole, kinds := eventsSchema(t)

	// A record with a field no kind has is refused: the schema is closed.
	for _, bad := range []string{
		`{"ts":1,"event":"exec","pid":1,"tid":1,"engine":"proctree","filename":"/bin/true","extra":1}`,
		`{"ts":1,"event":"exec","pid":1,"tid":1,"engine":"new-engine","what":"?"}`,
		`{"engine":"x"}`,
	} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if whole.Validate(v) == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}

	signals := progs.Build(t, "signals")
	syscalls := progs.Build(t, "syscalls")
	forkexec := progs.Build(t, "forkexec")
	threads := progs.Build(t, "threads")
	runs := [][]string{
		{"-e", "syscalls", "-e", "proctree", "-e", "signals", "--", signals, "handled"},
		{"-e", "signals:rules=SIGTERM=ignore", "-e", "syscalls:trace=kill", "--", signals, "term"},
		{"-e", "inject:syscall=getppid,error=EPERM,log=true", "-e", "inspect:syscall=close,ret=<0",
			"-e", "stepper:count=50", "-e", "counter:histogram=true", "-e", "gdbremote:listen=127.0.0.1:0,hold=false",
			"--", syscalls, "3", "2"},
		{"-e", "proctree:threads=true", "-e", "syscalls:trace=process", "--", forkexec, "3"},
		{"-e", "proctree:threads=true", "--", threads, "2", "1"},
	}
	seen := map[string]int{}
	for _, args := range runs {
		log := filepath.Join(t.TempDir(), "log.json")
		r := run(t, "g", append([]string{"run", "--format", "json", "-o", log}, args...)...)
		if !strings.Contains(r.stderr, "utrace-bpf: reports: ") {
			t.Fatalf("%q: %v", args, r)
		}
		out, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
			if err != nil {
				t.Errorf("%q: not JSON: %s", args, line)
				continue
			}
			if err := whole.Validate(v); err != nil {
				t.Errorf("%q: a record the schema does not describe: %s\n%v", args, line, err)
				continue
			}
			var matched []string
			for name, k := range kinds {
				if k.Validate(v) == nil {
					matched = append(matched, name)
				}
			}
			if len(matched) != 1 {
				t.Errorf("%s: kinds %v, want one", line, matched)
			}
			for _, m := range matched {
				seen[m]++
			}
		}
	}
	// Kinds no run here writes: a thread that dies inside a system call,
	// a job-control stop, an inspection that cannot read the thread.
	rare := map[string]bool{"syscall_unfinished": true, "syscall_stopped": true, "inspection_failed": true}
	var names []string
	for name := range kinds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if seen[name] == 0 && !rare[name] {
			t.Errorf("no run wrote a %s record", name)
		}
	}
	t.Logf("records per kind: %v", seen)
}
