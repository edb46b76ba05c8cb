// Bpfcheck loads each program of BPF ELF objects on its own, with the maps
// it uses, and reports for each whether the running kernel accepts it,
// with the end of the verifier's log when it does not.
//
// It is the kernel matrix's diagnostic (see package test/kernels): the
// loader loads every program at once and its error names the first
// rejected one with a shortened log; this names them all, with the lines
// that say why.
//
// Usage:
//
//	bpfcheck FILE.o...
//
// Output, one line per program, then the log of each that fails indented:
//
//	@@@ BPF OK object program
//	@@@ BPF FAIL object program: error
//
// The exit status is 1 if any program failed to load.
//
// Objects that bpf2go built for another architecture (NAME_arm64_bpfel.o
// on x86-64, NAME_x86_bpfel.o on arm64) are left out, with a line that
// says so: their CO-RE relocations name that architecture's registers,
// which this kernel's struct pt_regs does not have.
package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

// logLines is how many lines of a verifier log to print: the end says why.
const logLines = 60

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bpfcheck FILE.o...")
		os.Exit(2)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		fmt.Fprintln(os.Stderr, "bpfcheck:", err)
	}
	failed := false
	for _, file := range os.Args[1:] {
		if arch, ok := objectArch(file); ok && arch != hostArch {
			fmt.Printf("bpfcheck: %s left out: built for %s\n", filepath.Base(file), arch)
			continue
		}
		ok, err := check(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bpfcheck: %v\n", err)
			os.Exit(1)
		}
		failed = failed || !ok
	}
	if failed {
		os.Exit(1)
	}
}

// hostArch is bpf2go's name of the architecture bpfcheck runs on.
var hostArch = map[string]string{"amd64": "x86", "arm64": "arm64"}[runtime.GOARCH]

// objectArch returns the architecture in the name bpf2go gave file
// (NAME_ARCH_bpfel.o), if it has one.
func objectArch(file string) (string, bool) {
	base, ok := strings.CutSuffix(filepath.Base(file), "_bpfel.o")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(base, '_')
	if i < 0 {
		return "", false
	}
	return base[i+1:], true
}

// check loads each program of file and reports whether all loaded.
func check(file string) (bool, error) {
	spec, err := ebpf.LoadCollectionSpec(file)
	if err != nil {
		return false, err
	}
	obj := filepath.Base(file)
	allOK := true
	for _, name := range slices.Sorted(maps.Keys(spec.Programs)) {
		one := spec.Copy()
		for n := range one.Programs {
			if n != name {
				delete(one.Programs, n)
			}
		}
		coll, err := ebpf.NewCollection(one)
		if err == nil {
			coll.Close()
			fmt.Printf("@@@ BPF OK %s %s\n", obj, name)
			continue
		}
		allOK = false
		var ve *ebpf.VerifierError
		if !errors.As(err, &ve) {
			fmt.Printf("@@@ BPF FAIL %s %s: %v\n", obj, name, err)
			continue
		}
		fmt.Printf("@@@ BPF FAIL %s %s (%s): %v\n", obj, name, spec.Programs[name].SectionName, ve.Cause)
		log := ve.Log
		if len(log) > logLines {
			fmt.Printf("    (%d earlier lines of the verifier log left out)\n", len(log)-logLines)
			log = log[len(log)-logLines:]
		}
		for _, l := range log {
			fmt.Printf("    %s\n", strings.TrimRight(l, "\n"))
		}
	}
	return allOK, nil
}
