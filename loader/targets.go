package loader

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/procfs"
)

// Target is a rule that selects processes in the kernel, for a system-wide
// monitor: a process nobody watches is matched against the armed rules at
// each of its execs and at its fork, in the BPF programs, and the first rule
// whose set fields all match gives it the armed watch there, before its
// next instruction. So a short-lived process is seen from its first system
// call, and the match is judged on what the process is at that moment (the
// comm and file name of the new image, the credentials after the exec).
type Target struct {
	// Comm is a pattern for the process's name: '*' matches any run of
	// bytes, '?' any one byte, every other byte itself. At an exec the
	// name is the new image's (the kernel's: the file name's last
	// element, at most 15 bytes); at a fork the parent's. "" matches any.
	Comm string
	// Exe is a pattern (as Comm) for the file name the process exec'd,
	// as given to execve ("./prog" for a relative one: "*/prog" matches
	// both). It never matches at a fork. "" matches any.
	Exe string
	// UID and GID are the real user and group id; -1 matches any.
	UID, GID int
	// Pid is the process id, Ppid its parent's; 0 matches any.
	Pid, Ppid int
	// Cgroup is a cgroup v2 path, as /proc/PID/cgroup spells it
	// ("/system.slice"): the process must be in that cgroup or below it.
	// "" matches any.
	Cgroup string
	// Follow makes the children and threads of a selected process inherit
	// its watch (the watch's Follow), so that they are traced from their
	// first instruction.
	Follow bool
}

// SetTargets arms rules, replacing any armed before; nil disarms them. A
// process a rule selects gets watch w (with Follow as the rule says), and
// its EXEC report, or its parent's CLONE report, carries 1 + the rule's
// index in Exec.Target or Clone.Target. That report is delivered even
// when w does not ask for it, and first, so that the deliver func can
// attach the engines whose watch w is (what core.PlanWatch computes for
// them): their attach sets the same flags again. The programs that w needs
// stay attached while the rules are armed.
func (l *Loader) SetTargets(rules []Target, w core.Watch) error {
	if len(rules) > targetMax {
		return fmt.Errorf("target rules: %d of them, at most %d: %w", len(rules), targetMax, core.ErrInvalid)
	}
	enc := make([]utraceTargetRule, len(rules))
	for i := range rules {
		if err := encodeTarget(&rules[i], &enc[i]); err != nil {
			return fmt.Errorf("target rule %d: %w", i+1, err)
		}
	}
	f := Flags{Watch: core.Watch{Events: w.Events &^ core.EventQuiesce, Syscalls: w.Syscalls, Triggers: w.Triggers,
		ExitEntriesOnly: w.ExitEntriesOnly, Capture: w.Capture, EnterTimes: w.EnterTimes, FdPaths: w.FdPaths}}
	if err := checkTriggers(f.Triggers); err != nil {
		return fmt.Errorf("target rules: %w", err)
	}
	n := needsOf(&f)
	if w.Count {
		n.bits |= needCount
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("target rules: loader: %w", os.ErrClosed)
	}
	// Disarm first: the programs never see a rule half written.
	zero := uint32(0)
	if err := l.objs.TargetConfig.Update(zero, utraceTargetConf{}, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("target rules: disarming: %w", err)
	}
	l.targetNeed = need{}
	if err := l.syncTargetNeedLocked(); err != nil || len(rules) == 0 {
		return err
	}
	for i := range enc {
		var v utraceTaskFlags
		rf := f
		rf.Follow = w.Follow && rules[i].Follow
		rf.encode(&v)
		if err := l.objs.TargetFlags.Update(uint32(i), &v, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("target rule %d: writing its template: %w", i+1, err)
		}
		if err := l.objs.Targets.Update(uint32(i), &enc[i], ebpf.UpdateAny); err != nil {
			return fmt.Errorf("target rule %d: %w", i+1, err)
		}
	}
	// The programs the template needs are attached before the first task
	// can be selected.
	l.targetNeed = n
	if err := l.syncTargetNeedLocked(); err != nil {
		l.targetNeed = need{}
		return errors.Join(err, l.syncTargetNeedLocked())
	}
	conf := utraceTargetConf{Nrules: uint32(len(rules))}
	if w.Count {
		conf.Count = 1
		if w.Histograms {
			conf.Histogram = 1
		}
		if w.CountSyscalls != nil {
			conf.Filtered = 1
			conf.CountSet = *w.CountSyscalls
		}
	}
	if err := l.objs.TargetConfig.Update(zero, &conf, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("target rules: arming: %w", err)
	}
	return nil
}

// targetedNeed returns the needs of a thread a target rule selected, from
// its record's flags: the template's triggers go with it.
func (l *Loader) targetedNeed(flags uint32) need {
	n := need{bits: needsFromRecord(flags)}
	if flags&recNeedTrigger != 0 {
		l.mu.Lock()
		n.trig = l.targetNeed.trig
		l.mu.Unlock()
	}
	return n
}

// targetsTid is the key under which l.needs keeps the needs of the armed
// template, as if it were a thread's: no user thread has tid 0.
const targetsTid = 0

// syncTargetNeedLocked makes l.needs hold the armed template's needs and
// attaches or detaches programs to match. l.mu must be held.
func (l *Loader) syncTargetNeedLocked() error {
	l.setNeedLocked(targetsTid, l.targetNeed)
	return l.syncLinksLocked()
}

// Check reports what in rule t the kernel cannot evaluate: a pattern too
// long or with syntax other than '*' and '?', a cgroup that does not exist.
func (t *Target) Check() error {
	var r utraceTargetRule
	return encodeTarget(t, &r)
}

// Process is what a rule is matched against in user space, for processes
// that were running before the rules were armed.
type Process struct {
	Comm      string
	Exe       string // the executable's path (/proc/PID/exe)
	UID, GID  int    // real ids
	Pid, Ppid int
	Cgroup    string // cgroup v2 path; "" not known
}

// ReadProcess reads what rules are matched against from /proc/PID. It
// reports false for a kernel thread and for a process that is gone.
func ReadProcess(pid int) (*Process, bool) {
	d := procfs.Process(pid)
	st, err := d.Stat()
	if err != nil || st.Kernel() {
		return nil, false
	}
	p := &Process{Comm: st.Comm, Pid: pid, Ppid: st.Ppid, UID: -1, GID: -1}
	if s, err := d.Status(); err == nil {
		// The real ids, the first of Uid's and Gid's four.
		if uid, err := s.Int("Uid"); err == nil {
			p.UID = uid
		}
		if gid, err := s.Int("Gid"); err == nil {
			p.GID = gid
		}
	}
	p.Exe, _ = d.Exe()
	p.Cgroup, _ = d.Cgroup()
	return p, true
}

// Matches reports whether rule t selects process p, as the kernel would
// have at its exec (with p.Exe for the file name it exec'd).
func (t *Target) Matches(p *Process) bool {
	switch {
	case t.Pid > 0 && t.Pid != p.Pid,
		t.Ppid > 0 && t.Ppid != p.Ppid,
		t.UID >= 0 && t.UID != p.UID,
		t.GID >= 0 && t.GID != p.GID,
		t.Cgroup != "" && !underCgroup(p.Cgroup, t.Cgroup),
		t.Exe != "" && !Glob(t.Exe, p.Exe),
		t.Comm != "" && !Glob(t.Comm, p.Comm):
		return false
	}
	return true
}

// underCgroup reports whether cgroup path p is root or below it.
func underCgroup(p, root string) bool {
	root = path.Clean("/" + root)
	return p != "" && (root == "/" || p == root || strings.HasPrefix(p, root+"/"))
}

// Glob reports whether s matches pattern as the BPF programs match target
// patterns (bpf/targets.h): '*' matches any run of bytes, '/' included,
// '?' any one byte, every other byte itself.
func Glob(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// encodeTarget checks rule t and writes it in the kernel's form.
func encodeTarget(t *Target, r *utraceTargetRule) error {
	pattern := func(what, p string, dst *[targetPatLen]int8, n *uint32, bit uint32) error {
		if p == "" {
			return nil
		}
		if len(p) >= targetPatLen {
			return fmt.Errorf("%s pattern %q: longer than %d bytes: %w", what, p, targetPatLen-1, core.ErrInvalid)
		}
		if i := strings.IndexAny(p, "[\\\x00"); i >= 0 {
			return fmt.Errorf("%s pattern %q: %q is not supported in the kernel (only '*' and '?'): %w", what, p, p[i], core.ErrInvalid)
		}
		for i := range len(p) {
			dst[i] = int8(p[i])
		}
		*n = uint32(len(p))
		r.Fields |= bit
		return nil
	}
	if err := pattern("comm", t.Comm, &r.CommPat, &r.CommLen, tgtComm); err != nil {
		return err
	}
	if err := pattern("exe", t.Exe, &r.ExePat, &r.ExeLen, tgtExe); err != nil {
		return err
	}
	if t.UID >= 0 {
		r.Fields |= tgtUID
		r.Uid = uint32(t.UID)
	}
	if t.GID >= 0 {
		r.Fields |= tgtGID
		r.Gid = uint32(t.GID)
	}
	if t.Pid > 0 {
		r.Fields |= tgtPid
		r.Pid = uint32(t.Pid)
	}
	if t.Ppid > 0 {
		r.Fields |= tgtPpid
		r.Ppid = uint32(t.Ppid)
	}
	if t.Cgroup != "" {
		id, level, err := core.CgroupID(t.Cgroup)
		if err != nil {
			return err
		}
		r.Fields |= tgtCgroup
		r.CgroupId, r.CgroupLevel = id, uint32(level)
	}
	return nil
}

// attachFailedExecs attaches utrace_exec_failed to the exits of execve and
// execveat, for the EXEC reports of failed execs (Options.FailedExecs).
func (l *Loader) attachFailedExecs() error {
	if err := ensureTracefs(); err != nil {
		return fmt.Errorf("reporting failed execs: %w", err)
	}
	p, err := l.objs.program(utraceProgUtraceExecFailed)
	if err != nil {
		return err
	}
	for _, name := range []string{"sys_exit_execve", "sys_exit_execveat"} {
		lk, err := link.Tracepoint("syscalls", name, p, nil)
		if err != nil {
			return fmt.Errorf("reporting failed execs: attaching to tracepoint syscalls/%s: %w", name, err)
		}
		l.always = append(l.always, lk)
	}
	return nil
}
