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

// arches are the architectures the matrix knows.
//
// On arm64, -cpu max has pointer authentication, which the cloud kernel
// uses on every function return; pauth-impdef=on has qemu compute the
// codes with a cheap hash of its own instead of the QARMA cipher the
// architecture specifies, which takes most of TCG's time otherwise. The
// guest cannot tell: it only compares codes the same CPU made.
var arches = []*arch{
	{
		name:    "amd64",
		qemu:    tool{"qemu-system-x86_64", "qemu-system-x86"},
		machine: []string{"-cpu", "max"},
		console: "ttyS0",
		config:  []string{"SERIAL_8250_CONSOLE"},
		cc:      tool{"x86_64-linux-gnu-gcc", "gcc-x86-64-linux-gnu"},
		pc:      "rip",
		arg0:    "rdi",
	},
	{
		name:    "arm64",
		qemu:    tool{"qemu-system-aarch64", "qemu-system-arm"},
		machine: []string{"-M", "virt", "-cpu", "max,pauth-impdef=on"},
		console: "ttyAMA0",
		config:  []string{"SERIAL_AMBA_PL011_CONSOLE", "PCI_HOST_GENERIC"},
		cc:      tool{"aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"},
		pc:      "pc",
		arg0:    "x0",
	},
}

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
