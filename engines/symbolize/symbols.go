// Package symbolize names the code addresses of a live process, as
// debuggers and strace -k do: the mapping that holds the address (from
// /proc/PID/maps, read once), then the nearest preceding symbol of the
// mapped ELF file's symbol tables, loaded once per file.
package symbolize

import (
	"debug/elf"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/utrace-bpf/utrace-bpf/core/procfs"
)

// Symbolizer names code addresses of a process from its memory map and the
// ELF symbol tables of the mapped files (where they have any).
type Symbolizer struct {
	maps  []mapping
	mu    sync.Mutex
	files map[string]*elfSyms
}

type mapping struct {
	start, end, off uint64
	path            string
}

type elfSyms struct {
	progs []elf.ProgHeader
	syms  []elf.Symbol // sorted by Value
}

// New reads process pid's executable mappings now: addresses mapped
// later (dlopen) are named by their bare address.
func New(pid int) *Symbolizer {
	s := &Symbolizer{files: map[string]*elfSyms{}}
	maps, err := procfs.Process(pid).Maps()
	if err != nil {
		return s
	}
	for _, m := range maps {
		if m.Exec() && m.Path != "" {
			s.maps = append(s.maps, mapping{start: m.Start, end: m.End, off: m.Offset, path: m.Path})
		}
	}
	return s
}

// Name returns "symbol+0xoff (file)" or "file+0xoff" or the bare address.
func (s *Symbolizer) Name(addr uint64) string {
	for _, m := range s.maps {
		if addr < m.start || addr >= m.end {
			continue
		}
		fileOff := addr - m.start + m.off
		base := m.path[strings.LastIndexByte(m.path, '/')+1:]
		es := s.load(m.path)
		if es == nil {
			return fmt.Sprintf("%s+%#x", base, fileOff)
		}
		vaddr, ok := es.vaddr(fileOff)
		if !ok {
			return fmt.Sprintf("%s+%#x", base, fileOff)
		}
		if sym, ok := es.lookup(vaddr); ok {
			return fmt.Sprintf("%s+%#x (%s)", sym.Name, vaddr-sym.Value, base)
		}
		return fmt.Sprintf("%s+%#x", base, fileOff)
	}
	return fmt.Sprintf("%#x", addr)
}

func (s *Symbolizer) load(path string) *elfSyms {
	s.mu.Lock()
	defer s.mu.Unlock()
	if es, ok := s.files[path]; ok {
		return es
	}
	var es *elfSyms
	if f, err := elf.Open(path); err == nil {
		es = &elfSyms{}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD {
				es.progs = append(es.progs, p.ProgHeader)
			}
		}
		syms, _ := f.Symbols()
		dyn, _ := f.DynamicSymbols()
		for _, sym := range append(syms, dyn...) {
			if elf.ST_TYPE(sym.Info) == elf.STT_FUNC && sym.Value != 0 {
				es.syms = append(es.syms, sym)
			}
		}
		sort.Slice(es.syms, func(i, j int) bool { return es.syms[i].Value < es.syms[j].Value })
		f.Close()
	}
	s.files[path] = es
	return es
}

func (es *elfSyms) vaddr(fileOff uint64) (uint64, bool) {
	for _, p := range es.progs {
		if fileOff >= p.Off && fileOff < p.Off+p.Filesz {
			return fileOff - p.Off + p.Vaddr, true
		}
	}
	return 0, false
}

func (es *elfSyms) lookup(vaddr uint64) (elf.Symbol, bool) {
	i := sort.Search(len(es.syms), func(i int) bool { return es.syms[i].Value > vaddr }) - 1
	if i < 0 {
		return elf.Symbol{}, false
	}
	sym := es.syms[i]
	if sym.Size != 0 && vaddr >= sym.Value+sym.Size {
		return elf.Symbol{}, false
	}
	return sym, true
}
