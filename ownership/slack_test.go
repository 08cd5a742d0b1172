package ownership_test

import (
	"context"
	"strings"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

func slackFixture(t *testing.T) *ownershiptest.Fixture {
	return ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.SMS: true, channels.Slack: true}
		for id, rc := range o.RepContacts {
			rc.SlackUser = "U" + strings.ToUpper(id)
			o.RepContacts[id] = rc
		}
	})
}

func byPurpose(t *testing.T, f *ownershiptest.Fixture) map[ownership.Purpose][]ownership.OutboxItem {
	t.Helper()
	out := map[ownership.Purpose][]ownership.OutboxItem{}
	for _, it := range outbox(t, f) {
		out[it.Purpose] = append(out[it.Purpose], it)
	}
	return out
}

// With Slack on, every ticket's post is queued with it, every visible
// change queues one update, a customer message joining is mirrored, and
// the owner is told by direct message.
func TestSlackPostsFollowTheTicket(t *testing.T) {
	f := slackFixture(t)
	ctx := context.Background()
	ref := accept(t, f, sms("SM1", "+15557770101", "Printer on fire"))
	items := byPurpose(t, f)
	require.Len(t, items[ownership.PurposeTriage], 1)
	require.Equal(t, ref.ID, items[ownership.PurposeTriage][0].TicketID)
	require.Len(t, items["notify"], 1)
	require.Equal(t, "slack", items["notify"][0].Channel, "techs are told in Slack")
	require.Equal(t, "U"+strings.ToUpper(ref.Owner), items["notify"][0].To)

	_, err := f.Service.Note(ctx, ownershiptest.Dana, ref.ID, "internal")
	require.NoError(t, err)
	require.Empty(t, byPurpose(t, f)[ownership.PurposeTriageUpdate], "a note does not change the post")
	_, err = f.Service.Assign(ctx, ownershiptest.Maria, ref.ID, "kim", "", nil)
	require.NoError(t, err)
	_, err = f.Service.SetStatus(ctx, ownershiptest.Maria, ref.ID, ownership.StatusPending, "", nil)
	require.NoError(t, err)
	require.Len(t, byPurpose(t, f)[ownership.PurposeTriageUpdate], 2, "owner and status changes each update the post")

	accept(t, f, sms("SM2", "+15557770101", "It is smoking"))
	items = byPurpose(t, f)
	require.Len(t, items[ownership.PurposeMirror], 1)
	require.Contains(t, items[ownership.PurposeMirror][0].Body, "It is smoking")
	require.Len(t, items[ownership.PurposeTriageUpdate], 3, "the customer's reply reopened it")
	accept(t, f, sms("SM2", "+15557770101", "It is smoking"))
	require.Len(t, byPurpose(t, f)[ownership.PurposeMirror], 1, "a redelivery is not mirrored twice")
}

func TestSlackPostLookupAndNotes(t *testing.T) {
	f := slackFixture(t)
	ctx := context.Background()
	ref := accept(t, f, sms("SM1", "+15557770101", "Help"))
	_, err := f.Service.SlackPostOf(ctx, ref.ID)
	require.ErrorIs(t, err, ownership.ErrNotFound)
	require.NoError(t, f.Service.SetSlackPost(ctx, ref.ID, ownership.SlackPost{Channel: "C1", TS: "1.2"}))
	p, err := f.Service.SlackPostOf(ctx, ref.ID)
	require.NoError(t, err)
	require.Equal(t, ownership.SlackPost{Channel: "C1", TS: "1.2"}, p)
	id, err := f.Service.TicketOfSlackThread(ctx, "C1", "1.2")
	require.NoError(t, err)
	require.Equal(t, ref.ID, id)
	_, err = f.Service.TicketOfSlackThread(ctx, "C1", "9.9")
	require.ErrorIs(t, err, ownership.ErrNotFound)

	for i := 0; i < 3; i++ {
		require.NoError(t, f.Service.NoteOnce(ctx, ownershiptest.Dana, ref.ID, "from the thread", "slack:C1:1.3", nil))
		require.NoError(t, f.Service.React(ctx, ref.ID, "C1", "1.3", "memo", "slack:C1:1.3"))
	}
	require.Equal(t, 1, count(events(t, f, ref.ID), func(ev ownership.Event) bool { return ev.Body == "from the thread" }))
	require.Len(t, byPurpose(t, f)[ownership.PurposeReact], 1)
}

func TestSlackCustomerRepliesGoBackToSlack(t *testing.T) {
	f := slackFixture(t)
	ctx := context.Background()
	m := channels.Message{Kind: channels.Slack, ExternalID: "D1:1.1", From: channels.Contact{SlackUser: "UCUST"}, Text: "hi from Slack",
		Meta: map[string]string{channels.MetaSlackChannel: "C0SHARED", channels.MetaSlackThread: "1.1"}}
	ref := accept(t, f, m)
	require.True(t, ref.Created)
	acks := byPurpose(t, f)["auto_ack"]
	require.Len(t, acks, 1)
	require.Equal(t, "C0SHARED", acks[0].To)
	require.Equal(t, "1.1", acks[0].Headers["thread_ts"])
	_, err := f.Service.Reply(ctx, ownershiptest.Dana, ref.ID, "on it", "k")
	require.NoError(t, err)
	it, err := f.Store.OutboxItem(ctx, "reply:"+ref.ID+":k")
	require.NoError(t, err)
	require.Equal(t, "slack", it.Channel)
	require.Equal(t, "C0SHARED", it.To)
	require.Equal(t, "1.1", it.Headers["thread_ts"])
}
