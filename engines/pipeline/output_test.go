package pipeline

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// Every string, escaped by appendJSONString, is valid JSON that decodes
// to the string itself (invalid UTF-8 to U+FFFD, as encoding/json does).
func TestAppendJSONStringRoundTrip(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and backslash \`, "tab\tnew\nline\rcr",
		"\x00\x01\x1f\x7f", "héllo ☃", "bad \xff utf-8", "/etc/ld.so.cache", "\"",
	} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s is not a JSON string: %v", s, b, err)
			continue
		}
		want := s
		if !utf8.ValidString(s) {
			want = string([]rune(s)) // invalid bytes become U+FFFD
		}
		if got != want {
			t.Errorf("%q: %s decodes to %q", s, b, got)
		}
	}
}
