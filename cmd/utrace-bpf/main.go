// Command utrace-bpf traces Linux processes with many independent engines
// at once: eBPF sees and filters events in the kernel, and a ptrace stopper
// is brought in only while an engine must stop a thread, change a system
// call or signal, or single-step. The command line is package cli's; this
// binary has the built-in engines.
package main

import (
	"os"

	"github.com/utrace-bpf/utrace-bpf/cmd/utrace-bpf/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
