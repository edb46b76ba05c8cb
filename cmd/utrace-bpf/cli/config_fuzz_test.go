package cli

import (
	"strings"
	"testing"
)

// FuzzConfig feeds arbitrary YAML to the config parser: it must never
// panic, and every error is one line naming where.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"engines:\n  - type: syscalls\n",
		"output:\n  format: json\n  file: /tmp/x\nbuffer_size: 8MiB\nengines:\n  - type: counter\n    sort: calls\n",
		"targets:\n  - comm: nginx\n    uid: 33\n    follow: false\nengines:\n  - type: proctree\n",
		"engines:\n  - type: inject\n    syscall: openat\n    error: ENOENT\n    nth: 2\n",
		"engines: [\n",
		"engines:\n  - type: nosuch\n",
		"frobnicate: 1\n",
		"- a\n- b\n",
		"engines:\n  - {type: signals, rules: \"SIGUSR1=ignore\"}\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, yaml string) {
		_, err := parseConfig("fuzz.yaml", []byte(yaml))
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("multi-line error for %q: %q", yaml, msg)
			}
			if !strings.HasPrefix(msg, "fuzz.yaml") {
				t.Errorf("error does not name the file: %q", msg)
			}
		}
	})
}

// FuzzEngineFlag feeds arbitrary -e values: no panic, one-line errors.
func FuzzEngineFlag(f *testing.F) {
	for _, seed := range []string{"syscalls", "syscalls:trace=file,failed=true", "inject:syscall=openat,error=ENOENT,probability=0.5",
		"signals:rules=SIGUSR1=ignore,SIGTERM=SIGUSR1", "signals:rules='SIGUSR1=ignore,SIGTERM=SIGUSR2',log=false", "signals:rules=\"x", "counter:sort=bogus", "x:y", ":", "inject:nth=-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, flag string) {
		spec, err := parseEngineFlag(flag)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		if _, err := spec.Type.New(spec.Name, spec.Options, nil); err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error: %q", err)
		}
	})
}
