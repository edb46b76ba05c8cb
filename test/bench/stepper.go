package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// The stepper section times single-stepping /bin/true from its exec to its
// exit: the stepper engine (`utrace-bpf run -e stepper`) against the
// smallest C single-step loop (test/progs/c/rawstep.c), each unpinned and
// pinned to one CPU with taskset as the compare section runs ptrace tools.
// Times are whole processes (the CLI's start-up, about 0.1 s, included);
// the last line gives the ratios:
//
//	go run ./test/bench -only stepper

var stepsRE = regexp.MustCompile(`(\d+) instructions stepped|rawstep: (\d+) steps`)

func stepperBench(runs int, quick bool) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("stepper needs root (BPF programs, ptrace)")
	}
	if quick {
		runs = 1
	}
	dir, err := os.MkdirTemp("", "utrace-stepper")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	raw, err := progs.BuildIn(dir, "rawstep")
	if err != nil {
		return err
	}
	cli := *compareCLI
	if cli == "" {
		cli = filepath.Join(dir, "utrace-bpf")
		cmd := exec.Command("go", "build", "-o", cli, "./cmd/utrace-bpf")
		cmd.Dir = filepath.Join(progs.Dir(), "..", "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building utrace-bpf: %v\n%s", err, out)
		}
	}
	summary := filepath.Join(dir, "summary")
	rows := []struct {
		name string
		argv []string
	}{
		{"rawstep", []string{raw, "/bin/true"}},
		{"stepper", []string{cli, "run", "-e", "stepper:count=1000000000", "-o", summary, "--", "/bin/true"}},
		{"rawstep-1cpu", []string{"taskset", "-c", "0", raw, "/bin/true"}},
		{"stepper-1cpu", []string{"taskset", "-c", "0", cli, "run", "-e", "stepper:count=1000000000", "-o", summary, "--", "/bin/true"}},
	}
	med := map[string]time.Duration{}
	fmt.Printf("| setup | instructions | wall (median of %d) | µs per step |\n|---|---|---|---|\n", runs)
	for _, r := range rows {
		var walls []time.Duration
		steps := 0
		for range runs {
			cmd := exec.Command(r.argv[0], r.argv[1:]...)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			wall := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s: %v: %s", r.name, err, lastLines(string(out), 3))
			}
			text := string(out)
			if b, err := os.ReadFile(summary); err == nil && r.name[0] == 's' {
				text += string(b)
			}
			m := stepsRE.FindStringSubmatch(text)
			if m == nil {
				return fmt.Errorf("%s: no step count in %q", r.name, lastLines(text, 3))
			}
			steps, _ = strconv.Atoi(m[1] + m[2])
			walls = append(walls, wall)
		}
		med[r.name] = median(walls)
		fmt.Printf("| %s | %d | %.3f s | %.1f |\n", r.name, steps, med[r.name].Seconds(),
			float64(med[r.name].Microseconds())/float64(max(steps, 1)))
	}
	fmt.Printf("stepper_ratio=%.2f stepper_1cpu_ratio=%.2f\n",
		med["stepper"].Seconds()/med["rawstep"].Seconds(), med["stepper-1cpu"].Seconds()/med["rawstep-1cpu"].Seconds())
	return nil
}
