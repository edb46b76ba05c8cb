// Kernels is the kernel matrix: it runs the tests of packages core, loader
// and stopper, and a smoke test of the CLI, on several Linux kernels, and
// prints a pass/fail table with one row per kernel.
//
// The BPF programs meet a different verifier, different tracepoints and
// different kernel features on each kernel version, so passing on the
// developer's kernel proves little about the kernels users run. The matrix
// boots Debian's cloud kernels (the newest 6.1 and 6.12 by default, fetched
// with apt-get download) under qemu with TCG, from an initramfs that holds
// static test binaries, the test programs of test/progs built ahead of time
// (the VM has no gcc; see progs.PrebuiltEnv), busybox, strace, the
// repository's files (some tests read them) and the scripts run.sh and
// smoke.sh; it reads the results from the serial console, so the VM needs
// no disk. The row "host" runs the same binaries and scripts on the
// running kernel (as root), with tracefs as it finds it. The VMs mount
// proc, sysfs, devtmpfs and bpffs but not tracefs: utrace-bpf has to mount
// it itself when it needs the per-syscall tracepoints, and the table's
// TRACEFS column shows where it was mounted before and after the run.
//
// The smoke test runs the CLI as a user does: the syscall log, the
// counter, fault injection (by seccomp and by a kernel trigger on an
// attached process), signals, the process tree, and gdb through the
// gdbremote engine: the matrix runs gdb on the host, which reaches the
// engine in the VM through qemu's user-mode network (a forwarded port of
// 127.0.0.1), breaks in a function of a test program, reads registers and
// continues to the exit (see gdb.go). The VM loads the modules of its
// virtio-net card, which Debian's cloud kernels build as modules, from
// the kernel's package (see netModules).
//
// Kernels of another architecture than the host's boot the same way under
// that architecture's qemu: "arm64:6.12" is Debian's newest 6.12 cloud
// kernel for arm64, booted by qemu-system-aarch64 -M virt -cpu max, with
// utrace-bpf built by GOARCH=arm64, the test programs by the cross
// compiler (aarch64-linux-gnu-gcc -static) and busybox from Debian's
// busybox-static for arm64; gdb is gdb-multiarch. Such rows run the smoke
// test only (the table says n/a for the packages): stopper's tests run
// the host's strace, and some test programs are written for x86-64 alone.
// apt learns of another architecture's packages after dpkg
// --add-architecture arm64 and apt-get update.
//
// Each run also loads every program of the committed BPF objects on its
// own (test/kernels/bpfcheck) and keeps the verifier's log of those the
// kernel rejects. That is informational, since the loader chooses between
// variants of some programs by the kernel's features; it is shown when the
// loader's tests fail (or, where they do not run, when the smoke test
// fails).
//
// Usage:
//
//	go run ./test/kernels [flags]
//
// The flags are:
//
//	-kernels list
//		comma-separated kernels (default 6.1,6.12,host): "host", or
//		[ARCH:]VERSION or [ARCH:]PATH. ARCH is amd64 or arm64, by default
//		the host's; VERSION a version prefix of a Debian cloud kernel
//		package ("6.1" is the newest linux-image-6.1.*-cloud-amd64 apt
//		knows, "arm64:6.12" the newest linux-image-6.12.*-cloud-arm64,
//		"6.12.117" a particular one); PATH the path of a vmlinuz file,
//		with its config-RELEASE and modules-RELEASE/ (as the cache has
//		them) beside it if it has them
//	-cache dir
//		where downloaded kernels are kept (default $UTRACE_KERNEL_CACHE,
//		or /var/cache/utrace-bpf/kernels), with the modules of their
//		network device and another architecture's busybox; with no apt
//		lists, the newest cached kernel of a version is used
//	-run pkg=regexp
//		run only the tests of package pkg (core, loader or stopper) that
//		match regexp; repeatable. Meant for chasing one failure: the
//		matrix itself runs every test.
//	-timeout d
//		wall-clock limit of each kernel's run, boot included (default 10m)
//	-test-timeout d
//		limit of each test binary (its -test.timeout; default 6m)
//	-smp n, -mem size
//		CPUs (default 2) and memory (default 2G) of each VM
//	-tcg single|multi
//		TCG's threading (default single: one host thread runs all the
//		VM's CPUs). qemu 7.2's multi-threaded TCG does not survive the
//		kernel patching its own text, which attaching and detaching
//		tracepoints does (static keys): the guest oopses on a stale int3
//		in syscall_trace_enter, or both CPUs lock up in loader.test.
//	-keep
//		keep the work directory (logs, staged binaries, initramfs) even
//		when everything passed
//	-v
//		copy every kernel's console to standard output as it comes
//
// At the end it prints, per kernel, the slowest tests and what failed,
// with the end of each failed test's output, then the table: each step's
// result and time, and the row's total, boot included. Under TCG on two
// host CPUs an x86-64 VM takes 2 to 5 minutes (6.12 runs about twice as
// slowly as 6.1), and the whole default matrix 5 to 7; an arm64 row, which
// runs the smoke test only, under a minute (30 to 50 s, boot included).
//
// The exit status is 1 if any kernel failed any test or smoke step, 2 if
// the matrix could not run. The work directory, whose path is printed, has
// each kernel's full log (NAME.log) and gdb's (NAME.gdb.log). The commands
// the matrix needs are named with their Debian packages if missing
// (qemu-system-x86, busybox-static, gcc, libc6-dev, strace, gdb; for arm64
// qemu-system-arm, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross,
// gdb-multiarch; xz-utils to unpack modules); it installs nothing itself.
// The initramfs is written by the matrix (newc format), so cpio is not
// needed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// A config is what the flags chose.
type config struct {
	kernels     []string
	cache       string
	run         runPatterns
	timeout     time.Duration
	testTimeout time.Duration
	keep        bool
	verbose     bool
	vm          vmConfig
}

// runPatterns is the -run flag: a -test.run pattern per package.
type runPatterns map[string]string

func (r runPatterns) String() string {
	var s []string
	for k, v := range r {
		s = append(s, k+"="+v)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func (r runPatterns) Set(v string) error {
	pkg, re, ok := strings.Cut(v, "=")
	if !ok || !slices.Contains(packages, pkg) {
		return fmt.Errorf("want PKG=REGEXP with PKG one of %s", strings.Join(packages, ", "))
	}
	if _, err := regexp.Compile(re); err != nil {
		return err
	}
	r[pkg] = re
	return nil
}

func main() {
	cfg := config{run: runPatterns{}}
	kernels := flag.String("kernels", "6.1,6.12,host", "comma-separated kernels: host, or [ARCH:]VERSION (a Debian cloud kernel version prefix: 6.1, 6.12, arm64:6.12) or [ARCH:]PATH of a vmlinuz; ARCH amd64 or arm64, the host's by default")
	defCache := os.Getenv("UTRACE_KERNEL_CACHE")
	if defCache == "" {
		defCache = "/var/cache/utrace-bpf/kernels"
	}
	flag.StringVar(&cfg.cache, "cache", defCache, "directory of downloaded kernels (env UTRACE_KERNEL_CACHE)")
	flag.Var(cfg.run, "run", "`pkg=regexp`: run only the matching tests of pkg (repeatable)")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "wall-clock limit of each kernel's run, boot included")
	flag.DurationVar(&cfg.testTimeout, "test-timeout", 6*time.Minute, "limit of each test binary (-test.timeout)")
	flag.IntVar(&cfg.vm.cpus, "smp", 2, "CPUs of each VM")
	flag.StringVar(&cfg.vm.mem, "mem", "2G", "memory of each VM")
	flag.StringVar(&cfg.vm.thread, "tcg", "single", "TCG threading: single (one host thread for all CPUs) or multi")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory even if everything passed")
	flag.BoolVar(&cfg.verbose, "v", false, "copy the consoles to standard output")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./test/kernels [flags]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	for k := range strings.SplitSeq(*kernels, ",") {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(cfg.kernels, k) {
			cfg.kernels = append(cfg.kernels, k)
		}
	}
	if len(cfg.kernels) == 0 {
		fmt.Fprintln(os.Stderr, "kernels: -kernels is empty")
		os.Exit(2)
	}
	if cfg.vm.thread != "single" && cfg.vm.thread != "multi" {
		fmt.Fprintf(os.Stderr, "kernels: -tcg %s: want single or multi\n", cfg.vm.thread)
		os.Exit(2)
	}
	ok, err := matrix(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// A row is one kernel's run.
type row struct {
	spec    string  // as in -kernels
	arch    *arch   // the kernel's, or the host's
	kernel  *kernel // nil for the host
	notes   []string
	log     string
	rep     *report
	elapsed time.Duration
	err     error // the run did not complete
}

// steps are the steps of run.sh that decide a row, in the table's order:
// those of the packages its architecture runs (arch.stagedPackages), and
// the smoke test.
func (r *row) steps() []string { return append(r.arch.stagedPackages(), "smoke") }

// allSteps are the table's step columns.
var allSteps = append(slices.Clone(packages), "smoke")

func (r *row) ok() bool {
	if r.err != nil || r.rep == nil || !r.rep.Done {
		return false
	}
	for _, name := range r.steps() {
		if s := r.rep.Steps[name]; s == nil || s.Status != "PASS" {
			return false
		}
	}
	return true
}

// A build is what the rows of one architecture run: the staged tree
// (see stage) and what the VMs' initramfs takes from the host.
type build struct {
	arch   *arch
	staged string
	sys    system
	qemu   string // the system emulator, for VMs
	gdb    string // the gdb that runs the smoke test's client side
}

// matrix runs every kernel of cfg and prints the table. It reports whether
// all passed; an error means it could not run.
func matrix(cfg config) (bool, error) {
	// The architectures of the rows, and those that boot VMs.
	host := hostArch()
	var archs []*arch
	vms := map[*arch]bool{}
	for _, spec := range cfg.kernels {
		a := host
		if spec == "host" {
			if host == nil {
				return false, fmt.Errorf(`the row "host": the matrix does not know this host's architecture %s`, runtime.GOARCH)
			}
			if os.Geteuid() != 0 {
				return false, errors.New(`the row "host" runs the tests as root (BPF and ptrace): run as root, or leave host out of -kernels`)
			}
		} else {
			var err error
			if a, _, err = parseSpec(spec); err != nil {
				return false, err
			}
			vms[a] = true
		}
		if !slices.Contains(archs, a) {
			archs = append(archs, a)
		}
	}
	need := []tool{{"go", "golang"}, {"git", "git"}}
	if len(vms) > 0 {
		need = append(need, tool{"apt-cache", "apt"}, tool{"apt-get", "apt"}, tool{"dpkg-deb", "dpkg"})
	}
	for _, a := range archs {
		need = append(need, a.compiler(), gdbTool(a))
		if a.native() {
			need = append(need, hostCommands...)
		}
		if vms[a] {
			need = append(need, a.qemu)
			if a.native() {
				need = append(need, tool{"busybox", "busybox-static"}, tool{"ldd", "libc-bin"})
			}
		}
	}
	tools, err := lookTools(need...)
	if err != nil {
		return false, err
	}
	repo, err := repoRoot()
	if err != nil {
		return false, err
	}

	// Kernels first: a missing one should not wait for the builds.
	rows := make([]*row, len(cfg.kernels))
	for i, spec := range cfg.kernels {
		if rows[i], err = newRow(spec, cfg.cache); err != nil {
			return false, err
		}
	}

	work, err := os.MkdirTemp("", "utrace-kernels-")
	if err != nil {
		return false, err
	}
	fmt.Printf("work directory: %s\n", work)
	start := time.Now()
	builds := map[*arch]*build{}
	for _, a := range archs {
		b := &build{arch: a, staged: filepath.Join(work, a.name), qemu: tools[a.qemu.cmd], gdb: tools[gdbTool(a).cmd]}
		if err := stage(repo, b.staged, a, tools[a.compiler().cmd]); err != nil {
			return false, fmt.Errorf("building for %s: %w", a.name, err)
		}
		if err := writeEnv(filepath.Join(b.staged, "env.sh"), a, cfg); err != nil {
			return false, err
		}
		switch {
		case !vms[a]:
		case a.native():
			if err := checkStatic(tools["busybox"]); err != nil {
				return false, fmt.Errorf("%w: the VM needs a static busybox (Debian package busybox-static)", err)
			}
			b.sys.busybox = tools["busybox"]
			for _, t := range hostCommands {
				b.sys.dynamic = append(b.sys.dynamic, tools[t.cmd])
			}
		default:
			// Another architecture's VMs take busybox from its Debian package.
			if b.sys.busybox, err = foreignBusybox(a, cfg.cache); err != nil {
				return false, err
			}
			b.sys.foreign = true
		}
		builds[a] = b
	}
	fmt.Printf("built in %v\n", time.Since(start).Round(100*time.Millisecond))

	for _, r := range rows {
		r.log = filepath.Join(work, logName(r.spec))
		if err := r.run(cfg, builds[r.arch]); err != nil {
			return false, err
		}
	}

	printDetails(os.Stdout, rows)
	printTable(os.Stdout, rows)
	for _, pkg := range packages {
		if re, ok := cfg.run[pkg]; ok {
			fmt.Printf("(%s: only the tests matching -run %s=%s)\n", pkg, pkg, re)
		}
	}
	allOK := true
	for _, r := range rows {
		allOK = allOK && r.ok()
	}
	if allOK && !cfg.keep {
		os.RemoveAll(work)
		fmt.Println("all passed")
	} else {
		fmt.Printf("full logs: %s\n", work)
	}
	return allOK, nil
}

// newRow resolves a kernel of -kernels, downloading it if needed, and
// checks its config.
func newRow(spec, cache string) (*row, error) {
	r := &row{spec: spec, arch: hostArch()}
	if spec == "host" {
		return r, nil
	}
	k, err := resolveKernel(spec, cache)
	if err != nil {
		return nil, err
	}
	r.kernel, r.arch = k, k.Arch
	what := k.Release
	if k.Package != "" {
		what += " (" + k.Package + ")"
	}
	fmt.Printf("kernel %s: %s\n", spec, what)
	if k.Config != "" {
		if r.notes, err = checkConfig(k.Arch, k.Config); err != nil {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		for _, n := range r.notes {
			fmt.Printf("kernel %s: warning: %s\n", spec, n)
		}
	}
	return r, nil
}

// run runs run.sh on the row's kernel: in a VM booted from an initramfs
// of b written beside the row's log, or on the host from b's staged tree.
// It runs the client side of the smoke test's gdbremote step when the step
// asks. An error means the VM could not be made.
func (r *row) run(cfg config, b *build) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	client := &gdbClient{gdb: b.gdb, arch: b.arch, exe: filepath.Join(b.staged, debugProg),
		log: strings.TrimSuffix(r.log, ".log") + ".gdb.log"}
	var cmd *exec.Cmd
	if r.kernel == nil {
		cmd = hostCommand(ctx, b.staged)
	} else {
		initrd := strings.TrimSuffix(r.log, ".log") + ".cpio"
		sys := b.sys
		sys.modules = r.kernel.Modules
		if err := writeInitramfs(initrd, b.staged, sys); err != nil {
			return fmt.Errorf("kernel %s: writing the initramfs: %w", r.spec, err)
		}
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("kernel %s: a port for gdb: %w", r.spec, err)
		}
		client.addr = fmt.Sprintf("127.0.0.1:%d", port)
		cmd = vmCommand(ctx, b.qemu, r.kernel, initrd, cfg.vm, port)
	}
	fmt.Printf("%s: running\n", r.spec)
	start := time.Now()
	r.rep, r.err = runLogged(ctx, cmd, r.log, func(line string) {
		if m := gdbListenLine.FindStringSubmatch(line); m != nil {
			client.start(ctx, m[1])
		}
		progress(cfg, r, line)
	})
	if it := client.finish(r.rep); it != nil {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s: gdb on the host %s %s", r.spec, it.Status, it.Why)))
	}
	r.elapsed = time.Since(start)
	if r.err != nil {
		fmt.Printf("%s: %v\n", r.spec, r.err)
	}
	return nil
}

// progress prints a line of a kernel's output: all of them with -v, the
// result of each step otherwise.
func progress(cfg config, r *row, line string) {
	if cfg.verbose {
		fmt.Printf("%s| %s\n", r.spec, line)
		return
	}
	if m := resultLine.FindStringSubmatch(line); m != nil {
		if m[1] == "bpf" {
			fmt.Printf("%s: bpf check %s %ss (informational)\n", r.spec, m[2], m[3])
			return
		}
		fmt.Printf("%s: %s %s %ss\n", r.spec, m[1], m[2], m[3])
	}
}

// writeEnv writes the settings run.sh reads on a's kernels.
func writeEnv(path string, a *arch, cfg config) error {
	var b strings.Builder
	// The test programs, prebuilt: run.sh sets U to its UTRACE_ROOT.
	fmt.Fprintf(&b, "export %s=\"$U/progs\"\n", progs.PrebuiltEnv)
	fmt.Fprintf(&b, "UTRACE_PACKAGES=%s\n", shellQuote(strings.Join(a.stagedPackages(), " ")))
	fmt.Fprintf(&b, "UTRACE_TEST_TIMEOUT=%s\n", shellQuote(cfg.testTimeout.String()))
	for pkg, re := range cfg.run {
		fmt.Fprintf(&b, "UTRACE_RUN_%s=%s\n", pkg, shellQuote(re))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// logName is a file name for a kernel's log.
func logName(spec string) string {
	return regexp.MustCompile(`[^A-Za-z0-9._+-]+`).ReplaceAllString(filepath.Base(spec), "_") + ".log"
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not in a Go module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// printTable prints one row per kernel: each step's result and time.
func printTable(w *os.File, rows []*row) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	head := []string{"KERNEL"}
	for _, s := range allSteps {
		head = append(head, strings.ToUpper(s))
	}
	head = append(head, "TRACEFS", "TOTAL")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		name := r.spec
		if r.rep != nil && r.rep.Release != "" {
			name += " " + r.rep.Release
		} else if r.kernel != nil {
			name += " " + r.kernel.Release
		}
		cells := []string{name}
		for _, s := range allSteps {
			cells = append(cells, cell(r, s))
		}
		cells = append(cells, tracefsCell(r), r.elapsed.Round(time.Second).String())
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// cell is one step's result in the table.
func cell(r *row, name string) string {
	if !slices.Contains(r.steps(), name) {
		return "n/a"
	}
	if r.rep == nil {
		return "-"
	}
	s := r.rep.Steps[name]
	switch {
	case s == nil && r.err != nil:
		return "not run"
	case s == nil:
		return "-"
	case s.Status == "":
		return "NO RESULT"
	}
	c := s.Status + " " + secs(s.Secs)
	if len(s.Items) > 0 {
		n := 0
		for _, it := range s.Items {
			if it.Status == "PASS" {
				n++
			}
		}
		return fmt.Sprintf("%s %d/%d %s", s.Status, n, len(s.Items), secs(s.Secs))
	}
	if pass, fail, skip := s.Counts(); fail > 0 || skip > 0 {
		var extra []string
		if fail > 0 {
			extra = append(extra, fmt.Sprintf("%d/%d failed", fail, pass+fail+skip))
		}
		if skip > 0 {
			extra = append(extra, fmt.Sprintf("%d skipped", skip))
		}
		c += " (" + strings.Join(extra, ", ") + ")"
	}
	return c
}

// tracefsCell says where tracefs was mounted before and after the run.
func tracefsCell(r *row) string {
	if r.rep == nil || r.rep.TracefsPre == "" {
		return "-"
	}
	if r.rep.TracefsEnd == "" || r.rep.TracefsEnd == r.rep.TracefsPre {
		return r.rep.TracefsPre
	}
	return r.rep.TracefsPre + " -> " + r.rep.TracefsEnd
}
