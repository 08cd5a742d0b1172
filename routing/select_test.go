package routing_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/routing"
)

// deskConfig is the roster the Decide tests run against. 2026-03-09 is a
// Monday; US DST began on Sunday 2026-03-08.
const deskConfig = `
business_hours: {tz: UTC, shifts: ["mon-fri 09:00-17:00"]}
reps:
  - {id: maria, role: manager}
  - {id: dana, skills: [billing, spanish], capacity: 8}
  - {id: lee, skills: [Billing], capacity: 5}
  - {id: kim, skills: [network], hours: {tz: UTC, shifts: ["mon-fri 09:00-17:00"]}}
  - {id: sam, hours: {tz: UTC, shifts: ["mon-fri 09:00-17:00"]}}
  - {id: ola, capacity: 4}
  - {id: ravi, skills: [network], hours: {tz: America/New_York, shifts: ["mon-fri 09:00-17:00"]}}
  - {id: nia, hours: {shifts: ["fri 22:00-06:00"]}}
teams:
  - id: helpdesk
    members: [dana, lee, kim]
    fallback: maria
    on_call: {rota: [sam, ola], start: 2026-03-02T00:00:00Z, shift: 168h}
  - id: ops
    members: [ravi, kim, nia]
    strategy: round_robin
    fallback: maria
    on_call: {rota: [ola, sam], start: 2026-03-02T00:00:00Z, shift: 24h}
  - {id: empty, fallback: maria}
rules:
  - {name: vip-acme, orgs: [acme], owner: dana}
  - {name: outage, keywords: ['(?i)\boutage\b', '(?i)\bdown\b'], team: ops, set_priority: urgent}
  - {name: spanish, keywords: ['(?i)\bhola\b'], skills: [spanish]}
  - {name: billing, channels: [email], plans: [enterprise], skills: [billing]}
  - {name: night-voice, channels: [voice], hours: after, team: empty}
  - {name: vip-contact, contacts: [Boss@BigCo.com, "+15550001"], priorities: [high], set_priority: urgent}
  - {name: biz-chat, channels: [chat], hours: business, team: ops}
  - {name: kim-nights, channels: [fax], owner: kim}
`

// decideCases: now defaults to Tuesday 2026-03-10 10:00 UTC (business
// hours); want.team defaults to helpdesk and want.priority to normal.
const decideCases = `
# least_loaded
- name: fewest open wins
  state: {open: {dana: 3, lee: 2, kim: 4}}
  want: {owner: lee, step: least_loaded, reason: "least_loaded: lee had 2 open"}
- name: tie on open goes to the rep idle longest
  state: {open: {dana: 2, lee: 2, kim: 5}, last: {dana: 2026-03-10T09:00:00Z, lee: 2026-03-10T08:00:00Z}}
  want: {owner: lee, step: least_loaded, reason: "least_loaded: lee had 2 open (tie, idle longest)"}
- name: never assigned counts as idle longest
  state: {open: {dana: 1, lee: 1, kim: 3}, last: {dana: 2026-03-10T09:00:00Z}}
  want: {owner: lee, step: least_loaded, reason: "least_loaded: lee had 1 open (tie, idle longest)"}
- name: full tie goes to roster order
  want: {owner: dana, step: least_loaded, reason: "least_loaded: dana had 0 open (tie, first in roster)"}
- name: reps at capacity are skipped
  state: {open: {dana: 8, lee: 5, kim: 6}}
  want: {owner: kim, step: least_loaded, reason: "least_loaded: kim had 6 open"}
- name: excluded rep is skipped
  state: {exclude: [lee], open: {dana: 1, kim: 2}}
  want: {owner: dana, step: least_loaded, reason: "least_loaded: dana had 1 open"}

# rules: matchers, actions, first match wins
- name: first match wins over a later rule
  labels: {org: acme, text: "total outage"}
  want: {rule: vip-acme, owner: dana, step: rule_owner, reason: "rule_owner: rule vip-acme fixes owner dana"}
- name: keyword rule sets team and priority
  labels: {text: "site is DOWN"}
  now: 2026-03-10T14:00:00Z
  state: {last: {ravi: 2026-03-10T13:00:00Z, kim: 2026-03-10T12:00:00Z}}
  want: {rule: outage, team: ops, priority: urgent, owner: kim, step: round_robin, reason: "rule outage: round_robin: kim, longest since last assignment"}
- name: skills are case-insensitive
  labels: {channel: Email, plan: Enterprise}
  state: {open: {dana: 3, lee: 1}}
  want: {rule: billing, skills: [billing], owner: lee, step: least_loaded, reason: "rule billing: least_loaded: lee had 1 open"}
- name: contact and priority rule
  labels: {contact: boss@bigco.com, priority: HIGH}
  want: {rule: vip-contact, priority: urgent, owner: dana, step: least_loaded, reason: "rule vip-contact: least_loaded: dana had 0 open (tie, first in roster)"}
- name: priority matcher misses, labels priority kept
  labels: {contact: "+15550001", priority: low}
  want: {priority: low, owner: dana, step: least_loaded, reason: "least_loaded: dana had 0 open (tie, first in roster)"}
- name: business-hours rule in business hours
  labels: {channel: chat}
  want: {rule: biz-chat, team: ops, owner: kim, step: round_robin, reason: "rule biz-chat: round_robin: kim, never assigned"}
- name: business-hours rule after hours does not match
  labels: {channel: chat}
  now: 2026-03-10T20:00:00Z
  want: {owner: dana, step: least_loaded, reason: "least_loaded: dana had 0 open (tie, first in roster)"}
- name: after-hours rule in business hours does not match
  labels: {channel: voice}
  want: {owner: dana, step: least_loaded, reason: "least_loaded: dana had 0 open (tie, first in roster)"}

# fixed owner
- name: fixed owner ignores capacity
  labels: {org: ACME}
  state: {open: {dana: 8}}
  want: {rule: vip-acme, owner: dana, step: rule_owner, reason: "rule_owner: rule vip-acme fixes owner dana"}
- name: fixed owner away falls through
  labels: {org: acme}
  state: {away: [dana], open: {lee: 1, kim: 2}}
  want: {rule: vip-acme, owner: lee, step: least_loaded, reason: "rule vip-acme: fixed owner dana away; least_loaded: lee had 1 open"}
- name: fixed owner excluded falls through
  labels: {org: acme}
  state: {exclude: [dana], open: {kim: 1}}
  want: {rule: vip-acme, owner: lee, step: least_loaded, reason: "rule vip-acme: fixed owner dana excluded; least_loaded: lee had 0 open"}
- name: fixed owner off falls through to sticky
  labels: {org: acme}
  state: {off: [dana], sticky: [{rep: kim, why: last owner}]}
  want: {rule: vip-acme, owner: kim, step: sticky, reason: "rule vip-acme: fixed owner dana off; sticky: last owner kim"}

# sticky
- name: sticky owner without the rule's skills is passed over
  labels: {channel: email, plan: enterprise}
  state: {sticky: [{rep: kim, why: "contact's open ticket owner"}]}
  want: {rule: billing, skills: [billing], owner: dana, step: least_loaded, reason: "rule billing: least_loaded: dana had 0 open (tie, first in roster)"}
- name: sticky owner with the rule's skills keeps the contact
  labels: {channel: email, plan: enterprise}
  state: {sticky: [{rep: lee, why: "contact's open ticket owner"}]}
  want: {rule: billing, skills: [billing], owner: lee, step: sticky, reason: "rule billing: sticky: contact's open ticket owner lee"}
- name: fixed owner off shift falls through
  labels: {channel: fax}
  now: 2026-03-10T20:00:00Z
  want: {rule: kim-nights, owner: dana, step: least_loaded, reason: "rule kim-nights: fixed owner kim off shift; least_loaded: dana had 0 open (tie, first in roster)"}
- name: org account manager, team membership not required
  state: {sticky: [{rep: ola, why: org account manager}]}
  want: {owner: ola, step: sticky, reason: "sticky: org account manager ola"}
- name: last owner
  state: {sticky: [{rep: lee, why: last owner}], open: {lee: 4}}
  want: {owner: lee, step: sticky, reason: "sticky: last owner lee"}
- name: unavailable sticky candidate is passed over for the next
  state: {away: [lee], sticky: [{rep: lee, why: "contact's open ticket owner"}, {rep: ola, why: org account manager}]}
  want: {owner: ola, step: sticky, reason: "sticky: org account manager ola"}
- name: sticky at capacity falls through
  state: {sticky: [{rep: dana, why: last owner}], open: {dana: 8, lee: 1, kim: 2}}
  want: {owner: lee, step: least_loaded, reason: "least_loaded: lee had 1 open"}
- name: sticky off shift falls through
  now: 2026-03-10T20:00:00Z
  state: {sticky: [{rep: kim, why: last owner}], open: {dana: 1}}
  want: {owner: lee, step: least_loaded, reason: "least_loaded: lee had 0 open"}
- name: sticky excluded falls through
  state: {exclude: [dana], sticky: [{rep: dana, why: last owner}], open: {kim: 1, lee: 2}}
  want: {owner: kim, step: least_loaded, reason: "least_loaded: kim had 1 open"}
- name: unknown sticky rep is skipped
  state: {sticky: [{rep: ghost, why: last owner}, {rep: lee}]}
  want: {owner: lee, step: sticky, reason: "sticky: lee"}

# round_robin, shifts and DST
- name: round robin ignores load
  labels: {text: outage}
  now: 2026-03-10T14:00:00Z
  state: {open: {kim: 9}, last: {ravi: 2026-03-10T13:00:00Z, kim: 2026-03-10T12:00:00Z}}
  want: {rule: outage, team: ops, priority: urgent, owner: kim, step: round_robin, reason: "rule outage: round_robin: kim, longest since last assignment"}
- name: round robin tie goes to roster order, not member order
  labels: {text: outage}
  now: 2026-03-10T14:00:00Z
  want: {rule: outage, team: ops, priority: urgent, owner: kim, step: round_robin, reason: "rule outage: round_robin: kim, never assigned (tie, first in roster)"}
- name: New York rep on shift at 09:30 EDT after the spring change
  labels: {text: outage}
  now: 2026-03-09T13:30:00Z
  state: {last: {kim: 2026-03-01T00:00:00Z}}
  want: {rule: outage, team: ops, priority: urgent, owner: ravi, step: round_robin, reason: "rule outage: round_robin: ravi, never assigned"}
- name: same UTC time a week earlier is 08:30 EST, off shift
  labels: {text: outage}
  now: 2026-03-02T13:30:00Z
  state: {last: {kim: 2026-03-01T00:00:00Z}}
  want: {rule: outage, team: ops, priority: urgent, owner: kim, step: round_robin, reason: "rule outage: round_robin: kim, longest since last assignment"}
- name: overnight shift from Friday covers Saturday 03:00
  labels: {text: outage}
  now: 2026-03-14T03:00:00Z
  want: {rule: outage, team: ops, priority: urgent, owner: nia, step: round_robin, reason: "rule outage: round_robin: nia, never assigned"}

# on call
- name: overnight shift does not cover Friday 03:00, daily rota on call
  labels: {text: outage}
  now: 2026-03-13T03:00:00Z
  want: {rule: outage, team: ops, priority: urgent, owner: sam, step: on_call, reason: "rule outage: on_call: after hours, sam on call"}
- name: weekly rota, second week
  now: 2026-03-10T20:00:00Z
  state: {away: [dana], off: [lee]}
  want: {owner: ola, step: on_call, reason: "on_call: after hours, ola on call"}
- name: weekly rota, third week, on call off shift and away still counts
  now: 2026-03-17T20:00:00Z
  state: {away: [dana, sam], off: [lee]}
  want: {owner: sam, step: on_call, reason: "on_call: after hours, sam on call"}

# fallback
- name: on-call rep off
  now: 2026-03-10T20:00:00Z
  state: {away: [dana], off: [lee, ola]}
  want: {owner: maria, step: fallback, alert: true, reason: "fallback: no eligible rep in helpdesk (dana away, lee off, kim off shift; on call ola off) -> maria"}
- name: on-call rep excluded
  now: 2026-03-10T20:00:00Z
  state: {away: [dana], off: [lee], exclude: [ola]}
  want: {owner: maria, step: fallback, alert: true, reason: "fallback: no eligible rep in helpdesk (dana away, lee off, kim off shift; on call ola excluded) -> maria"}
- name: on-call rep at capacity
  now: 2026-03-10T20:00:00Z
  state: {away: [dana], off: [lee], open: {ola: 4}}
  want: {owner: maria, step: fallback, alert: true, reason: "fallback: no eligible rep in helpdesk (dana away, lee off, kim off shift; on call ola at capacity 4/4) -> maria"}
- name: no on call in business hours
  state: {away: [dana, kim], off: [lee]}
  want: {owner: maria, step: fallback, alert: true, reason: "fallback: no eligible rep in helpdesk (dana away, lee off, kim away) -> maria"}
- name: capacity and skills explained
  labels: {text: "Hola, necesito ayuda"}
  state: {open: {dana: 8}}
  want: {rule: spanish, skills: [spanish], owner: maria, step: fallback, alert: true, reason: "rule spanish: fallback: no eligible rep in helpdesk (dana at capacity 8/8, lee missing skill spanish, kim missing skill spanish) -> maria"}
- name: empty team
  labels: {channel: voice}
  now: 2026-03-10T20:00:00Z
  want: {rule: night-voice, team: empty, owner: maria, step: fallback, alert: true, reason: "rule night-voice: fallback: no eligible rep in empty (no members) -> maria"}
- name: fallback is never excluded
  state: {exclude: [dana, lee, kim, maria]}
  want: {owner: maria, step: fallback, alert: true, reason: "fallback: no eligible rep in helpdesk (dana excluded, lee excluded, kim excluded) -> maria"}
`

type decideCase struct {
	Name   string            `yaml:"name"`
	Now    time.Time         `yaml:"now"`
	Labels map[string]string `yaml:"labels"`
	State  yamlState         `yaml:"state"`
	Want   struct {
		Rule, Team, Priority, Owner, Step, Reason string
		Skills                                    []string
		Alert                                     bool
	} `yaml:"want"`
}

func loadDecideCases(t *testing.T) []decideCase {
	t.Helper()
	var cases []decideCase
	decodeYAML(t, decideCases, &cases)
	for i := range cases {
		c := &cases[i]
		if c.Now.IsZero() {
			c.Now = time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		}
		if c.Want.Team == "" {
			c.Want.Team = "helpdesk"
		}
		if c.Want.Priority == "" {
			c.Want.Priority = "normal"
		}
	}
	return cases
}

func TestDecide(t *testing.T) {
	r := testRouter(t, deskConfig)
	for _, c := range loadDecideCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			w := c.Want
			want := routing.Decision{
				Rule: w.Rule, Team: w.Team, Priority: w.Priority, Skills: w.Skills,
				Owner: w.Owner, Step: w.Step, Reason: w.Reason, Alert: w.Alert,
			}
			got := r.Decide(routing.Labels(c.Labels), testState(c.State), c.Now)
			require.Equal(t, want, got, "Decide(%v) at %v", c.Labels, c.Now)
		})
	}
}

func TestDecideDeterministic(t *testing.T) {
	r := testRouter(t, deskConfig)
	for _, c := range loadDecideCases(t) {
		first := r.Decide(routing.Labels(c.Labels), testState(c.State), c.Now)
		second := r.Decide(routing.Labels(c.Labels), testState(c.State), c.Now)
		require.Equal(t, first, second, c.Name)
	}
}

// TestDecideAlwaysOwns throws random states at Decide: there is always an
// owner, the reason is one line, and repeating the call changes nothing.
func TestDecideAlwaysOwns(t *testing.T) {
	r := testRouter(t, deskConfig)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := []string{"maria", "dana", "lee", "kim", "sam", "ola", "ravi", "nia", "ghost"}
	avail := []routing.Availability{routing.Available, routing.Away, routing.Off, ""}
	texts := []string{"", "outage", "hola", "line1\nline2"}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for range 2000 {
		st := routing.State{
			Availability: map[string]routing.Availability{}, Open: map[string]int{},
			LastAssigned: map[string]time.Time{}, Exclude: map[string]bool{},
		}
		for _, id := range ids {
			st.Availability[id] = avail[rng.IntN(len(avail))]
			st.Open[id] = rng.IntN(10)
			st.Exclude[id] = rng.IntN(4) == 0
			if rng.IntN(2) == 0 {
				st.LastAssigned[id] = base.Add(time.Duration(rng.IntN(1000)) * time.Hour)
			}
			if rng.IntN(5) == 0 {
				st.Sticky = append(st.Sticky, routing.Sticky{Rep: id, Why: "last owner"})
			}
		}
		l := routing.Labels{"channel": []string{"sms", "voice", "chat", "email"}[rng.IntN(4)], "text": texts[rng.IntN(len(texts))]}
		now := base.Add(time.Duration(rng.IntN(60*24*30)) * time.Minute)

		d := r.Decide(l, st, now)
		require.NotEmpty(t, d.Owner, "Decide(%v) at %v", l, now)
		require.NotContains(t, d.Reason, "\n")
		require.True(t, strings.HasPrefix(d.Reason, d.Step+":") || strings.HasPrefix(d.Reason, "rule "), d.Reason)
		require.Equal(t, d.Step == "fallback", d.Alert, d.Reason)
		require.Equal(t, d, r.Decide(l, st, now))
	}
}

func TestDecideBigTeamReasonIsTruncated(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("reps: [{id: boss}")
	members := make([]string, 12)
	for i := range members {
		members[i] = fmt.Sprintf("r%d", i+1)
		fmt.Fprintf(&sb, ", {id: %s}", members[i])
	}
	fmt.Fprintf(&sb, "]\nteams: [{id: big, fallback: boss, members: [%s]}]\n", strings.Join(members, ", "))
	r := testRouter(t, sb.String())

	st := routing.State{Availability: map[string]routing.Availability{}}
	for _, id := range members {
		st.Availability[id] = routing.Away
	}
	d := r.Decide(nil, st, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	require.Equal(t, "fallback: no eligible rep in big (r1 away, r2 away, r3 away, r4 away, and 8 more) -> boss", d.Reason)
	require.True(t, d.Alert)
}
