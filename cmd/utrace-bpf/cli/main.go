// Package cli is utrace-bpf's command line: the run, attach, monitor,
// strace, status, check and engines commands, the YAML pipeline
// configuration and the session that wires the loader, the stopper, the
// tracer and a pipeline's stages together. Command utrace-bpf is Main;
// a program that adds engines of its own imports their packages and calls
// Main too (see examples/), and gets the same CLI with those engines in it.
//
// Usage:
//
//	utrace-bpf run [flags] -- CMD [ARGS...]
//	utrace-bpf attach -p PID[,PID...] [flags]
//	utrace-bpf strace [strace's options] CMD... | -p PID
//	utrace-bpf monitor [flags]
//	utrace-bpf status
//	utrace-bpf check -c FILE
//	utrace-bpf engines
//	utrace-bpf version
//
// See the README for the configuration schema and the engines.
package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	_ "github.com/utrace-bpf/utrace-bpf/engines/builtin"
	"github.com/utrace-bpf/utrace-bpf/loader"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

// Version is set by the build (-ldflags
// "-X github.com/utrace-bpf/utrace-bpf/cmd/utrace-bpf/cli.Version=...").
var Version = "devel"

// Main runs the command line args (without the program name) and returns
// the exit status: 0, the traced command's, 1 for a failure, 2 for bad
// input. It must be called from the program's main goroutine before any
// other: the commands that load BPF programs first prepare the process
// for it (loader.Prepare).
func Main(args []string) int {
	if len(args) > 0 && loads[args[0]] {
		loader.Prepare()
	}
	return execute(args)
}

// loads are the commands that load the BPF programs.
var loads = map[string]bool{"run": true, "attach": true, "monitor": true, "strace": true}

// flags shared by the tracing commands.
type flags struct {
	config  string
	engines []string
	v       *viper.Viper
}

// exitError carries the exit status a command chose (run passes on the
// traced command's).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func execute(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "utrace-bpf:", oneLine(err))
	var ce *configError
	if errors.As(err, &ce) || isUsage(err) {
		return 2
	}
	return 1
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// isUsage recognizes cobra's own complaints about the command line.
func isUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "unknown command", "flag needs an argument",
		"invalid argument", "accepts", "requires", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func newRoot() *cobra.Command {
	f := &flags{v: viper.New()}
	f.v.SetEnvPrefix("UTRACE_BPF")
	f.v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	f.v.AutomaticEnv()

	root := &cobra.Command{
		Use:           "utrace-bpf",
		Short:         "many tracing engines on the same threads, at the lowest possible cost",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return badInput("%v", err) })
	pf := root.PersistentFlags()
	pf.StringVarP(&f.config, "config", "c", "", "YAML pipeline `file` (default: the built-in syscalls log)")
	pf.StringArrayVarP(&f.engines, "engine", "e", nil, "engine `TYPE[:key=value,...]`, repeatable, in pipeline order; a value runs to the next ,KEY= naming another option of the engine, or is put in '...' or \"...\" (\\ escapes the quote)")
	pf.StringP("output", "o", "", "write events to `FILE` (default standard error)")
	pf.String("format", "", "output format: text or json")
	pf.String("buffer-size", "", "ring buffer `size`, e.g. 8MiB")
	f.v.BindPFlag("output.file", pf.Lookup("output"))
	f.v.BindPFlag("output.format", pf.Lookup("format"))
	f.v.BindPFlag("buffer_size", pf.Lookup("buffer-size"))
	addExportFlags(pf, f.v)
	if env := os.Getenv("UTRACE_BPF_CONFIG"); env != "" {
		f.config = env
	}

	root.AddCommand(
		runCmd(f), attachCmd(f), monitorCmd(f), straceCmd(), statusCmd(), checkCmd(f), enginesCmd(), versionCmd(),
	)
	return root
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		Run: func(c *cobra.Command, args []string) {
			fmt.Println("utrace-bpf", Version)
		},
	}
}

func checkCmd(f *flags) *cobra.Command {
	var kernel bool
	c := &cobra.Command{
		Use:   "check [-c FILE | --kernel]",
		Short: "validate a configuration without tracing, or report what this kernel supports",
		Long: `Check validates the pipeline of -c FILE (and -e engines) without tracing.
With --kernel it reports what the running kernel offers utrace-bpf, and which
tiers and engines work on it; a kernel that lacks something utrace-bpf cannot
do without gets one line naming it, and exit status 2.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if kernel {
				return writeKernelReport(os.Stdout, kernelFacts{bpf: loader.ProbeKernel(), stop: stopper.ProbeKernel()})
			}
			if f.config == "" && len(f.engines) == 0 {
				return badInput("check: give a config with -c FILE (or engines with -e), or --kernel")
			}
			cfg, err := loadConfig(f.v, f.config, f.engines)
			if err != nil {
				return err
			}
			fmt.Printf("%s: ok, %d engine(s):", cfg.File, len(cfg.Engines))
			for _, e := range cfg.Engines {
				fmt.Printf(" %s", e.Name)
			}
			fmt.Println()
			return nil
		},
	}
	c.Flags().BoolVar(&kernel, "kernel", false, "report what the running kernel supports")
	return c
}
