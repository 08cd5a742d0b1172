package configs

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

func (v *validator) channels() {
	ch := v.c.Channels
	if t := ch.Twilio; t != nil {
		v.twilio("channels.twilio", t)
	}
	if e := ch.Email; e != nil {
		v.email("channels.email", e)
	}
	if s := ch.Slack; s != nil {
		v.slack("channels.slack", s)
	}
}

func (v *validator) twilio(p string, t *Twilio) {
	switch {
	case t.AccountSID == "":
		v.addf(p+".account_sid", "required")
	case !strings.HasPrefix(t.AccountSID, "AC"):
		v.addf(p+".account_sid", "an account SID starts with \"AC\"")
	}
	if t.AuthToken == "" {
		v.addf(p+".auth_token", "required")
	}
	switch {
	case t.Number == "":
		v.addf(p+".number", "required: the Twilio number customers text and call")
	case !e164RE.MatchString(t.Number):
		v.addf(p+".number", "%s", badPhone(t.Number))
	}
	v.apiURL(p+".api_url", t.APIURL)
	if t.AckTemplate != "" && !strings.Contains(t.AckTemplate, "{{ticket}}") {
		v.addf(p+".ack_template", "must mention {{ticket}}, so the customer learns their ticket number")
	}
	if v.c.PublicURL == "" {
		v.addf(p, "needs public_url: Twilio signs its webhooks over the public URL it calls")
	}
}

func (v *validator) email(p string, e *Email) {
	v.mailAddr(p+".imap", e.IMAP.Addr, e.IMAP.TLS)
	if e.IMAP.Username == "" {
		v.addf(p+".imap.username", "required")
	}
	if e.IMAP.Password == "" {
		v.addf(p+".imap.password", "required")
	}
	if e.IMAP.Processed != "" && strings.EqualFold(e.IMAP.Processed, e.IMAP.Mailbox) {
		v.addf(p+".imap.processed", "%q is the mailbox read; name another folder or leave it out", e.IMAP.Processed)
	}
	if d := e.IMAP.PollInterval.D(); d != 0 && (d < time.Second || d > time.Hour) {
		v.addf(p+".imap.poll_interval", "%s: want between 1s and 1h", d)
	}
	v.mailAddr(p+".smtp", e.SMTP.Addr, e.SMTP.TLS)
	if e.SMTP.Password != "" && e.SMTP.Username == "" {
		v.addf(p+".smtp.username", "required when smtp.password is set")
	}
	if e.SMTP.From == "" {
		v.addf(p+".smtp.from", "required: the address replies are sent from")
	} else if _, err := mail.ParseAddress(e.SMTP.From); err != nil {
		v.addf(p+".smtp.from", "%q is not an address such as \"Help Desk <help@example.com>\"", e.SMTP.From)
	}
	v.apiURL(p+".api_url", e.APIURL)
}

// mailAddr checks a server address and its TLS mode; plain text is allowed
// only towards a loopback address, where no one else can read it.
func (v *validator) mailAddr(p, addr string, tls TLSMode) {
	if addr == "" {
		v.addf(p+".addr", "required (host:port)")
	} else if err := checkHostPort(addr); err != nil {
		v.addf(p+".addr", "%w", err)
	}
	switch tls {
	case "", TLSImplicit, TLSStartTLS:
	case TLSNone:
		if host, _, err := net.SplitHostPort(addr); err == nil && !isLoopback(host) {
			v.addf(p+".tls", "\"none\" would send the password in clear text; it is allowed only for a loopback addr, not %q", host)
		}
	default:
		v.addf(p+".tls", "%s", want(string(tls), TLSImplicit, TLSStartTLS, TLSNone))
	}
}

func (v *validator) slack(p string, s *Slack) {
	if s.BotToken == "" {
		v.addf(p+".bot_token", "required")
	}
	if s.SigningSecret == "" {
		v.addf(p+".signing_secret", "required")
	}
	if s.Channel == "" {
		v.addf(p+".channel", "required: the triage channel id (C…) new tickets are posted to")
	}
	switch s.ReplyMode {
	case "", ReplyExplicit, ReplyThread:
	default:
		v.addf(p+".reply_mode", "%s", want(string(s.ReplyMode), ReplyExplicit, ReplyThread))
	}
	for i, c := range s.CustomerChannels {
		switch {
		case c == "" || (c[0] != 'C' && c[0] != 'G'):
			v.addf(fmt.Sprintf("%s.customer_channels[%d]", p, i), "%q: want a channel id such as C0456ACME", c)
		case c == s.Channel:
			v.addf(fmt.Sprintf("%s.customer_channels[%d]", p, i), "%q is the triage channel; customers must not write where reps talk", c)
		}
	}
	if c := s.AlertChannel; c != "" && c[0] != 'C' && c[0] != 'G' {
		v.addf(p+".alert_channel", "%q: want a channel id such as C0789ALERTS", c)
	}
	if s.ReplyPrefix != "" && s.ReplyPrefix == s.NotePrefix {
		v.addf(p+".note_prefix", "same as reply_prefix %q: the two must differ", s.ReplyPrefix)
	}
	v.apiURL(p+".api_url", s.APIURL)
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
