package loader

import (
	"strings"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
)

// Every system call number the programs hold is set, to sysabi's number
// for the architecture: none is left at its -1.
func TestSyscallNumbers(t *testing.T) {
	spec, err := loadUtrace()
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, v := range syscallNumbers {
		set[v.variable] = true
	}
	for name := range spec.Variables {
		if strings.HasPrefix(name, "nr_") && !set[name] {
			t.Errorf("variable %s holds a system call number (bpf/helpers.h) that setSyscallNumbers does not set", name)
		}
	}
	if err := setSyscallNumbers(spec); err != nil {
		t.Fatal(err)
	}
	for _, v := range syscallNumbers {
		var got int32
		if err := spec.Variables[v.variable].Get(&got); err != nil {
			t.Fatal(err)
		}
		if want := sysabi.MustNumber(v.syscall); int(got) != want || got < 0 {
			t.Errorf("%s = %d, want %s's number %d", v.variable, got, v.syscall, want)
		}
	}
}
