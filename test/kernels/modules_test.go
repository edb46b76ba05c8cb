package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestModuleName(t *testing.T) {
	for file, want := range map[string]string{
		"./lib/modules/6.12.118+deb12-cloud-arm64/kernel/drivers/net/virtio_net.ko.xz": "virtio_net",
		"./lib/modules/6.1.0-57-cloud-amd64/kernel/net/core/failover.ko":               "failover",
		"kernel/drivers/char/hw_random/virtio-rng.ko.gz":                               "virtio_rng",
		"./lib/modules/6.1.0-57-cloud-amd64/modules.order":                             "",
		"./boot/vmlinuz-6.1.0-57-cloud-amd64":                                          "",
	} {
		if got := moduleName(file); got != want {
			t.Errorf("moduleName(%s) = %q, want %q", file, got, want)
		}
	}
}

// fakeModule compiles an ELF object whose .modinfo section says depends,
// as a kernel module's does, into path (compressed with xz if path ends
// in .xz).
func fakeModule(t *testing.T, path, depends string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "m.c")
	code := `__attribute__((section(".modinfo"), used)) static const char info[] = "license=GPL\0depends=` + depends + `\0vermagic=6.12.0 SMP";` + "\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := strings.TrimSuffix(path, ".xz")
	if out, err := exec.Command("gcc", "-c", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	if strings.HasSuffix(path, ".xz") {
		if out, err := exec.Command("xz", obj).CombinedOutput(); err != nil {
			t.Fatalf("xz: %v\n%s", err, out)
		}
	}
}

// writeModules finds the network device's modules and all they depend on
// in a kernel package, decompresses them, and lists them dependencies
// first; readModules gives them back in that order.
func TestWriteModules(t *testing.T) {
	for _, cmd := range []string{"gcc", "xz", "dpkg-deb"} {
		if _, err := exec.LookPath(cmd); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("no %s (the matrix needs it)", cmd)
			}
			t.Skipf("no %s", cmd)
		}
	}
	const release = "6.12.0-1-cloud-arm64"
	root := t.TempDir()
	mods := filepath.Join(root, "lib", "modules", release, "kernel")
	for _, m := range []struct{ file, depends string }{
		{"drivers/net/virtio_net.ko.xz", "net_failover"},
		{"drivers/net/net_failover.ko", "failover"},
		{"net/core/failover.ko.xz", ""},
		{"drivers/virtio/virtio_pci.ko.xz", "virtio-pci-modern-dev,failover"},
		{"drivers/virtio/virtio_pci_modern_dev.ko", ""},
		{"drivers/block/virtio_blk.ko.xz", "failover"}, // not wanted
	} {
		p := filepath.Join(mods, m.file)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		fakeModule(t, p, m.depends)
	}
	if err := os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755); err != nil {
		t.Fatal(err)
	}
	control := "Package: linux-image-test\nVersion: 1\nArchitecture: all\nMaintainer: nobody <nobody@example.com>\nDescription: test\n"
	if err := os.WriteFile(filepath.Join(root, "DEBIAN", "control"), []byte(control), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	deb := filepath.Join(cache, "test.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	config := filepath.Join(cache, "config-"+release)
	if err := os.WriteFile(config, []byte("CONFIG_VIRTIO_PCI=m\nCONFIG_VIRTIO_NET=m\nCONFIG_VIRTIO_BLK=m\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := readModules(cache, release); err == nil {
		t.Fatal("readModules before writeModules: no error")
	}
	if err := writeModules(deb, config, release, cache); err != nil {
		t.Fatal(err)
	}
	got, err := readModules(cache, release)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := moduleDepends(data); err != nil {
			t.Errorf("%s is not an ELF module as written: %v", p, err)
		}
	}
	want := "virtio_pci_modern_dev.ko failover.ko virtio_pci.ko net_failover.ko virtio_net.ko"
	if g := strings.Join(names, " "); g != want {
		t.Errorf("modules %s, want %s", g, want)
	}
	ents, _ := os.ReadDir(modulesDir(cache, release))
	if len(ents) != len(got)+1 {
		t.Errorf("%s holds %d files, want the %d modules and %s", modulesDir(cache, release), len(ents), len(got), loadList)
	}

	// With virtio-net built in, nothing loads.
	if err := os.WriteFile(config, []byte("CONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_NET=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeModules(deb, config, release, cache); err != nil {
		t.Fatal(err)
	}
	if got, err := readModules(cache, release); err != nil || len(got) != 0 {
		t.Errorf("built in: modules %q, %v; want none", got, err)
	}
}
