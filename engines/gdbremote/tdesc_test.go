package gdbremote

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
)

// checkTargetXML checks a target description against the table it
// describes: well-formed XML, every register of table once with its
// number, width and type, and every type either gdb's own or defined in
// the document.
func checkTargetXML[F any](t *testing.T, doc string, table []reg[F]) {
	t.Helper()
	var target struct {
		Features []struct {
			Name  string `xml:"name,attr"`
			Types []struct {
				XMLName xml.Name
				ID      string `xml:"id,attr"`
			} `xml:",any"`
			Regs []struct {
				Name    string `xml:"name,attr"`
				Bitsize string `xml:"bitsize,attr"`
				Type    string `xml:"type,attr"`
				Regnum  string `xml:"regnum,attr"`
			} `xml:"reg"`
		} `xml:"feature"`
	}
	if err := xml.Unmarshal([]byte(doc), &target); err != nil {
		t.Fatalf("target description: %v\n%s", err, doc)
	}
	builtin := map[string]bool{"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
		"int128": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uint128": true,
		"code_ptr": true, "data_ptr": true, "ieee_half": true, "ieee_single": true, "ieee_double": true,
		"bfloat16": true, "i387_ext": true}
	defined := map[string]bool{}
	seen := map[int]bool{}
	for _, f := range target.Features {
		if !strings.HasPrefix(f.Name, "org.gnu.gdb.") {
			t.Errorf("feature %q", f.Name)
		}
		for _, ty := range f.Types {
			if ty.ID != "" {
				defined[ty.ID] = true
			}
		}
		for _, r := range f.Regs {
			n, err := strconv.Atoi(r.Regnum)
			if err != nil || n < 0 || n >= len(table) || seen[n] {
				t.Errorf("register %s: regnum %q", r.Name, r.Regnum)
				continue
			}
			seen[n] = true
			rg := table[n]
			if r.Name != rg.name || r.Bitsize != strconv.Itoa(rg.bits) || r.Type != rg.typ {
				t.Errorf("register %d described as %s/%s/%s, the table has %s/%d/%s",
					n, r.Name, r.Bitsize, r.Type, rg.name, rg.bits, rg.typ)
			}
			if !builtin[r.Type] && !defined[r.Type] {
				t.Errorf("register %s: type %s not defined before it", r.Name, r.Type)
			}
		}
	}
	for n := range table {
		if !seen[n] {
			t.Errorf("register %d (%s) not described", n, table[n].name)
		}
	}
}
