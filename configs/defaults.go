package configs

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/intakehq/intake/routing"
)

// Default acknowledgement timeouts by priority (sla.ack).
var defaultAck = Targets{
	Urgent: Duration(15 * time.Minute),
	High:   Duration(30 * time.Minute),
	Normal: Duration(2 * time.Hour),
	Low:    Duration(8 * time.Hour),
}

// defaultOnCallShift is how long each rep of a rota is on call when
// on_call.shift is left out.
const defaultOnCallShift = 7 * 24 * time.Hour

// Default returns the configuration intake runs with when given none
// (DESIGN §5): HTTP on 127.0.0.1:8080, the embedded store under ./data/, no
// API tokens (so the API and dashboard are open on loopback only), no
// channels, and a one-person roster: the manager "admin", with no capacity
// limit, is the only member and the fallback of the team "default", so
// every ticket still gets an owner. Each call returns a new value.
func Default() *Config {
	c := &Config{}
	c.applyDefaults() // an empty config gets the default roster
	return c
}

// defaultRoster is the one-person roster of Default.
func defaultRoster() ([]Rep, []Team) {
	reps := []Rep{{
		ID:           "admin",
		Name:         "Local Admin",
		Role:         routing.RoleManager,
		Capacity:     0, // no limit: the admin owns everything
		Timezone:     defaultTimezone,
		Availability: routing.Available,
	}}
	teams := []Team{{
		ID:       "default",
		Name:     "Default",
		Members:  []string{"admin"},
		Strategy: routing.LeastLoaded,
		Fallback: "admin",
	}}
	return reps, teams
}

// applyDefaults fills in what the file left out and normalises what must
// compare case-insensitively (emails, domains). A file with neither reps
// nor teams gets Default's roster.
func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Store == "" {
		c.Store = DefaultStore
	}
	for i := range c.Reps {
		c.defaultRep(i)
	}
	if len(c.Reps) == 0 && len(c.Teams) == 0 {
		c.Reps, c.Teams = defaultRoster()
	}
	for i := range c.Teams {
		t := &c.Teams[i]
		if t.Name == "" {
			t.Name = t.ID
		}
		if t.Strategy == "" {
			t.Strategy = routing.LeastLoaded
		}
		defaultHours(t.Hours)
		if t.OnCall != nil && t.OnCall.Shift == 0 {
			t.OnCall.Shift = Duration(defaultOnCallShift)
		}
	}
	for i := range c.Orgs {
		o := &c.Orgs[i]
		for j, d := range o.Domains {
			o.Domains[j] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		}
	}
	for i := range c.Contacts {
		lowerAll(c.Contacts[i].Emails)
	}
	defaultHours(c.Routes.BusinessHours)
	for i := range c.Routes.Rules {
		for j, v := range c.Routes.Rules[i].Match.Contact {
			if strings.Contains(v, "@") {
				c.Routes.Rules[i].Match.Contact[j] = strings.ToLower(v)
			}
		}
	}
	c.defaultSLA()
	c.defaultChannels()
}

// defaultRep fills in rep i. Capacity gets its default only when the file
// left it out: "capacity: 0" is an error, reported by Validate.
func (c *Config) defaultRep(i int) {
	r := &c.Reps[i]
	if r.Role == "" {
		r.Role = routing.RoleTech
	}
	if r.Capacity == 0 && !c.src.has(fmt.Sprintf("reps[%d].capacity", i)) {
		r.Capacity = DefaultCapacity
	}
	if r.Timezone == "" {
		r.Timezone = defaultTimezone
	}
	if r.Availability == "" {
		r.Availability = routing.Available
	}
	r.Email = strings.ToLower(r.Email)
}

func (c *Config) defaultSLA() {
	a := &c.SLA.Ack
	for _, p := range []struct{ got, def *Duration }{
		{&a.Urgent, &defaultAck.Urgent}, {&a.High, &defaultAck.High},
		{&a.Normal, &defaultAck.Normal}, {&a.Low, &defaultAck.Low},
	} {
		if *p.got == 0 {
			*p.got = *p.def
		}
	}
	if c.SLA.TransferOffer == 0 {
		c.SLA.TransferOffer = Duration(DefaultTransferOffer)
	}
}

func (c *Config) defaultChannels() {
	if e := c.Channels.Email; e != nil {
		if e.IMAP.TLS == "" {
			e.IMAP.TLS = TLSImplicit
		}
		if e.IMAP.Mailbox == "" {
			e.IMAP.Mailbox = DefaultMailbox
		}
		if e.SMTP.TLS == "" {
			e.SMTP.TLS = TLSStartTLS
			if _, port, err := net.SplitHostPort(e.SMTP.Addr); err == nil && port == "465" {
				e.SMTP.TLS = TLSImplicit
			}
		}
	}
	if s := c.Channels.Slack; s != nil {
		if s.ReplyMode == "" {
			s.ReplyMode = ReplyExplicit
		}
		if s.ReplyPrefix == "" {
			s.ReplyPrefix = DefaultReplyPrefix
		}
		if s.NotePrefix == "" {
			s.NotePrefix = DefaultNotePrefix
		}
	}
}

func defaultHours(h *Hours) {
	if h != nil && h.Timezone == "" {
		h.Timezone = defaultTimezone
	}
}

func lowerAll(s []string) {
	for i, v := range s {
		s[i] = strings.ToLower(strings.TrimSpace(v))
	}
}
