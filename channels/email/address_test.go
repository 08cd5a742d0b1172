package email

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestParseSender(t *testing.T) {
	tests := []struct {
		name  string
		from  string
		addr  string
		trust SenderTrust
		why   string // substring of Sender.Why
	}{
		{"plain", "pat@acmedental.example", "pat@acmedental.example", SenderClean, ""},
		{"named", "Pat Doe <Pat@AcmeDental.example>", "pat@acmedental.example", SenderClean, ""},
		{"comment", "pat@acmedental.example (Pat Doe)", "pat@acmedental.example", SenderClean, ""},
		{"encoded name", "=?utf-8?q?Ren=C3=A9e?= <renee@acmedental.example>", "renee@acmedental.example", SenderClean, ""},
		{"idn domain", "Jörg <joerg@bücher.example>", "joerg@bücher.example", SenderClean, ""},
		{"plus and dots", "<first.last+tag@sub.acmedental.example>", "first.last+tag@sub.acmedental.example", SenderClean, ""},

		// The display name never decides the address.
		{"unquoted address as name", "pat@acmedental.example <mallory@evil.example>", "mallory@evil.example", SenderDoubtful, "angle-addr, mallory@evil.example"},
		{"quoted address as name", `"pat@acmedental.example" <mallory@evil.example>`, "mallory@evil.example", SenderDoubtful, "shows the address pat@acmedental.example"},
		{"comment names address", "mallory@evil.example (pat@acmedental.example)", "mallory@evil.example", SenderDoubtful, "shows the address pat@acmedental.example"},
		{"encoded address as name", "=?utf-8?q?pat=40acmedental.example?= <mallory@evil.example>", "mallory@evil.example", SenderDoubtful, "shows the address pat@acmedental.example"},
		{"encoded CRLF in name", "=?utf-8?q?Pat=0D=0ABcc=3A_pat=40acmedental.example?= <mallory@evil.example>", "mallory@evil.example", SenderDoubtful, "control characters"},
		{"base64 CRLF in name", "=?utf-8?b?UGF0DQpCY2M6IHBhdEBhY21lZGVudGFsLmV4YW1wbGU=?= <mallory@evil.example>", "mallory@evil.example", SenderDoubtful, "control characters"},
		{"same address as name", `"pat@acmedental.example" <pat@acmedental.example>`, "pat@acmedental.example", SenderClean, ""},
		{"two authors", "Pat <pat@acmedental.example>, Mal <mallory@evil.example>", "pat@acmedental.example", SenderDoubtful, "names 2 addresses"},

		// What does not parse cleanly is not guessed at.
		{"encoded angle-addr in name", "=?utf-8?q?x_<pat@acmedental.example>?= <mallory@evil.example>", "", SenderUnusable, "does not parse"},
		{"encoded word as address", "=?utf-8?q?pat@acmedental.example?=", "", SenderUnusable, "encoded word"},
		{"encoded address only", "=?utf-8?b?cGF0QGFjbWVkZW50YWwuZXhhbXBsZQ0K?=", "", SenderUnusable, "does not parse"},
		{"empty", "", "", SenderUnusable, "no From address"},
		{"no domain", "Mail Delivery System <MAILER-DAEMON>", "", SenderUnusable, "does not parse"},
		{"unclosed", "Pat <pat@acmedental.example", "", SenderUnusable, "does not parse"},
		{"nul byte", "pat\x00@acmedental.example", "", SenderUnusable, ""},
		{"quoted local with space", `"pat doe"@acmedental.example`, "", SenderUnusable, "local part"},
		{"domain literal", "pat@[192.0.2.1]", "", SenderUnusable, ""},
		{"bad domain", "pat@acme_dental.example", "", SenderUnusable, "not a host name"},
		{"two angle-addrs", "pat <pat@acmedental.example> <mallory@evil.example>", "", SenderUnusable, "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ParseSender(tt.from)
			require.Equal(t, tt.addr, s.Address.Address, "ParseSender(%q).Address", tt.from)
			require.Equal(t, tt.trust, s.Trust, "ParseSender(%q).Trust (why: %s)", tt.from, s.Why)
			if tt.trust == SenderClean {
				require.Empty(t, s.Why)
			} else {
				require.Contains(t, s.Why, tt.why)
			}
			require.NotContains(t, s.Address.Name, "\r")
			require.NotContains(t, s.Address.Name, "\n")
		})
	}
}

// FuzzParseSender checks that no From header, however hostile, yields an
// address that is not one: a trusted address is always a lower-case
// local@host with no space, control character or encoded word, and it is
// one of the header's own addr-specs, never made from its display name.
func FuzzParseSender(f *testing.F) {
	for _, s := range []string{
		"pat@acmedental.example", "Pat <pat@acmedental.example>", "pat@acmedental.example <mallory@evil.example>",
		"=?utf-8?q?Pat=0D=0A?= <mallory@evil.example>", "=?utf-8?q?pat@acmedental.example?=",
		"=?utf-8?q?x_<pat@acmedental.example>?= <mallory@evil.example>", "<MAILER-DAEMON>", "a@b, c@d",
		`"x\"y" <a@b.example>`, "a@[127.0.0.1]", "(comment) a@b.example (more)", "a\x00@b.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, from string) {
		s := ParseSender(from)
		if !utf8.ValidString(s.Why) || !utf8.ValidString(s.Address.Name) {
			t.Fatalf("ParseSender(%q) returned invalid UTF-8", from)
		}
		if strings.ContainsAny(s.Address.Name, "\r\n") {
			t.Fatalf("ParseSender(%q).Address.Name = %q, has CR/LF", from, s.Address.Name)
		}
		a := s.Address.Address
		if s.Trust == SenderUnusable {
			if a != "" {
				t.Fatalf("ParseSender(%q) unusable with address %q", from, a)
			}
			return
		}
		if s.Trust != SenderClean && s.Why == "" {
			t.Fatalf("ParseSender(%q) doubtful without a reason", from)
		}
		if _, err := checkAddrSpec(a); err != nil || a != strings.ToLower(a) {
			t.Fatalf("ParseSender(%q).Address = %q: %v", from, a, err)
		}
		if strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == 0x7f }) || strings.Contains(a, "=?") {
			t.Fatalf("ParseSender(%q).Address = %q has space, control or encoded word", from, a)
		}
		// The local part and the domain appear in the raw header as
		// typed (case aside): the address is never decoded out of an
		// encoded display name.
		at := strings.LastIndexByte(a, '@')
		raw := strings.ToLower(from)
		if !strings.Contains(raw, a[:at]) || !strings.Contains(raw, a[at+1:]) {
			t.Fatalf("ParseSender(%q).Address = %q, not in the header as written", from, a)
		}
	})
}
