package ownership

import (
	"strings"
)

// Org is a client organisation, as the ledger needs it.
type Org struct {
	ID             string
	Name           string
	Plan           string // managed, break_fix, prepaid
	AccountManager string // rep id, a sticky-owner candidate
	Domains        []string
	Phones         []string
}

// ContactLink ties one person's identities across channels to a name and
// an org, so a client who texts and then emails is one contact.
type ContactLink struct {
	Name      string
	Emails    []string
	Phones    []string
	SlackUser string
	Org       string
}

// directory resolves contacts and orgs from the configured roster data.
type directory struct {
	orgs     map[string]Org
	byDomain map[string]string
	byPhone  map[string]string
	links    map[string]ContactLink // by Contact.Keys() key
}

func newDirectory(orgs []Org, links []ContactLink) *directory {
	d := &directory{orgs: map[string]Org{}, byDomain: map[string]string{}, byPhone: map[string]string{}, links: map[string]ContactLink{}}
	for _, o := range orgs {
		d.orgs[o.ID] = o
		for _, dom := range o.Domains {
			d.byDomain[strings.ToLower(dom)] = o.ID
		}
		for _, p := range o.Phones {
			d.byPhone[p] = o.ID
		}
	}
	for _, l := range links {
		c := Contact{SlackUser: l.SlackUser}
		for _, e := range l.Emails {
			c.Email = strings.ToLower(e)
			d.links["email:"+c.Email] = l
		}
		for _, p := range l.Phones {
			d.links["phone:"+p] = l
		}
		if l.SlackUser != "" {
			d.links["slack:"+l.SlackUser] = l
		}
	}
	return d
}

// resolve fills in what the directory knows about c (name, the linked
// identities) and returns it with its org id ("" when unknown). The email
// is the strongest identity: a link found only through a phone or Slack id
// is used when it agrees with the org of the email's domain, so a shared or
// recycled phone number does not pull a stranger into another client.
func (d *directory) resolve(c Contact) (Contact, string) {
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	c.Phone = strings.TrimSpace(c.Phone)
	domainOrg := ""
	if at := strings.LastIndexByte(c.Email, '@'); at >= 0 {
		domainOrg = d.byDomain[c.Email[at+1:]]
	}
	link, linked := d.links["email:"+c.Email]
	if !linked {
		for _, k := range c.Keys() {
			if l, ok := d.links[k]; ok && (c.Email == "" || domainOrg == "" || l.Org == domainOrg) {
				link, linked = l, true
				break
			}
		}
	}
	org := domainOrg
	if linked {
		c = fillFromLink(c, link)
		if link.Org != "" {
			org = link.Org
		}
	}
	if org == "" && c.Phone != "" {
		org = d.byPhone[c.Phone]
	}
	return c, org
}

func fillFromLink(c Contact, l ContactLink) Contact {
	if c.Name == "" {
		c.Name = l.Name
	}
	if c.Email == "" && len(l.Emails) > 0 {
		c.Email = strings.ToLower(l.Emails[0])
	}
	if c.Phone == "" && len(l.Phones) > 0 {
		c.Phone = l.Phones[0]
	}
	if c.SlackUser == "" {
		c.SlackUser = l.SlackUser
	}
	return c
}

func (d *directory) org(id string) (Org, bool) {
	o, ok := d.orgs[id]
	return o, ok
}
