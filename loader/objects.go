package loader

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"time"

	"github.com/cilium/ebpf"
)

// objects are the loader's BPF maps, created by Load, and its programs,
// each verified and loaded the first time it is needed, against those
// maps: a pipeline that never asks for job-control events or triggers
// never waits for the verifier on their programs.
type objects struct {
	utraceMaps
	rodata *ebpf.Map // .rodata, the load-time constants (wakeup_bytes)
	bss    *ebpf.Map // .bss: nothing the programs use, but each load would make its own

	mu    sync.Mutex
	spec  *ebpf.CollectionSpec
	opts  ebpf.CollectionOptions // MapReplacements: the maps above
	progs map[string]*progLoad
}

// progLoad is one program's loading: done once, and waited for by every
// caller that wants the program meanwhile.
type progLoad struct {
	once sync.Once
	prog *ebpf.Program
	err  error
	took time.Duration // the load's wall time: relocation, the verifier, JIT
}

// programVariants names, for a program whose attach point differs between
// kernels, the variant in the object that fits the running kernel.
func programVariants(k *Kernel) map[string]string {
	v := map[string]string{}
	if !k.ExitGroupDead {
		// sched_process_exit without group_dead (before it gained it,
		// after 6.12): the program that derives it.
		v[utraceProgUtraceExit] = utraceProgUtraceExitDerived
	}
	return v
}

// useVariants puts in place of the programs whose attach point differs
// between kernels the variants that fit k, before any is loaded.
func (o *objects) useVariants(k *Kernel) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for prog, variant := range programVariants(k) {
		ps := o.spec.Programs[variant]
		if ps == nil {
			return fmt.Errorf("BPF object has no program %s", variant)
		}
		o.spec.Programs[prog] = ps
	}
	return nil
}

// loadObjects creates the maps of spec and prepares its programs for
// loading (useVariants chooses among them).
func loadObjects(spec *ebpf.CollectionSpec) (*objects, error) {
	o := &objects{spec: spec, progs: make(map[string]*progLoad)}
	maps := struct {
		*utraceMaps
		Rodata *ebpf.Map `ebpf:".rodata"`
		Bss    *ebpf.Map `ebpf:".bss"`
	}{utraceMaps: &o.utraceMaps}
	if err := spec.LoadAndAssign(&maps, nil); err != nil {
		return nil, err
	}
	o.rodata, o.bss = maps.Rodata, maps.Bss
	replace := mapsByName(&o.utraceMaps)
	replace[".rodata"], replace[".bss"] = o.rodata, o.bss
	o.opts = ebpf.CollectionOptions{
		MapReplacements: replace,
		// Kernel BTF is decoded once, for the probes and all the
		// programs' CO-RE relocations, not once per program.
		Cache: kernelBTF,
	}
	return o, nil
}

// mapsByName lists the maps of m by their names in the object (the struct
// tags bpf2go wrote), so that the programs, each loaded on its own, use
// the maps created once here, every one of them.
func mapsByName(m *utraceMaps) map[string]*ebpf.Map {
	v := reflect.ValueOf(m).Elem()
	byName := make(map[string]*ebpf.Map, v.NumField())
	for i := range v.NumField() {
		if name := v.Type().Field(i).Tag.Get("ebpf"); name != "" {
			byName[name] = v.Field(i).Interface().(*ebpf.Map)
		}
	}
	return byName
}

// program returns the loaded program name, loading it on first use.
// Different programs load concurrently: most of a load is the kernel's
// verifier, on one CPU each.
func (o *objects) program(name string) (*ebpf.Program, error) {
	o.mu.Lock()
	spec := o.spec
	if spec == nil {
		o.mu.Unlock()
		return nil, errors.New("BPF objects closed")
	}
	pl := o.progs[name]
	if pl == nil {
		pl = &progLoad{}
		o.progs[name] = pl
	}
	o.mu.Unlock()
	pl.once.Do(func() {
		start := time.Now()
		prog, err := o.load(spec, name)
		o.mu.Lock() // for loadTimes
		pl.prog, pl.err, pl.took = prog, err, time.Since(start)
		o.mu.Unlock()
	})
	return pl.prog, pl.err
}

// loadTimes returns how long each loaded program took to load.
func (o *objects) loadTimes() map[string]time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string]time.Duration)
	for name, pl := range o.progs {
		if pl.prog != nil {
			m[name] = pl.took
		}
	}
	return m
}

// preload loads the programs named, one per CPU at a time, in the order
// given: the costliest first, so that the longest load is not the last
// to start.
func (o *objects) preload(names ...string) error {
	errs := make([]error, len(names))
	next := make(chan int, len(names))
	for i := range names {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(names)) {
		wg.Go(func() {
			for i := range next {
				_, errs[i] = o.program(names[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (o *objects) load(spec *ebpf.CollectionSpec, name string) (*ebpf.Program, error) {
	ps := spec.Programs[name]
	if ps == nil {
		return nil, fmt.Errorf("BPF object has no program %s", name)
	}
	one := &ebpf.CollectionSpec{Maps: spec.Maps, Programs: map[string]*ebpf.ProgramSpec{name: ps.Copy()},
		Variables: spec.Variables, Types: spec.Types}
	coll, err := ebpf.NewCollectionWithOptions(one, o.opts)
	if err != nil {
		return nil, explainLoad("program "+name, err)
	}
	p := coll.DetachProgram(name)
	coll.Close()
	return p, nil
}

// Close closes the programs and the maps.
func (o *objects) Close() error {
	o.mu.Lock()
	loads := o.progs
	o.progs, o.spec = map[string]*progLoad{}, nil
	o.mu.Unlock()
	var errs []error
	for _, pl := range loads {
		// Waits for a load in flight; marks one never begun as done.
		pl.once.Do(func() {})
		if pl.prog != nil {
			errs = append(errs, pl.prog.Close())
		}
	}
	errs = append(errs, o.utraceMaps.Close())
	for _, m := range []*ebpf.Map{o.rodata, o.bss} {
		if m != nil {
			errs = append(errs, m.Close())
		}
	}
	return errors.Join(errs...)
}
