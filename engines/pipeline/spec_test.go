package pipeline

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

var signalsNames = []string{"rules", "hold", "log"}

func TestSplitSpec(t *testing.T) {
	for _, c := range []struct {
		spec  string
		names []string
		want  map[string]string
	}{
		// The example: the rules value holds both , and =.
		{"rules=SIGUSR1=ignore,SIGTERM=SIGUSR2", signalsNames, map[string]string{"rules": "SIGUSR1=ignore,SIGTERM=SIGUSR2"}},
		{"rules=SIGUSR1=ignore,SIGTERM=SIGUSR2,log=false", signalsNames, map[string]string{"rules": "SIGUSR1=ignore,SIGTERM=SIGUSR2", "log": "false"}},
		{"log=false,rules=SIGUSR1=ignore,SIGTERM=SIGUSR2", signalsNames, map[string]string{"rules": "SIGUSR1=ignore,SIGTERM=SIGUSR2", "log": "false"}},
		{"rules='SIGUSR1=ignore,SIGTERM=SIGUSR2',hold=2s", signalsNames, map[string]string{"rules": "SIGUSR1=ignore,SIGTERM=SIGUSR2", "hold": "2s"}},
		{`rules="a\"b\\c\d"`, signalsNames, map[string]string{"rules": `a"b\c\d`}},
		{"trace=file,network,failed=true", []string{"trace", "failed"}, map[string]string{"trace": "file,network", "failed": "true"}},
		// A value holding ",NAME=" of another option needs quotes.
		{`paths="/a,path=/b",path=/c`, []string{"path", "paths"}, map[string]string{"paths": "/a,path=/b", "path": "/c"}},
		{"rules=", signalsNames, map[string]string{"rules": ""}},
		{"rules=,log=true", signalsNames, map[string]string{"rules": "", "log": "true"}},
		{"", signalsNames, map[string]string{}},
	} {
		got, err := SplitSpec(c.spec, c.names)
		if err != nil {
			t.Errorf("SplitSpec(%q): %v", c.spec, err)
			continue
		}
		if !maps.Equal(got, c.want) {
			t.Errorf("SplitSpec(%q) = %q, want %q", c.spec, got, c.want)
		}
	}
}

func TestSplitSpecErrors(t *testing.T) {
	for _, c := range []struct {
		spec   string
		offset int
		msg    string
	}{
		{"rules='SIGUSR1=ignore", 6, "unterminated ' quote"},
		{`rules="x\"`, 6, `unterminated " quote`},
		{"frob=1", 0, `no option "frob" (options: rules, hold, log)`},
		{"SIGUSR1=ignore,SIGTERM=SIGUSR2", 0, `no option "SIGUSR1"`},
		{"rules", 0, `"rules": want NAME=VALUE`},
		{"log=true,log=false", 9, `option "log" given twice`},
		{"rules='a'b", 9, "after the closing quote"},
	} {
		_, err := SplitSpec(c.spec, signalsNames)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("SplitSpec(%q): %v, want a SpecError", c.spec, err)
			continue
		}
		if se.Offset != c.offset || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("SplitSpec(%q): offset %d %q, want offset %d %q", c.spec, se.Offset, se.Msg, c.offset, c.msg)
		}
	}
}

func TestFormatSpec(t *testing.T) {
	raw := map[string]string{"rules": "SIGUSR1=ignore,SIGTERM=SIGUSR2", "log": "false"}
	if got, want := FormatSpec(raw, signalsNames), "log=false,rules=SIGUSR1=ignore,SIGTERM=SIGUSR2"; got != want {
		t.Errorf("FormatSpec = %q, want %q", got, want)
	}
	raw = map[string]string{"rules": "a,log=b", "hold": `'x`}
	if got, want := FormatSpec(raw, signalsNames), `hold="'x",rules="a,log=b"`; got != want {
		t.Errorf("FormatSpec = %q, want %q", got, want)
	}
}

// FuzzSplitSpec checks the rule's properties on arbitrary input: SplitSpec
// never panics and its errors are one line at an offset inside the spec;
// what it accepts, FormatSpec writes back to a spec that splits to the
// same values; and any value, quoted, reads back as itself.
func FuzzSplitSpec(f *testing.F) {
	for _, seed := range []string{
		"rules=SIGUSR1=ignore,SIGTERM=SIGUSR2",
		"rules=SIGUSR1=ignore,SIGTERM=SIGUSR2,log=false",
		"rules='SIGUSR1=ignore,SIGTERM=SIGUSR2'",
		`rules="a\"b\\c",hold=1s`,
		"rules='unterminated",
		"hold=1s,log=true,rules=",
		"frob=1",
		",,=",
		`rules="x"y`,
	} {
		f.Add(seed, "SIGUSR1=ignore,log=x")
	}
	f.Fuzz(func(t *testing.T, spec, value string) {
		raw, err := SplitSpec(spec, signalsNames)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(spec) || strings.Contains(se.Msg, "\n") {
				t.Errorf("SplitSpec(%q): bad error %#v", spec, err)
			}
		} else {
			formatted := FormatSpec(raw, signalsNames)
			back, err := SplitSpec(formatted, signalsNames)
			if err != nil || !maps.Equal(back, raw) {
				t.Errorf("SplitSpec(%q) = %q; FormatSpec: %q; split again: %q, %v", spec, raw, formatted, back, err)
			}
		}
		for _, quoted := range []string{QuoteValue(value), FormatSpec(map[string]string{"rules": value}, signalsNames)[len("rules="):]} {
			back, err := SplitSpec("rules="+quoted+",log=true", signalsNames)
			if err != nil || back["rules"] != value || back["log"] != "true" {
				t.Errorf("value %q written %q: split back %q, %v", value, quoted, back, err)
			}
		}
	})
}
