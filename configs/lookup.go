package configs

import (
	"strings"
	"time"
)

// Rep returns the rep with the given id.
func (c *Config) Rep(id string) (Rep, bool) {
	for _, r := range c.Reps {
		if r.ID == id {
			return r, true
		}
	}
	return Rep{}, false
}

// Team returns the team with the given id.
func (c *Config) Team(id string) (Team, bool) {
	for _, t := range c.Teams {
		if t.ID == id {
			return t, true
		}
	}
	return Team{}, false
}

// Org returns the org with the given id.
func (c *Config) Org(id string) (Org, bool) {
	for _, o := range c.Orgs {
		if o.ID == id {
			return o, true
		}
	}
	return Org{}, false
}

// OrgByDomain returns the org that owns an email domain, ignoring case. A
// subdomain belongs to its parent's org ("mail.acme.com" to "acme.com");
// the longest configured domain wins.
func (c *Config) OrgByDomain(domain string) (Org, bool) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	var best Org
	bestLen := 0
	for _, o := range c.Orgs {
		for _, d := range o.Domains {
			d = strings.ToLower(d)
			if (domain == d || strings.HasSuffix(domain, "."+d)) && len(d) > bestLen {
				best, bestLen = o, len(d)
			}
		}
	}
	return best, bestLen > 0
}

// OrgByPhone returns the org that lists an E.164 phone number.
func (c *Config) OrgByPhone(phone string) (Org, bool) {
	for _, o := range c.Orgs {
		for _, p := range o.Phones {
			if p == phone && phone != "" {
				return o, true
			}
		}
	}
	return Org{}, false
}

// Contact returns the configured contact that has any of the given
// identities (email compared ignoring case, E.164 phone, Slack user id);
// empty arguments are ignored. Contacts are tried in file order.
func (c *Config) Contact(email, phone, slackUser string) (Contact, bool) {
	email = strings.ToLower(email)
	for _, ct := range c.Contacts {
		if slackUser != "" && ct.SlackUser == slackUser {
			return ct, true
		}
		for _, e := range ct.Emails {
			if email != "" && strings.ToLower(e) == email {
				return ct, true
			}
		}
		for _, p := range ct.Phones {
			if phone != "" && p == phone {
				return ct, true
			}
		}
	}
	return Contact{}, false
}

// OrgFor returns the org a sender belongs to: the org of a configured
// contact with that email or phone, else the org owning the email's
// domain, else the org listing the phone.
func (c *Config) OrgFor(email, phone string) (Org, bool) {
	if ct, ok := c.Contact(email, phone, ""); ok && ct.Org != "" {
		if o, ok := c.Org(ct.Org); ok {
			return o, true
		}
	}
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		if o, ok := c.OrgByDomain(email[i+1:]); ok {
			return o, true
		}
	}
	return c.OrgByPhone(phone)
}

// AckTimeout returns how long an owner has to acknowledge a new ticket of
// the given priority before it escalates: sla.ack, or the defaults 15m
// (urgent), 30m (high), 2h (normal), 8h (low). An unknown priority is
// treated as normal.
func (c *Config) AckTimeout(priority string) time.Duration {
	if d := c.SLA.Ack.For(priority); d > 0 {
		return d
	}
	return defaultAck.For(priority)
}

// TransferOffer returns how long a handoff offer stays open: sla.transfer_offer,
// default 30m.
func (c *Config) TransferOffer() time.Duration {
	if d := c.SLA.TransferOffer.D(); d > 0 {
		return d
	}
	return DefaultTransferOffer
}

// PlanSLA returns the SLA targets of a plan; an unknown plan has none.
func (c *Config) PlanSLA(plan Plan) PlanSLA {
	switch plan {
	case PlanManaged:
		return c.SLA.Plans.Managed
	case PlanBreakFix:
		return c.SLA.Plans.BreakFix
	case PlanPrepaid:
		return c.SLA.Plans.Prepaid
	}
	return PlanSLA{}
}
