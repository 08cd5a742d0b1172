package configs

import (
	"fmt"
	"io"
	"strconv"
)

// redacted is what a Secret prints as, in every format.
const redacted = "<secret>"

// Secret is a credential read from configuration: an API token, a password,
// a signing secret. It prints as "<secret>" through fmt (every verb), YAML
// and JSON, so logging or dumping a Config never shows it; Value returns
// the real value for the one place that needs it.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String returns "<secret>", or "" when the secret is empty, so a missing
// secret is still visible as missing.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the quoted redacted form, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format implements fmt.Formatter so that no verb (%s, %v, %q, %x, %#v ...)
// can print the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
	case 'v':
		if f.Flag('#') {
			_, _ = io.WriteString(f, s.GoString())
			return
		}
		_, _ = io.WriteString(f, s.String())
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalYAML writes "<secret>" in place of the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON writes "<secret>" in place of the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// MarshalText writes "<secret>" in place of the value; encoders that prefer
// TextMarshaler (encoding/xml, slog's text handler) see the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
