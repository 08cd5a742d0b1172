package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The example alert rules parse and every metric they read is one intake
// serves, so a renamed gauge cannot silently disarm an alert.
func TestPrometheusAlertRulesUseServedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../configs/prometheus/alerts.yaml")
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
				For   string `yaml:"for"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &rules))
	require.NotEmpty(t, rules.Groups)

	srv := startServer(t, serveFlags{config: exampleConfig, store: "sqlite:" + t.TempDir() + "/intake.db"})
	_, metrics := get(t, srv.url+"/metrics")
	// Ticket gauges by team appear once there is a ticket.
	_, err = newAPIClient(srv.url, "", 1).do(t.Context(), "POST", "/api/v1/tickets",
		map[string]any{"subject": "x", "body": "y", "contact": map[string]string{"email": "a@b.example"}}, nil)
	require.NoError(t, err)
	_, metrics = get(t, srv.url+"/metrics")

	name := regexp.MustCompile(`intake_[a-z_]+`)
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert)
			require.NotEmpty(t, r.Expr, r.Alert)
			for _, m := range name.FindAllString(r.Expr, -1) {
				require.Regexp(t, "(?m)^"+m+"[{ ]", metrics, "%s reads %s, which /metrics does not serve", r.Alert, m)
				n++
			}
		}
	}
	require.Greater(t, n, 5)
	require.Regexp(t, `intake_team_tickets\{state="sla_at_risk",team="[a-z]+"\}`, metrics)
}
