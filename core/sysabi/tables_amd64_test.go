package sysabi

import "testing"

// archNumbers returns every architecture's numbers; on amd64 all of them
// are compiled in.
func archNumbers(*testing.T) map[string][]string {
	return map[string][]string{"amd64": numbers[:], "arm64": arm64Numbers[:]}
}
