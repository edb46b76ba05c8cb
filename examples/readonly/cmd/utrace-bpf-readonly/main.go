// Command utrace-bpf-readonly is utrace-bpf with one engine more: the
// readonly engine of package readonly, built outside utrace-bpf's tree.
package main

import (
	"os"

	"github.com/utrace-bpf/utrace-bpf/cmd/utrace-bpf/cli"
	_ "github.com/utrace-bpf/utrace-bpf/examples/readonly"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
