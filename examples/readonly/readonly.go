// Package readonly is an engine written outside utrace-bpf's tree, against
// the public API only (packages pipeline and core), as any new engine
// would be: it makes a directory tree read-only for the traced processes.
// Calls that would change something under a path prefix (open for
// writing, create, unlink, rename, mkdir, chmod…) fail with EROFS before
// they run, and each refusal is logged; everything else runs untouched,
// and costs nothing, since only the listed calls stop.
//
// It registers engine type "readonly"; a binary that imports the package
// and calls cli.Main (see cmd/utrace-bpf-readonly) has it beside the
// built-in engines:
//
//	utrace-bpf-readonly run -e readonly:path=/etc -e syscalls -- sh -c 'echo x > /etc/motd'
package readonly

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

func init() {
	pipeline.Register(&pipeline.Type{
		Name:    "readonly",
		Summary: "make a directory tree read-only: calls that would change it fail with EROFS",
		Uses:    pipeline.UsesPtrace | pipeline.UsesSeccomp,
		Options: []pipeline.Option{
			{Name: "path", Kind: pipeline.String, Doc: "the tree to protect, an absolute path (required)"},
		},
		New: New,
	})
}

// changing are the calls that change the file their path argument names,
// by name so that the list holds on every architecture (arm64 has no
// open, unlink or rename, only their *at forms).
var changing = []string{"creat", "truncate", "unlink", "unlinkat", "rmdir", "mkdir", "mkdirat",
	"mknod", "mknodat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
	"chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "utime", "utimes", "utimensat",
	"setxattr", "lsetxattr", "removexattr", "lremovexattr"}

// opens are the calls that change a file only when their flags say so,
// with the index of the flags argument.
var opens = map[string]int{"open": 1, "openat": 2}

// Readonly is the engine: one pipeline stage.
type Readonly struct {
	pipeline.Base
	root    string
	nrs     map[int]string // the calls it stops, by number: their names
	refused atomic.Int64
}

// New makes a stage from checked options; it is the Type's New.
func New(name string, opts pipeline.Options, out *pipeline.Output) (pipeline.Stage, error) {
	root := filepath.Clean(opts.Str("path"))
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("path %q: want an absolute path (e.g. -e readonly:path=/etc)", opts.Str("path"))
	}
	r := &Readonly{root: root, nrs: map[int]string{}}
	var set core.SyscallSet
	for _, name := range append(changing, "open", "openat") {
		if nr, ok := sysabi.Number(name); ok {
			r.nrs[nr] = name
			set.Add(nr)
		}
	}
	// Synchronous at entry, for these calls only: the refusal must
	// happen while the thread waits, before the kernel runs the call.
	r.Init(name, r, out, pipeline.Needs{
		Watch: core.Watch{Events: core.EventSyscallEntry, Syscalls: &set},
		Sync:  core.EventSyscallEntry,
	})
	return r, nil
}

// ReportSyscallEntry refuses a call that would change the tree.
func (r *Readonly) ReportSyscallEntry(e *core.Engine, action core.Action, ev *core.Event) core.Action {
	keep := core.Resume | action.SyscallAction() // what the engines before this one chose
	name, ok := r.nrs[ev.Syscall.Nr]
	if !ok || !ev.Sync {
		return keep
	}
	if i, isOpen := opens[name]; isOpen && ev.Syscall.Args[i]&(unix.O_WRONLY|unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC) == 0 {
		return keep
	}
	path, ok := pipeline.SyscallPath(e, ev)
	if !ok || !r.inside(ev, path) {
		return keep
	}
	r.refused.Add(1)
	r.Count()
	rec := pipeline.NewRecord()
	rec.Time, rec.Event, rec.Pid, rec.Tid, rec.Engine = ev.Time, ev.Type, ev.Tgid, ev.Tid, r.Name()
	rec.Text = fmt.Appendf(rec.Text, "readonly: %s(%q) refused: EROFS", name, path)
	rec.Fields = append(rec.Fields, pipeline.StrField("syscall", name), pipeline.StrField("path", path))
	r.Out.Emit(rec)
	ev.Syscall.Ret = -int64(unix.EROFS)
	return core.Resume | core.SyscallAbort
}

// inside reports whether path, as thread ev.Tid would resolve it, is in
// the protected tree. A relative path is taken from the thread's working
// directory: close enough for an example (a *at call's directory
// descriptor and symbolic links are not followed).
func (r *Readonly) inside(ev *core.Event, path string) bool {
	if !filepath.IsAbs(path) {
		cwd, err := procfs.Process(ev.Tid).Cwd()
		if err != nil {
			return false
		}
		path = filepath.Join(cwd, path)
	}
	path = filepath.Clean(path)
	return path == r.root || strings.HasPrefix(path, r.root+"/") || r.root == "/"
}

// Summary says how many calls were refused.
func (r *Readonly) Summary(w io.Writer) {
	fmt.Fprintf(w, "%s: %d calls refused under %s\n", r.Name(), r.refused.Load(), r.root)
}
