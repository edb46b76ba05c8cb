package main

// arm64 is the kernels' cloud-arm64 flavour, on qemu's generic virt
// machine. (The file's name is not _arm64, which would build it on arm64
// hosts only: the matrix boots every architecture's kernels wherever it
// runs.)
//
// -cpu max has pointer authentication, which the cloud kernel uses on
// every function return; pauth-impdef=on has qemu compute the codes with a
// cheap hash of its own instead of the QARMA cipher the architecture
// specifies, which takes most of TCG's time otherwise. The guest cannot
// tell: it only compares codes the same CPU made.
var arm64 = &arch{
	name:    "arm64",
	qemu:    tool{"qemu-system-aarch64", "qemu-system-arm"},
	machine: []string{"-M", "virt", "-cpu", "max,pauth-impdef=on"},
	console: "ttyAMA0",
	config:  []string{"SERIAL_AMBA_PL011_CONSOLE", "PCI_HOST_GENERIC"},
	cc:      tool{"aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"},
	pc:      "pc",
	arg0:    "x0",
}
