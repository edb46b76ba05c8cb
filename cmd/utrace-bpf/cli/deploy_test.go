package cli

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// The capabilities the README names, as Kubernetes and systemd spell them.
var readmeCaps = []string{"BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"}

// checkCommandLine checks that args (without the binary) name a real
// command of the real command tree and only flags it has, and returns the
// parsed command's flag values through lookup.
func checkCommandLine(t *testing.T, where string, args []string) (lookup func(string) string) {
	t.Helper()
	root := newRoot()
	c, rest, err := root.Find(args)
	if err != nil || c == root {
		t.Fatalf("%s: %q is not a utrace-bpf command: %v", where, args, err)
	}
	if err := c.ParseFlags(rest); err != nil {
		t.Fatalf("%s: %q: %v", where, args, err)
	}
	if err := c.ValidateArgs(c.Flags().Args()); err != nil {
		t.Fatalf("%s: %q: %v", where, args, err)
	}
	return func(name string) string {
		f := c.Flags().Lookup(name)
		if f == nil {
			t.Fatalf("%s: no flag --%s", where, name)
		}
		return f.Value.String()
	}
}

// checkConfig loads a config with the real loader, as the command would.
func checkConfig(t *testing.T, where string, data []byte) *Config {
	t.Helper()
	file := filepath.Join(t.TempDir(), "monitor.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(viper.New(), file, nil)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return cfg
}

func TestKubernetesDaemonSet(t *testing.T) {
	raw, err := os.ReadFile("../../../configs/deploy/kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type container struct {
		Name    string   `yaml:"name"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Ports   []struct {
			ContainerPort int `yaml:"containerPort"`
		} `yaml:"ports"`
		SecurityContext struct {
			Privileged   *bool `yaml:"privileged"`
			Capabilities struct {
				Add  []string `yaml:"add"`
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	type doc struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
		Spec struct {
			Template struct {
				Spec struct {
					HostPID    bool        `yaml:"hostPID"`
					Containers []container `yaml:"containers"`
					Volumes    []struct {
						Name      string `yaml:"name"`
						ConfigMap *struct {
							Name string `yaml:"name"`
						} `yaml:"configMap"`
						HostPath *struct {
							Path string `yaml:"path"`
						} `yaml:"hostPath"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	var docs []doc
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var d doc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("configs/deploy/kubernetes.yaml: %v", err)
		}
		docs = append(docs, d)
	}
	configMaps := map[string]map[string]string{}
	var ds *doc
	for i, d := range docs {
		switch d.Kind {
		case "ConfigMap":
			configMaps[d.Metadata.Name] = d.Data
		case "DaemonSet":
			ds = &docs[i]
		}
	}
	if ds == nil {
		t.Fatal("configs/deploy/kubernetes.yaml: no DaemonSet")
	}
	pod := ds.Spec.Template.Spec
	if !pod.HostPID {
		t.Error("the DaemonSet's pods are not in the host's PID namespace (hostPID)")
	}
	hostPaths := map[string]string{} // volume -> host path
	configVolumes := map[string]string{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
		if v.ConfigMap != nil {
			configVolumes[v.Name] = v.ConfigMap.Name
		}
	}
	checked := 0
	for _, c := range pod.Containers {
		if len(c.Command) == 0 || path.Base(c.Command[0]) != "utrace-bpf" {
			continue
		}
		checked++
		where := "configs/deploy/kubernetes.yaml: container " + c.Name
		flag := checkCommandLine(t, where, append(c.Command[1:], c.Args...))

		sc := c.SecurityContext
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged; give it the capabilities instead", where)
		}
		for _, want := range readmeCaps {
			if !slices.Contains(sc.Capabilities.Add, want) {
				t.Errorf("%s: capability %s not added (%v)", where, want, sc.Capabilities.Add)
			}
		}
		if slices.Contains(sc.Capabilities.Add, "SYS_ADMIN") {
			t.Errorf("%s: CAP_SYS_ADMIN, which it does not need where tracefs is mounted", where)
		}
		mounts := map[string]string{} // mount path -> volume
		for _, m := range c.VolumeMounts {
			mounts[m.MountPath] = m.Name
		}
		for _, p := range []string{"/sys/kernel/btf", "/sys/fs/bpf", "/sys/kernel/tracing"} {
			if hostPaths[mounts[p]] != p {
				t.Errorf("%s: %s is not the host's (mounted from %q)", where, p, hostPaths[mounts[p]])
			}
		}

		_, port, err := net.SplitHostPort(flag("metrics"))
		if err != nil {
			t.Fatalf("%s: --metrics %q: %v", where, flag("metrics"), err)
		}
		exposed := false
		for _, p := range c.Ports {
			exposed = exposed || strconv.Itoa(p.ContainerPort) == port
		}
		if !exposed {
			t.Errorf("%s: the metrics port %s is not a container port", where, port)
		}

		// The config comes from the ConfigMap, loads with the real
		// loader, and is configs/monitor.yaml.
		cfgPath := flag("config")
		dir, file := path.Split(cfgPath)
		cm := configMaps[configVolumes[mounts[path.Clean(dir)]]]
		data, ok := cm[file]
		if !ok {
			t.Fatalf("%s: -c %s is not in a mounted ConfigMap", where, cfgPath)
		}
		cfg := checkConfig(t, where+": "+cfgPath, []byte(data))
		if len(cfg.Engines) == 0 {
			t.Errorf("%s: %s has no engines", where, cfgPath)
		}
		shipped, err := os.ReadFile("../../../configs/monitor.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if data != string(shipped) {
			t.Errorf("%s: the ConfigMap's %s differs from configs/monitor.yaml", where, file)
		}
	}
	if checked == 0 {
		t.Fatal("configs/deploy/kubernetes.yaml: no container runs utrace-bpf")
	}
}

func TestSystemdUnit(t *testing.T) {
	f, err := os.Open("../../../configs/deploy/utrace-bpf.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string][]string{} // "Section.Key" -> values
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" || strings.HasSuffix(line, "\\") {
			t.Fatalf("configs/deploy/utrace-bpf.service:%d: not a Key=value line of a section: %q", n, line)
		}
		settings[section+"."+k] = append(settings[section+"."+k], v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	exec := settings["Service.ExecStart"]
	if len(exec) != 1 {
		t.Fatalf("configs/deploy/utrace-bpf.service: %d ExecStart lines", len(exec))
	}
	args := strings.Fields(exec[0])
	if path.Base(args[0]) != "utrace-bpf" {
		t.Fatalf("configs/deploy/utrace-bpf.service: ExecStart runs %s", args[0])
	}
	where := "configs/deploy/utrace-bpf.service: ExecStart"
	flag := checkCommandLine(t, where, args[1:])
	if host, _, err := net.SplitHostPort(flag("metrics")); err != nil || host != "127.0.0.1" {
		t.Errorf("%s: --metrics %q, want 127.0.0.1:PORT", where, flag("metrics"))
	}
	// The config it names is the one the repository ships for it.
	cfgPath := flag("config")
	data, err := os.ReadFile(filepath.Join("../../../configs", path.Base(cfgPath)))
	if err != nil {
		t.Fatalf("%s: -c %s: no configs/%s to install there: %v", where, cfgPath, path.Base(cfgPath), err)
	}
	checkConfig(t, where+": "+cfgPath, data)

	for _, key := range []string{"Service.CapabilityBoundingSet", "Service.AmbientCapabilities"} {
		caps := strings.Fields(strings.Join(settings[key], " "))
		for _, want := range readmeCaps {
			if !slices.Contains(caps, "CAP_"+want) {
				t.Errorf("configs/deploy/utrace-bpf.service: %s lacks CAP_%s", key, want)
			}
		}
	}
	for _, key := range []string{"Service.NoNewPrivileges", "Service.ProtectSystem", "Service.ProtectHome"} {
		if len(settings[key]) == 0 {
			t.Errorf("configs/deploy/utrace-bpf.service: no %s", key)
		}
	}
	// Hardening that would blind or break the tracer.
	for key, why := range map[string]string{
		"Service.ProtectProc":           "hides the processes to trace",
		"Service.PrivateUsers":          "drops the capabilities in the host's user namespace",
		"Service.PrivateNetwork":        "hides the metrics port",
		"Service.ProtectKernelTunables": "makes /sys/fs/bpf read-only",
		"Service.SystemCallFilter":      "must allow bpf, perf_event_open and ptrace",
	} {
		if len(settings[key]) > 0 {
			t.Errorf("configs/deploy/utrace-bpf.service: %s: %s", key, why)
		}
	}
}
