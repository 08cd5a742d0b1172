package email

import (
	"regexp"
	"strings"
	"unicode"
)

var tokenRe = regexp.MustCompile(`(?i)\[\s*T-(\d{1,18})\s*\]`)

// TicketToken finds the first "[T-n]" token in a subject (case-insensitive,
// spaces inside the brackets allowed) and returns "T-n".
func TicketToken(subject string) (string, bool) {
	m := tokenRe.FindStringSubmatch(subject)
	if m == nil {
		return "", false
	}
	n := strings.TrimLeft(m[1], "0")
	if n == "" {
		return "", false
	}
	return "T-" + n, true
}

// replyPrefix matches one leading reply/forward marker: Re:, RE:, Aw:,
// Sv:, Antw:, Fwd:, Fw:, Re[2]:, Re(2):.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|sv|antw|vs|ref|fwd?|wg|tr)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*`)

// ReplySubject is the subject of our reply on a ticket: "[T-n] Re: subject",
// with any existing ticket tokens and reply prefixes removed first so they
// never stack. ticketID is "T-n" or "n".
func ReplySubject(ticketID, subject string) string {
	id := strings.TrimSpace(ticketID)
	if !strings.HasPrefix(strings.ToUpper(id), "T-") {
		id = "T-" + id
	}
	id = "T-" + id[2:]
	s := BaseSubject(subject)
	if s == "" {
		return SanitizeHeader("[" + id + "] Re:")
	}
	return SanitizeHeader("[" + id + "] Re: " + s)
}

// BaseSubject strips ticket tokens and leading reply/forward prefixes.
func BaseSubject(subject string) string {
	s := SanitizeHeader(subject)
	s = tokenRe.ReplaceAllString(s, " ")
	for i := 0; i < 20; i++ {
		s = strings.TrimSpace(s)
		t := replyPrefix.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	return strings.Join(strings.Fields(s), " ")
}

// SanitizeHeader makes s safe as a header value: CR and LF (header
// injection) become spaces, other control characters and invalid UTF-8 are
// dropped, runs of whitespace collapse and the result is trimmed.
func SanitizeHeader(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return ' '
		case unicode.IsControl(r), r == '\ufeff':
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
