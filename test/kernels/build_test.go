package main

import (
	"regexp"
	"slices"
	"testing"
)

// smokeProgs lists the test programs smoke.sh runs, and only those: an
// architecture that runs only the smoke test gets no others.
func TestSmokeProgs(t *testing.T) {
	var used []string
	for _, m := range regexp.MustCompile(`\$PROGS/([A-Za-z0-9_]+)`).FindAllStringSubmatch(string(smokeScript), -1) {
		if !slices.Contains(used, m[1]) {
			used = append(used, m[1])
		}
	}
	slices.Sort(used)
	want := slices.Sorted(slices.Values(smokeProgs))
	if !slices.Equal(used, want) {
		t.Errorf("smoke.sh runs %q, smokeProgs has %q", used, want)
	}
}
