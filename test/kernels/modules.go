package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// netModules are the kernel options of the VM's network device, a
// virtio-net card on PCI, and the module each is when the kernel has it as
// one. The smoke test's gdbremote step needs the network: gdb, on the
// host, reaches the engine in the VM through qemu's user-mode network
// (see vmCommand). Debian's cloud kernels build virtio-net as a module,
// and some of them the virtio PCI transport too; the VM loads them, and
// the modules they depend on, before anything else.
var netModules = []struct{ option, module string }{
	{"VIRTIO_PCI", "virtio_pci"},
	{"VIRTIO_NET", "virtio_net"},
}

// loadList is the file of a modules directory that lists its modules in
// the order they load.
const loadList = "load"

// modulesDir is where the modules of a kernel release are kept, beside its
// vmlinuz-release.
func modulesDir(dir, release string) string { return filepath.Join(dir, "modules-"+release) }

// readModules returns the paths of the modules kept for a kernel release
// in dir, in the order they load. It fails if they were not written whole.
func readModules(dir, release string) ([]string, error) {
	mdir := modulesDir(dir, release)
	data, err := os.ReadFile(filepath.Join(mdir, loadList))
	if err != nil {
		return nil, err
	}
	var mods []string
	for _, name := range strings.Fields(string(data)) {
		p := filepath.Join(mdir, name)
		if !fileExists(p) {
			return nil, fmt.Errorf("%s lists %s, which is missing", filepath.Join(mdir, loadList), name)
		}
		mods = append(mods, p)
	}
	return mods, nil
}

// writeModules copies out of the kernel package deb, into the modules
// directory of release in dir, the modules of netModules that the kernel
// config file config makes modules and all they depend on, decompressed
// (the VM's busybox insmod takes them as they are), and the list of the
// order they load in.
func writeModules(deb, config, release, dir string) error {
	set, err := readConfig(config)
	if err != nil {
		return err
	}
	var roots []string
	for _, m := range netModules {
		if set[m.option] == "m" {
			roots = append(roots, m.module)
		}
	}
	final := modulesDir(dir, release)
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	// The package's files go to raw/, the modules decompressed beside it.
	raw := filepath.Join(tmp, "raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// The package has no modules.dep (depmod makes it when the package is
	// installed), so each module's dependencies come from its .modinfo:
	// one pass over the package per level of them.
	deps := map[string][]string{}
	for pending := slices.Clone(roots); len(pending) > 0; {
		prefix := "./lib/modules/" + release + "/"
		found, err := extractFunc(deb, func(name string) string {
			if strings.HasPrefix(name, prefix) && slices.Contains(pending, moduleName(name)) {
				return filepath.Join(raw, path.Base(name))
			}
			return ""
		})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for name := range found {
			got[moduleName(name)] = filepath.Join(raw, path.Base(name))
		}
		var next []string
		for _, m := range pending {
			file, ok := got[m]
			if !ok {
				return fmt.Errorf("module %s is not in the package (under %s)", m, prefix)
			}
			d, err := decompressModule(file, filepath.Join(tmp, m+".ko"))
			if err != nil {
				return err
			}
			deps[m] = d
			for _, dep := range d {
				if _, seen := deps[dep]; !seen && !slices.Contains(next, dep) && !slices.Contains(pending, dep) {
					next = append(next, dep)
				}
			}
		}
		pending = next
	}

	var order []string
	var visit func(m string)
	visit = func(m string) {
		if slices.Contains(order, m) {
			return
		}
		for _, d := range deps[m] {
			visit(d)
		}
		order = append(order, m)
	}
	for _, m := range roots {
		visit(m)
	}
	var list strings.Builder
	for _, m := range order {
		list.WriteString(m + ".ko\n")
	}
	if err := os.WriteFile(filepath.Join(tmp, loadList), []byte(list.String()), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(raw); err != nil {
		return err
	}
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// moduleName is the name of the kernel module in a file: its base name
// without the .ko and compression suffixes, dashes made underscores as the
// kernel does.
func moduleName(file string) string {
	base := path.Base(file)
	for _, ext := range []string{".xz", ".gz", ".zst"} {
		base = strings.TrimSuffix(base, ext)
	}
	if !strings.HasSuffix(base, ".ko") {
		return ""
	}
	return strings.ReplaceAll(strings.TrimSuffix(base, ".ko"), "-", "_")
}

// decompressModule writes the module file src to dst uncompressed, and
// returns the modules it depends on.
func decompressModule(src, dst string) ([]string, error) {
	var data []byte
	var err error
	switch {
	case strings.HasSuffix(src, ".ko.xz"):
		data, err = exec.Command("xz", "-dc", src).Output()
		if err != nil {
			err = fmt.Errorf("xz -dc %s: %w%s", src, err, stderrOf(err))
		}
	case strings.HasSuffix(src, ".ko.gz"):
		var f *os.File
		if f, err = os.Open(src); err == nil {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(f); err == nil {
				data, err = io.ReadAll(zr)
			}
			f.Close()
		}
	case strings.HasSuffix(src, ".ko"):
		data, err = os.ReadFile(src)
	default:
		err = fmt.Errorf("%s: a compression the matrix does not know (it takes .ko, .ko.xz and .ko.gz)", src)
	}
	if err != nil {
		return nil, err
	}
	deps, err := moduleDepends(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return deps, os.WriteFile(dst, data, 0o644)
}

// moduleDepends returns the "depends=" of a module's .modinfo section.
func moduleDepends(module []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(module))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for field := range strings.SplitSeq(string(info), "\x00") {
		if v, ok := strings.CutPrefix(field, "depends="); ok {
			var deps []string
			for d := range strings.SplitSeq(v, ",") {
				if d != "" {
					deps = append(deps, strings.ReplaceAll(d, "-", "_"))
				}
			}
			return deps, nil
		}
	}
	return nil, nil
}
