package twilio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

// DefaultDialTimeout is how long, in seconds, an owner's phone rings before
// the caller is sent to voicemail.
const DefaultDialTimeout = 20

// Config is the channels.twilio section plus the gateway's public URL.
type Config struct {
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"` // secret: signs webhooks and authenticates REST calls
	Number     string `yaml:"number"`     // our number, E.164: the From of every SMS we send
	APIURL     string `yaml:"api_url"`    // REST base URL override (a local stand-in); empty: api.twilio.com
	// PublicURL is the externally visible base URL Twilio calls (the
	// top-level public_url). Webhook signatures are checked against it plus
	// the request path and query, never against the Host header.
	PublicURL string `yaml:"-"`
	// DialTimeout is how many seconds the owner's phone rings (5 to 600);
	// DefaultDialTimeout when 0.
	DialTimeout int `yaml:"dial_timeout"`
	// Now is the clock stamped on inbound messages; time.Now when nil.
	Now func() time.Time `yaml:"-"`
}

// String prints the config with the auth token masked.
func (c Config) String() string {
	return fmt.Sprintf("twilio.Config{AccountSID:%q AuthToken:<secret> Number:%q APIURL:%q PublicURL:%q DialTimeout:%d}",
		c.AccountSID, c.Number, c.APIURL, c.PublicURL, c.DialTimeout)
}

// LogValue logs the config with the auth token masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account_sid", c.AccountSID),
		slog.String("auth_token", "<secret>"),
		slog.String("number", c.Number),
		slog.String("api_url", c.APIURL),
		slog.String("public_url", c.PublicURL),
	)
}

// twilio-go refuses credentials that are not plain alphanumerics (errors
// 21222/21224), so the same rule is checked by Validate, which both
// `intake check-config` and New run.
var alnum = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// withDefaults returns c with defaults filled in and URLs normalised.
func (c Config) withDefaults() Config {
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	return c
}

// Validate reports every problem with c as an errors.Join of
// *channels.ConfigError, each naming its key in the config file. It is the
// one check of Twilio settings: the config loader runs it (so
// `intake check-config` reports it with lines) and New runs it again. No
// error text contains the auth token.
func (c Config) Validate() error {
	const p = "channels.twilio."
	var errs channels.ConfigErrors
	switch {
	case c.AccountSID == "":
		errs.Addf(p+"account_sid", "required")
	case !alnum.MatchString(c.AccountSID) || !strings.HasPrefix(c.AccountSID, "AC"):
		errs.Addf(p+"account_sid", "must be an account SID: \"AC\" followed by letters and digits")
	}
	switch {
	case c.AuthToken == "":
		errs.Addf(p+"auth_token", "required")
	case !alnum.MatchString(c.AuthToken):
		// Twilio's auth tokens are 32 hex digits; anything else is a
		// copy-and-paste slip (quotes, spaces) Twilio would refuse.
		errs.Addf(p+"auth_token", "must contain only letters and digits (a Twilio auth token is 32 hex digits)")
	}
	switch {
	case c.Number == "":
		errs.Addf(p+"number", "required: the Twilio number customers text and call")
	case !e164.MatchString(c.Number):
		errs.Addf(p+"number", "%q is not an E.164 phone number (want + and country code, digits only, e.g. +15551230001)", c.Number)
	}
	if err := checkBaseURL(c.PublicURL, true); err != nil {
		errs.Addf("public_url", "%v", err)
	}
	if err := checkBaseURL(c.APIURL, false); err != nil {
		errs.Addf(p+"api_url", "%v", err)
	}
	if c.DialTimeout != 0 && (c.DialTimeout < 5 || c.DialTimeout > 600) {
		errs.Addf(p+"dial_timeout", "must be between 5 and 600 seconds, got %d", c.DialTimeout)
	}
	return errs.Err()
}

func checkBaseURL(s string, required bool) error {
	if s == "" {
		if required {
			return errors.New("required with channels.twilio: Twilio signs its webhooks over the public URL it calls")
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.User != nil {
		return errors.New("must not contain credentials")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("must be an absolute http(s) URL, got %q", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must not have a query or fragment, got %q", s)
	}
	return nil
}
