package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// The option list of a command-line engine spec (-e TYPE:NAME=VALUE,...)
// is split by one rule, so that lists (signals rules=, syscalls trace= and
// paths=, inject syscall=, counter columns=, ...) need no escaping in the
// usual case:
//
//   - A value runs up to the next ",NAME=" where NAME is another option of
//     the engine type, or to the end: rules=SIGUSR1=ignore,SIGTERM=SIGUSR2,log=false
//     is rules "SIGUSR1=ignore,SIGTERM=SIGUSR2" and log "false".
//   - A value that starts with ' or " runs to the matching closing quote,
//     which must be followed by "," or the end; inside, a backslash before
//     the quote or a backslash stands for that character (other backslashes
//     are kept, for regexes). Quoting is only needed for a value that holds
//     ",NAME=" itself or starts with a quote.
//
// FormatSpec writes what SplitSpec reads back.

// SpecError is a malformed option list: what is wrong, and the byte
// offset in the list where it is.
type SpecError struct {
	Offset int
	Msg    string
}

func (e *SpecError) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg) }

// SplitSpec splits an option list by the rule above into raw values by
// name. names are the engine type's option names; a NAME that is not one
// of them, or given twice, is an error.
func SplitSpec(spec string, names []string) (map[string]string, error) {
	raw := map[string]string{}
	if spec == "" {
		return raw, nil
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for i := 0; ; {
		eq := strings.IndexByte(spec[i:], '=')
		comma := strings.IndexByte(spec[i:], ',')
		if eq < 0 || (comma >= 0 && comma < eq) {
			end := len(spec)
			if comma >= 0 {
				end = i + comma
			}
			return nil, &SpecError{i, fmt.Sprintf("%q: want NAME=VALUE", spec[i:end])}
		}
		name := spec[i : i+eq]
		if !known[name] {
			return nil, &SpecError{i, fmt.Sprintf("no option %q (options: %s)", name, listNames(names))}
		}
		if _, dup := raw[name]; dup {
			return nil, &SpecError{i, fmt.Sprintf("option %q given twice", name)}
		}
		i += eq + 1
		var val string
		if i < len(spec) && (spec[i] == '\'' || spec[i] == '"') {
			v, next, err := unquote(spec, i)
			if err != nil {
				return nil, err
			}
			if next < len(spec) && spec[next] != ',' {
				return nil, &SpecError{next, fmt.Sprintf("option %q: want , or the end after the closing quote", name)}
			}
			val, i = v, next
		} else {
			end := valueEnd(spec, i, known)
			val, i = spec[i:end], end
		}
		raw[name] = val
		if i >= len(spec) {
			return raw, nil
		}
		i++ // the comma
	}
}

// valueEnd is where the bare value starting at i ends: at the first
// ",NAME=" naming an option, or the end of spec.
func valueEnd(spec string, i int, known map[string]bool) int {
	for {
		c := strings.IndexByte(spec[i:], ',')
		if c < 0 {
			return len(spec)
		}
		c += i
		if startsOption(spec[c+1:], known) {
			return c
		}
		i = c + 1
	}
}

// startsOption reports whether s begins with NAME= for a known NAME.
func startsOption(s string, known map[string]bool) bool {
	eq := strings.IndexByte(s, '=')
	return eq >= 0 && known[s[:eq]]
}

// unquote reads the quoted value whose opening quote is at spec[i] and
// returns it and the offset just past the closing quote.
func unquote(spec string, i int) (string, int, error) {
	q := spec[i]
	var b strings.Builder
	for j := i + 1; j < len(spec); j++ {
		switch c := spec[j]; {
		case c == q:
			return b.String(), j + 1, nil
		case c == '\\' && j+1 < len(spec) && (spec[j+1] == q || spec[j+1] == '\\'):
			b.WriteByte(spec[j+1])
			j++
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, &SpecError{i, fmt.Sprintf("unterminated %c quote", q)}
}

// QuoteValue is v in double quotes, with backslashes before its double
// quotes and backslashes: a value SplitSpec reads back as v.
func QuoteValue(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

// FormatSpec writes raw as an option list SplitSpec reads back, sorted by
// name; a value is quoted only when it must be (it holds ",NAME=" for one
// of names, or starts with a quote).
func FormatSpec(raw map[string]string, names []string) string {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := raw[k]
		if strings.HasPrefix(v, "'") || strings.HasPrefix(v, `"`) || valueEnd(v, 0, known) != len(v) {
			v = QuoteValue(v)
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

// OptionNames are the names of t's options, in their order.
func (t *Type) OptionNames() []string {
	names := make([]string, 0, len(t.Options))
	for _, o := range t.Options {
		names = append(names, o.Name)
	}
	return names
}

// ParseSpec splits a command-line option list (see SplitSpec) and checks
// it as Parse does.
func (t *Type) ParseSpec(spec string) (Options, error) {
	raw, err := SplitSpec(spec, t.OptionNames())
	if err != nil {
		return nil, err
	}
	return t.Parse(raw)
}

func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
