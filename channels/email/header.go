package email

import (
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Limits on what lenientHeader reads.
const (
	maxLenientHeader = 256 << 10
	maxLenientFields = 500
)

// lenientHeader reads what it can of a header block that textproto
// refused (a line without a colon, NUL bytes, a block that never ends):
// every "Name: value" line up to the first blank line, continuation lines
// unfolded, anything else skipped. It is only used to classify and
// attribute a mail that is kept for review anyway.
func lenientHeader(raw []byte) textproto.Header {
	var h textproto.Header
	block := raw
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 && i < len(block) {
			block = raw[:i]
		}
	}
	if len(block) > maxLenientHeader {
		block = block[:maxLenientHeader]
	}
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(block), "\r\n", "\n"), "\n") {
		if len(lines) > 0 && l != "" && (l[0] == ' ' || l[0] == '\t') {
			lines[len(lines)-1] += " " + strings.TrimSpace(l)
			continue
		}
		lines = append(lines, l)
	}
	n := 0
	for _, l := range lines {
		if n == maxLenientFields {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || !validFieldName(k) {
			continue
		}
		h.Add(k, strings.TrimSpace(v))
		n++
	}
	return h
}

// validFieldName is RFC 5322's field-name: printable ASCII but colon.
func validFieldName(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
