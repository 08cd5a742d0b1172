package ownership_test

import (
	"context"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// gauges gathers reg into name{label values joined by ","} -> value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for i, l := range m.GetLabel() {
				if i == 0 {
					key += "{"
				} else {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
				if i == len(m.GetLabel())-1 {
					key += "}"
				}
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// TestCollector: the gauges are the ledger's state at scrape time (the
// Summary's counts and the outbox's sizes), and a store that cannot be
// read gives intake_store_up 0 and nothing else.
func TestCollector(t *testing.T) {
	ctx := context.Background()
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.SMS: true}
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(ownership.NewCollector(f.Service, nil))
	got := gauges(t, reg)
	require.Equal(t, 1.0, got["intake_store_up"])
	require.Equal(t, 0.0, got["intake_tickets_open"])
	require.Equal(t, 0.0, got["intake_outbox_items{state=pending}"])

	_, err := f.Service.Accept(ctx, channels.Message{Kind: channels.SMS, ExternalID: "SM1", From: channels.Contact{Phone: "+15557770101"},
		To: "+15557771000", Text: "the printer is on fire"})
	require.NoError(t, err)
	pending, err := f.Service.Outbox(ctx, ownership.OutboxPending, 100)
	require.NoError(t, err)
	require.NotEmpty(t, pending, "the owner's notice and the auto-ack wait in the outbox")
	got = gauges(t, reg)
	require.Equal(t, 1.0, got["intake_tickets_open"])
	require.Equal(t, 1.0, got["intake_tickets_open_by_channel{channel=sms}"])
	require.Equal(t, 1.0, got["intake_tickets_open_by_team{team=helpdesk}"])
	require.Equal(t, 1.0, got["intake_team_tickets{state=open,team=helpdesk}"])
	require.Equal(t, 0.0, got["intake_tickets_unowned"])
	require.Equal(t, float64(len(pending)), got["intake_outbox_items{state=pending}"])
	require.Equal(t, 0.0, got["intake_outbox_items{state=dead}"])

	require.NoError(t, f.Service.Ping(ctx))
	require.NoError(t, f.Store.Close())
	require.Error(t, f.Service.Ping(ctx), "Ping reports the closed store")
	require.Equal(t, map[string]float64{"intake_store_up": 0}, gauges(t, reg))
}
