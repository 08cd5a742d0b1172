package email

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// Reading the sender. The sender is the addr-spec of the From mailbox,
// never its display name: "pat@acmedental.example <mallory@evil.example>"
// is mallory, and an RFC 2047 display name that decodes to an address, or
// to CR/LF and a header, changes nothing about who wrote. The header is
// parsed by net/mail (with our charset-aware word decoder); what it does
// not parse cleanly is not guessed at by scanning for address-like text.

// SenderTrust says how far the sender's address can be relied on.
type SenderTrust int

// Trust levels, from least to most.
const (
	// SenderUnusable: no address could be read; Address is empty.
	SenderUnusable SenderTrust = iota
	// SenderDoubtful: the address is the header's one unambiguous
	// addr-spec, but something about the header needs a person's look
	// (a display name showing another address, a header net/mail could
	// not parse around a well-formed angle-addr, several authors). It
	// identifies the sender; it is not answered automatically.
	SenderDoubtful
	// SenderClean: the header parsed cleanly as one mailbox.
	SenderClean
)

// Sender is what a From header says about who wrote.
type Sender struct {
	Address Address
	Trust   SenderTrust
	// Why says what is wrong when Trust is not SenderClean.
	Why string
}

// ParseSender reads a From header value (raw, as in the header block).
func ParseSender(raw string) Sender {
	v := strings.TrimSpace(raw)
	if v == "" {
		return Sender{Why: "the mail has no From address"}
	}
	list, err := (&mail.AddressParser{WordDecoder: &wordDecoder}).ParseList(v)
	if err != nil {
		return recoverSender(v, err)
	}
	if len(list) == 0 {
		return Sender{Why: "the From header names no address"}
	}
	a := list[0]
	addr, aerr := checkAddrSpec(a.Address)
	if aerr != nil {
		return Sender{Why: fmt.Sprintf("the From address is not usable: %v", aerr)}
	}
	s := Sender{Address: Address{Name: cleanLine(a.Name), Address: addr}, Trust: SenderClean}
	switch {
	case len(list) > 1:
		s.Trust, s.Why = SenderDoubtful, fmt.Sprintf("the From header names %d addresses; the first, %s, is taken as the sender", len(list), addr)
	case hasControl(a.Name):
		s.Trust, s.Why = SenderDoubtful, "the From display name carries control characters (CR/LF)"
	default:
		if other := otherAddress(a.Name, addr); other != "" {
			s.Trust, s.Why = SenderDoubtful, fmt.Sprintf("the From display name shows the address %s, but the mail is from %s", other, addr)
		}
	}
	return s
}

// recoverSender reads a From header net/mail refused, only when its one
// angle-addr is unambiguous: exactly one "<" and one ">", the value ending
// in it, and the addr-spec inside well-formed. The display name before it
// is dropped. Anything else is unusable.
func recoverSender(v string, perr error) Sender {
	why := fmt.Sprintf("the From header does not parse (%s)", SanitizeHeader(perr.Error()))
	lt, gt := strings.IndexByte(v, '<'), strings.IndexByte(v, '>')
	if strings.Count(v, "<") != 1 || strings.Count(v, ">") != 1 || gt != len(v)-1 || lt > gt {
		return Sender{Why: why}
	}
	a, err := mail.ParseAddress(v[lt:])
	if err != nil {
		return Sender{Why: why}
	}
	addr, err := checkAddrSpec(a.Address)
	if err != nil {
		return Sender{Why: why}
	}
	return Sender{Address: Address{Address: addr}, Trust: SenderDoubtful,
		Why: why + "; its one angle-addr, " + addr + ", is taken as the sender and the display name ignored"}
}

// checkAddrSpec lower-cases an addr-spec net/mail returned and refuses
// what it should never have been: encoded words, control characters and
// spaces, a quoted local part, a domain that is not a host name.
func checkAddrSpec(a string) (string, error) {
	a = strings.ToLower(a)
	if len(a) > 254 {
		return "", errors.New("longer than 254 bytes")
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.Count(a, "@") != 1 {
		return "", errors.New("not local@domain")
	}
	local, domain := a[:at], a[at+1:]
	if strings.Contains(a, "=?") {
		return "", errors.New("an encoded word is not an address")
	}
	if len(local) > 64 {
		return "", errors.New("local part longer than 64 bytes")
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || unicode.IsControl(r) || strings.ContainsRune(`"\()<>,;:[]`, r) || unicode.IsSpace(r) {
			return "", fmt.Errorf("local part has %q", r)
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", errors.New("local part has misplaced dots")
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", fmt.Errorf("domain %q is not a host name", domain)
		}
		for _, r := range label {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))) {
				return "", fmt.Errorf("domain %q is not a host name", domain)
			}
		}
	}
	return a, nil
}

// otherAddress returns an address shown in a display name that is not
// the sender's own, "" when there is none.
func otherAddress(name, addr string) string {
	for _, m := range looseAddr.FindAllString(name, 5) {
		if m = strings.ToLower(strings.Trim(m, ".'")); m != addr {
			return cleanLine(m)
		}
	}
	return ""
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' })
}
