package main

import (
	"bufio"
	"debug/elf"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// packages are the packages whose tests the matrix runs, in this order.
var packages = []string{"core", "loader", "stopper"}

// The scripts of the staged tree. init.sh is the initramfs's /init;
// run.sh runs everything (in the VM and on the host), smoke.sh the CLI's
// smoke test.
var (
	//go:embed init.sh
	initScript []byte
	//go:embed run.sh
	runScript []byte
	//go:embed smoke.sh
	smokeScript []byte
)

// gccFlags are those of progs.BuildIn, and -static: the VM has no C library.
var gccFlags = []string{"-static", "-O2", "-Wall", "-Werror", "-pthread"}

// debugFlags are those of the e2e tests' programs for gdb, and -static.
var debugFlags = []string{"-static", "-g", "-O0", "-fno-omit-frame-pointer", "-Wall", "-Werror", "-pthread"}

// tool is a command the matrix needs and the Debian package that has it.
type tool struct{ cmd, pkg string }

// lookTools finds the commands, or names the packages to install.
func lookTools(tools ...tool) (map[string]string, error) {
	paths := map[string]string{}
	var missing []string
	for _, t := range tools {
		p, err := exec.LookPath(t.cmd)
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", t.cmd, t.pkg))
			continue
		}
		paths[t.cmd] = p
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing commands: %s", strings.Join(missing, ", "))
	}
	return paths, nil
}

// debugProg is the program of the smoke test's gdbremote step, in the
// staged tree: test/progs/c/gdbadd.c built for a debugger (see stage).
const debugProg = "debug/gdbadd"

// stage builds into dir what run.sh needs on a's kernels, laid out as it
// expects: bin/ (the test binaries of a.stagedPackages, utrace-bpf,
// bpfcheck), progs/ (every test/progs/c/*.c, built by the C compiler cc),
// debug/gdbadd (see debugProg), src/ (the repository's files: each test
// binary runs in src/PKG, where it finds its testdata and whatever else it
// reads, such as ../bpf/*.h) and the scripts. The binaries are static:
// the VM has no libraries.
func stage(repo, dir string, a *arch, cc string) error {
	for _, d := range []string{"bin", "progs", path.Dir(debugProg)} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	goEnv := append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+a.name)
	var cmds [][]string
	if pkgs := a.stagedPackages(); len(pkgs) > 0 {
		args := []string{"go", "test", "-c", "-o", filepath.Join(dir, "bin") + "/"}
		for _, p := range pkgs {
			args = append(args, "./"+p)
		}
		cmds = append(cmds, args)
	}
	cmds = append(cmds,
		[]string{"go", "build", "-o", filepath.Join(dir, "bin", "utrace-bpf"), "./cmd/utrace-bpf"},
		[]string{"go", "build", "-o", filepath.Join(dir, "bin", "bpfcheck"), "./test/kernels/bpfcheck"})
	for _, args := range cmds {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = repo
		cmd.Env = goEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("GOARCH=%s %s: %w\n%s", a.name, strings.Join(args, " "), err, out)
		}
	}
	src := filepath.Join(repo, "test", "progs", "c")
	var progs []string // all of them, for the package tests
	if len(a.stagedPackages()) == 0 {
		progs = smokeProgs
	}
	if err := buildProgs(cc, src, filepath.Join(dir, "progs"), progs); err != nil {
		return err
	}
	// gdb's breakpoint goes on a function -O2 would inline.
	name := path.Base(debugProg)
	if err := compile(cc, filepath.Join(dir, debugProg), filepath.Join(src, name+".c"), debugFlags...); err != nil {
		return err
	}
	if err := copySources(repo, filepath.Join(dir, "src")); err != nil {
		return err
	}
	if objs, _ := filepath.Glob(filepath.Join(dir, "src", "loader", "*_bpfel.o")); len(objs) == 0 {
		return errors.New("no BPF objects loader/*_bpfel.o")
	}
	for name, data := range map[string][]byte{"run.sh": runScript, "smoke.sh": smokeScript} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// maxSource is the size above which copySources leaves a file out: a
// binary built in the work tree, not a source the tests read.
const maxSource = 4 << 20

// copySources copies the repository's files (those git tracks, and the
// new ones it does not ignore) into dst.
func copySources(repo, dst string) error {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w%s", err, stderrOf(err))
	}
	for name := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(repo, name)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxSource {
			continue // deleted in the work tree, a link, or a binary
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := copyFile(to, src); err != nil {
			return err
		}
	}
	for _, p := range packages {
		if err := os.MkdirAll(filepath.Join(dst, p), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// smokeProgs are the programs of test/progs that smoke.sh runs (as
// $PROGS/name): what an architecture that runs only the smoke test needs
// of them. Some of the others are written for x86-64 alone.
var smokeProgs = []string{"opener", "signals"}

// buildProgs compiles the C programs of src named in names (all if names
// is nil) into dst with the C compiler cc, as progs.BuildIn would, but
// static.
func buildProgs(cc, src, dst string, names []string) error {
	files, err := filepath.Glob(filepath.Join(src, "*.c"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no C programs in %s", src)
	}
	if names != nil {
		files = files[:0]
		for _, n := range names {
			files = append(files, filepath.Join(src, n+".c"))
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, runtime.NumCPU())
	)
	for _, f := range files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out := filepath.Join(dst, strings.TrimSuffix(filepath.Base(f), ".c"))
			if err := compile(cc, out, f, gccFlags...); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// compile builds the C file src into the program out with cc and flags.
func compile(cc, out, src string, flags ...string) error {
	args := append(slices.Clone(flags), "-o", out, src)
	if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s(-static needs the C library's archives: Debian package %s)",
			filepath.Base(cc), strings.Join(args, " "), err, msg, libcDev(cc))
	}
	return nil
}

// libcDev is the Debian package of the static C library the compiler cc
// links with.
func libcDev(cc string) string {
	switch filepath.Base(cc) {
	case "aarch64-linux-gnu-gcc":
		return "libc6-dev-arm64-cross"
	case "x86_64-linux-gnu-gcc":
		return "libc6-dev-amd64-cross"
	}
	return "libc6-dev"
}

// foreignBusybox returns a static busybox for a, another architecture
// than the host's, from Debian's busybox-static package: the candidate
// version apt has, downloaded into cache once, or without apt's lists the
// newest one in cache.
func foreignBusybox(a *arch, cache string) (string, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("kernel cache: %w", err)
	}
	const pkg = "busybox-static"
	prefix := filepath.Join(cache, "busybox-"+a.name+"-")
	have, err := candidates(a, pkg)
	if err != nil || have[pkg] == "" {
		cached, _ := filepath.Glob(prefix + "*")
		if len(cached) == 0 {
			return "", fmt.Errorf("%s:%s: apt has no candidate version (run apt-get update%s?), and none is in %s",
				pkg, a.name, foreignHint(a), cache)
		}
		slices.Sort(cached)
		return cached[len(cached)-1], nil
	}
	bin := prefix + strings.NewReplacer(":", "_", "/", "_").Replace(have[pkg])
	if fileExists(bin) {
		return bin, nil
	}
	deb, cleanup, err := aptDownload(a, pkg, cache)
	if err != nil {
		return "", err
	}
	defer cleanup()
	if err := extract(deb, map[string]string{"./bin/busybox": bin}); err != nil {
		return "", fmt.Errorf("extracting %s: %w", filepath.Base(deb), err)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		return "", err
	}
	return bin, checkStatic(bin)
}

// system is what the initramfs takes from the host besides the staged tree.
type system struct {
	busybox string // a static busybox: the shell and the coreutils
	// foreign says busybox is another architecture's: it cannot list its
	// applets here, and the VM's /init makes their links.
	foreign bool
	dynamic []string // dynamically linked commands, copied with their libraries
	modules []string // kernel modules the VM loads, in order (see netModules)
}

// hostCommands are the host's commands the VM gets in place of busybox's:
// strace (stopper's tests attach it to a process the stopper let go) and
// true, since a test expects an exec of /bin/true to run /usr/bin/true,
// as on Debian, not /bin/busybox.
var hostCommands = []tool{{"strace", "strace"}, {"true", "coreutils"}}

// writeInitramfs writes the VM's root file system to path: /init, busybox
// and its applets, the dynamic commands with their libraries, the modules
// in /lib/modules with the order they load in (/lib/modules/load), a
// minimal /etc, and the staged tree as /utrace.
func writeInitramfs(path, staged string, sys system) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := newCpioWriter(f)
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "lib", "lib64", "etc", "proc", "sys", "dev", "run", "root", "mnt"} {
		if err := w.Dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := w.Dir("tmp", 0o1777); err != nil {
		return err
	}
	// The kernel opens /dev/console for init before anything is mounted.
	if err := w.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := w.CharDev("dev/null", 0o666, 1, 3); err != nil {
		return err
	}
	if err := w.File("init", 0o755, initScript); err != nil {
		return err
	}
	etc := map[string]string{
		"passwd":   "root:x:0:0:root:/root:/bin/sh\n",
		"group":    "root:x:0:\n",
		"hosts":    "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
		"hostname": "utrace-vm\n",
	}
	for name, data := range etc {
		if err := w.File("etc/"+name, 0o644, []byte(data)); err != nil {
			return err
		}
	}
	// Commands from the host replace busybox's applets of the same name.
	own := map[string]string{}
	for _, bin := range sys.dynamic {
		own[filepath.Base(bin)] = bin
	}
	if sys.foreign {
		if err := w.CopyFile("bin/busybox", sys.busybox); err != nil {
			return err
		}
		if err := w.Symlink("bin/sh", "busybox"); err != nil {
			return err
		}
	} else if err := addBusybox(w, sys.busybox, own); err != nil {
		return err
	}
	var load strings.Builder
	for _, m := range sys.modules {
		name := filepath.Base(m)
		if err := w.CopyFile("lib/modules/"+name, m); err != nil {
			return err
		}
		load.WriteString(name + "\n")
	}
	if err := w.File("lib/modules/"+loadList, 0o644, []byte(load.String())); err != nil {
		return err
	}
	added := map[string]bool{}
	for _, bin := range sys.dynamic {
		if err := addDynamic(w, bin, added); err != nil {
			return err
		}
	}
	err = filepath.WalkDir(staged, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(staged, p)
		name := filepath.ToSlash(filepath.Join("utrace", rel))
		if d.IsDir() {
			return w.Dir(name, 0o755)
		}
		return w.CopyFile(name, p)
	})
	if err != nil {
		return err
	}
	return w.Close()
}

// checkStatic reports an error if the ELF file at path asks for a dynamic
// loader.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// addBusybox adds busybox as /bin/busybox and each of its applets as a
// symbolic link to it, where busybox --install would put it; an applet
// named in own (base name to path) links there instead.
func addBusybox(w *cpioWriter, busybox string, own map[string]string) error {
	if err := w.CopyFile("bin/busybox", busybox); err != nil {
		return err
	}
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("%s --list-full: %w", busybox, err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		target := "/bin/busybox"
		if p, ok := own[path.Base(name)]; ok {
			target = p
		}
		if name == "" || "/"+name == target {
			continue
		}
		if err := w.Symlink(name, target); err != nil {
			return err
		}
	}
	return nil
}

// addDynamic adds a dynamically linked command at its host path, with the
// shared libraries and the dynamic loader ldd lists for it, but not the
// files already added.
func addDynamic(w *cpioWriter, bin string, added map[string]bool) error {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	files := []string{bin}
	for line := range strings.Lines(string(out)) {
		// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		// "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no path.
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			files = append(files, f[2])
		case len(f) >= 3 && f[1] == "=>":
			return fmt.Errorf("ldd %s: %s", bin, strings.TrimSpace(line))
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			files = append(files, f[0])
		}
	}
	for _, f := range files {
		if added[f] {
			continue
		}
		if err := w.CopyFile(f, f); err != nil {
			return fmt.Errorf("adding %s: %w", f, err)
		}
		added[f] = true
	}
	return nil
}

func copyFile(dst, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, fi.Mode().Perm())
}
