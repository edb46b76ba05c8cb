package sysabi

import "fmt"

// How says how a Capture finds the memory it copies. The numbering is the
// BPF programs' (CAP_* in bpf/utrace.h).
type How uint8

// The ways to capture.
const (
	_           How = iota
	CapString       // the NUL-terminated string at the argument, at most Max bytes (0: the string limit)
	CapFixed        // Size bytes at the argument
	CapLenArg       // argument Aux bytes at the argument, at most Max (0: the string limit)
	CapLenRet       // at exit: the return value's bytes at the argument, at most Max (0: the string limit)
	CapLenPtr       // *(uint32 *)argument Aux bytes at the argument, at most Max
	CapArray        // argument Aux (AuxRet: the return value) elements of Size bytes, at most Max
	CapStrArray     // argv: the NULL-terminated pointer array and its strings, at most Max elements (0: the string limit; 64 at most)
	CapStrCount     // envp: how many elements the NULL-terminated pointer array has
	CapIovec        // struct iovec[argument Aux] and the buffers, at most Max elements
	CapMsghdr       // struct msghdr, its name, its iovec (at most Max elements) and control
	CapFdSet        // fd_set for argument Aux descriptors
	CapDeref        // Size bytes at the pointer stored at the argument + 8*Aux
	CapDirents      // at exit: how many linux_dirent64 the return value's bytes hold
	CapExecNew      // execve at exit: the new image's arguments and file name
	CapStack        // Size bytes at the stack pointer (as at the call's entry) + 8*Aux
)

// AuxRet in Capture.Aux names the return value as the element count.
const AuxRet = 0xff

// Phase says when a capture copies: at the call's entry (its inputs), at
// its exit (its outputs, only when it succeeded), or at its exit only when
// a signal interrupted it (what the kernel writes then: a sleep's rest).
type Phase uint8

// The phases.
const (
	Entry Phase = iota
	Exit
	Interrupted
)

func (p Phase) String() string {
	switch p {
	case Entry:
		return "entry"
	case Exit:
		return "exit"
	case Interrupted:
		return "interruption"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// Cond limits a Capture to calls whose argument Arg, masked, equals Val.
type Cond struct {
	Arg       uint8
	Mask, Val uint64
}

// Capture is one piece of a system call's memory that the kernel side
// copies for the decoder, at the moment the kernel uses it. Entry
// captures that find the memory unreadable (a page not yet faulted in)
// are copied again at exit, when the kernel has faulted it in.
type Capture struct {
	How  How
	At   Phase
	Arg  uint8  // the argument holding the address
	Aux  uint8  // the argument holding the length or count (see How)
	Size uint16 // bytes (CapFixed, CapDeref) or bytes per element (CapArray)
	Max  uint16 // bound in bytes or elements (see How); 0: the string limit
	Cond *Cond  // nil: always
}

// PathMax bounds the paths the kernel side copies, with the NUL (the
// kernel's PATH_MAX).
const PathMax = 4096

// Captures returns what of system call nr's memory the kernel side copies,
// derived from its layout: its inputs at entry, its outputs at exit.
func Captures(nr int) []Capture {
	l, ok := LayoutOf(nr)
	if !ok {
		return nil
	}
	if l.Decoder != DecodeNone {
		return decoderCaptures(l.Decoder, nr)
	}
	var cs []Capture
	for i, k := range l.Args {
		cs = append(cs, kindCaptures(k, uint8(i))...)
	}
	return cs
}

// Output reports whether arguments of kind k are filled in by the kernel:
// strace prints a call as entered only up to the first of them.
func (k Kind) Output() bool {
	if _, ok := outStructs[k]; ok {
		return true
	}
	switch k {
	case ArgTimespecRem, ArgBufOut, ArgBufOutHex, ArgPathOut, ArgSockaddrOut, ArgSocklenOut, ArgIovecOut, ArgMsghdrOut,
		ArgEpollEventsOut, ArgGidsOut, ArgDirentsOut, ArgCPUSetOut:
		return true
	}
	return false
}

func at(p Phase, c Capture) Capture { c.At = p; return c }

func fixed(p Phase, arg uint8, size uint16) Capture {
	return Capture{How: CapFixed, At: p, Arg: arg, Size: size}
}

// kindCaptures returns the captures of argument i of kind k.
func kindCaptures(k Kind, i uint8) []Capture {
	if size, ok := inStructs[k]; ok {
		return []Capture{fixed(Entry, i, size)}
	}
	if size, ok := outStructs[k]; ok {
		return []Capture{fixed(Exit, i, size)}
	}
	switch k {
	case ArgTimespecRem:
		return []Capture{fixed(Interrupted, i, SizeTimespec)}
	case ArgPath:
		return []Capture{{How: CapString, At: Entry, Arg: i, Max: PathMax - 1}}
	case ArgStr:
		return []Capture{{How: CapString, At: Entry, Arg: i}}
	case ArgPathOut:
		return []Capture{{How: CapString, At: Exit, Arg: i, Max: PathMax - 1}}
	case ArgBufIn:
		return []Capture{{How: CapLenArg, At: Entry, Arg: i, Aux: i + 1}}
	case ArgBufOut, ArgBufOutHex:
		return []Capture{{How: CapLenRet, At: Exit, Arg: i}}
	case ArgSockaddrIn:
		return []Capture{{How: CapLenArg, At: Entry, Arg: i, Aux: i + 1, Max: sockaddrMax}}
	case ArgSockaddrOut:
		return []Capture{{How: CapLenPtr, At: Exit, Arg: i, Aux: i + 1, Max: sockaddrMax}}
	case ArgSocklenOut:
		// In and out: the caller's size, then the kernel's.
		return []Capture{fixed(Entry, i, 4), fixed(Exit, i, 4)}
	case ArgIovecIn:
		return []Capture{{How: CapIovec, At: Entry, Arg: i, Aux: i + 1, Max: iovMax}}
	case ArgIovecOut:
		return []Capture{{How: CapIovec, At: Exit, Arg: i, Aux: i + 1, Max: iovMax}}
	case ArgMsghdrIn:
		return []Capture{{How: CapMsghdr, At: Entry, Arg: i, Max: iovMax}}
	case ArgMsghdrOut:
		return []Capture{{How: CapMsghdr, At: Exit, Arg: i, Max: iovMax}}
	case ArgEpollEventsOut:
		return []Capture{{How: CapArray, At: Exit, Arg: i, Aux: AuxRet, Size: sizeEpollEvent, Max: arrayMax}}
	case ArgGidsOut:
		return []Capture{{How: CapArray, At: Exit, Arg: i, Aux: AuxRet, Size: 4, Max: arrayMax}}
	case ArgPollfds:
		// The fds and events at entry, the revents at exit.
		c := Capture{How: CapArray, Arg: i, Aux: i + 1, Size: sizePollfd, Max: arrayMax}
		return []Capture{at(Entry, c), at(Exit, c)}
	case ArgFdSet:
		c := Capture{How: CapFdSet, Arg: i, Aux: 0}
		return []Capture{at(Entry, c), at(Exit, c)}
	case ArgPselectSig:
		return []Capture{fixed(Entry, i, 16), {How: CapDeref, At: Entry, Arg: i, Aux: 0, Size: sizeSigset}}
	case ArgDirentsOut:
		return []Capture{{How: CapDirents, At: Exit, Arg: i}}
	case ArgCPUSetOut:
		return []Capture{{How: CapLenRet, At: Exit, Arg: i, Max: 128}}
	}
	return nil
}

// decoderCaptures returns the captures of the calls with decoders of
// their own, matching what the decoders read.
func decoderCaptures(d Decoder, nr int) []Capture {
	switch d {
	case DecodeExecve:
		argv := uint8(1)
		if Name(nr) == "execveat" {
			argv = 2
		}
		return []Capture{
			{How: CapString, At: Entry, Arg: argv - 1, Max: PathMax - 1},
			{How: CapStrArray, At: Entry, Arg: argv},
			{How: CapStrCount, At: Entry, Arg: argv + 1},
			{How: CapExecNew, At: Exit},
		}
	case DecodeClone:
		// parent_tid with CLONE_PARENT_SETTID.
		return []Capture{{How: CapFixed, At: Exit, Arg: 2, Size: 4,
			Cond: &Cond{Arg: 0, Mask: cloneParentSettid, Val: cloneParentSettid}}}
	case DecodeClone3:
		// struct clone_args at entry; at exit the parent_tid it points at.
		return []Capture{
			{How: CapLenArg, At: Entry, Arg: 0, Aux: 1, Max: sizeCloneArgs},
			{How: CapDeref, At: Exit, Arg: 0, Aux: 3, Size: 4},
		}
	case DecodeSockopt:
		if Name(nr) == "getsockopt" {
			return []Capture{fixed(Entry, 4, 4), fixed(Exit, 4, 4),
				{How: CapLenPtr, At: Exit, Arg: 3, Aux: 4, Max: sockoptMax}}
		}
		return []Capture{{How: CapLenArg, At: Entry, Arg: 3, Aux: 4, Max: sockoptMax}}
	case DecodeFcntl:
		// struct flock for F_GETLK (5) out, F_SETLK (6) and F_SETLKW (7) in.
		return []Capture{
			{How: CapFixed, At: Exit, Arg: 2, Size: sizeFlock, Cond: &Cond{Arg: 1, Mask: 0xffffffff, Val: 5}},
			{How: CapFixed, At: Entry, Arg: 2, Size: sizeFlock, Cond: &Cond{Arg: 1, Mask: 0xfffffffe, Val: 6}},
		}
	case DecodePrctl:
		// PR_SET_NAME (15) in, PR_GET_NAME (16) out: the task's comm.
		return []Capture{
			{How: CapString, At: Entry, Arg: 1, Max: 16, Cond: &Cond{Arg: 0, Mask: 0xffffffff, Val: 15}},
			{How: CapString, At: Exit, Arg: 1, Max: 16, Cond: &Cond{Arg: 0, Mask: 0xffffffff, Val: 16}},
		}
	case DecodeArchPrctl:
		// ARCH_GET_FS (0x1003), ARCH_GET_GS (0x1004): the base they store.
		return []Capture{{How: CapFixed, At: Exit, Arg: 1, Size: 8, Cond: &Cond{Arg: 0, Mask: 0xfffffffe, Val: 0x1004}},
			{How: CapFixed, At: Exit, Arg: 1, Size: 8, Cond: &Cond{Arg: 0, Mask: 0xffffffff, Val: 0x1003}}}
	case DecodeMount:
		return []Capture{
			{How: CapString, At: Entry, Arg: 0, Max: PathMax - 1},
			{How: CapString, At: Entry, Arg: 1, Max: PathMax - 1},
			{How: CapString, At: Entry, Arg: 2, Max: PathMax - 1},
			{How: CapString, At: Entry, Arg: 4},
		}
	case DecodeFutex:
		// The timeout of FUTEX_WAIT (0) and FUTEX_WAIT_BITSET (9), with or
		// without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME.
		return []Capture{
			{How: CapFixed, At: Entry, Arg: 3, Size: sizeTimespec, Cond: &Cond{Arg: 1, Mask: 0x7f, Val: 0}},
			{How: CapFixed, At: Entry, Arg: 3, Size: sizeTimespec, Cond: &Cond{Arg: 1, Mask: 0x7f, Val: 9}},
		}
	case DecodeIoctl:
		return ioctlCaptures
	case DecodeSigreturn:
		// The signal mask the frame restores, where the frame is: at the
		// stack pointer as the call is entered.
		return []Capture{{How: CapStack, At: Entry, Aux: SigreturnMaskOffset / 8, Size: SizeSigset}}
	}
	return nil
}

// Bounds of captured arrays, in elements.
const (
	arrayMax    = 32 // strace prints at most -s elements; 32 is its default
	iovMax      = 32
	sockaddrMax = 128 // sizeof(struct sockaddr_storage)
	sockoptMax  = 64
)

const cloneParentSettid = 0x00100000
