package cli

import (
	"errors"
	"strings"
	"testing"
)

// The example: a list value holding , and = is one option.
func TestParseEngineFlagList(t *testing.T) {
	for _, flag := range []string{
		"signals:rules=SIGUSR1=ignore,SIGTERM=SIGUSR2",
		"signals:rules='SIGUSR1=ignore,SIGTERM=SIGUSR2'",
		`signals:rules="SIGUSR1=ignore,SIGTERM=SIGUSR2",log=false`,
		"signals:log=false,rules=SIGUSR1=ignore,SIGTERM=SIGUSR2",
	} {
		spec, err := parseEngineFlag(flag)
		if err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		if got := spec.Options.Str("rules"); got != "SIGUSR1=ignore,SIGTERM=SIGUSR2" {
			t.Errorf("%s: rules %q", flag, got)
		}
		if _, err := spec.Type.New(spec.Name, spec.Options, nil); err != nil {
			t.Errorf("%s: %v", flag, err)
		}
	}
	spec, err := parseEngineFlag("syscalls:trace=openat,read,paths=/etc/hostname,/etc/passwd,failed=true")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Options.Str("trace") != "openat,read" || spec.Options.Str("paths") != "/etc/hostname,/etc/passwd" || !spec.Options.BoolVal("failed") {
		t.Errorf("syscalls options %v", spec.Options)
	}
}

// Bad option lists are one line naming the -e value, the column and what
// is wrong, with exit status 2.
func TestParseEngineFlagErrors(t *testing.T) {
	for _, c := range []struct{ flag, want string }{
		{"signals:rules='SIGUSR1=ignore", `-e "signals:rules='SIGUSR1=ignore": column 15: engine signals: unterminated ' quote`},
		{"signals:frob=1", `-e "signals:frob=1": column 9: engine signals: no option "frob" (options: rules, hold, log)`},
		{"signals:log=true,log=false", `-e "signals:log=true,log=false": column 18: engine signals: option "log" given twice`},
	} {
		_, err := parseEngineFlag(c.flag)
		var ce *configError
		if !errors.As(err, &ce) || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", c.flag, err, c.want)
		}
		if code := execute([]string{"check", "-e", c.flag}); code != 2 {
			t.Errorf("check -e %s: exit status %d, want 2", c.flag, code)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line: %q", err)
		}
	}
}
