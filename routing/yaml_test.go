package routing_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/intakehq/intake/routing"
)

// The tests describe configs, states and expected decisions in YAML, the way
// alertmanager's route tests do, so a table reads like the config a manager
// writes. These types are only the test's own shorthand, not the product's
// config format (that belongs to package configs).

type yamlHours struct {
	TZ     string   `yaml:"tz"`
	Shifts []string `yaml:"shifts"`
}

type yamlConfig struct {
	BusinessHours yamlHours `yaml:"business_hours"`
	DefaultTeam   string    `yaml:"default_team"`
	Reps          []struct {
		ID       string    `yaml:"id"`
		Role     string    `yaml:"role"`
		Skills   []string  `yaml:"skills"`
		Capacity int       `yaml:"capacity"`
		Hours    yamlHours `yaml:"hours"`
	} `yaml:"reps"`
	Teams []struct {
		ID       string     `yaml:"id"`
		Members  []string   `yaml:"members"`
		Strategy string     `yaml:"strategy"`
		Fallback string     `yaml:"fallback"`
		Hours    *yamlHours `yaml:"hours"`
		OnCall   struct {
			Rota  []string      `yaml:"rota"`
			Start time.Time     `yaml:"start"`
			Shift time.Duration `yaml:"shift"`
		} `yaml:"on_call"`
	} `yaml:"teams"`
	Rules []struct {
		Name        string   `yaml:"name"`
		Channels    []string `yaml:"channels"`
		Orgs        []string `yaml:"orgs"`
		Plans       []string `yaml:"plans"`
		Contacts    []string `yaml:"contacts"`
		Priorities  []string `yaml:"priorities"`
		Keywords    []string `yaml:"keywords"`
		Hours       string   `yaml:"hours"`
		SetPriority string   `yaml:"set_priority"`
		Team        string   `yaml:"team"`
		Skills      []string `yaml:"skills"`
		Owner       string   `yaml:"owner"`
	} `yaml:"rules"`
}

type yamlState struct {
	Away    []string             `yaml:"away"`
	Off     []string             `yaml:"off"`
	Exclude []string             `yaml:"exclude"`
	Open    map[string]int       `yaml:"open"`
	Last    map[string]time.Time `yaml:"last"`
	Sticky  []struct {
		Rep string `yaml:"rep"`
		Why string `yaml:"why"`
	} `yaml:"sticky"`
}

func decodeYAML(t *testing.T, src string, out any) {
	t.Helper()
	require.NoError(t, yaml.Unmarshal([]byte(src), out), "test YAML")
}

func testHours(t *testing.T, y yamlHours) routing.Hours {
	t.Helper()
	var h routing.Hours
	if y.TZ != "" {
		loc, err := time.LoadLocation(y.TZ)
		require.NoError(t, err)
		h.Location = loc
	}
	for _, s := range y.Shifts {
		shift, err := routing.ParseShift(s)
		require.NoError(t, err)
		h.Shifts = append(h.Shifts, shift)
	}
	return h
}

// testConfig turns the YAML shorthand into a routing.Config.
func testConfig(t *testing.T, src string) routing.Config {
	t.Helper()
	var y yamlConfig
	decodeYAML(t, src, &y)
	cfg := routing.Config{BusinessHours: testHours(t, y.BusinessHours), DefaultTeam: y.DefaultTeam}
	for _, r := range y.Reps {
		cfg.Reps = append(cfg.Reps, routing.Rep{
			ID: r.ID, Name: r.ID, Role: routing.Role(r.Role), Skills: r.Skills,
			Capacity: r.Capacity, Hours: testHours(t, r.Hours),
		})
	}
	for _, tm := range y.Teams {
		team := routing.Team{
			ID: tm.ID, Members: tm.Members, Strategy: routing.Strategy(tm.Strategy), Fallback: tm.Fallback,
			OnCall: routing.OnCall{Rota: tm.OnCall.Rota, Start: tm.OnCall.Start, Shift: tm.OnCall.Shift},
		}
		if tm.Hours != nil {
			h := testHours(t, *tm.Hours)
			team.Hours = &h
		}
		cfg.Teams = append(cfg.Teams, team)
	}
	for _, r := range y.Rules {
		rule := routing.Rule{
			Name: r.Name, Channels: r.Channels, Orgs: r.Orgs, Plans: r.Plans, Contacts: r.Contacts,
			Priorities: r.Priorities, Hours: r.Hours, SetPriority: r.SetPriority, Team: r.Team,
			Skills: r.Skills, Owner: r.Owner,
		}
		for _, k := range r.Keywords {
			rule.Keywords = append(rule.Keywords, regexp.MustCompile(k))
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	return cfg
}

func testRouter(t *testing.T, src string) *routing.Router {
	t.Helper()
	r, err := routing.New(testConfig(t, src))
	require.NoError(t, err)
	return r
}

// testState turns the YAML shorthand into a routing.State.
func testState(y yamlState) routing.State {
	st := routing.State{
		Availability: map[string]routing.Availability{},
		Open:         y.Open,
		LastAssigned: y.Last,
		Exclude:      map[string]bool{},
	}
	for _, id := range y.Away {
		st.Availability[id] = routing.Away
	}
	for _, id := range y.Off {
		st.Availability[id] = routing.Off
	}
	for _, id := range y.Exclude {
		st.Exclude[id] = true
	}
	for _, s := range y.Sticky {
		st.Sticky = append(st.Sticky, routing.Sticky{Rep: s.Rep, Why: s.Why})
	}
	return st
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return tm
}
