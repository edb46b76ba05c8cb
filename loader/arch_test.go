package loader

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// The BPF objects are built for each architecture (gen.go), from the same
// C, which differs only where regs.h reads the user registers. These tests
// hold the objects to that on any machine: the arm64 one cannot be loaded
// without an arm64 kernel, but it can be compared with the x86-64 one,
// which the other tests load.

// objectPairs are the x86-64 and arm64 objects of each program set: the
// loader's, and the benchmark's floor programs, which stand in for the
// loader's on the same hooks.
var objectPairs = [][2]string{
	{"utrace_x86_bpfel.o", "utrace_arm64_bpfel.o"},
	{"../test/bench/floor_x86_bpfel.o", "../test/bench/floor_arm64_bpfel.o"},
}

func loadSpec(t *testing.T, file string) *ebpf.CollectionSpec {
	t.Helper()
	spec, err := ebpf.LoadCollectionSpec(file)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// The arm64 objects have the x86-64 ones' programs, on the same hooks, the
// same maps and the same variables.
func TestObjectsAgreeAcrossArchitectures(t *testing.T) {
	for _, pair := range objectPairs {
		x86, arm64 := loadSpec(t, pair[0]), loadSpec(t, pair[1])
		t.Run(pair[1], func(t *testing.T) {
			if a, b := slices.Sorted(maps.Keys(x86.Programs)), slices.Sorted(maps.Keys(arm64.Programs)); !slices.Equal(a, b) {
				t.Fatalf("programs: x86-64 %v, arm64 %v", a, b)
			}
			for name, p := range x86.Programs {
				q := arm64.Programs[name]
				if p.Type != q.Type || p.AttachType != q.AttachType || p.AttachTo != q.AttachTo ||
					p.SectionName != q.SectionName || p.Flags != q.Flags || p.License != q.License {
					t.Errorf("program %s: x86-64 %v %v %q %q, arm64 %v %v %q %q", name,
						p.Type, p.AttachType, p.AttachTo, p.SectionName, q.Type, q.AttachType, q.AttachTo, q.SectionName)
				}
			}
			if a, b := slices.Sorted(maps.Keys(x86.Maps)), slices.Sorted(maps.Keys(arm64.Maps)); !slices.Equal(a, b) {
				t.Fatalf("maps: x86-64 %v, arm64 %v", a, b)
			}
			for name, m := range x86.Maps {
				n := arm64.Maps[name]
				if m.Type != n.Type || m.KeySize != n.KeySize || m.ValueSize != n.ValueSize ||
					m.MaxEntries != n.MaxEntries || m.Flags != n.Flags || m.Pinning != n.Pinning {
					t.Errorf("map %s: x86-64 %v, arm64 %v", name, m, n)
				}
				if a, b := layout(m.Key), layout(n.Key); a != b {
					t.Errorf("map %s key: x86-64 %s, arm64 %s", name, a, b)
				}
				if a, b := layout(m.Value), layout(n.Value); a != b {
					t.Errorf("map %s value: x86-64 %s, arm64 %s", name, a, b)
				}
			}
			if a, b := slices.Sorted(maps.Keys(x86.Variables)), slices.Sorted(maps.Keys(arm64.Variables)); !slices.Equal(a, b) {
				t.Fatalf("variables: x86-64 %v, arm64 %v", a, b)
			}
			for name, v := range x86.Variables {
				w := arm64.Variables[name]
				if v.SectionName != w.SectionName || v.Offset != w.Offset || v.Size() != w.Size() || string(v.Value) != string(w.Value) {
					t.Errorf("variable %s: x86-64 %s+%d %x, arm64 %s+%d %x", name,
						v.SectionName, v.Offset, v.Value, w.SectionName, w.Offset, w.Value)
				}
			}
		})
	}
}

// The types bpf2go turns into Go (gen.go's -type list), which the loader
// decodes records and fills maps with, have one layout on both.
func TestTypesAgreeAcrossArchitectures(t *testing.T) {
	gen, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`-type (\w+)`).FindAllStringSubmatch(string(gen), -1)
	if len(names) < 10 {
		t.Fatalf("gen.go names %d types for bpf2go, want its -type list", len(names))
	}
	x86, arm64 := loadSpec(t, objectPairs[0][0]), loadSpec(t, objectPairs[0][1])
	for _, n := range names {
		a, err := x86.Types.AnyTypeByName(n[1])
		if err != nil {
			t.Errorf("x86-64: %s: %v", n[1], err)
			continue
		}
		b, err := arm64.Types.AnyTypeByName(n[1])
		if err != nil {
			t.Errorf("arm64: %s: %v", n[1], err)
			continue
		}
		if la, lb := layout(a), layout(b); la != lb {
			t.Errorf("%s:\nx86-64 %s\narm64  %s", n[1], la, lb)
		}
	}
}

// The bindings bpf2go generated from each object are the same but for
// their build constraint and the object they embed: the loader's Go is
// the same on both.
func TestBindingsAgreeAcrossArchitectures(t *testing.T) {
	x86, err := os.ReadFile("utrace_x86_bpfel.go")
	if err != nil {
		t.Fatal(err)
	}
	arm64, err := os.ReadFile("utrace_arm64_bpfel.go")
	if err != nil {
		t.Fatal(err)
	}
	neutral := func(src []byte) string {
		var lines []string
		for l := range strings.SplitSeq(string(src), "\n") {
			if !strings.HasPrefix(l, "//go:build ") && !strings.HasPrefix(l, "//go:embed ") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	if neutral(x86) != neutral(arm64) {
		t.Error("utrace_x86_bpfel.go and utrace_arm64_bpfel.go differ beyond their build constraint and embedded object: run go generate ./loader")
	}
}

// Each object reads its own architecture's registers (regs.h), and
// relocates only types of its own architecture's vmlinux header.
func TestRegistersByArchitecture(t *testing.T) {
	for _, c := range []struct {
		object, header string
		regs           []string // the struct pt_regs fields the programs read
	}{
		{"utrace_x86_bpfel.o", "../bpf/vmlinux_x86.h", x86PtRegsFields},
		{"utrace_arm64_bpfel.o", "../bpf/vmlinux_arm64.h", []string{"orig_x0", "regs", "sp", "syscallno"}},
	} {
		spec := loadSpec(t, c.object)
		header, err := os.ReadFile(c.header)
		if err != nil {
			t.Fatal(err)
		}
		regs := map[string]bool{}
		relocs := 0
		for _, p := range spec.Programs {
			for i := range p.Instructions {
				r := btf.CORERelocationMetadata(&p.Instructions[i])
				if r == nil {
					continue
				}
				relocs++
				typ, acc, err := parseRelocation(spec.Types, r)
				if err != nil {
					t.Fatalf("%s: %s: %v", c.object, p.Name, err)
				}
				name := typ.TypeName()
				if i := strings.Index(name, "___"); i > 0 {
					name = name[:i] // a flavour: CO-RE matches the name before it
				}
				if !declares(header, typ, name) {
					t.Errorf("%s: %s relocates %s, which %s does not declare", c.object, p.Name, typ, c.header)
				}
				if name == "pt_regs" && acc != nil {
					regs[fieldName(typ, acc)] = true
				}
			}
		}
		if relocs == 0 {
			t.Fatalf("%s: no CO-RE relocations found", c.object)
		}
		if got := slices.Sorted(maps.Keys(regs)); !slices.Equal(got, c.regs) {
			t.Errorf("%s reads pt_regs fields %v, want %v", c.object, got, c.regs)
		}
	}
}

// relocationRE parses a btf.CORERelocation's String, which is all the
// library shows of it: kind, local type, accessor and the type's ID.
var relocationRE = regexp.MustCompile(`^CORERelocation\((\w+), .*\[([0-9:]+)\], local_id=(\d+)\)$`)

// parseRelocation returns the local type r relocates and, for a field
// relocation, its accessor (the indexes of the members on the way).
func parseRelocation(types *btf.Spec, r *btf.CORERelocation) (btf.Type, []int, error) {
	m := relocationRE.FindStringSubmatch(r.String())
	if m == nil {
		return nil, nil, fmt.Errorf("cannot parse %s", r)
	}
	id, _ := strconv.Atoi(m[3])
	typ, err := types.TypeByID(btf.TypeID(id))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", r, err)
	}
	if !strings.HasPrefix(m[1], "byte_") && !strings.HasPrefix(m[1], "field_") {
		return typ, nil, nil
	}
	var acc []int
	for s := range strings.SplitSeq(m[2], ":") {
		i, _ := strconv.Atoi(s)
		acc = append(acc, i)
	}
	return typ, acc, nil
}

// fieldName is the name of the innermost named member the accessor acc
// reaches from typ (its first index steps over a pointer).
func fieldName(typ btf.Type, acc []int) string {
	name := ""
	for _, i := range acc[1:] {
		typ = btf.UnderlyingType(typ)
		if a, ok := typ.(*btf.Array); ok {
			typ = a.Type
			continue
		}
		ms := members(typ)
		if i >= len(ms) {
			return name
		}
		if ms[i].Name != "" { // an anonymous member keeps the outer name
			name = ms[i].Name
		}
		typ = ms[i].Type
	}
	return name
}

// members returns the members of a struct or union, nil for other types.
func members(t btf.Type) []btf.Member {
	switch v := t.(type) {
	case *btf.Struct:
		return v.Members
	case *btf.Union:
		return v.Members
	}
	return nil
}

// declares reports whether header has a definition of typ's kind named name.
func declares(header []byte, typ btf.Type, name string) bool {
	var decl string
	switch btf.UnderlyingType(typ).(type) {
	case *btf.Struct:
		decl = "struct " + name + " {"
	case *btf.Union:
		decl = "union " + name + " {"
	case *btf.Enum:
		decl = "enum " + name + " {"
	default:
		decl = " " + name + ";"
	}
	return strings.Contains(string(header), decl)
}

// layout describes t's memory layout: sizes, member names, offsets and
// bitfields, recursively, but not through pointers.
func layout(t btf.Type) string {
	var b strings.Builder
	writeLayout(&b, t, 0)
	return b.String()
}

func writeLayout(b *strings.Builder, t btf.Type, depth int) {
	if t == nil {
		b.WriteString("none")
		return
	}
	t = btf.UnderlyingType(t)
	size, _ := btf.Sizeof(t)
	switch v := t.(type) {
	case *btf.Struct, *btf.Union:
		fmt.Fprintf(b, "%T(%d){", v, size)
		for _, m := range members(v) {
			fmt.Fprintf(b, "%s@%d:%d ", m.Name, m.Offset, m.BitfieldSize)
			if depth < 8 {
				writeLayout(b, m.Type, depth+1)
			}
			b.WriteString("; ")
		}
		b.WriteString("}")
	case *btf.Array:
		fmt.Fprintf(b, "[%d]", v.Nelems)
		writeLayout(b, v.Type, depth+1)
	default:
		fmt.Fprintf(b, "%T(%d)", v, size)
	}
}
