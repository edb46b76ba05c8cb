package sysabi

// The arm64 structure facts that differ between architectures, in bytes;
// aarch64.go says where each comes from.
const (
	// SizeStat is the size of struct stat (asm-generic/stat.h), and
	// StatModeOffset, StatRdevOffset and StatSizeOffset where its
	// st_mode, st_rdev and st_size are.
	SizeStat       = arm64SizeStat
	StatModeOffset = arm64StatModeOffset
	StatRdevOffset = arm64StatRdevOffset
	StatSizeOffset = arm64StatSizeOffset

	// SizeEpollEvent is the size of struct epoll_event, not packed on
	// arm64, and EpollEventDataOffset where its 64-bit data is.
	SizeEpollEvent       = arm64SizeEpollEvent
	EpollEventDataOffset = arm64EpollEventDataOffset

	// SigreturnMaskOffset is where, from the stack pointer at
	// rt_sigreturn's entry, the signal frame holds the mask it restores.
	SigreturnMaskOffset = arm64SigreturnMaskOffset
)
