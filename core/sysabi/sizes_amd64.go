package sysabi

// The x86-64 structure facts that differ between architectures, in bytes.
const (
	// SizeStat is the size of struct stat (arch/x86/include/uapi/asm/stat.h),
	// and StatModeOffset, StatRdevOffset and StatSizeOffset where its
	// st_mode, st_rdev and st_size are: x86-64's st_nlink is 64-bit and
	// comes before st_mode.
	SizeStat       = 144
	StatModeOffset = 24
	StatRdevOffset = 40
	StatSizeOffset = 48

	// SizeEpollEvent is the size of struct epoll_event, packed on x86-64,
	// and EpollEventDataOffset where its 64-bit data is.
	SizeEpollEvent       = 12
	EpollEventDataOffset = 4

	// SigreturnMaskOffset is where, from the stack pointer at
	// rt_sigreturn's entry, the signal frame holds the mask it restores:
	// uc_sigmask in the frame's struct ucontext (uc_flags, uc_link,
	// uc_stack, then uc_mcontext's 256 bytes).
	SigreturnMaskOffset = 296
)
