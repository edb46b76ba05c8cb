package sysabi

import "testing"

// TestStructFactsAmd64 checks the x86-64 sizes and offsets against what
// the x86-64 C compiler says.
func TestStructFactsAmd64(t *testing.T) {
	checkStructFacts(t, "x86_64-linux-gnu-gcc", append(commonStructFacts,
		structFact{"sizeof(struct stat)", false, SizeStat},
		structFact{"offsetof(struct stat, st_mode)", false, StatModeOffset},
		structFact{"offsetof(struct stat, st_rdev)", false, StatRdevOffset},
		structFact{"offsetof(struct stat, st_size)", false, StatSizeOffset},
		structFact{"sizeof(struct epoll_event)", false, SizeEpollEvent},
		structFact{"offsetof(struct epoll_event, data)", false, EpollEventDataOffset},
		// The frame's pretcode is popped by the handler's return, so the
		// stack pointer is at its struct ucontext, whose layout the C
		// library's ucontext_t has.
		structFact{"offsetof(ucontext_t, uc_sigmask)", true, SigreturnMaskOffset},
	))
}
