package configs

import (
	"net"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
)

// channels runs each enabled adapter's own Validate (the check its
// constructor repeats at serve time) and places its problems on the lines
// of the keys they name. Only what no adapter sees is checked here.
func (v *validator) channels() {
	ch := v.c.Channels
	if ch.Twilio != nil {
		v.adapter("channels.twilio", v.c.TwilioConfig().Validate())
		v.ackTemplate("channels.twilio.ack_template", ch.Twilio.AckTemplate)
	}
	if e := ch.Email; e != nil {
		v.adapter("channels.email", v.c.ReaderConfig().Validate())
		// An operator's bound, not the reader's (tests poll faster).
		if d := e.IMAP.PollInterval.D(); d != 0 && (d < time.Second || d > time.Hour) {
			v.addf("channels.email.imap.poll_interval", "%s: want between 1s and 1h", d)
		}
		v.adapter("channels.email", v.c.SMTPConfig().Validate())
		v.apiURL("channels.email.api_url", e.APIURL)
	}
	if s := ch.Slack; s != nil {
		v.adapter("channels.slack", v.c.SlackConfig().Validate())
		if c := s.AlertChannel; c != "" && c[0] != 'C' && c[0] != 'G' {
			v.addf("channels.slack.alert_channel", "%q: want a channel id such as C0789ALERTS", c)
		}
	}
}

// ackTemplate checks an auto-acknowledgement template with the ledger's
// own rule (NewService runs it again); "" is the default text.
func (v *validator) ackTemplate(p, t string) {
	if t == "" {
		return
	}
	if err := ownership.CheckAckTemplate(t); err != nil {
		v.addf(p, "%w", err)
	}
}

// adapter records an adapter's problems. A key the file did not write
// outside the adapter's section (public_url for Twilio) is reported on
// the section's line, where the setting that needs it is.
func (v *validator) adapter(section string, err error) {
	channels.EachConfigError(err, func(ce *channels.ConfigError, other error) {
		switch {
		case ce == nil:
			v.list.add(section, other)
		case !v.c.src.has(ce.Key) && !strings.HasPrefix(ce.Key, section+"."):
			v.list.addAt(v.c.src.line(section), ce.Key, ce.Err)
		default:
			v.list.add(ce.Key, ce.Err)
		}
	})
}

func (v *validator) apiURL(p, u string) {
	if u == "" {
		return
	}
	if err := checkURL(u); err != nil {
		v.addf(p, "%w", err)
	}
}

// isLoopback reports whether host is "localhost" or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
