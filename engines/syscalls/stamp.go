package syscalls

import (
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// stampKind is the time stamp strace puts before each line.
type stampKind uint8

const (
	stampNone     stampKind = iota
	stampSeconds            // -t: 12:34:56
	stampMicros             // -tt: 12:34:56.123456
	stampEpoch              // -ttt: 1700000000.123456
	stampRelative           // -r: 0.000123, since the previous call's entry
)

func parseStamp(s string) (stampKind, error) {
	switch s {
	case "":
		return stampNone, nil
	case "t":
		return stampSeconds, nil
	case "tt":
		return stampMicros, nil
	case "ttt":
		return stampEpoch, nil
	case "r":
		return stampRelative, nil
	}
	return 0, fmt.Errorf("time %q: want t, tt, ttt or r (strace's -t, -tt, -ttt, -r)", s)
}

// wallClock turns the kernel's CLOCK_MONOTONIC time stamps into wall-clock
// time, by the offset between the two clocks when it was made (as strace,
// which reads the wall clock when it sees a call, a time adjustment later
// moves the stamps less than it moves the wall clock).
type wallClock struct{ offset int64 }

func newWallClock() wallClock {
	var mono, real unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	unix.ClockGettime(unix.CLOCK_REALTIME, &real)
	return wallClock{offset: real.Nano() - mono.Nano()}
}

func (c wallClock) wall(mono uint64) time.Time { return time.Unix(0, int64(mono)+c.offset) }

// appendStamp appends the line's time stamp (the call's entry time at),
// as strace prints it, and a space.
func (s *syscalls) appendStamp(b []byte, at uint64) []byte {
	switch s.stamp {
	case stampSeconds:
		b = s.clock.wall(at).AppendFormat(b, "15:04:05")
	case stampMicros:
		b = s.clock.wall(at).AppendFormat(b, "15:04:05.000000")
	case stampEpoch:
		w := s.clock.wall(at)
		b = strconv.AppendInt(b, w.Unix(), 10)
		b = append(b, '.')
		b = appendPadded(b, int64(w.Nanosecond()/1000), 6)
	case stampRelative:
		prev := s.lastEntry.Swap(at)
		var d uint64
		if prev != 0 && at > prev {
			d = at - prev
		}
		// strace: "%6ld.%06ld ".
		sec := strconv.AppendInt(nil, int64(d/1e9), 10)
		for i := len(sec); i < 6; i++ {
			b = append(b, ' ')
		}
		b = append(b, sec...)
		b = append(b, '.')
		b = appendPadded(b, int64(d%1e9/1000), 6)
	default:
		return b
	}
	return append(b, ' ')
}

// appendDuration appends strace -T's " <0.000123>".
func appendDuration(b []byte, d uint64) []byte {
	b = append(b, " <"...)
	b = strconv.AppendInt(b, int64(d/1e9), 10)
	b = append(b, '.')
	b = appendPadded(b, int64(d%1e9/1000), 6)
	return append(b, '>')
}

func appendPadded(b []byte, v int64, width int) []byte {
	s := strconv.AppendInt(nil, v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
