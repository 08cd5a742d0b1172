package email

// Message-IDs: the threading headers of outbound mail, and the ids we mint
// for it, which lead a reply or a bounce back to its outbox item.

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// maxReferences caps the References header: the nearest ids are kept.
const maxReferences = 20

// threadHeaders reads In-Reply-To and References from the outbound
// headers (keys case-insensitive), keeping only well-formed ids. The
// In-Reply-To id is the first valid one and ends References, as RFC 5322
// §3.6.4 has it; References keeps its last maxReferences ids.
func threadHeaders(h map[string]string) (inReplyTo string, refs []string) {
	if ids := msgIDList(headerValue(h, "In-Reply-To")); len(ids) > 0 {
		inReplyTo = ids[0]
	}
	refs = msgIDList(headerValue(h, "References"))
	if inReplyTo != "" {
		refs = slices.DeleteFunc(refs, func(id string) bool { return id == inReplyTo })
		refs = append(refs, inReplyTo)
	}
	if len(refs) > maxReferences {
		refs = refs[len(refs)-maxReferences:]
	}
	return inReplyTo, refs
}

func headerValue(h map[string]string, key string) string {
	if v, ok := h[key]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// msgIDList splits a header value on whitespace and commas and returns the
// valid ids, bracketed, first occurrence kept.
func msgIDList(v string) []string {
	var ids []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if id, ok := cleanMsgID(f); ok && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// maxMsgIDLen keeps one id, folded onto its own line, under the 998
// character line limit.
const maxMsgIDLen = 980

// cleanMsgID accepts "<local@domain>" or "local@domain" made of printable
// ASCII without angle brackets and with exactly one "@" between non-empty
// parts, and returns it bracketed.
func cleanMsgID(s string) (string, bool) {
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") && len(s) >= 2 {
		s = s[1 : len(s)-1]
	}
	if len(s) == 0 || len(s)+2 > maxMsgIDLen {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return "", false
		}
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return "", false
	}
	return "<" + s + ">", true
}

// Message-IDs we mint: "<intake.TOKEN@domain>", TOKEN the outbox id in
// lower-case unpadded base32 (a-z, 2-7: legal in a dot-atom, reversible,
// and surviving a case-folding relay). Ids too long to encode within the
// line limit get "<intake-h.HASH@domain>", which does not reverse.
const (
	midPrefix       = "intake."
	midHashPrefix   = "intake-h."
	maxReversibleID = 400
	fallbackDomain  = "intake.invalid"
)

var midEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// MessageIDFor returns the Message-ID (with angle brackets) of the
// outbound email for outbox item outboxID: deterministic, so a resend
// after a crash reuses it, and reversible by OutboxIDFromMessageID for ids
// of 1 to 400 bytes. domain is the sender's; an unusable one becomes
// "intake.invalid".
func MessageIDFor(outboxID, domain string) string {
	d := midDomain(domain)
	if outboxID == "" || len(outboxID) > maxReversibleID {
		sum := sha256.Sum256([]byte(outboxID))
		return "<" + midHashPrefix + hex.EncodeToString(sum[:16]) + "@" + d + ">"
	}
	return "<" + midPrefix + strings.ToLower(midEncoding.EncodeToString([]byte(outboxID))) + "@" + d + ">"
}

// OutboxIDFromMessageID returns the outbox id a MessageIDFor id encodes,
// whatever its domain. mid may have angle brackets or not; ids not minted
// by MessageIDFor, and hashed ones, report false.
func OutboxIDFromMessageID(mid string) (string, bool) {
	mid = strings.TrimSpace(mid)
	mid = strings.TrimSuffix(strings.TrimPrefix(mid, "<"), ">")
	at := strings.LastIndexByte(mid, '@')
	if at < 0 || at == len(mid)-1 {
		return "", false
	}
	local := mid[:at]
	if len(local) <= len(midPrefix) || !strings.EqualFold(local[:len(midPrefix)], midPrefix) {
		return "", false
	}
	tok := strings.ToUpper(local[len(midPrefix):])
	if len(tok) > midEncoding.EncodedLen(maxReversibleID) {
		return "", false
	}
	b, err := midEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 || midEncoding.EncodeToString(b) != tok {
		return "", false
	}
	return string(b), true
}

// midDomain is domain in ASCII (IDNA) if it is a plain host name, else
// fallbackDomain.
func midDomain(domain string) string {
	d, err := idna.ToASCII(strings.ToLower(strings.TrimSpace(domain)))
	if err != nil || d == "" || len(d) > 253 {
		return fallbackDomain
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fallbackDomain
		}
	}
	return d
}
