package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// flavor is the Debian kernel flavour the matrix boots: the cloud kernels
// are small and have everything the tests need built in (BTF, BPF, the
// ring buffer, task storage, syscall tracepoints, the 8250 serial console),
// so the initramfs needs no modules.
const flavor = "cloud-amd64"

// A kernel is a kernel image to boot.
type kernel struct {
	Spec    string // as given to -kernels
	Release string // uname -r, e.g. 6.1.0-57-cloud-amd64
	Package string // the Debian package it came from, if any
	Vmlinuz string
	Config  string // its config-* file, "" if unknown
}

// resolveKernel finds the kernel a -kernels entry names, downloading it
// into cache if needed. spec is either the path of a vmlinuz file or a
// version prefix: "6.1" is the newest linux-image-6.1.*-cloud-amd64
// package apt knows (signed or unsigned: only vmlinuz matters), "6.12.117"
// a particular 6.12.
func resolveKernel(spec, cache string) (*kernel, error) {
	if strings.ContainsRune(spec, '/') {
		if _, err := os.Stat(spec); err != nil {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		k := &kernel{Spec: spec, Vmlinuz: spec, Release: strings.TrimPrefix(filepath.Base(spec), "vmlinuz-")}
		if c := filepath.Join(filepath.Dir(spec), "config-"+k.Release); fileExists(c) {
			k.Config = c
		}
		return k, nil
	}
	if !regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`).MatchString(spec) {
		return nil, fmt.Errorf("kernel %q: want host, a version such as 6.1, or the path of a vmlinuz file", spec)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	pkgs, aptErr := aptKernels(spec)
	if aptErr == nil && len(pkgs) > 0 {
		pkg := pkgs[0]
		k := &kernel{Spec: spec, Package: pkg, Release: releaseOf(pkg)}
		k.Vmlinuz = filepath.Join(cache, "vmlinuz-"+k.Release)
		k.Config = filepath.Join(cache, "config-"+k.Release)
		if fileExists(k.Vmlinuz) && fileExists(k.Config) {
			return k, nil
		}
		if err := download(pkg, k.Release, cache); err != nil {
			return nil, fmt.Errorf("kernel %s: %w", spec, err)
		}
		return k, nil
	}
	// Without apt (or without its lists), take the newest cached one.
	if k := cachedKernel(spec, cache); k != nil {
		return k, nil
	}
	if aptErr != nil {
		return nil, fmt.Errorf("kernel %s: %w (and none in %s)", spec, aptErr, cache)
	}
	return nil, fmt.Errorf("kernel %s: apt knows no package %s with a candidate version, and none is in %s (run apt-get update?)",
		spec, pkgPattern(spec), cache)
}

// pkgPattern is the regular expression of the names of the kernel packages
// of a version prefix. The prefix must end at a component: 6.1 matches
// linux-image-6.1.0-57-cloud-amd64, not linux-image-6.12.117+deb12-cloud-amd64.
func pkgPattern(spec string) string {
	return "^linux-image-" + regexp.QuoteMeta(spec) + "([^0-9][^ ]*)?-" + flavor + "(-unsigned)?$"
}

// aptKernels lists the packages that match spec and have a candidate
// version, newest first (unsigned before signed at the same version).
func aptKernels(spec string) ([]string, error) {
	out, err := exec.Command("apt-cache", "search", "--names-only", pkgPattern(spec)).Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache search: %w%s", err, stderrOf(err))
	}
	re := regexp.MustCompile(pkgPattern(spec))
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
	out, err = exec.Command("apt-cache", append([]string{"policy"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache policy: %w%s", err, stderrOf(err))
	}
	have := map[string]bool{}
	var cur string
	for line := range strings.Lines(string(out)) {
		if !strings.HasPrefix(line, " ") {
			cur = strings.TrimSuffix(strings.TrimSpace(line), ":")
		} else if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok {
			have[cur] = strings.TrimSpace(v) != "(none)"
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !have[n] })
	slices.SortFunc(names, func(a, b string) int {
		if c := compareRelease(releaseOf(b), releaseOf(a)); c != 0 {
			return c
		}
		return strings.Compare(b, a) // "-unsigned" first
	})
	return names, nil
}

// releaseOf is the kernel release (uname -r) of a kernel package.
func releaseOf(pkg string) string {
	return strings.TrimSuffix(strings.TrimPrefix(pkg, "linux-image-"), "-unsigned")
}

// compareRelease orders kernel releases by their version numbers:
// 6.1.0-57 before 6.1.0-50, 6.12.117+deb12 before 6.12.107+deb12.
func compareRelease(a, b string) int {
	num := func(r string) []int {
		r = strings.TrimSuffix(r, "-"+flavor)
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

// cachedKernel returns the newest kernel of spec in cache, or nil.
func cachedKernel(spec, cache string) *kernel {
	re := regexp.MustCompile(strings.Replace(pkgPattern(spec), "^linux-image-", "^vmlinuz-", 1))
	ents, _ := os.ReadDir(cache)
	var best string
	for _, e := range ents {
		if re.MatchString(e.Name()) {
			r := strings.TrimPrefix(e.Name(), "vmlinuz-")
			if best == "" || compareRelease(r, best) > 0 {
				best = r
			}
		}
	}
	if best == "" {
		return nil
	}
	k := &kernel{Spec: spec, Release: best, Vmlinuz: filepath.Join(cache, "vmlinuz-"+best)}
	if c := filepath.Join(cache, "config-"+best); fileExists(c) {
		k.Config = c
	}
	return k
}

// download fetches pkg with apt-get download and keeps only its
// boot/vmlinuz-release and boot/config-release in cache.
func download(pkg, release, cache string) error {
	tmp, err := os.MkdirTemp(cache, "download-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("apt-get", "download", "-q", pkg)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get download %s: %w\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s: found %d .deb files, want 1", pkg, len(debs))
	}
	want := map[string]string{
		"./boot/vmlinuz-" + release: filepath.Join(cache, "vmlinuz-"+release),
		"./boot/config-" + release:  filepath.Join(cache, "config-"+release),
	}
	if err := extract(debs[0], want); err != nil {
		return fmt.Errorf("extracting %s: %w", filepath.Base(debs[0]), err)
	}
	return nil
}

// extract copies the members of a .deb's data archive named in files (as
// dpkg-deb --fsys-tarfile names them) to their destinations.
func extract(deb string, files map[string]string) error {
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	found := 0
	tr := tar.NewReader(bufio.NewReader(out))
	for found < len(files) {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("reading data archive: %w", err)
		}
		dst, ok := files[h.Name]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := writeFileAtomic(dst, tr); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return err
		}
		found++
	}
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb: %w: %s", err, stderr.Bytes())
	}
	if found < len(files) {
		var missing []string
		for name, dst := range files {
			if !fileExists(dst) {
				missing = append(missing, name)
			}
		}
		return fmt.Errorf("not in the package: %s", strings.Join(missing, ", "))
	}
	return nil
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
// (=y): the initramfs has no modules.
var configNeeds = []string{
	"BPF_SYSCALL", "BPF_JIT", "BPF_EVENTS", "DEBUG_INFO_BTF", "FTRACE_SYSCALLS",
	"SECCOMP_FILTER", "UNIX", "BLK_DEV_INITRD", "DEVTMPFS", "TMPFS", "PROC_FS",
	"SERIAL_8250_CONSOLE",
}

// checkConfig reports the options of configNeeds that a kernel config file
// does not have built in.
func checkConfig(path string) ([]string, error) {
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
	var bad []string
	for _, opt := range configNeeds {
		switch v := set[opt]; v {
		case "y":
		case "":
			bad = append(bad, "CONFIG_"+opt+" is not set")
		case "m":
			bad = append(bad, "CONFIG_"+opt+"=m (a module; the initramfs loads none)")
		default:
			bad = append(bad, "CONFIG_"+opt+"="+v)
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
