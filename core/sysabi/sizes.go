package sysabi

// Sizes of the kernel structures the decoder prints, in bytes, where they
// are the same on every architecture utrace-bpf supports (64-bit Linux,
// little endian). The ones that differ (struct stat, struct epoll_event,
// the signal frame) are in sizes_amd64.go and sizes_arm64.go.
// TestStructFacts checks them against what the C compilers say.
const (
	SizeStatx     = 256
	SizeSigset    = 8
	SizeSigaction = 32 // the kernel's struct sigaction: handler, flags, restorer, mask
	SizeTimespec  = 16
	SizeTimeval   = 16
	SizeItimerval = 32
	SizeRlimit    = 16
	SizePollfd    = 8
	SizeUtsname   = 390
	SizeStack     = 24
	SizeOpenHow   = 24
	SizeFlock     = 32
	SizeCloneArgs = 88 // CLONE_ARGS_SIZE_VER2
	SizeMsghdr    = 56
	SizeTermios   = 36 // the kernel's struct termios (TCGETS)
	SizeWinsize   = 8
	SizeSysinfo   = 112
)

const (
	sizeSigset     = SizeSigset
	sizeTimespec   = SizeTimespec
	sizeEpollEvent = SizeEpollEvent
	sizePollfd     = SizePollfd
	sizeFlock      = SizeFlock
	sizeCloneArgs  = SizeCloneArgs
)

// inStructs and outStructs are the kinds that point at one structure the
// caller passes in, or the kernel fills in, and its size.
var (
	inStructs = map[Kind]uint16{
		ArgSigsetIn: SizeSigset, ArgSigactIn: SizeSigaction, ArgTimespecIn: SizeTimespec,
		ArgItimervalIn: SizeItimerval, ArgRlimitIn: SizeRlimit, ArgStackIn: SizeStack,
		ArgUtimensIn: 2 * SizeTimespec, ArgEpollEventIn: SizeEpollEvent, ArgOpenHow: SizeOpenHow,
	}
	outStructs = map[Kind]uint16{
		ArgStatOut: SizeStat, ArgStatxOut: SizeStatx, ArgSigsetOut: SizeSigset, ArgSigactOut: SizeSigaction,
		ArgWstatusOut: 4, ArgIntPairOut: 8, ArgIntOut: 4, ArgUintOut: 4, ArgPtrOut: 8,
		ArgTimevalOut: SizeTimeval, ArgTimespecOut: SizeTimespec, ArgItimervalOut: SizeItimerval,
		ArgRlimitOut: SizeRlimit, ArgUtsnameOut: SizeUtsname, ArgStackOut: SizeStack, ArgSysinfoOut: SizeSysinfo,
	}
)

// ioctlCaptures are the ioctl requests whose argument memory is copied.
// The request numbers are asm-generic/ioctls.h's, which both x86-64 and
// arm64 use.
var ioctlCaptures = []Capture{
	{How: CapFixed, At: Entry, Arg: 2, Size: 4, Cond: &Cond{Arg: 1, Mask: 0xffffffff, Val: 0x5421}},          // FIONBIO
	{How: CapFixed, At: Entry, Arg: 2, Size: 4, Cond: &Cond{Arg: 1, Mask: 0xffffffff, Val: 0x5452}},          // FIOASYNC
	{How: CapFixed, At: Exit, Arg: 2, Size: SizeTermios, Cond: &Cond{Arg: 1, Mask: 0xffffffff, Val: 0x5401}}, // TCGETS
	{How: CapFixed, At: Exit, Arg: 2, Size: SizeWinsize, Cond: &Cond{Arg: 1, Mask: 0xffffffff, Val: 0x5413}}, // TIOCGWINSZ
}
