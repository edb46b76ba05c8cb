package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// An arch is a CPU architecture whose kernels the matrix boots: how qemu
// emulates it, how to build for it, and what gdb calls its registers.
type arch struct {
	name    string   // GOARCH, and Debian's name of the architecture
	qemu    tool     // the system emulator
	machine []string // qemu's machine and CPU arguments
	console string   // the serial console's device in the guest
	// config are the kernel options it needs built in besides configNeeds:
	// its serial console's, its PCI host bridge's.
	config []string
	cc     tool // the C compiler for it on a host of another architecture
	// pc and arg0 are gdb's names of the program counter and of the
	// register that holds a function's first integer argument.
	pc, arg0 string
}

// arches are the architectures the matrix knows, on any host: their
// facts are in arch_x86.go and arch_aarch64.go.
var arches = []*arch{amd64, arm64}

// archNamed returns the architecture called name.
func archNamed(name string) (*arch, error) {
	for _, a := range arches {
		if a.name == name {
			return a, nil
		}
	}
	var names []string
	for _, a := range arches {
		names = append(names, a.name)
	}
	return nil, fmt.Errorf("unknown architecture %q: want one of %s", name, strings.Join(names, ", "))
}

// hostArch is the architecture the matrix runs on, nil if arches does not
// have it; its rows run the package tests as well as the smoke test (see
// stagedPackages).
func hostArch() *arch {
	a, _ := archNamed(runtime.GOARCH)
	return a
}

// native reports whether a runs on the host's CPU.
func (a *arch) native() bool { return a.name == runtime.GOARCH }

// compiler is the C compiler that builds a's test programs.
func (a *arch) compiler() tool {
	if a.native() {
		return tool{"gcc", "gcc"}
	}
	return a.cc
}

// flavor is Debian's cloud kernel flavour of a: the cloud kernels are
// small, and have built in what the tests need (BTF, BPF, the ring buffer,
// task storage, syscall tracepoints, the serial console); the network
// device the gdbremote step needs may be a module (see netModules).
func (a *arch) flavor() string { return "cloud-" + a.name }

// stagedPackages are the packages whose tests run on a's kernels. Those of
// another architecture than the host's run only the smoke test: stopper's
// tests run the host's strace, and cross-architecture emulation runs the
// package tests several times more slowly than the host's own.
func (a *arch) stagedPackages() []string {
	if a.native() {
		return slices.Clone(packages)
	}
	return nil
}
