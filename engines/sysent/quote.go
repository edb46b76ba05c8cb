package sysent

import "strings"

// strace's default -s: strings and buffers longer than this print their
// first maxStrLen bytes followed by "...". A Mem that is a StringLimiter
// sets another bound.
const maxStrLen = 32

// StringLimiter is implemented by a Mem whose strings and buffers print up
// to StringLimit bytes, and arrays up to as many elements (strace's -s),
// rather than maxStrLen.
type StringLimiter interface {
	StringLimit() int
}

// HexStringer is implemented by a Mem whose strings print in hex as
// strace's -x (HexStrings 1: a string with a byte that is neither
// printable nor one of \f \n \r \t \v prints wholly as \xNN) and -xx
// (2: every string).
type HexStringer interface {
	HexStrings() int
}

// quote appends s quoted, in hex when the data is binary by nature (hex)
// or the Mem asks for it.
func (p *printer) quote(s []byte, hex bool) {
	if h, ok := p.mem.(HexStringer); ok && !hex {
		switch h.HexStrings() {
		case 1:
			hex = !printable(s)
		case 2:
			hex = true
		}
	}
	p.b = appendQuoted(p.b, s, hex)
}

// printable reports whether strace -x would print s as text.
func printable(s []byte) bool {
	for _, c := range s {
		if (c < ' ' || c >= 0x7f) && !strings.ContainsRune("\f\n\r\t\v", rune(c)) {
			return false
		}
	}
	return true
}

// strLimit is the bound of the strings, buffers and arrays p prints.
func (p *printer) strLimit() int {
	if l, ok := p.mem.(StringLimiter); ok {
		return l.StringLimit()
	}
	return maxStrLen
}

// pathMax bounds file names the way strace's printpath does (PATH_MAX):
// file names are not cut at -s, only at PATH_MAX.
const pathMax = 4096

const hexDigits = "0123456789abcdef"

// appendQuoted appends s in double quotes with strace's escaping:
// \" \\ \f \n \r \t \v, printable ASCII as is, anything else in octal
// using as few digits as possible, unless the next byte is itself an octal
// digit, in which case all three digits are needed to stay unambiguous
// ("\0011" is "\1" then "1"). With hex, every byte is written as \xNN,
// which strace uses for data that is binary by nature (getrandom).
func appendQuoted[S ~string | ~[]byte](b []byte, s S, hex bool) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s, hex, "")
	return append(b, '"')
}

// appendEscaped appends s escaped as appendQuoted escapes it, without the
// quotes, and with the bytes in also escaped in octal.
func appendEscaped[S ~string | ~[]byte](b []byte, s S, hex bool, also string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if hex {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\v':
			b = append(b, '\\', 'v')
		default:
			if c >= ' ' && c < 0x7f && strings.IndexByte(also, c) < 0 {
				b = append(b, c)
				continue
			}
			b = append(b, '\\')
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7' {
				b = append(b, '0'+c>>6, '0'+(c>>3)&7)
			} else if c>>3 != 0 {
				if c>>6 != 0 {
					b = append(b, '0'+c>>6)
				}
				b = append(b, '0'+(c>>3)&7)
			}
			b = append(b, '0'+c&7)
		}
	}
	return b
}

// Quote returns s quoted as strace prints strings, without truncation.
func Quote(s string) string {
	return string(appendQuoted(nil, s, false))
}
