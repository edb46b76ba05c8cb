package counter

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// column is one column of strace -c's table (strace -U).
type column struct {
	name   string // strace's name for -U
	header string
	width  int
	cell   func(s core.SyscallStats, total time.Duration) string
}

// columns are the table's columns strace's -U can choose, by its names
// and their other spellings. strace's min-time and max-time are not here:
// the kernel's counts keep no per-call extremes.
var columns = []column{
	{"time-percent", "% time", 6, func(s core.SyscallStats, total time.Duration) string {
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(s.Time) / float64(total)
		}
		return strconv.FormatFloat(pct, 'f', 2, 64)
	}},
	{"total-time", "seconds", 11, func(s core.SyscallStats, _ time.Duration) string {
		return strconv.FormatFloat(s.Time.Seconds(), 'f', 6, 64)
	}},
	{"avg-time", "usecs/call", 11, func(s core.SyscallStats, _ time.Duration) string {
		per := int64(0)
		if s.Calls > 0 {
			per = s.Time.Microseconds() / int64(s.Calls)
		}
		return strconv.FormatInt(per, 10)
	}},
	{"calls", "calls", 9, func(s core.SyscallStats, _ time.Duration) string { return strconv.FormatUint(s.Calls, 10) }},
	{"errors", "errors", 9, func(s core.SyscallStats, _ time.Duration) string {
		if s.Errors == 0 {
			return ""
		}
		return strconv.FormatUint(s.Errors, 10)
	}},
	{"name", "syscall", 16, nil},
}

// columnAliases are strace's other names for the columns.
var columnAliases = map[string]string{
	"time": "time-percent", "time_percent": "time-percent",
	"total_time": "total-time", "time-total": "total-time", "time_total": "total-time",
	"avg_time": "avg-time", "time-avg": "avg-time", "time_avg": "avg-time",
	"count": "calls", "error": "errors", "syscall": "name",
}

// defaultColumns is strace -c's table without -U.
const defaultColumns = "time-percent,total-time,avg-time,calls,errors,name"

// parseColumns parses a -U list: strace's column names, each once.
func parseColumns(spec string) ([]column, error) {
	var cols []column
	seen := map[string]bool{}
	for _, w := range strings.Split(spec, ",") {
		name := w
		if a, ok := columnAliases[w]; ok {
			name = a
		}
		var c *column
		for i := range columns {
			if columns[i].name == name {
				c = &columns[i]
			}
		}
		switch {
		case name == "min-time" || name == "max-time" || name == "min_time" || name == "max_time" || name == "shortest" || name == "longest":
			return nil, fmt.Errorf("columns: %s: not kept (the kernel's counts have no per-call minimum or maximum)", w)
		case c == nil:
			return nil, fmt.Errorf("columns: unknown column name %q (want %s)", w, defaultColumns)
		case seen[c.name]:
			return nil, fmt.Errorf("columns: %q given more than once", w)
		}
		seen[c.name] = true
		cols = append(cols, *c)
	}
	return cols, nil
}

// writeHeader writes the table's header and its rule.
func writeHeader(w io.Writer, cols []column) {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case c.cell != nil:
			fmt.Fprintf(&b, "%*s", c.width, c.header)
		case i == len(cols)-1:
			b.WriteString(c.header)
		default:
			fmt.Fprintf(&b, "%-*s", c.width, c.header)
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
	writeRule(w, cols)
}

// writeRule writes the dashes under the header and above the total.
func writeRule(w io.Writer, cols []column) {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.Repeat("-", c.width))
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// writeRow writes one call's row (or the total's) of the table.
func writeRow(w io.Writer, cols []column, s core.SyscallStats, total time.Duration, name string) {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case c.cell != nil:
			fmt.Fprintf(&b, "%*s", c.width, c.cell(s, total))
		case i == len(cols)-1:
			b.WriteString(name)
		default:
			fmt.Fprintf(&b, "%-*s", c.width, name)
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}
