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

	_, err := f.Service.Note(ctx, ownershiptest.Dana, ref.ID, "internal", "", nil)
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

// A note keyed to a channel message and the calls queued for it are
// recorded once however often the event is redelivered; the note carries
// the channel and meta; nothing is queued for a channel that cannot send.
func TestKeyedNotesAndQueuedCallsAreOnce(t *testing.T) {
	f := slackFixture(t)
	ctx := context.Background()
	ref := accept(t, f, sms("SM1", "+15557770101", "Help"))
	react := channels.Outbound{Kind: channels.Slack, To: "C1", Purpose: ownership.PurposeReact, Headers: map[string]string{"ts": "1.3", "name": "memo"}}
	for i := 0; i < 3; i++ {
		_, err := f.Service.Note(ctx, ownershiptest.Dana, ref.ID, "from the thread", "slack:C1:1.3", map[string]string{"slack_user": "UDANA"})
		require.NoError(t, err)
		require.NoError(t, f.Service.Queue(ctx, ref.ID, "slack:C1:1.3", react))
	}
	notes := 0
	for _, ev := range events(t, f, ref.ID) {
		if ev.Body == "from the thread" {
			notes++
			require.Equal(t, ownership.EventNote, ev.Type)
			require.Equal(t, "slack", ev.Channel)
			require.Equal(t, "UDANA", ev.Meta["slack_user"])
		}
	}
	require.Equal(t, 1, notes)
	reacts := byPurpose(t, f)[ownership.PurposeReact]
	require.Len(t, reacts, 1)
	require.Equal(t, "slack:react:slack:C1:1.3", reacts[0].ID, "the item id is the one React used")
	require.Equal(t, "C1", reacts[0].To)
	require.Equal(t, "memo", reacts[0].Headers["name"])

	// Whoever writes in the ticket's thread is noted, rep or not; a
	// rep's note without a key is checked against their scope as before.
	_, err := f.Service.Note(ctx, ownership.Actor{ID: "slack:U0GUEST"}, ref.ID, "a guest's word", "slack:C1:1.5", nil)
	require.NoError(t, err)
	_, err = f.Service.Note(ctx, ownership.Actor{ID: "slack:U0GUEST"}, ref.ID, "a guest's word", "", nil)
	require.Error(t, err)
	_, err = f.Service.Note(ctx, ownershiptest.Dana, ref.ID, "   ", "slack:C1:1.4", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid)
	require.ErrorIs(t, f.Service.Queue(ctx, ref.ID, "", react), ownership.ErrInvalid)
	require.NoError(t, f.Service.Queue(ctx, ref.ID, "k", channels.Outbound{Kind: channels.Email, Purpose: ownership.PurposeMirror}))
	for _, it := range outbox(t, f) {
		require.NotEqual(t, string(channels.Email), it.Channel, "email is not configured here")
	}
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
