package main

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// TestOutboundKindsMatchRepliers: the ledger is built before the channels
// from the config alone, so the channels it queues for (Options.Outbound)
// must be exactly those that then build a Replier for the outbox: one
// more and replies would wait for a sender that never comes, one fewer
// and a configured channel would never be answered.
func TestOutboundKindsMatchRepliers(t *testing.T) {
	getenv := func(k string) (string, bool) { v, ok := configTestEnv[k]; return v, ok }
	for _, tc := range []struct {
		name                string
		twilio, email, slak bool
	}{
		{name: "none"},
		{name: "twilio", twilio: true},
		{name: "email", email: true},
		{name: "slack", slak: true},
		{name: "all", twilio: true, email: true, slak: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cfg, err := configs.LoadWith("../../configs/testdata/good-env.yaml", getenv, configs.Overrides{})
			require.NoError(t, err)
			if !tc.twilio {
				cfg.Channels.Twilio = nil
			}
			if !tc.email {
				cfg.Channels.Email = nil
			}
			if !tc.slak {
				cfg.Channels.Slack = nil
			}
			w, err := build(cfg)
			require.NoError(t, err)
			store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "intake.db"), discardLogger())
			require.NoError(t, err)
			t.Cleanup(func() { _ = store.Close() })
			svc, err := newService(cfg, w, store, prometheus.NewRegistry(), discardLogger())
			require.NoError(t, err)
			chans, err := buildChannels(cfg, svc, store, "test", discardLogger())
			require.NoError(t, err)
			want := slices.Sorted(maps.Keys(chans.repliers))
			got := slices.Sorted(maps.Keys(outboundKinds(cfg)))
			require.Equal(t, want, got)
			require.Len(t, got, btoi(tc.twilio)+btoi(tc.email)+btoi(tc.slak))
			if tc.twilio {
				require.Contains(t, got, channels.SMS)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
