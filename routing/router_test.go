package routing_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/routing"
)

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		want []string // each must appear in the error
	}{
		{"no teams", `reps: [{id: a}]`, []string{"no teams"}},
		{"duplicate rep", `
reps: [{id: a}, {id: a}]
teams: [{id: t, fallback: a}]`, []string{`rep "a": duplicate id`}},
		{"empty rep id", `
reps: [{id: a}, {id: ""}]
teams: [{id: t, fallback: a}]`, []string{"rep #2: empty id"}},
		{"unknown role", `
reps: [{id: a, role: boss}]
teams: [{id: t, fallback: a}]`, []string{`rep "a": unknown role "boss"`}},
		{"empty team id", `
reps: [{id: a}]
teams: [{id: t, fallback: a}, {fallback: a}]`, []string{"team #2: empty id"}},
		{"duplicate team", `
reps: [{id: a}]
teams: [{id: t, fallback: a}, {id: t, fallback: a}]`, []string{`team "t": duplicate id`}},
		{"unknown member", `
reps: [{id: a}]
teams: [{id: t, members: [a, ghost], fallback: a}]`, []string{`team "t": member "ghost" is not a rep`}},
		{"member twice", `
reps: [{id: a}]
teams: [{id: t, members: [a, a], fallback: a}]`, []string{`team "t": member "a" listed twice`}},
		{"no fallback", `
reps: [{id: a}]
teams: [{id: t, members: [a]}]`, []string{`team "t": no fallback rep`}},
		{"unknown fallback", `
reps: [{id: a}]
teams: [{id: t, fallback: boss}]`, []string{`team "t": fallback "boss" is not a rep`}},
		{"unknown on call", `
reps: [{id: a}]
teams: [{id: t, fallback: a, on_call: {rota: [a, b], shift: 24h}}]`, []string{`team "t": on-call rota entry "b" is not a rep`}},
		{"on call without shift", `
reps: [{id: a}]
teams: [{id: t, fallback: a, on_call: {rota: [a]}}]`, []string{`team "t": on-call shift 0s must be positive`}},
		{"bad strategy", `
reps: [{id: a}]
teams: [{id: t, fallback: a, strategy: random}]`, []string{`team "t": unknown strategy "random"`}},
		{"rule team", `
reps: [{id: a}]
teams: [{id: t, fallback: a}]
rules: [{name: r1, team: nope}]`, []string{`rule "r1": team "nope" does not exist`}},
		{"rule owner", `
reps: [{id: a}]
teams: [{id: t, fallback: a}]
rules: [{name: r1, owner: nobody}]`, []string{`rule "r1": owner "nobody" is not a rep`}},
		{"rule hours", `
reps: [{id: a}]
teams: [{id: t, fallback: a}]
rules: [{name: r1, hours: weekend}]`, []string{`rule "r1": hours "weekend"`}},
		{"duplicate rule name, unnamed by position", `
reps: [{id: a}]
teams: [{id: t, fallback: a}]
rules: [{name: r1}, {name: r1}, {team: x}]`, []string{`rule "r1": duplicate name`, `rule "#3": team "x" does not exist`}},
		{"default team", `
reps: [{id: a}]
teams: [{id: t, fallback: a}]
default_team: nope`, []string{`default team "nope" does not exist`}},
		{"every problem at once", `
reps: [{id: a}]
teams: [{id: t, members: [x], fallback: y, strategy: fifo}]
rules: [{name: r, team: z, owner: w}]
default_team: q`, []string{
			`member "x" is not a rep`, `fallback "y" is not a rep`, `unknown strategy "fifo"`,
			`team "z" does not exist`, `owner "w" is not a rep`, `default team "q" does not exist`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := routing.New(testConfig(t, tt.cfg))
			require.Error(t, err)
			require.Nil(t, r)
			for _, want := range tt.want {
				require.Contains(t, err.Error(), want)
			}
			require.Len(t, strings.Split(err.Error(), "\n"), len(tt.want), "one line per problem:\n%v", err)
		})
	}
}

func TestNewRejectsNilKeyword(t *testing.T) {
	cfg := testConfig(t, "reps: [{id: a}]\nteams: [{id: t, fallback: a}]")
	cfg.Rules = []routing.Rule{{Name: "k", Keywords: []*regexp.Regexp{nil}}}
	_, err := routing.New(cfg)
	require.EqualError(t, err, `rule "k": nil keyword regexp`)
}

func TestRouterAccessors(t *testing.T) {
	r := testRouter(t, deskConfig)

	var ids []string
	for _, rep := range r.Reps() {
		ids = append(ids, rep.ID)
	}
	require.Equal(t, []string{"maria", "dana", "lee", "kim", "sam", "ola", "ravi", "nia"}, ids)

	rep, ok := r.Rep("dana")
	require.True(t, ok)
	require.Equal(t, 8, rep.Capacity)
	_, ok = r.Rep("ghost")
	require.False(t, ok)

	team, ok := r.Team("helpdesk")
	require.True(t, ok)
	require.Equal(t, routing.LeastLoaded, team.Strategy, "empty strategy defaults")
	_, ok = r.Team("ghost")
	require.False(t, ok)
	require.Len(t, r.Teams(), 3)
	require.Equal(t, routing.RoundRobin, r.Teams()[1].Strategy)

	tue10 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	require.True(t, r.OnShift("kim", tue10))
	require.False(t, r.OnShift("ravi", tue10), "06:00 in New York")
	require.True(t, r.OnShift("ola", tue10.Add(-72*time.Hour)), "no hours is always on shift")
	require.False(t, r.OnShift("ghost", tue10))

	// Mutating the copies must not reach the router.
	r.Reps()[0].ID = "changed"
	r.Teams()[0].ID = "changed"
	require.Equal(t, "maria", r.Reps()[0].ID)
	require.Equal(t, "helpdesk", r.Teams()[0].ID)
}

func TestBusinessHours(t *testing.T) {
	r := testRouter(t, `
business_hours: {tz: Europe/London, shifts: ["mon-fri 09:00-17:00"]}
reps: [{id: a}]
teams:
  - {id: office, fallback: a}
  - {id: nightdesk, fallback: a, hours: {tz: UTC, shifts: ["daily 20:00-08:00"]}}
`)
	tests := []struct {
		team, at string
		want     bool
	}{
		{"office", "2026-10-23T08:30:00Z", true},  // 09:30 BST
		{"office", "2026-10-26T08:30:00Z", false}, // 08:30 GMT
		{"unknown", "2026-10-23T08:30:00Z", true}, // config hours
		{"nightdesk", "2026-10-23T08:30:00Z", false},
		{"nightdesk", "2026-10-24T03:00:00Z", true}, // Saturday morning, from Friday night
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, r.BusinessHours(tt.team, mustTime(t, tt.at)), "BusinessHours(%q, %s)", tt.team, tt.at)
	}
}

func TestDefaultTeam(t *testing.T) {
	cfg := `
reps: [{id: a}, {id: b}]
teams: [{id: first, fallback: a}, {id: second, members: [b], fallback: a}]
`
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	d := testRouter(t, cfg).Decide(nil, routing.State{}, now)
	require.Equal(t, "first", d.Team, "no default team: first team")
	d = testRouter(t, cfg+"default_team: second\n").Decide(nil, routing.State{}, now)
	require.Equal(t, "second", d.Team)
	require.Equal(t, "b", d.Owner)
}

func TestDecideNamesUnnamedRulesAndKeepsOneLine(t *testing.T) {
	cfg := testConfig(t, `
reps: [{id: "a\nb"}]
teams: [{id: t, fallback: "a\nb"}]
rules: [{channels: [sms]}, {name: "two\nlines", channels: [email]}]
`)
	r, err := routing.New(cfg)
	require.NoError(t, err)
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)

	d := r.Decide(routing.Labels{"channel": "sms"}, routing.State{}, now)
	require.Equal(t, "#1", d.Rule)
	require.Equal(t, "rule #1: fallback: no eligible rep in t (no members) -> a b", d.Reason)

	d = r.Decide(routing.Labels{"channel": "email"}, routing.State{}, now)
	require.Equal(t, "two\nlines", d.Rule)
	require.Equal(t, "rule two lines: fallback: no eligible rep in t (no members) -> a b", d.Reason)
}

func TestDecideConcurrent(t *testing.T) {
	r := testRouter(t, deskConfig)
	cases := loadDecideCases(t)
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, c := range cases {
				r.Decide(routing.Labels(c.Labels), testState(c.State), c.Now)
			}
		}()
	}
	for range 8 {
		<-done
	}
}
