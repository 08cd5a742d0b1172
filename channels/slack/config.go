package slack

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/intakehq/intake/channels"
)

// key is the prefix of the Slack section's keys in the config file.
const key = "channels.slack."

// Validate reports every problem with c as an errors.Join of
// *channels.ConfigError, each naming its key in the config file. It is the
// one check of Slack settings: the config loader runs it (so `intake
// check-config` reports it with lines) and New runs it again. Tokens are
// checked by kind, from their documented prefixes, since a user token
// (xoxp-) or an app-level token (xapp-) where the bot token belongs is
// refused by Slack only once messages are due. No error text contains a
// token or the signing secret.
func (c Config) Validate() error {
	var errs channels.ConfigErrors
	switch {
	case c.BotToken == "":
		errs.Addf(key+"bot_token", "required")
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		errs.Addf(key+"bot_token", "%s, not a bot token: want the app's Bot User OAuth Token (xoxb-…)", tokenKind(c.BotToken))
	}
	if c.SigningSecret == "" {
		errs.Addf(key+"signing_secret", "required")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		errs.Addf(key+"app_token", "%s, not an app-level token: want one with connections:write (xapp-…), or leave app_token out to use webhooks", tokenKind(c.AppToken))
	}
	switch {
	case c.Channel == "":
		errs.Addf(key+"channel", "required: the triage channel id (C…) new tickets are posted to")
	case !isChannelID(c.Channel):
		errs.Addf(key+"channel", "%q: want a channel id such as C0123TRIAGE (not a #name)", c.Channel)
	}
	switch c.ReplyMode {
	case "", ReplyExplicit, ReplyThread:
	default:
		errs.Addf(key+"reply_mode", "%q: want one of %q, %q", c.ReplyMode, ReplyExplicit, ReplyThread)
	}
	for i, ch := range c.CustomerChannels {
		k := key + "customer_channels[" + strconv.Itoa(i) + "]"
		switch {
		case !isChannelID(ch):
			errs.Addf(k, "%q: want a channel id such as C0456ACME", ch)
		case ch == c.Channel:
			errs.Addf(k, "%q is the triage channel; customers must not write where reps talk", ch)
		}
	}
	if c.ReplyPrefix != "" && c.ReplyPrefix == c.NotePrefix {
		errs.Addf(key+"note_prefix", "same as reply_prefix %q: the two must differ", c.ReplyPrefix)
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.Addf(key+"api_url", "%q: want an absolute http:// or https:// URL", c.APIURL)
		}
	}
	return errs.Err()
}

// tokenKind names a Slack token by its prefix, without showing it.
func tokenKind(tok string) string {
	switch {
	case strings.HasPrefix(tok, "xoxp-"):
		return "a user token (xoxp-…)"
	case strings.HasPrefix(tok, "xapp-"):
		return "an app-level token (xapp-…)"
	case strings.HasPrefix(tok, "xoxb-"):
		return "a bot token (xoxb-…)"
	case strings.HasPrefix(tok, "xox"):
		return "a legacy or configuration token"
	}
	return "not a Slack token"
}

// isChannelID reports whether s looks like a channel id: C… (public) or
// G… (private), upper-case letters and digits.
func isChannelID(s string) bool {
	if len(s) < 2 || (s[0] != 'C' && s[0] != 'G') {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
