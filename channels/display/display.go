// Package display makes text that came from outside (customers, their mail
// and phones) safe to show to people: on the dashboard, in Slack, in texts
// and mails to reps, and on a terminal.
//
// The ledger keeps what customers sent, byte for byte. Some characters in
// it, though, do not show as themselves but act on the text around them:
// a U+202E RIGHT-TO-LEFT OVERRIDE shows "Invoice gpj.exe" as
// "Invoice exe.jpg", an ESC starts a terminal escape sequence, a NUL or a
// lone CR hides what came before it on some screens. Neutralize replaces
// each of them with a visible, inert marker wherever such text is shown or
// forwarded to staff, so what a rep sees is what the customer wrote.
package display

import (
	"strings"
	"unicode/utf8"
)

// maxGrowth bounds how much Neutralize can grow its input: its result is
// never longer than maxGrowth times len(s) bytes (a 2-byte C1 control
// becomes the 12-byte "⟨U+0085⟩").
const maxGrowth = 6

// Neutralize returns s with every character that can change how the text
// around it reads, or that a terminal acts on, replaced by a visible
// marker; everything else (any script, right-to-left ones included, emoji,
// combining marks, newline and tab) is left as it is.
//
// What is replaced, and by what:
//   - C0 controls other than "\t" and "\n", and DEL, by their Unicode
//     control pictures ("\x1b[31m" shows as "␛[31m", NUL as "␀"); a CR
//     right before a LF is dropped instead (a CRLF line end is a line end);
//   - C1 controls (U+0080–U+009F, CSI U+009B among them), the bidi
//     embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
//     the bidi marks (U+200E, U+200F, U+061C), the deprecated format
//     controls that swap brackets or reshape digits (U+206A–U+206F), the
//     line and paragraph separators (U+2028, U+2029), the interlinear
//     annotation controls (U+FFF9–U+FFFB) and the tag characters
//     (U+E0000–U+E007F, which hide text from people but not from machines)
//     by "⟨U+XXXX⟩", except tags that spell an emoji subdivision flag (🏴 +
//     2 to 6 tag letters or digits + CANCEL TAG, as in 🏴󠁧󠁢󠁳󠁣󠁴󠁿);
//   - each run of bytes that is not UTF-8 by one U+FFFD.
//
// Invisible characters that real text needs and that cannot reorder or
// hide the text around them are kept: ZWJ and ZWNJ (emoji sequences,
// Persian, Indic scripts), ZWSP (Thai, Khmer and Lao word breaks), the
// soft hyphen, WJ, BOM, the invisible operators U+2061–U+2064, variation
// selectors, U+180E. Characters that are merely blank (Hangul fillers) or
// stacked (many combining marks) are text and are kept too.
//
// The result is valid UTF-8 and contains none of the replaced characters,
// so Neutralize(Neutralize(s)) == Neutralize(s). Concatenation is kept at
// line ends: Neutralize(a+b) == Neutralize(a)+Neutralize(b) when a ends
// with "\n". The markers contain no "&", "<", ">", quote or backslash, so
// escaping for HTML, Slack or JSON can happen before or after. When s needs
// nothing replaced, it is returned as it is, without allocating.
func Neutralize(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			case isC0(c):
				b.WriteRune(controlPicture(c))
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			for i += size; i < len(s); i += size {
				if r, size = utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || size != 1 {
					break
				}
			}
			continue
		case r == blackFlag:
			size += flagTags(s[i+size:])
			b.WriteString(s[i : i+size])
		case hidden(r):
			writeMarker(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the index of the first byte of s that Neutralize must
// change, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if isC0(c) {
				return i // a CR too, even in a CRLF: it is dropped there
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, hidden(r):
			return i
		case r == blackFlag:
			size += flagTags(s[i+size:])
		}
		i += size
	}
	return -1
}

// writeMarker writes "⟨U+XXXX⟩", r's code point in (at least four) hex
// digits.
func writeMarker(b *strings.Builder, r rune) {
	const digits = "0123456789ABCDEF"
	var hex [8]byte
	i := len(hex)
	for v := uint32(r); v > 0 || i > len(hex)-4; v >>= 4 {
		i--
		hex[i] = digits[v&0xf]
	}
	b.WriteString("⟨U+")
	b.Write(hex[i:])
	b.WriteString("⟩")
}

// isC0 reports the ASCII controls Neutralize replaces: all but tab and
// newline, and DEL.
func isC0(c byte) bool { return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f }

// controlPicture is the visible symbol Unicode gives C0 control c
// (U+2400–U+241F, U+2421 for DEL).
func controlPicture(c byte) rune {
	if c == 0x7f {
		return '\u2421'
	}
	return 0x2400 + rune(c)
}

// hidden reports the non-ASCII characters Neutralize shows as "⟨U+XXXX⟩".
func hidden(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
	case r >= 0x2028 && r <= 0x202e: // LS, PS; LRE, RLE, PDF, LRO, RLO
	case r >= 0x2066 && r <= 0x206f: // LRI, RLI, FSI, PDI; deprecated format controls
	case r >= 0xfff9 && r <= 0xfffb: // interlinear annotation
	case r >= 0xe0000 && r <= 0xe007f: // tags (those of a flag are kept by the caller)
	default:
		return false
	}
	return true
}

// Emoji tag sequences (UTS #51): a black flag, tag letters or digits, and
// CANCEL TAG; the subdivision flags spell an ISO 3166-2 code, as "gbsct".
const (
	blackFlag    = '\U0001F3F4'
	cancelTag    = '\U000E007F'
	minFlagTags  = 2
	maxFlagTags  = 6
	tagSize      = 4 // bytes of one tag character in UTF-8
	tagLowercase = '\U000E0061'
	tagDigit0    = '\U000E0030'
)

// flagTags is the length in bytes of the tag characters that follow a
// black flag at the start of s and make it a subdivision flag, or 0 when
// they do not.
func flagTags(s string) int {
	n := 0
	for i := 0; i < len(s); i += tagSize {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == cancelTag && n >= minFlagTags:
			return i + size
		case n < maxFlagTags && (r >= tagLowercase && r < tagLowercase+26 || r >= tagDigit0 && r < tagDigit0+10):
			n++
		default:
			return 0
		}
	}
	return 0
}
