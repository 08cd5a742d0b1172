package ownershiptest

import (
	"regexp"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// Tom is the tech of the second team (see TwoTeams).
var Tom = ownership.Actor{ID: "tom", Role: routing.RoleTech}

// TwoTeams is a roster change for New: a second team, infra, whose only
// member is the tech tom (capacity 3, always on shift), maria its
// fallback; a ticket whose subject or body says "server" goes there (rule
// "servers"). Use a contact outside acme, whose account manager kim would
// otherwise be sticky.
func TwoTeams(c *routing.Config) {
	c.Reps = append(c.Reps, routing.Rep{ID: "tom", Name: "Tom", Role: routing.RoleTech, Capacity: 3})
	c.Teams = append(c.Teams, routing.Team{ID: "infra", Members: []string{"tom"}, Strategy: routing.LeastLoaded, Fallback: "maria"})
	c.Rules = append(c.Rules, routing.Rule{Name: "servers", Keywords: []*regexp.Regexp{regexp.MustCompile(`(?i)server`)}, Team: "infra"})
}
