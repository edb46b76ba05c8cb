package gdbremote

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The wire format of the GDB Remote Serial Protocol: packets are
// $data#cs, cs being the modulo-256 sum of data's bytes in two hex digits;
// '}' escapes the next byte (xor 0x20) in binary data; '+' and '-'
// acknowledge a packet until no-ack mode is on; a lone 0x03 byte is an
// interrupt (Ctrl-C in gdb).

// maxPacket bounds an incoming packet's data. We advertise a PacketSize of
// packetSize; anything much larger is not gdb talking, and the connection
// is closed rather than buffered without end.
const (
	packetSize = 0x4000
	maxPacket  = 4*packetSize + 64
)

// packet is one thing read from gdb.
type packet struct {
	data      string // unescaped data of a $...# packet
	interrupt bool   // a 0x03 byte
	nak       bool   // '-': resend the last reply
	bad       bool   // a checksum mismatch
}

var errTooLong = errors.New("packet too long")

// readPacket reads the next packet, interrupt or nak; '+' acks and stray
// bytes between packets are skipped. A packet must be complete within
// timeout of its '$': setDeadline, if not nil, is called with that time
// when a packet starts and with the zero time when it ends, so that a
// truncated packet closes the connection instead of holding it forever.
func readPacket(r *bufio.Reader, timeout time.Duration, setDeadline func(time.Time)) (packet, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return packet{}, err
		}
		switch b {
		case 0x03:
			return packet{interrupt: true}, nil
		case '-':
			return packet{nak: true}, nil
		case '$':
		default:
			continue // '+' and noise
		}
		if setDeadline != nil {
			setDeadline(time.Now().Add(timeout))
		}
		p, err := readBody(r)
		if setDeadline != nil {
			setDeadline(time.Time{})
		}
		return p, err
	}
}

// readBody reads a packet's data after its '$', up to and including the
// checksum.
func readBody(r *bufio.Reader) (packet, error) {
	var data []byte
	var sum byte
	escaped := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return packet{}, err
		}
		if b == '#' && !escaped {
			break
		}
		if b == '$' && !escaped {
			// A new packet inside this one: the earlier one was cut
			// short. Start over with the new one.
			data, sum = data[:0], 0
			continue
		}
		sum += b
		switch {
		case escaped:
			data = append(data, b^0x20)
			escaped = false
		case b == '}':
			escaped = true
		default:
			data = append(data, b)
		}
		if len(data) > maxPacket {
			return packet{}, errTooLong
		}
	}
	var cs [2]byte
	for i := range cs {
		b, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return packet{}, err
		}
		cs[i] = b
	}
	want, err := strconv.ParseUint(string(cs[:]), 16, 8)
	if err != nil || byte(want) != sum {
		return packet{data: string(data), bad: true}, nil
	}
	return packet{data: string(data)}, nil
}

// frame makes the bytes of a packet carrying data, escaping what must be.
func frame(data []byte) []byte {
	out := make([]byte, 0, len(data)+8)
	out = append(out, '$')
	var sum byte
	for _, b := range data {
		switch b {
		case '$', '#', '}', '*':
			out = append(out, '}', b^0x20)
			sum += '}'
			sum += b ^ 0x20
		default:
			out = append(out, b)
			sum += b
		}
	}
	return append(out, '#', hexDigits[sum>>4], hexDigits[sum&0xf])
}

const hexDigits = "0123456789abcdef"

// wire is the writing side of a connection, shared by the reader (acks)
// and the session (replies).
type wire struct {
	mu      sync.Mutex
	c       net.Conn
	w       *bufio.Writer
	timeout time.Duration // for each write: a gdb that reads nothing is dropped
	last    []byte        // the last packet sent, for a '-'
	noAck   bool
}

func newWire(c net.Conn, timeout time.Duration) *wire {
	return &wire{c: c, w: bufio.NewWriter(c), timeout: timeout}
}

// send writes one reply packet.
func (w *wire) send(data string) error {
	f := frame([]byte(data))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = f
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	if _, err := w.w.Write(f); err != nil {
		return err
	}
	return w.w.Flush()
}

// ack writes '+' or '-' unless no-ack mode is on.
func (w *wire) ack(ok bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.noAck {
		return nil
	}
	c := byte('+')
	if !ok {
		c = '-'
	}
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	w.w.WriteByte(c)
	return w.w.Flush()
}

// resend writes the last packet again, after a '-'.
func (w *wire) resend() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil || w.noAck {
		return nil
	}
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	w.w.Write(w.last)
	return w.w.Flush()
}

func (w *wire) setNoAck() {
	w.mu.Lock()
	w.noAck = true
	w.mu.Unlock()
}

// Encoding helpers.

// hexBytes is data in two lower-case hex digits a byte.
func hexBytes(b []byte) string {
	var sb strings.Builder
	sb.Grow(2 * len(b))
	for _, c := range b {
		sb.WriteByte(hexDigits[c>>4])
		sb.WriteByte(hexDigits[c&0xf])
	}
	return sb.String()
}

// unhex decodes hex digits; an odd length or a bad digit is an error.
func unhex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd hex length %d", len(s))
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("bad hex %q", s[2*i:2*i+2])
		}
		out[i] = byte(v)
	}
	return out, nil
}

// parseHex parses a hex number, as addresses and lengths are written.
func parseHex(s string) (uint64, error) {
	if s == "" || len(s) > 16 {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return strconv.ParseUint(s, 16, 64)
}

// parseAddrLen parses "ADDR,LEN".
func parseAddrLen(s string) (addr, n uint64, err error) {
	a, l, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("want ADDR,LENGTH in %q", s)
	}
	if addr, err = parseHex(a); err != nil {
		return 0, 0, err
	}
	if n, err = parseHex(l); err != nil {
		return 0, 0, err
	}
	return addr, n, nil
}

// xferSlice answers a qXfer read of data at offset off, length n: 'm' and
// a chunk when more follows, 'l' with the last chunk. The data is binary
// and escaped by frame.
func xferSlice(data []byte, off, n uint64) string {
	if off >= uint64(len(data)) {
		return "l"
	}
	rest := data[off:]
	if n < uint64(len(rest)) {
		return "m" + string(rest[:n])
	}
	return "l" + string(rest)
}
