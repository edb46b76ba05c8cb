package loader

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// objects are the loader's BPF maps, created by Load, and its programs,
// each verified and loaded the first time it is needed, against those
// maps: a pipeline that never asks for job-control events or triggers
// never waits for the verifier on their programs.
type objects struct {
	utraceMaps
	rodata *ebpf.Map // .rodata, the load-time constants (wakeup_bytes)

	mu    sync.Mutex
	spec  *ebpf.CollectionSpec
	opts  ebpf.CollectionOptions // MapReplacements: the maps above
	progs map[string]*ebpf.Program
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

// loadObjects creates the maps of spec and prepares its programs for
// loading, the variants that fit k in place of the programs they stand
// for.
func loadObjects(spec *ebpf.CollectionSpec, k *Kernel) (*objects, error) {
	for prog, variant := range programVariants(k) {
		ps := spec.Programs[variant]
		if ps == nil {
			return nil, fmt.Errorf("BPF object has no program %s", variant)
		}
		spec.Programs[prog] = ps
	}
	o := &objects{spec: spec, progs: make(map[string]*ebpf.Program)}
	maps := struct {
		*utraceMaps
		Rodata *ebpf.Map `ebpf:".rodata"`
	}{utraceMaps: &o.utraceMaps}
	if err := spec.LoadAndAssign(&maps, nil); err != nil {
		return nil, err
	}
	o.rodata = maps.Rodata
	o.opts = ebpf.CollectionOptions{
		MapReplacements: map[string]*ebpf.Map{
			utraceMapCounters: o.Counters, utraceMapEntryPaths: o.EntryPaths, utraceMapEvents: o.Events,
			utraceMapFinalStats: o.FinalStats, utraceMapFlags: o.Flags, utraceMapPendingStops: o.PendingStops,
			utraceMapTidBits: o.TidBits, utraceMapTstats: o.Tstats, utraceMapZeroStats: o.ZeroStats,
			utraceMapDeadGroups: o.DeadGroups, utraceMapStoreReqs: o.StoreReqs, utraceMapStoreFlags: o.StoreFlags,
			utraceMapStoreTstats: o.StoreTstats, utraceMapStorePending: o.StorePending,
			utraceMapCapSpecs: o.CapSpecs, utraceMapCalls: o.Calls, utraceMapScratchBufs: o.ScratchBufs,
			utraceMapRingPace: o.RingPace,
			".rodata":         o.rodata,
		},
		// Kernel BTF is decoded once for all the programs' CO-RE
		// relocations, not once per program.
		Cache: btf.NewCache(),
	}
	return o, nil
}

// program returns the loaded program name, loading it on first use.
func (o *objects) program(name string) (*ebpf.Program, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p := o.progs[name]; p != nil {
		return p, nil
	}
	if o.spec == nil {
		return nil, errors.New("BPF objects closed")
	}
	one := &ebpf.CollectionSpec{Maps: o.spec.Maps, Programs: map[string]*ebpf.ProgramSpec{name: o.spec.Programs[name]},
		Variables: o.spec.Variables, Types: o.spec.Types}
	if one.Programs[name] == nil {
		return nil, fmt.Errorf("BPF object has no program %s", name)
	}
	coll, err := ebpf.NewCollectionWithOptions(one, o.opts)
	if err != nil {
		return nil, explainLoad("program "+name, err)
	}
	p := coll.DetachProgram(name)
	coll.Close()
	o.progs[name] = p
	return p, nil
}

// Close closes the programs and the maps.
func (o *objects) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for name, p := range o.progs {
		errs = append(errs, p.Close())
		delete(o.progs, name)
	}
	o.spec = nil
	errs = append(errs, o.utraceMaps.Close())
	if o.rodata != nil {
		errs = append(errs, o.rodata.Close())
	}
	return errors.Join(errs...)
}
