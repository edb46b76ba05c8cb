package main

// amd64 is x86-64, the kernels' cloud-amd64 flavour. (The file's name is
// bpf2go's for the architecture, which, unlike _amd64, builds on any host:
// the matrix boots every architecture's kernels wherever it runs.)
var amd64 = &arch{
	name:    "amd64",
	qemu:    tool{"qemu-system-x86_64", "qemu-system-x86"},
	machine: []string{"-cpu", "max"},
	console: "ttyS0",
	config:  []string{"SERIAL_8250_CONSOLE"},
	cc:      tool{"x86_64-linux-gnu-gcc", "gcc-x86-64-linux-gnu"},
	pc:      "rip",
	arg0:    "rdi",
}
