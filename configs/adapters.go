package configs

import (
	"net/mail"
	"strings"

	"github.com/intakehq/intake/channels/email"
	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/twilio"
)

// The adapters' own settings types are built here, from the channel
// sections, and Validate runs each adapter's Validate on them; so the
// checks `intake serve` meets in the adapters' constructors are the ones
// Load reports, with lines. (Routing works the same way: Validate runs
// routing.New.)

// TwilioConfig is the Twilio adapter's configuration: channels.twilio and
// public_url. It is the zero Config when the channel is disabled.
func (c *Config) TwilioConfig() twilio.Config {
	t := c.Channels.Twilio
	if t == nil {
		return twilio.Config{}
	}
	return twilio.Config{AccountSID: t.AccountSID, AuthToken: t.AuthToken.Value(), Number: t.Number,
		APIURL: t.APIURL, PublicURL: c.PublicURL}
}

// ReaderConfig is the mailbox reader's configuration from
// channels.email.imap; Ours holds the addresses mail is sent from and
// received on. The caller sets timings that are not configuration
// (RenewInterval).
func (c *Config) ReaderConfig() email.ReaderConfig {
	e := c.Channels.Email
	if e == nil {
		return email.ReaderConfig{}
	}
	var ours []string
	if from, err := mail.ParseAddress(e.SMTP.From); err == nil {
		ours = append(ours, strings.ToLower(from.Address))
	}
	if u := strings.ToLower(e.IMAP.Username); strings.Contains(u, "@") && (len(ours) == 0 || ours[0] != u) {
		ours = append(ours, u)
	}
	return email.ReaderConfig{Addr: e.IMAP.Addr, TLS: email.TLSMode(e.IMAP.TLS), Username: e.IMAP.Username,
		Password: e.IMAP.Password.Value(), Mailbox: e.IMAP.Mailbox, Processed: e.IMAP.Processed,
		PollInterval: e.IMAP.PollInterval.D(), Ours: ours}
}

// SMTPConfig is the mail sender's configuration from channels.email.smtp.
func (c *Config) SMTPConfig() email.SMTPConfig {
	e := c.Channels.Email
	if e == nil {
		return email.SMTPConfig{}
	}
	return email.SMTPConfig{Addr: e.SMTP.Addr, TLS: email.TLSMode(e.SMTP.TLS), Username: e.SMTP.Username,
		Password: e.SMTP.Password.Value(), From: e.SMTP.From}
}

// SlackConfig is the Slack adapter's configuration: channels.slack, the
// roster as Slack knows it, and org names for posts.
func (c *Config) SlackConfig() slack.Config {
	s := c.Channels.Slack
	if s == nil {
		return slack.Config{}
	}
	var reps []slack.Rep
	for _, r := range c.Reps {
		reps = append(reps, slack.Rep{ID: r.ID, Name: r.Name, SlackUser: r.SlackUser, Role: r.Role})
	}
	orgs := map[string]string{}
	for _, o := range c.Orgs {
		orgs[o.ID] = o.Name
	}
	return slack.Config{BotToken: s.BotToken.Value(), SigningSecret: s.SigningSecret.Value(), AppToken: s.AppToken.Value(),
		Channel: s.Channel, APIURL: s.APIURL, ReplyMode: string(s.ReplyMode), ReplyPrefix: s.ReplyPrefix, NotePrefix: s.NotePrefix,
		CustomerChannels: s.CustomerChannels, Reps: reps, OrgNames: orgs}
}
