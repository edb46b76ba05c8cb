package procfs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The readers on this process's own /proc.
func TestSelf(t *testing.T) {
	pid := os.Getpid()
	st, err := Process(pid).Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pid != pid || st.Ppid != os.Getppid() || st.Kernel() || st.Dead() || st.State != 'R' {
		t.Errorf("stat %+v: want pid %d, ppid %d, a running user task", st, pid, os.Getppid())
	}
	comm, err := Process(pid).Comm()
	if err != nil || comm != st.Comm {
		t.Errorf("comm %q, %v; stat says %q", comm, err, st.Comm)
	}

	s, err := Self.Status()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Int("Tgid"); err != nil || n != pid {
		t.Errorf("Tgid %d, %v; want %d", n, err, pid)
	}
	if n, err := s.Int("Uid"); err != nil || n != os.Getuid() {
		t.Errorf("Uid %d, %v; want %d", n, err, os.Getuid())
	}
	// The Go runtime has handlers for SIGSEGV and SIGURG, among others.
	if m, err := s.Mask("SigCgt"); err != nil || m&(1<<(unix.SIGSEGV-1)) == 0 || m&(1<<(unix.SIGURG-1)) == 0 {
		t.Errorf("SigCgt %#x, %v: want SIGSEGV and SIGURG caught", m, err)
	}

	tids, err := Self.Tasks()
	if err != nil || !slices.Contains(tids, pid) || !slices.IsSorted(tids) {
		t.Fatalf("tasks %v, %v: want a sorted list with %d", tids, err, pid)
	}
	tid := unix.Gettid()
	if !Thread(pid, tid).Exists() || !Process(tid).Exists() {
		t.Errorf("thread %d of %d does not exist", tid, pid)
	}
	if Thread(pid, 1<<30).Exists() {
		t.Error("thread 1<<30 exists")
	}
	ts, err := Thread(pid, tid).Status()
	if n, _ := ts.Int("Pid"); err != nil || n != tid {
		t.Errorf("thread status Pid %d, %v; want %d", n, err, tid)
	}

	exe, err := Self.Exe()
	self, _ := os.Executable()
	if err != nil || exe != self {
		t.Errorf("exe %q, %v; want %q", exe, err, self)
	}
	cwd, _ := os.Getwd()
	if got, err := Self.Cwd(); err != nil || got != cwd {
		t.Errorf("cwd %q, %v; want %q", got, err, cwd)
	}

	maps, err := Self.Maps()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(maps, func(m Mapping) bool { return m.Exec() && m.Path == exe && m.Start < m.End }) {
		t.Errorf("no executable mapping of %s in %+v", exe, maps)
	}

	mounts, err := Self.Mounts()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(mounts, func(m Mount) bool { return m.Point == "/proc" && m.FSType == "proc" }) {
		t.Errorf("no proc on /proc in %+v", mounts)
	}

	if auxv, err := Self.Auxv(); err != nil || len(auxv) == 0 || len(auxv)%16 != 0 && len(auxv)%8 != 0 {
		t.Errorf("auxv of %d bytes, %v", len(auxv), err)
	}
	if _, err := Self.Cgroup(); err != nil {
		t.Error(err)
	}

	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p, err := Self.Fd(int(f.Fd())); err != nil || p != "/dev/null" {
		t.Errorf("fd %d: %q, %v", f.Fd(), p, err)
	}

	pids, err := Pids()
	if err != nil || !slices.Contains(pids, pid) || !slices.IsSorted(pids) {
		t.Errorf("pids: %v: want a sorted list with %d", err, pid)
	}

	var u unix.Utsname
	unix.Uname(&u)
	if r, err := Sysctl("kernel.osrelease"); err != nil || r != unix.ByteSliceToString(u.Release[:]) {
		t.Errorf("kernel.osrelease %q, %v", r, err)
	}
	if r, err := Sysctl("kernel/osrelease"); err != nil || r == "" {
		t.Errorf("kernel/osrelease %q, %v", r, err)
	}
}

// The readers on a child: blocked in read(0, ...), then a zombie.
func TestChild(t *testing.T) {
	cmd := exec.Command("cat")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	d := Process(cmd.Process.Pid)
	var sc Syscall
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if sc, err = d.Syscall(); err != nil {
			t.Fatal(err)
		}
		if sc.Reads(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cat did not block reading stdin: %+v", sc)
		}
	}
	if sc.SP == 0 || sc.PC == 0 || sc.Args[2] == 0 {
		t.Errorf("read(0, ...): %+v", sc)
	}
	st, err := d.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Comm != "cat" || st.Ppid != os.Getpid() || st.State != 'S' {
		t.Errorf("stat %+v: want cat, sleeping, our child", st)
	}
	s, err := d.Status()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Int("PPid"); err != nil || n != os.Getpid() {
		t.Errorf("PPid %d, %v", n, err)
	}
	if v, ok := s.Field("State"); !ok || !strings.HasPrefix(v, "S") {
		t.Errorf("State %q, %v", v, ok)
	}
	want, _ := exec.LookPath("cat")
	want, _ = filepath.EvalSymlinks(want)
	if exe, err := d.Exe(); err != nil || exe != want {
		t.Errorf("exe %q, %v; want %q", exe, err, want)
	}
	tids, err := d.Tasks()
	if err != nil || !slices.Equal(tids, []int{cmd.Process.Pid}) {
		t.Errorf("tasks %v, %v", tids, err)
	}
	// cmd.Start forked on one of our threads.
	var forker []int
	self, _ := Self.Tasks()
	for _, tid := range self {
		if c, err := Thread(os.Getpid(), tid).Children(); err == nil && slices.Contains(c, cmd.Process.Pid) {
			forker = append(forker, tid)
		}
	}
	if len(forker) != 1 {
		t.Errorf("%d threads have cat for a child, want 1", len(forker))
	}

	// Closing its input makes it exit; unreaped, it is a zombie.
	stdin.Close()
	for deadline := time.Now().Add(10 * time.Second); !st.Dead(); time.Sleep(time.Millisecond) {
		if st, err = d.Stat(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("cat did not exit: %+v", st)
		}
	}
	if st.State != 'Z' {
		t.Errorf("state %c, want Z", st.State)
	}
	if _, err := d.Exe(); err == nil {
		t.Error("a zombie has an exe")
	}
	cmd.Wait()

	// Reaped, it is gone: the errors say where, and that it does not exist.
	_, err = d.Stat()
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != d.Path("stat") {
		t.Errorf("stat of a reaped process: %v", err)
	}
	if _, err := d.Status(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("status of a reaped process: %v", err)
	}
	if d.Exists() {
		t.Error("a reaped process exists")
	}
}

// Kernel threads are told from user ones by their flags.
func TestKernelThread(t *testing.T) {
	st, err := Process(2).Stat()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no pid 2 (a pid namespace)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if st.Comm != "kthreadd" || !st.Kernel() {
		t.Errorf("pid 2: %+v, want kthreadd, a kernel thread", st)
	}
}

// Stat is read without a heap buffer: what it allocates is the path, and
// the command name.
func TestStatAllocs(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	d := Process(os.Getpid())
	if n := testing.AllocsPerRun(100, func() { d.Stat() }); n > 3 {
		t.Errorf("Stat allocates %v times", n)
	}
}
