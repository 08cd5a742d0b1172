package configs

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Values accepted by rule matchers and actions.
var (
	channelNames  = []string{"sms", "voice", "email", "slack", "web", "api"}
	priorityNames = []string{"urgent", "high", "normal", "low"}
	planNames     = []Plan{PlanManaged, PlanBreakFix, PlanPrepaid}
	slackUserRE   = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
)

func (v *validator) orgsAndContacts() {
	domains := map[string]string{} // domain -> path that claimed it
	phones := map[string]string{}
	for i, o := range v.c.Orgs {
		p := fmt.Sprintf("orgs[%d]", i)
		if o.Name == "" {
			v.addf(p+".name", "required")
		}
		for j, d := range o.Domains {
			dp := fmt.Sprintf("%s.domains[%d]", p, j)
			if !validDomain(d) {
				v.addf(dp, "%q is not a domain name (want e.g. example.com)", d)
			}
			v.unique(dp, strings.ToLower(d), "domain", domains)
		}
		for j, ph := range o.Phones {
			v.phone(fmt.Sprintf("%s.phones[%d]", p, j), ph, phones)
		}
		if !isOneOf(o.Plan, planNames) {
			v.addf(p+".plan", "%s", want(string(o.Plan), planNames...))
		}
		v.rep(p+".account_manager", o.AccountManager)
		switch {
		case o.PrepaidHours < 0:
			v.addf(p+".prepaid_hours", "must not be negative")
		case o.PrepaidHours > 0 && o.Plan != PlanPrepaid:
			v.addf(p+".prepaid_hours", "set on plan %q; prepaid hours apply only to plan %q", o.Plan, PlanPrepaid)
		}
	}
	v.contacts()
}

func (v *validator) contacts() {
	emails := map[string]string{}
	phones := map[string]string{}
	for i, ct := range v.c.Contacts {
		p := fmt.Sprintf("contacts[%d]", i)
		if len(ct.Emails) == 0 && len(ct.Phones) == 0 && ct.SlackUser == "" {
			v.addf(p, "a contact needs at least one of emails, phones, slack_user")
		}
		for j, e := range ct.Emails {
			ep := fmt.Sprintf("%s.emails[%d]", p, j)
			if err := checkEmail(e); err != nil {
				v.addf(ep, "%w", err)
			}
			v.unique(ep, strings.ToLower(e), "email", emails)
		}
		for j, ph := range ct.Phones {
			v.phone(fmt.Sprintf("%s.phones[%d]", p, j), ph, phones)
		}
		if _, ok := v.orgs[ct.Org]; !ok && ct.Org != "" {
			v.addf(p+".org", "org %q is not in orgs", ct.Org)
		}
	}
}

// phone checks an E.164 number that must be unique in seen.
func (v *validator) phone(path, ph string, seen map[string]string) {
	if !e164RE.MatchString(ph) {
		v.addf(path, "%s", badPhone(ph))
	}
	v.unique(path, ph, "phone", seen)
}

// unique reports a value already claimed at another path.
func (v *validator) unique(path, val, what string, seen map[string]string) {
	if first, dup := seen[val]; dup {
		v.addf(path, "%s %q is also at %s", what, val, first)
		return
	}
	seen[val] = path
}

func (v *validator) routes() {
	r := &v.c.Routes
	if _, ok := v.teams[r.DefaultTeam]; !ok && r.DefaultTeam != "" {
		v.addf("routing.default_team", "team %q is not in teams", r.DefaultTeam)
	}
	if r.BusinessHours != nil {
		v.hours("routing.business_hours", *r.BusinessHours)
	}
	names := map[string]string{}
	for i, rule := range r.Rules {
		p := r.rulePath(i)
		if rule.Name == "" {
			v.addf(p+".name", "required")
		} else {
			v.unique(p+".name", rule.Name, "rule name", names)
		}
		v.match(p+".match", rule.Match)
		v.set(p+".set", rule.Set)
		if rule.Match.empty() && i < len(r.Rules)-1 {
			v.addf(p+".match", "matches every ticket, so the %d rule(s) after it never apply", len(r.Rules)-1-i)
		}
	}
}

func (v *validator) match(p string, m Match) {
	each := func(key string, vals []string, check func(string) string) {
		for j, val := range vals {
			if msg := check(val); msg != "" {
				v.addf(fmt.Sprintf("%s.%s[%d]", p, key, j), "%s", msg)
			}
		}
	}
	each("channel", m.Channel, func(s string) string { return oneOf(s, channelNames) })
	each("org", m.Org, func(s string) string {
		if _, ok := v.orgs[s]; !ok {
			return fmt.Sprintf("org %q is not in orgs", s)
		}
		return ""
	})
	each("plan", m.Plan, func(s string) string { return oneOf(Plan(s), planNames) })
	each("contact", m.Contact, checkContactID)
	each("priority", m.Priority, func(s string) string { return oneOf(s, priorityNames) })
	each("keywords", m.Keywords, func(s string) string {
		if _, err := regexp.Compile(s); err != nil {
			return "bad regular expression: " + err.Error()
		}
		return ""
	})
	if m.Hours != "" && m.Hours != "business" && m.Hours != "after" {
		v.addf(p+".hours", "%s", want(m.Hours, "business", "after"))
	}
}

func (v *validator) set(p string, s Set) {
	if s.Priority != "" {
		if msg := oneOf(s.Priority, priorityNames); msg != "" {
			v.addf(p+".priority", "%s", msg)
		}
	}
	if _, ok := v.teams[s.Team]; !ok && s.Team != "" {
		v.addf(p+".team", "team %q is not in teams", s.Team)
	}
	v.rep(p+".owner", s.Owner)
	for j, skill := range s.Skills {
		if !v.someRepHas(skill) {
			v.addf(fmt.Sprintf("%s.skills[%d]", p, j), "no rep has skill %q, so only the fallback could take these tickets", skill)
		}
	}
}

func (v *validator) someRepHas(skill string) bool {
	for _, r := range v.c.Reps {
		for _, s := range r.Skills {
			if strings.EqualFold(s, skill) {
				return true
			}
		}
	}
	return false
}

// empty reports whether m has no matchers at all.
func (m Match) empty() bool {
	return len(m.Channel)+len(m.Org)+len(m.Plan)+len(m.Contact)+len(m.Priority)+len(m.Keywords) == 0 && m.Hours == ""
}

// checkContactID accepts an email, an E.164 phone or a Slack user id.
func checkContactID(s string) string {
	switch {
	case strings.Contains(s, "@"):
		if err := checkEmail(s); err != nil {
			return err.Error()
		}
	case strings.HasPrefix(s, "+"):
		if !e164RE.MatchString(s) {
			return badPhone(s)
		}
	case !slackUserRE.MatchString(s):
		return fmt.Sprintf("%q: want an email address, an E.164 phone number or a Slack user id (U…)", s)
	}
	return ""
}

// oneOf returns "" when s is in allowed, else a message listing them.
func oneOf[T ~string](s T, allowed []T) string {
	if isOneOf(s, allowed) {
		return ""
	}
	return want(string(s), allowed...)
}

func isOneOf[T ~string](s T, allowed []T) bool { return slices.Contains(allowed, s) }

// validDomain is a loose check: labels of letters, digits and '-',
// at least two of them.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, c := range []byte(l) {
			if c != '-' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}
