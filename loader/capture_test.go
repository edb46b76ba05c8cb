package loader_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/test/progs"
)

// region returns ev's region at addr, preferring one that is not a fault
// and, among those, the last (an exit copy after an entry's).
func region(ev *core.Event, addr uint64) (core.Region, bool) {
	var found core.Region
	ok := false
	for _, r := range ev.Syscall.Regions {
		if r.Addr == addr && (!ok || found.Flags&core.RegionFault != 0 || r.Flags&core.RegionFault == 0) {
			found, ok = r, true
		}
	}
	return found, ok
}

// With Capture, the exit record of each call carries what the kernel read
// and wrote, copied at the time: read's data although the program
// overwrites its buffer at once, fstat's struct, and a path whose page was
// not resident at the call's entry (copied again at its exit, once the
// kernel had faulted it in). The entry's arguments and time (asked for)
// come along.
func TestCaptureAtTheRightMoment(t *testing.T) {
	l, c := start(t, nil)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(data, []byte("vm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target-of-a-path-in-an-untouched-page")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pathFile := filepath.Join(dir, "pathfile")
	if err := os.WriteFile(pathFile, append([]byte(target), make([]byte, 4096)...), 0o644); err != nil {
		t.Fatal(err)
	}
	p := progs.Start(t, nil, progs.Build(t, "capture"), data, pathFile)
	if err := l.SetWatch(p.Pid, core.Watch{Events: core.EventSyscallExit, Capture: true, EnterTimes: true}); err != nil {
		t.Fatal(err)
	}
	p.Go(t)
	if line := p.ReadLine(t); line != "present 0" {
		t.Errorf("the path's page was resident before openat (%q): the fault-at-entry case is not tested", line)
	}
	if st := p.Wait(t); st.ExitStatus() != 0 {
		t.Fatalf("capture exited with %v", st)
	}
	flush(t, l)

	var sawRead, sawStat, sawPath bool
	for _, ev := range c.of(p.Pid) {
		s := &ev.Syscall
		if ev.Type != core.EventSyscallExit || s.Ret < 0 || s.EnterTime == 0 && s.Nr == 0 {
			continue // (the read of the go byte began before the watch)
		}
		if s.EnterTime == 0 || s.EnterTime > ev.Time {
			t.Errorf("%s: enter time %d, exit %d", sysabi.Name(s.Nr), s.EnterTime, ev.Time)
		}
		switch sysabi.Name(s.Nr) {
		case "read":
			r, ok := region(&ev, s.Args[1])
			if !ok || string(r.Data) != "vm\n" || r.Flags&core.RegionExit == 0 {
				t.Errorf("read = %d: region %+v (%q), want \"vm\\n\" copied at exit", s.Ret, r, r.Data)
			}
			sawRead = true
		case "fstat", "newfstatat":
			if sawStat || s.Args[0] != 3 {
				continue // (stdout's, for printf)
			}
			buf := s.Args[1]
			if sysabi.Name(s.Nr) == "newfstatat" {
				buf = s.Args[2]
			}
			r, ok := region(&ev, buf)
			if !ok || len(r.Data) != sysabi.SizeStat {
				t.Errorf("%s: region %+v, want %d bytes of struct stat", sysabi.Name(s.Nr), r, sysabi.SizeStat)
				break
			}
			if size, mode := binary.LittleEndian.Uint64(r.Data[48:]), binary.LittleEndian.Uint32(r.Data[24:]); size != 3 || mode&0o777 != 0o644 {
				t.Errorf("stat: st_size %d st_mode %o, want 3 and 0644", size, mode)
			}
			sawStat = true
		case "openat":
			r, ok := region(&ev, s.Args[1])
			if bytes.Equal(r.Data, []byte(target)) {
				sawPath = true
				if r.Flags&core.RegionString == 0 {
					t.Errorf("openat path region %+v is not a string", r)
				}
			} else if !ok || r.Flags&core.RegionFault != 0 {
				t.Errorf("openat path region %+v (%v): unreadable", r, ok)
			}
		}
	}
	if !sawRead || !sawStat || !sawPath {
		t.Errorf("read %v, stat %v, untouched path %v: want all three", sawRead, sawStat, sawPath)
	}
}
