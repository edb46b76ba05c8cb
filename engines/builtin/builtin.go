// Package builtin registers utrace-bpf's built-in engine types with
// package pipeline: a program that imports it (the CLI does) can name them
// in a pipeline. Each engine is its own package beside the others under
// engines/, written against pipeline and core only, as an engine from
// outside the tree would be (see examples/).
package builtin

import (
	// Each import registers its engine type from an init function.
	_ "github.com/utrace-bpf/utrace-bpf/engines/counter"
	_ "github.com/utrace-bpf/utrace-bpf/engines/gdbremote"
	_ "github.com/utrace-bpf/utrace-bpf/engines/inject"
	_ "github.com/utrace-bpf/utrace-bpf/engines/inspect"
	_ "github.com/utrace-bpf/utrace-bpf/engines/proctree"
	_ "github.com/utrace-bpf/utrace-bpf/engines/signals"
	_ "github.com/utrace-bpf/utrace-bpf/engines/stepper"
	_ "github.com/utrace-bpf/utrace-bpf/engines/syscalls"
)
