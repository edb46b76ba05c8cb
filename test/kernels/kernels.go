package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// A kernel is a kernel image to boot.
type kernel struct {
	Spec    string // as given to -kernels
	Arch    *arch
	Release string // uname -r, e.g. 6.1.0-57-cloud-amd64
	Package string // the Debian package it came from, if any
	Vmlinuz string
	Config  string // its config-* file, "" if unknown
	// Modules are the kernel modules the VM loads, in order: those of
	// its network device, when not built in (see netModules).
	Modules []string
}

// resolveKernel finds the kernel a -kernels entry names, downloading it
// into cache if needed. spec is [ARCH:]VERSION or [ARCH:]PATH: ARCH (by
// default the host's) is amd64 or arm64; VERSION a version prefix, "6.1"
// being the newest linux-image-6.1.*-cloud-ARCH package apt knows (signed
// or unsigned: only vmlinuz matters) and "6.12.117" a particular 6.12;
// PATH the path of a vmlinuz file, with its config-RELEASE and
// modules-RELEASE (see writeModules) beside it if it has them.
func resolveKernel(spec, cache string) (*kernel, error) {
	a, what, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	if strings.ContainsRune(what, '/') {
		if _, err := os.Stat(what); err != nil {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		k := &kernel{Spec: spec, Arch: a, Vmlinuz: what, Release: strings.TrimPrefix(filepath.Base(what), "vmlinuz-")}
		dir := filepath.Dir(what)
		if c := filepath.Join(dir, "config-"+k.Release); fileExists(c) {
			k.Config = c
		}
		if k.Modules, err = readModules(dir, k.Release); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		return k, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	pkgs, aptErr := aptKernels(a, what)
	if aptErr == nil && len(pkgs) > 0 {
		pkg := pkgs[0]
		k := &kernel{Spec: spec, Arch: a, Package: pkg, Release: releaseOf(pkg)}
		k.Vmlinuz = filepath.Join(cache, "vmlinuz-"+k.Release)
		k.Config = filepath.Join(cache, "config-"+k.Release)
		if fileExists(k.Vmlinuz) && fileExists(k.Config) {
			if k.Modules, err = readModules(cache, k.Release); err == nil {
				return k, nil
			}
		}
		if err := download(a, pkg, k.Release, cache); err != nil {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		if k.Modules, err = readModules(cache, k.Release); err != nil {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		return k, nil
	}
	// Without apt (or without its lists), take the newest cached one.
	if k := cachedKernel(a, what, cache); k != nil {
		k.Spec = spec
		return k, nil
	}
	if aptErr != nil {
		return nil, fmt.Errorf("kernel %s: %w (and none in %s)", spec, aptErr, cache)
	}
	return nil, fmt.Errorf("kernel %s: apt knows no package %s with a candidate version, and none is in %s (run apt-get update%s?)",
		spec, pkgPattern(a, what), cache, foreignHint(a))
}

// parseSpec splits a -kernels entry other than "host" into its
// architecture and the version or path.
func parseSpec(spec string) (*arch, string, error) {
	a := hostArch()
	what := spec
	if name, rest, ok := strings.Cut(spec, ":"); ok {
		var err error
		if a, err = archNamed(name); err != nil {
			return nil, "", fmt.Errorf("kernel %q: %w", spec, err)
		}
		what = rest
	}
	if a == nil {
		return nil, "", fmt.Errorf("kernel %q: the matrix does not know this host's architecture %s: name one (amd64:, arm64:)", spec, runtime.GOARCH)
	}
	if !strings.ContainsRune(what, '/') && !regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`).MatchString(what) {
		return nil, "", fmt.Errorf("kernel %q: want host, or [ARCH:] and a version such as 6.1 or the path of a vmlinuz file", spec)
	}
	return a, what, nil
}

// foreignHint says how apt learns of another architecture's packages.
func foreignHint(a *arch) string {
	if a.native() {
		return ""
	}
	return ", after dpkg --add-architecture " + a.name
}

// pkgPattern is the regular expression of the names of a's kernel
// packages of a version prefix. The prefix must end at a component: 6.1
// matches linux-image-6.1.0-57-cloud-amd64, not
// linux-image-6.12.117+deb12-cloud-amd64.
func pkgPattern(a *arch, spec string) string {
	return "^linux-image-" + regexp.QuoteMeta(spec) + "([^0-9][^ ]*)?-" + a.flavor() + "(-unsigned)?$"
}

// aptKernels lists a's kernel packages that match spec and have a
// candidate version, newest first (unsigned before signed at the same
// version).
func aptKernels(a *arch, spec string) ([]string, error) {
	out, err := exec.Command("apt-cache", "search", "--names-only", pkgPattern(a, spec)).Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache search: %w%s", err, stderrOf(err))
	}
	re := regexp.MustCompile(pkgPattern(a, spec))
	var names []string
	for line := range strings.Lines(string(out)) {
		if name, _, _ := strings.Cut(line, " "); re.MatchString(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	// apt-cache search also lists packages that some source only mentions:
	// keep those that can be downloaded.
	have, err := candidates(a, names...)
	if err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return have[n] == "" })
	slices.SortFunc(names, func(x, y string) int {
		if c := compareRelease(releaseOf(y), releaseOf(x)); c != 0 {
			return c
		}
		return strings.Compare(y, x) // "-unsigned" first
	})
	return names, nil
}

// candidates returns the candidate version apt has of each of a's packages
// named, or "" if it has none.
func candidates(a *arch, names ...string) (map[string]string, error) {
	args := []string{"policy"}
	for _, n := range names {
		args = append(args, n+":"+a.name)
	}
	out, err := exec.Command("apt-cache", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache policy: %w%s", err, stderrOf(err))
	}
	have := map[string]string{}
	var cur string
	for line := range strings.Lines(string(out)) {
		if !strings.HasPrefix(line, " ") {
			// "name:" for the host's architecture, "name:arm64:" for another.
			cur = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(line), ":"), ":"+a.name)
		} else if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok {
			if v = strings.TrimSpace(v); v != "(none)" {
				have[cur] = v
			}
		}
	}
	return have, nil
}

// releaseOf is the kernel release (uname -r) of a kernel package.
func releaseOf(pkg string) string {
	return strings.TrimSuffix(strings.TrimPrefix(pkg, "linux-image-"), "-unsigned")
}

// compareRelease orders kernel releases of one flavour by their version
// numbers: 6.1.0-57 before 6.1.0-50, 6.12.117+deb12 before 6.12.107+deb12.
func compareRelease(a, b string) int {
	num := func(r string) []int {
		r, _, _ = strings.Cut(r, "-cloud-")
		r, _, _ = strings.Cut(r, "+")
		var n []int
		for _, f := range strings.FieldsFunc(r, func(c rune) bool { return c < '0' || c > '9' }) {
			i, _ := strconv.Atoi(f)
			n = append(n, i)
		}
		return n
	}
	return slices.Compare(num(a), num(b))
}

// cachedKernel returns the newest of a's kernels of spec in cache that was
// downloaded whole, or nil.
func cachedKernel(a *arch, spec, cache string) *kernel {
	re := regexp.MustCompile(strings.Replace(pkgPattern(a, spec), "^linux-image-", "^vmlinuz-", 1))
	ents, _ := os.ReadDir(cache)
	var best *kernel
	for _, e := range ents {
		if !re.MatchString(e.Name()) {
			continue
		}
		r := strings.TrimPrefix(e.Name(), "vmlinuz-")
		if best != nil && compareRelease(r, best.Release) <= 0 {
			continue
		}
		mods, err := readModules(cache, r)
		if err != nil {
			continue
		}
		best = &kernel{Arch: a, Release: r, Vmlinuz: filepath.Join(cache, e.Name()), Modules: mods}
		if c := filepath.Join(cache, "config-"+r); fileExists(c) {
			best.Config = c
		}
	}
	return best
}

// download fetches a's package pkg with apt-get download and keeps in
// cache only its boot/vmlinuz-release and boot/config-release, and the
// modules of the VM's network device (see writeModules).
func download(a *arch, pkg, release, cache string) error {
	deb, cleanup, err := aptDownload(a, pkg, cache)
	if err != nil {
		return err
	}
	defer cleanup()
	want := map[string]string{
		"./boot/vmlinuz-" + release: filepath.Join(cache, "vmlinuz-"+release),
		"./boot/config-" + release:  filepath.Join(cache, "config-"+release),
	}
	if err := extract(deb, want); err != nil {
		return fmt.Errorf("extracting %s: %w", filepath.Base(deb), err)
	}
	if err := writeModules(deb, filepath.Join(cache, "config-"+release), release, cache); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(deb), err)
	}
	return nil
}

// aptDownload fetches a's package pkg into a new directory of dir with
// apt-get download, and returns the .deb and a function that removes it.
func aptDownload(a *arch, pkg, dir string) (deb string, cleanup func(), err error) {
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	cmd := exec.Command("apt-get", "download", "-q", pkg+":"+a.name)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("apt-get download %s:%s: %w\n%s", pkg, a.name, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		cleanup()
		return "", nil, fmt.Errorf("apt-get download %s:%s: found %d .deb files, want 1", pkg, a.name, len(debs))
	}
	return debs[0], cleanup, nil
}

// extract copies the members of a .deb's data archive named in files (as
// dpkg-deb --fsys-tarfile names them) to their destinations.
func extract(deb string, files map[string]string) error {
	found, err := extractFunc(deb, func(name string) string { return files[name] })
	if err != nil {
		return err
	}
	var missing []string
	for name := range files {
		if !found[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("not in the package: %s", strings.Join(missing, ", "))
	}
	return nil
}

// extractFunc copies each regular file of a .deb's data archive for which
// dst returns a path there, and returns the names of those it copied.
func extractFunc(deb string, dst func(name string) string) (map[string]bool, error) {
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := map[string]bool{}
	tr := tar.NewReader(bufio.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("reading data archive: %w", err)
		}
		to := dst(h.Name)
		if to == "" || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := writeFileAtomic(to, tr); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, err
		}
		found[h.Name] = true
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("dpkg-deb: %w: %s", err, stderr.Bytes())
	}
	return found, nil
}

// writeFileAtomic writes r to path through a temporary file, so that an
// interrupted download leaves nothing that looks complete.
func writeFileAtomic(path string, r io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	os.Chmod(f.Name(), 0o644)
	return os.Rename(f.Name(), path)
}

// configNeeds are the kernel options the tests and the VM need built in
// (=y): the initramfs loads no modules but those of netModules. Each
// architecture adds its own (arch.config).
var configNeeds = []string{
	"BPF_SYSCALL", "BPF_JIT", "BPF_EVENTS", "DEBUG_INFO_BTF", "FTRACE_SYSCALLS",
	"SECCOMP_FILTER", "UNIX", "BLK_DEV_INITRD", "DEVTMPFS", "TMPFS", "PROC_FS",
	"INET", "PCI",
}

// readConfig returns the options a kernel config file sets, without their
// CONFIG_ prefix.
func readConfig(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	set := map[string]string{}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			set[strings.TrimPrefix(k, "CONFIG_")] = v
		}
	}
	return set, nil
}

// checkConfig reports the options of configNeeds and a.config that a
// kernel config file does not have built in, and those of netModules it
// has neither built in nor as a module.
func checkConfig(a *arch, path string) ([]string, error) {
	set, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, opt := range append(slices.Clone(configNeeds), a.config...) {
		switch v := set[opt]; v {
		case "y":
		case "":
			bad = append(bad, "CONFIG_"+opt+" is not set")
		case "m":
			bad = append(bad, "CONFIG_"+opt+"=m (a module; the initramfs loads none but the network device's)")
		default:
			bad = append(bad, "CONFIG_"+opt+"="+v)
		}
	}
	for _, m := range netModules {
		if v := set[m.option]; v != "y" && v != "m" {
			bad = append(bad, fmt.Sprintf("CONFIG_%s is %q, not y or m: the VM has no network, and gdb cannot reach gdbremote", m.option, v))
		}
	}
	return bad, nil
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// stderrOf returns ": " and the standard error an *exec.ExitError holds.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}
