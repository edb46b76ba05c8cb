package main

import (
	"regexp"
	"strings"
	"testing"
)

const sampleLog = `SeaBIOS noise
@@@ KERNEL 6.1.0-57-cloud-amd64
@@@ TRACEFS none
@@@ BEGIN bpf
@@@ BPF OK utrace_x86_bpfel.o utrace_exec
@@@ BPF FAIL utrace_x86_bpfel.o utrace_exit (tp_btf/sched_process_exit): permission denied
    0: R1=ctx() R10=fp0
    invalid bpf_context access off=8 size=8
@@@ RESULT bpf FAIL 12.1 rc=1
@@@ BEGIN loader
=== RUN   TestA
--- PASS: TestA (0.50s)
=== RUN   TestCountThreads
    count_test.go:251: thread 210: getppid {Calls:0}, want 1000 calls
--- FAIL: TestCountThreads (3.82s)
=== RUN   TestJctl
=== RUN   TestJctl/1threads
    signal_test.go:86: loading BPF programs: boom
=== RUN   TestJctl/3threads
    signal_test.go:86: loading BPF programs: boom
--- FAIL: TestJctl (1.01s)
    --- FAIL: TestJctl/1threads (0.50s)
    --- FAIL: TestJctl/3threads (0.51s)
=== RUN   TestSkip
    x_test.go:1: no tracefs
--- SKIP: TestSkip (0.00s)
FAIL
@@@ RESULT loader FAIL 20.5 rc=1
@@@ BEGIN smoke
@@@ SMOKE PASS log
@@@ SMOKE FAIL attach: utrace-bpf did not say it attached (exit status 2)
    $ utrace-bpf attach -p 1
    | utrace-bpf: boom
@@@ RESULT smoke FAIL 3.0 rc=1
@@@ BEGIN stopper
=== RUN   TestHang
[   42.28] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI
`

func TestReport(t *testing.T) {
	r := newReport()
	for line := range strings.Lines(sampleLog) {
		r.Line(line)
	}
	if r.Release != "6.1.0-57-cloud-amd64" || r.TracefsPre != "none" || r.Done {
		t.Errorf("release %q, tracefs %q, done %v", r.Release, r.TracefsPre, r.Done)
	}
	bpf := r.Steps["bpf"]
	if bpf.Status != "FAIL" || len(bpf.Items) != 2 || bpf.Items[1].Name != "utrace_x86_bpfel.o utrace_exit (tp_btf/sched_process_exit)" ||
		len(bpf.Items[1].Output) != 2 {
		t.Errorf("bpf: %+v, items %+v", bpf, bpf.Items)
	}
	ld := r.Steps["loader"]
	if ld.Status != "FAIL" || ld.Secs != 20.5 || ld.RC != "1" {
		t.Errorf("loader: %+v", ld)
	}
	var names []string
	for _, f := range ld.Failed() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "TestCountThreads TestJctl TestJctl/1threads TestJctl/3threads" {
		t.Errorf("failed %s", got)
	}
	if out := ld.tests["TestCountThreads"].Output; len(out) != 1 || !strings.Contains(out[0], "want 1000 calls") {
		t.Errorf("TestCountThreads output %q", out)
	}
	if out := ld.tests["TestJctl"].Output; len(out) != 2 {
		t.Errorf("TestJctl output %q, want its subtests' too", out)
	}
	if p, f, s := ld.Counts(); p != 1 || f != 2 || s != 1 {
		t.Errorf("counts %d %d %d", p, f, s)
	}
	sm := r.Steps["smoke"]
	if len(sm.Items) != 2 || sm.Items[1].Status != "FAIL" || sm.Items[1].Name != "attach" || len(sm.Items[1].Output) != 2 {
		t.Errorf("smoke items %+v", sm.Items[1])
	}
	st := r.Steps["stopper"]
	if r.Current != "stopper" || st.Status != "" || len(st.Failed()) != 1 || st.Failed()[0].Name != "TestHang" {
		t.Errorf("stopper: current %q, %+v", r.Current, st)
	}
	if len(r.Kernel) != 1 {
		t.Errorf("kernel messages %q", r.Kernel)
	}
}

func TestCompareRelease(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"6.1.0-57-cloud-amd64", "6.1.0-50-cloud-amd64", 1},
		{"6.12.107+deb12-cloud-amd64", "6.12.117+deb12-cloud-amd64", -1},
		{"6.1.0-9-cloud-amd64", "6.1.0-10-cloud-amd64", -1},
		{"6.12.118+deb12-cloud-arm64", "6.12.117+deb12-cloud-arm64", 1},
		{"6.1.0-57-cloud-arm64", "6.1.0-57-cloud-arm64", 0},
	} {
		if got := compareRelease(tt.a, tt.b); got != tt.want {
			t.Errorf("compareRelease(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPkgPattern(t *testing.T) {
	for _, tt := range []struct {
		arch      *arch
		spec, pkg string
		want      bool
	}{
		{amd64, "6.1", "linux-image-6.1.0-57-cloud-amd64", true},
		{amd64, "6.1", "linux-image-6.1.0-57-cloud-amd64-unsigned", true},
		{amd64, "6.1", "linux-image-6.1.0-57-cloud-amd64-dbg", false},
		{amd64, "6.1", "linux-image-6.12.117+deb12-cloud-amd64-unsigned", false},
		{amd64, "6.12", "linux-image-6.12.117+deb12-cloud-amd64-unsigned", true},
		{amd64, "6.12.117", "linux-image-6.12.117+deb12-cloud-amd64", true},
		{amd64, "6.12.11", "linux-image-6.12.117+deb12-cloud-amd64", false},
		{amd64, "6", "linux-image-cloud-amd64", false},
		{amd64, "6.12", "linux-image-6.12.118+deb12-cloud-arm64-unsigned", false},
		{arm64, "6.12", "linux-image-6.12.118+deb12-cloud-arm64-unsigned", true},
		{arm64, "6.1", "linux-image-6.1.0-57-cloud-amd64", false},
	} {
		if got := regexpMatch(pkgPattern(tt.arch, tt.spec), tt.pkg); got != tt.want {
			t.Errorf("%s:%s matches %s: %v, want %v", tt.arch.name, tt.spec, tt.pkg, got, tt.want)
		}
	}
}

func TestParseSpec(t *testing.T) {
	for _, tt := range []struct {
		spec, arch, what string
		err              bool
	}{
		{spec: "6.1", arch: hostArch().name, what: "6.1"},
		{spec: "arm64:6.12", arch: "arm64", what: "6.12"},
		{spec: "amd64:6.12.117", arch: "amd64", what: "6.12.117"},
		{spec: "arm64:/boot/vmlinuz-6.12.118+deb12-cloud-arm64", arch: "arm64", what: "/boot/vmlinuz-6.12.118+deb12-cloud-arm64"},
		{spec: "./vmlinuz", arch: hostArch().name, what: "./vmlinuz"},
		{spec: "riscv64:6.12", err: true},
		{spec: "arm64:", err: true},
		{spec: "arm64:latest", err: true},
		{spec: "6.x", err: true},
	} {
		a, what, err := parseSpec(tt.spec)
		switch {
		case tt.err && err == nil:
			t.Errorf("parseSpec(%q) = %s, %q; want an error", tt.spec, a.name, what)
		case !tt.err && err != nil:
			t.Errorf("parseSpec(%q): %v", tt.spec, err)
		case !tt.err && (a.name != tt.arch || what != tt.what):
			t.Errorf("parseSpec(%q) = %s, %q; want %s, %q", tt.spec, a.name, what, tt.arch, tt.what)
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
