package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"golang.org/x/sys/unix"
)

// SyscallSet turns a trace spec (strace's -e trace= syntax: names,
// %classes, /regex, !negation) into a set of this ABI's numbers; "" means
// every call, which is nil.
func SyscallSet(spec string) (*core.SyscallSet, error) {
	if spec == "" {
		return nil, nil
	}
	nrs, err := sysabi.Expand(spec)
	if err != nil {
		return nil, err
	}
	var set core.SyscallSet
	for _, nr := range nrs {
		set.Add(nr)
	}
	return &set, nil
}

// ParseSignal accepts SIGUSR1, USR1 or 10.
func ParseSignal(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return n, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if n := unix.SignalNum(name); n != 0 {
		return int(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// SignalName is the signal's name (SIGUSR1), or SIGn for one without.
func SignalName(n int) string {
	if s := unix.SignalName(unix.Signal(n)); s != "" {
		return s
	}
	return "SIG" + strconv.Itoa(n)
}
