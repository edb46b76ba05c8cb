package cli

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

// defaultConfig runs when neither -c nor -e is given: an strace-like log of
// every system call on standard error.
//
//go:embed default.yaml
var defaultConfig []byte

// Config is a checked pipeline configuration.
type Config struct {
	File       string // where it came from, for messages
	Targets    []Target
	OutputFile string   // "" or "-": standard error
	Format     string   // text or json
	BufferSize int      // ring buffer bytes; 0: the loader's default
	Env        []string // run: the program's environment; nil: utrace-bpf's own
	// Credentials are, for run, the user the program runs as (strace -u);
	// nil: utrace-bpf's.
	Credentials *stopper.Credentials
	// SplitOutput writes each thread's lines to OutputFile.TID (strace -ff).
	SplitOutput bool
	// AppendOutput adds to the output files instead of truncating them
	// (strace -A).
	AppendOutput bool
	// KillOnExit kills the traced processes still alive when the run
	// ends, instead of leaving them running (strace --kill-on-exit).
	KillOnExit bool
	// SingleLeaders makes a log in a file of its own lead its lines with
	// the tid only while several threads are traced, as strace -o does
	// without -f.
	SingleLeaders bool
	Engines       []EngineSpec
	// Metrics is the address /metrics is served on ("": none), and
	// MetricsLinger how long it stays up after the summary.
	Metrics       string
	MetricsLinger time.Duration
	OTLP          string // OTLP/HTTP endpoint URL the records go to ("": none)
}

// Target selects processes in monitor mode, in the kernel (see
// loader.Target); every set field must match.
type Target struct {
	loader.Target
	Line int
}

// EngineSpec is one engine of the pipeline, checked against its type.
type EngineSpec struct {
	Type    *pipeline.Type
	Name    string
	Options pipeline.Options
	Where   string // file:line or "-e TYPE"
}

// configError is a bad-input error: one line, exit status 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

// loadConfig reads the YAML at path (the built-in default when path is ""
// and no -e engines are given), applies flags and UTRACE_BPF_* environment
// variables through v, and appends the -e engines.
func loadConfig(v *viper.Viper, path string, engineFlags []string) (*Config, error) {
	data, name := defaultConfig, "built-in default config"
	switch {
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, badInput("config: %v", err)
		}
		data, name = b, path
	case len(engineFlags) > 0:
		data, name = nil, "command line"
	}
	cfg, err := parseConfig(name, data)
	if err != nil {
		return nil, err
	}
	if len(data) > 0 {
		v.SetConfigType("yaml")
		if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
			return nil, badInput("%s: %v", name, err)
		}
	}
	cfg.OutputFile = v.GetString("output.file")
	cfg.AppendOutput = v.GetBool("output.append")
	cfg.Format = v.GetString("output.format")
	if cfg.Format == "" {
		cfg.Format = "text"
		if v.GetString("otlp") != "" {
			cfg.Format = "json" // what the exporter sends: see exportSettings
		}
	}
	if cfg.Format != "text" && cfg.Format != "json" {
		return nil, badInput("output format %q: want text or json", cfg.Format)
	}
	if s := v.GetString("buffer_size"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			return nil, badInput("buffer size %q: %v", s, err)
		}
		cfg.BufferSize = n
	}
	if err := exportSettings(v, cfg); err != nil {
		return nil, err
	}
	for _, f := range engineFlags {
		spec, err := parseEngineFlag(f)
		if err != nil {
			return nil, err
		}
		cfg.Engines = append(cfg.Engines, spec)
	}
	if len(cfg.Engines) == 0 {
		return nil, badInput("%s: no engines (add some under engines:, or use -e TYPE)", name)
	}
	return cfg, nil
}

// topKeys are the keys of a config's top-level mapping, for messages.
const topKeys = "targets, output, buffer_size, metrics, otlp, engines"

// parseConfig checks the YAML document; every error names file:line.
func parseConfig(name string, data []byte) (*Config, error) {
	cfg := &Config{File: name}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, badInput("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	root := doc.Content[0]
	at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d", name, n.Line) }
	if root.Kind != yaml.MappingNode {
		return nil, badInput("%s: want a mapping with %s", at(root), topKeys)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "output":
			if err := checkKeys(val, at, "output", "file", "format", "append"); err != nil {
				return nil, err
			}
		case "buffer_size":
			if val.Kind != yaml.ScalarNode {
				return nil, badInput("%s: buffer_size: want a size such as 8MiB", at(val))
			}
			if _, err := parseSize(val.Value); err != nil {
				return nil, badInput("%s: buffer_size: %v", at(val), err)
			}
		case "metrics", "otlp":
			if val.Kind != yaml.ScalarNode {
				return nil, badInput("%s: %s: want a single value", at(val), key.Value)
			}
		case "targets":
			ts, err := parseTargets(val, at)
			if err != nil {
				return nil, err
			}
			cfg.Targets = ts
		case "engines":
			if val.Kind != yaml.SequenceNode {
				return nil, badInput("%s: engines: want a list", at(val))
			}
			for _, n := range val.Content {
				spec, err := parseEngineNode(n, at)
				if err != nil {
					return nil, err
				}
				cfg.Engines = append(cfg.Engines, spec)
			}
		default:
			return nil, badInput("%s: unknown key %q (want %s)", at(key), key.Value, topKeys)
		}
	}
	return cfg, nil
}

func checkKeys(n *yaml.Node, at func(*yaml.Node) string, what string, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return badInput("%s: %s: want a mapping", at(n), what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ok := false
		for _, want := range keys {
			ok = ok || k.Value == want
		}
		if !ok {
			return badInput("%s: %s: unknown key %q (want %s)", at(k), what, k.Value, strings.Join(keys, ", "))
		}
		if v.Kind != yaml.ScalarNode {
			return badInput("%s: %s.%s: want a single value", at(v), what, k.Value)
		}
	}
	return nil
}

func parseTargets(n *yaml.Node, at func(*yaml.Node) string) ([]Target, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, badInput("%s: targets: want a list", at(n))
	}
	var ts []Target
	for _, m := range n.Content {
		if err := checkKeys(m, at, "target", "comm", "exe", "uid", "gid", "cgroup", "pid", "ppid", "follow"); err != nil {
			return nil, err
		}
		t := Target{Target: loader.Target{UID: -1, GID: -1, Follow: true}, Line: m.Line}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			var err error
			switch k.Value {
			case "comm":
				t.Comm = v.Value
			case "exe":
				t.Exe = v.Value
			case "cgroup":
				t.Cgroup = v.Value
			case "uid":
				t.UID, err = strconv.Atoi(v.Value)
			case "gid":
				t.GID, err = strconv.Atoi(v.Value)
			case "pid":
				t.Pid, err = strconv.Atoi(v.Value)
			case "ppid":
				t.Ppid, err = strconv.Atoi(v.Value)
			case "follow":
				t.Follow, err = strconv.ParseBool(v.Value)
			}
			if err != nil {
				return nil, badInput("%s: target %s: want a %s, got %q", at(v), k.Value,
					map[string]string{"follow": "boolean"}[k.Value]+"number", v.Value)
			}
		}
		if err := t.Check(); err != nil {
			return nil, badInput("%s: target: %v", at(m), err)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func parseEngineNode(n *yaml.Node, at func(*yaml.Node) string) (EngineSpec, error) {
	if n.Kind != yaml.MappingNode {
		return EngineSpec{}, badInput("%s: engine: want a mapping with type and options", at(n))
	}
	raw := map[string]string{}
	lines := map[string]*yaml.Node{}
	var typ, name string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return EngineSpec{}, badInput("%s: engine option %s: want a single value (lists are comma-separated strings)", at(v), k.Value)
		}
		switch k.Value {
		case "type":
			typ = v.Value
		case "name":
			name = v.Value
		default:
			raw[k.Value], lines[k.Value] = v.Value, k
		}
	}
	if typ == "" {
		return EngineSpec{}, badInput("%s: engine without a type", at(n))
	}
	t, err := pipeline.Lookup(typ)
	if err != nil {
		return EngineSpec{}, badInput("%s: %v", at(n), err)
	}
	// Check one option at a time so the error points at its line.
	for k, v := range raw {
		if _, err := t.Parse(map[string]string{k: v}); err != nil {
			return EngineSpec{}, badInput("%s: %v", at(lines[k]), err)
		}
	}
	opts, err := t.Parse(raw)
	if err != nil {
		return EngineSpec{}, badInput("%s: %v", at(n), err)
	}
	if name == "" {
		name = typ
	}
	return EngineSpec{Type: t, Name: name, Options: opts, Where: at(n)}, nil
}

// parseEngineFlag parses -e TYPE[:NAME=VALUE,...], the option list split
// by pipeline.SplitSpec's rule; errors name the column in the -e value.
func parseEngineFlag(s string) (EngineSpec, error) {
	typ, rest, _ := strings.Cut(s, ":")
	t, err := pipeline.Lookup(typ)
	if err != nil {
		return EngineSpec{}, badInput("-e %q: %v", s, err)
	}
	opts, err := t.ParseSpec(rest)
	if se := (*pipeline.SpecError)(nil); errors.As(err, &se) {
		return EngineSpec{}, badInput("-e %q: column %d: engine %s: %s", s, len(typ)+1+se.Offset+1, typ, se.Msg)
	}
	if err != nil {
		return EngineSpec{}, badInput("-e %q: %v", s, err)
	}
	return EngineSpec{Type: t, Name: typ, Options: opts, Where: "-e " + s}, nil
}

// parseSize parses a byte size such as 4096, 64KiB or 8MiB.
func parseSize(s string) (int, error) {
	s = strings.TrimSpace(s)
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive size such as 65536, 64KiB or 8MiB")
	}
	return n * mult, nil
}
