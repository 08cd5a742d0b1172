// Package routing decides which team and which rep own a new ticket.
//
// Everything here is pure: no I/O, no clock. The caller passes the labels of
// the ticket, the live State it read from the store (availability, open load,
// sticky candidates) and the time. The same inputs always give the same
// Decision, and every Decision carries a one-line Reason that is stored on the
// ticket's "assigned" event, so a manager can read why a rep got a ticket.
package routing

import (
	"regexp"
	"time"
)

// Role is what a rep may do: techs work tickets, managers also assign.
type Role string

// Roles.
const (
	RoleTech    Role = "tech"
	RoleManager Role = "manager"
)

// Availability is a rep's own statement of whether they take new work.
type Availability string

// Availabilities.
const (
	Available Availability = "available"
	Away      Availability = "away"
	Off       Availability = "off"
)

// Strategy picks among eligible reps of a team.
type Strategy string

// Strategies.
const (
	// LeastLoaded picks the rep with the fewest open owned tickets; ties go to
	// the rep idle longest (oldest last assignment), then to roster order.
	LeastLoaded Strategy = "least_loaded"
	// RoundRobin picks the rep whose last assignment is oldest (never
	// assigned counts as oldest), ties to roster order.
	RoundRobin Strategy = "round_robin"
)

// Shift is one weekly working window, written "mon-fri 08:00-17:00",
// "sat 10:00-14:00" or "mon,wed,fri 22:00-06:00". A window whose end is not
// after its start runs past midnight and belongs to the day it starts on.
type Shift struct {
	Days  [7]bool       // indexed by time.Weekday
	Start time.Duration // since local midnight
	End   time.Duration // since local midnight; <= Start means overnight
}

// Hours is a weekly schedule in one time zone. With no shifts it is 24x7.
type Hours struct {
	Location *time.Location // nil means UTC
	Shifts   []Shift
}

// Rep is a member of the roster, as routing sees it.
type Rep struct {
	ID       string
	Name     string
	Role     Role
	Skills   []string
	Capacity int   // maximum open owned tickets; <= 0 means no limit
	Hours    Hours // when the rep is on shift, in the rep's own time zone
}

// OnCall is an after-hours rota: the rep on call at time t is
// Rota[floor((t-Start)/Shift) mod len(Rota)]. The zero value has no one.
type OnCall struct {
	Rota  []string
	Start time.Time
	Shift time.Duration
}

// Team is a group of reps that owns a kind of work.
type Team struct {
	ID       string
	Name     string
	Members  []string // rep ids, in roster order
	Strategy Strategy
	Fallback string // rep id (usually a manager) who owns what no one else can
	OnCall   OnCall
	Hours    *Hours // the team's business hours; nil means Config.BusinessHours
}

// Labels are what rules look at. Keys: channel, org, plan, contact (the
// contact's identities, comma-separated: email, phone, Slack id), priority,
// and text (subject and body, for keyword rules).
type Labels map[string]string

// Rule is one ordered routing rule. Empty matchers match anything; a rule
// matches when every non-empty matcher does (values within one matcher are
// alternatives). The first matching rule wins.
type Rule struct {
	Name string

	Channels   []string
	Orgs       []string
	Plans      []string
	Contacts   []string
	Priorities []string
	Keywords   []*regexp.Regexp // any one matching Labels["text"]
	Hours      string           // "", "business" or "after"

	SetPriority string   // "" keeps the labels' priority
	Team        string   // "" keeps Config.DefaultTeam
	Skills      []string // required skills for the selected rep
	Owner       string   // a fixed owner, used when available
}

// Config is the static part of routing, built once from configuration.
type Config struct {
	Reps          []Rep
	Teams         []Team
	Rules         []Rule
	BusinessHours Hours  // used by "hours" matchers and by teams without Hours
	DefaultTeam   string // team for tickets no rule places; "" means the first team
}

// Sticky is one sticky-owner candidate, in the order DESIGN §3 gives:
// the contact's open-ticket owner, the org's account manager, the
// contact's last owner.
type Sticky struct {
	Rep string
	Why string // e.g. "contact's open ticket owner", "org account manager", "last owner"
}

// State is the live data a decision needs, read by the caller from the store
// just before the decision. Missing map entries mean: available, 0 open,
// never assigned.
type State struct {
	Availability map[string]Availability
	Open         map[string]int
	LastAssigned map[string]time.Time
	Sticky       []Sticky
	Exclude      map[string]bool // reps that must not be chosen (escalation); never excludes the fallback
}

// Decision is the outcome of routing one ticket. Owner is never empty.
type Decision struct {
	Rule     string // name of the matching rule; "" when none matched
	Team     string
	Priority string
	Skills   []string
	Owner    string
	Step     string // "rule_owner", "sticky", "least_loaded", "round_robin", "on_call" or "fallback"
	Reason   string // one line, stored on the "assigned" event
	Alert    bool   // true when the fallback was used because no one was eligible
}
