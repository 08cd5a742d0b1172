package ownership

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConflicts(t *testing.T) {
	at := time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC)
	later := at.Add(time.Minute)
	base := Ticket{Owner: "dana", Team: "helpdesk", Status: StatusOpen, Priority: PriorityNormal, Subject: "VPN down",
		Offer: &Offer{To: "lee", From: "dana", By: "dana", At: at, ExpiresAt: later}}
	for _, c := range []struct {
		name   string
		change func(*Ticket)
		want   bool
	}{
		{"owner", func(t *Ticket) { t.Owner = "lee" }, true},
		{"team", func(t *Ticket) { t.Team = "field" }, true},
		{"status", func(t *Ticket) { t.Status = StatusPending }, true},
		{"priority", func(t *Ticket) { t.Priority = PriorityUrgent }, true},
		{"subject", func(t *Ticket) { t.Subject = "VPN down again" }, true},
		{"ack", func(t *Ticket) { t.AckedAt = &at }, true},
		{"offer withdrawn", func(t *Ticket) { t.Offer = nil }, true},
		{"offer to another rep", func(t *Ticket) { o := *t.Offer; o.To = "kim"; t.Offer = &o }, true},
		{"handles (a triage post recorded)", func(t *Ticket) { t.Handles = map[string]string{"slack_ts": "1.2"} }, false},
		{"updated at", func(t *Ticket) { t.UpdatedAt = later }, false},
		{"first response", func(t *Ticket) { t.FirstResponseAt = &later }, false},
		{"review flag", func(t *Ticket) { t.Review = "stranger" }, false},
		{"same offer, copied", func(t *Ticket) { o := *t.Offer; t.Offer = &o }, false},
	} {
		next := base
		c.change(&next)
		require.Equal(t, c.want, Conflicts(base, next), "Conflicts after a change of %s", c.name)
		bumpVersion(Ticket{Version: 4, Rev: 9, Owner: base.Owner, Team: base.Team, Status: base.Status,
			Priority: base.Priority, Subject: base.Subject, Offer: base.Offer}, &next)
		require.Equal(t, int64(9), next.Rev, "%s: the store compare-and-sets on the read revision", c.name)
		if c.want {
			require.Equal(t, int64(5), next.Version, c.name)
		} else {
			require.Equal(t, int64(4), next.Version, c.name)
		}
	}
}

// The revision is kept by stores, never shown in a ticket's JSON; a ticket
// stored before revisions existed reads its version as its revision.
func TestStoredRevision(t *testing.T) {
	tk := Ticket{ID: "T-3", Number: 3, Version: 2, Rev: 7, Owner: "dana", Status: StatusOpen}
	plain, err := json.Marshal(tk)
	require.NoError(t, err)
	require.NotContains(t, string(plain), `"rev"`)
	b, err := MarshalStored(tk)
	require.NoError(t, err)
	got, err := UnmarshalStored(b)
	require.NoError(t, err)
	require.Equal(t, tk, got)
	old, err := UnmarshalStored(plain)
	require.NoError(t, err)
	require.Equal(t, int64(2), old.Rev, "stored before revisions: the version was the revision")
}
