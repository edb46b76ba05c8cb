package cli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// The export settings come from the config's metrics: and otlp: keys, and
// the flags, which win.
func TestExportSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("metrics: 127.0.0.1:9464\notlp: http://127.0.0.1:4318\nengines:\n  - type: counter\n"), 0o644)
	cfg, err := loadConfig(viper.New(), file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics != "127.0.0.1:9464" || cfg.OTLP != "http://127.0.0.1:4318" || cfg.Format != "json" {
		t.Errorf("from the config: metrics %q, otlp %q, format %q", cfg.Metrics, cfg.OTLP, cfg.Format)
	}

	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	v := viper.New()
	addExportFlags(fs, v)
	if err := fs.Parse([]string{"--metrics", "[::1]:0", "--metrics-linger", "30s"}); err != nil {
		t.Fatal(err)
	}
	cfg, err = loadConfig(v, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics != "[::1]:0" || cfg.MetricsLinger != 30*time.Second {
		t.Errorf("flags: metrics %q, linger %v", cfg.Metrics, cfg.MetricsLinger)
	}
}

// Bad export settings are bad input: one line, exit status 2, before
// anything is loaded.
func TestExportSettingsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--metrics", "9464"},
		{"--metrics", "127.0.0.1:9464", "--metrics-linger", "soon"},
		{"--metrics-linger", "5s"},
		{"--otlp", "127.0.0.1:4318"},
		{"--otlp", "ftp://127.0.0.1:4318"},
		{"--otlp", "http://127.0.0.1:4318", "--format", "text"},
	} {
		root := newRoot()
		root.SetArgs(append([]string{"check", "-e", "counter"}, args...))
		err := root.Execute()
		var ce *configError
		if !errors.As(err, &ce) {
			t.Errorf("%q: %v, want bad input", args, err)
		}
		if code := execute(append([]string{"check", "-e", "counter"}, args...)); code != 2 {
			t.Errorf("%q: exit status %d, want 2", args, code)
		}
	}
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("metrics: [1, 2]\nengines:\n  - type: counter\n"), 0o644)
	if _, err := loadConfig(viper.New(), file, nil); err == nil {
		t.Error("metrics: a list: accepted")
	}
}
