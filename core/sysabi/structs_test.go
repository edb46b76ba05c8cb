package sysabi

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A structFact is a size or offset this package states, and the C
// expression that computes it from the kernel's or the C library's
// headers.
type structFact struct {
	expr string // C expression
	libc bool   // needs the C library's headers (which clash with the kernel's uapi ones)
	want int
}

// commonStructFacts are the facts that sizes.go states for every
// architecture.
var commonStructFacts = []structFact{
	{"sizeof(struct statx)", false, SizeStatx},
	{"sizeof(sigset_t)", false, SizeSigset},
	{"sizeof(struct sigaction)", false, SizeSigaction},
	{"sizeof(struct __kernel_timespec)", false, SizeTimespec},
	{"sizeof(struct __kernel_old_timeval)", false, SizeTimeval},
	{"sizeof(struct itimerval)", false, SizeItimerval},
	{"sizeof(struct rlimit)", false, SizeRlimit},
	{"sizeof(struct pollfd)", false, SizePollfd},
	{"sizeof(struct new_utsname)", false, SizeUtsname},
	{"sizeof(stack_t)", false, SizeStack},
	{"sizeof(struct open_how)", false, SizeOpenHow},
	{"sizeof(struct flock)", false, SizeFlock},
	{"CLONE_ARGS_SIZE_VER2", false, SizeCloneArgs},
	{"sizeof(struct msghdr)", true, SizeMsghdr},
	{"sizeof(struct termios)", false, SizeTermios},
	{"sizeof(struct winsize)", false, SizeWinsize},
	{"sizeof(struct sysinfo)", false, SizeSysinfo},
	{"TCGETS", false, 0x5401},
	{"TIOCGWINSZ", false, 0x5413},
	{"FIONBIO", false, 0x5421},
	{"FIOASYNC", false, 0x5452},
}

// arm64StructFacts are aarch64.go's.
var arm64StructFacts = []structFact{
	{"sizeof(struct stat)", false, arm64SizeStat},
	{"offsetof(struct stat, st_mode)", false, arm64StatModeOffset},
	{"offsetof(struct stat, st_rdev)", false, arm64StatRdevOffset},
	{"offsetof(struct stat, st_size)", false, arm64StatSizeOffset},
	{"sizeof(struct epoll_event)", false, arm64SizeEpollEvent},
	{"offsetof(struct epoll_event, data)", false, arm64EpollEventDataOffset},
	// strace's arch_sigreturn for AARCH64; the C library's ucontext_t
	// has the kernel's layout up to uc_sigmask.
	{"sizeof(siginfo_t) + offsetof(ucontext_t, uc_sigmask)", true, arm64SigreturnMaskOffset},
}

// TestStructFactsArm64 checks the arm64 sizes and offsets against what
// the arm64 C compiler says, on any machine that has one.
func TestStructFactsArm64(t *testing.T) {
	checkStructFacts(t, "aarch64-linux-gnu-gcc", append(commonStructFacts, arm64StructFacts...))
}

// checkStructFacts compiles the facts' expressions with cc into an object
// file and compares the constants in it with the facts. Reading the
// object, rather than running a program, works for any target cc
// compiles for.
func checkStructFacts(t *testing.T, cc string, facts []structFact) {
	t.Helper()
	if _, err := exec.LookPath(cc); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no %s on this machine", cc)
		}
		t.Fatalf("%s is needed to check the structure layouts: %v", cc, err)
	}
	const uapi = `#include <linux/types.h>
#include <asm/stat.h>
#include <linux/stat.h>
#include <asm/signal.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/resource.h>
#include <asm/poll.h>
#include <linux/utsname.h>
#include <linux/openat2.h>
#include <asm/fcntl.h>
#include <linux/sched.h>
#include <asm/termbits.h>
#include <asm/termios.h>
#include <asm/ioctls.h>
#include <linux/sysinfo.h>
#include <linux/eventpoll.h>
#include <stddef.h>
`
	const libc = `#include <sys/socket.h>
#include <signal.h>
#include <ucontext.h>
#include <stddef.h>
`
	got := map[string]uint64{}
	for _, unit := range []struct {
		name, head string
		libc       bool
	}{{"uapi", uapi, false}, {"libc", libc, true}} {
		var src strings.Builder
		src.WriteString(unit.head)
		for i, f := range facts {
			if f.libc == unit.libc {
				fmt.Fprintf(&src, "const unsigned long fact_%d = (unsigned long)(%s);\n", i, f.expr)
			}
		}
		dir := t.TempDir()
		c, o := filepath.Join(dir, unit.name+".c"), filepath.Join(dir, unit.name+".o")
		if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(cc, "-c", "-o", o, c).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cc, err, out)
		}
		if err := readConstants(o, got); err != nil {
			t.Fatalf("%s: %v", o, err)
		}
	}
	for i, f := range facts {
		v, ok := got[fmt.Sprintf("fact_%d", i)]
		if !ok {
			t.Errorf("%s: no constant for %s", cc, f.expr)
			continue
		}
		if v != uint64(f.want) {
			t.Errorf("%s says %s is %d, the table says %d", cc, f.expr, v, f.want)
		}
	}
}

// readConstants adds the 8-byte values of the object file's defined
// symbols to m.
func readConstants(path string, m map[string]uint64) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return err
	}
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF || int(s.Section) >= len(f.Sections) || s.Size != 8 {
			continue
		}
		data, err := f.Sections[s.Section].Data()
		if err != nil {
			return fmt.Errorf("symbol %s: %w", s.Name, err)
		}
		if s.Value+8 > uint64(len(data)) {
			return fmt.Errorf("symbol %s beyond its section", s.Name)
		}
		m[s.Name] = binary.LittleEndian.Uint64(data[s.Value:])
	}
	return nil
}
