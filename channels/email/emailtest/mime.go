package emailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// charset is a MIME charset name and its encoder; enc is nil for UTF-8.
type charset struct {
	name string
	enc  encoding.Encoding
}

var (
	csUTF8     = charset{"utf-8", nil}
	csLatin1   = charset{"ISO-8859-1", charmap.ISO8859_1}
	csLatin9   = charset{"ISO-8859-15", charmap.ISO8859_15}
	csCP1252   = charset{"windows-1252", charmap.Windows1252}
	csCP1251   = charset{"windows-1251", charmap.Windows1251}
	csShiftJIS = charset{"Shift_JIS", japanese.ShiftJIS}
	csJIS      = charset{"ISO-2022-JP", japanese.ISO2022JP}
)

// bytes encodes s; the corpus texts are chosen to fit, so a failure is a bug
// in the corpus tables.
func (c charset) bytes(s string) []byte {
	if c.enc == nil {
		return []byte(s)
	}
	out, err := c.enc.NewEncoder().String(s)
	if err != nil {
		panic(fmt.Sprintf("emailtest: %q does not fit %s: %v", s, c.name, err))
	}
	return []byte(out)
}

func (c charset) fits(s string) bool {
	if c.enc == nil {
		return true
	}
	_, err := c.enc.NewEncoder().String(s)
	return err == nil
}

// part is a MIME entity under construction: header lines and an encoded
// body ending in CRLF.
type part struct {
	header []string
	body   []byte
}

func leaf(contentType, cte string, body []byte, extra ...string) part {
	h := []string{"Content-Type: " + contentType}
	if cte != "" {
		h = append(h, "Content-Transfer-Encoding: "+cte)
	}
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		body = append(body, '\r', '\n')
	}
	return part{header: append(h, extra...), body: body}
}

// multipart joins parts under boundary; params are extra Content-Type
// parameters such as `report-type=delivery-status`.
func multipart(subtype, boundary, params string, parts ...part) part {
	var b bytes.Buffer
	b.WriteString("This is a multi-part message in MIME format.\r\n")
	for _, p := range parts {
		b.WriteString("\r\n--" + boundary + "\r\n")
		p.writeTo(&b)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	ct := "multipart/" + subtype + `; boundary="` + boundary + `"`
	if params != "" {
		ct += "; " + params
	}
	return part{header: []string{"Content-Type: " + ct}, body: b.Bytes()}
}

// writeTo writes the header, a blank line and the body. The body's final
// CRLF belongs to the next boundary delimiter, as RFC 2046 has it.
func (p part) writeTo(b *bytes.Buffer) {
	for _, h := range p.header {
		b.WriteString(fold(h))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(bytes.TrimSuffix(p.body, []byte("\r\n")))
}

// compose renders top-level headers followed by the root part.
func compose(h []string, root part) []byte {
	var b bytes.Buffer
	root.header = append(append(h, "MIME-Version: 1.0"), root.header...)
	root.writeTo(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// text returns a text/<subtype> part of s in charset c with the given
// transfer encoding (7bit, 8bit, quoted-printable or base64).
func text(subtype string, c charset, cte, s string) part {
	data := c.bytes(s)
	switch cte {
	case "quoted-printable":
		data = qp(data)
	case "base64":
		data = b64(crlf(data))
	default:
		data = crlf(data)
	}
	return leaf("text/"+subtype+"; charset="+c.name, cte, data)
}

// cteFor is 7bit for ASCII, 8bit otherwise.
func cteFor(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return "8bit"
		}
	}
	return "7bit"
}

func crlf(data []byte) []byte {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
}

func qp(data []byte) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write(data) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	return b.Bytes()
}

func b64(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// word RFC 2047-encodes s in charset c, as Q or B encoded words; ASCII
// passes through unchanged.
func word(c charset, s string, useB bool) string {
	if isASCII(s) {
		return s
	}
	enc := mime.QEncoding
	if useB || c.name == csJIS.name { // ISO-2022-JP's escapes are unreadable in Q words
		enc = mime.BEncoding
	}
	// WordEncoder splits non-UTF-8 text byte-wise; the ISO-2022-JP
	// subjects are short enough to stay in one word.
	return enc.Encode(c.name, string(c.bytes(s)))
}

// address formats a mailbox with its display name, encoding the name in c
// when it is not ASCII.
func address(c charset, name, addr string, useB bool) string {
	switch {
	case name == "":
		return "<" + addr + ">"
	case !isASCII(name):
		return word(c, name, useB) + " <" + addr + ">"
	case strings.ContainsAny(name, `()<>[]:;@\,."`):
		return `"` + strings.ReplaceAll(name, `"`, `\"`) + `" <` + addr + ">"
	}
	return name + " <" + addr + ">"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fold breaks a header line at spaces so that lines stay near 78 octets;
// unfolding restores it exactly.
func fold(line string) string {
	if len(line) <= 78 {
		return line
	}
	var b strings.Builder
	col := 0
	for i, w := range strings.Split(line, " ") {
		if i > 0 {
			if col+1+len(w) > 78 && i > 1 { // never right after "Name:"
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// rfc2231 percent-encodes s as an RFC 2231 extended parameter value.
func rfc2231(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChars, c) >= 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// filename styles for attachments.
const (
	namePlain        = iota // name="x" filename="x"
	nameRFC2047             // name="=?UTF-8?Q?...?=", as Outlook and Gmail write it
	nameRFC2231             // filename*=UTF-8''...
	nameRFC2231Split        // filename*0*=UTF-8''...; filename*1*=...
)

// attachment returns a base64 part for data with the filename written in
// the given style.
func attachment(contentType, name string, style int, data []byte, disposition string) part {
	var ctParam, dispParam string
	switch style {
	case namePlain:
		ctParam, dispParam = `name="`+name+`"`, `filename="`+name+`"`
	case nameRFC2047:
		w := mime.QEncoding.Encode("UTF-8", name)
		ctParam, dispParam = `name="`+w+`"`, `filename="`+w+`"`
	case nameRFC2231:
		v := "UTF-8''" + rfc2231(name)
		ctParam, dispParam = "name*="+v, "filename*="+v
	case nameRFC2231Split:
		v := rfc2231(name)
		cut := len(v) / 2
		for cut > 0 && (v[cut-1] == '%' || cut > 1 && v[cut-2] == '%') {
			cut-- // do not split a %XX escape
		}
		ctParam = "name*=UTF-8''" + v
		dispParam = "filename*0*=UTF-8''" + v[:cut] + "; filename*1*=" + v[cut:]
	}
	return leaf(contentType+"; "+ctParam, "base64", b64(data), "Content-Disposition: "+disposition+"; "+dispParam)
}
