package routing

import "strings"

// defaultPriority is the priority of a ticket whose labels carry none.
const defaultPriority = "normal"

// Hours matcher values.
const (
	hoursBusiness = "business"
	hoursAfter    = "after"
)

// Matches reports whether every non-empty matcher of r accepts l.
// Channel, org, plan and priority compare case-insensitively; a missing
// priority label counts as "normal", the priority Decide gives it. Contacts
// compare case-insensitively when either side is an email address and
// exactly otherwise (phone numbers, Slack ids). Keywords match when any one
// regexp matches l["text"]. Hours "business" needs businessHours, "after"
// needs !businessHours, and any other non-empty value never matches (New
// rejects it).
func (r Rule) Matches(l Labels, businessHours bool) bool {
	priority := l["priority"]
	if priority == "" {
		priority = defaultPriority
	}
	return anyFold(r.Channels, l["channel"]) &&
		anyFold(r.Orgs, l["org"]) &&
		anyFold(r.Plans, l["plan"]) &&
		anyFold(r.Priorities, priority) &&
		anyContact(r.Contacts, l["contact"]) &&
		r.keywordsMatch(l["text"]) &&
		hoursMatch(r.Hours, businessHours)
}

// anyFold is true when want is empty or one of its values equals got, ignoring case.
func anyFold(want []string, got string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		if strings.EqualFold(w, got) {
			return true
		}
	}
	return false
}

// anyContact is anyFold for emails (whose case is not meaningful in
// practice) and exact for everything else. got may list several of the
// contact's identities separated by commas (email, phone, Slack id); any
// one matching is enough.
func anyContact(want []string, got string) bool {
	if len(want) == 0 {
		return true
	}
	for _, g := range strings.Split(got, ",") {
		g = strings.TrimSpace(g)
		for _, w := range want {
			email := strings.Contains(w, "@") || strings.Contains(g, "@")
			if w == g || (email && strings.EqualFold(w, g)) {
				return true
			}
		}
	}
	return false
}

func (r Rule) keywordsMatch(text string) bool {
	if len(r.Keywords) == 0 {
		return true
	}
	for _, re := range r.Keywords {
		if re != nil && re.MatchString(text) {
			return true
		}
	}
	return false
}

func hoursMatch(want string, businessHours bool) bool {
	switch want {
	case "":
		return true
	case hoursBusiness:
		return businessHours
	case hoursAfter:
		return !businessHours
	}
	return false
}
