package ownership_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

func smsFixture(t *testing.T) *ownershiptest.Fixture {
	return ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.SMS: true}
	})
}

func sms(sid, from, text string) channels.Message {
	return channels.Message{Kind: channels.SMS, ExternalID: sid, From: channels.Contact{Phone: from}, To: "+15557771000", Text: text}
}

// withEvent returns m marked as event (STOP and START texts).
func withEvent(m channels.Message, event string) channels.Message {
	m.Event = event
	return m
}

func outbox(t *testing.T, f *ownershiptest.Fixture) []ownership.OutboxItem {
	t.Helper()
	items, err := f.Store.ListOutbox(context.Background(), "", 100)
	require.NoError(t, err)
	return items
}

// queued counts the outbox items with purpose.
func queued(t *testing.T, f *ownershiptest.Fixture, purpose ownership.Purpose) int {
	t.Helper()
	n := 0
	for _, it := range outbox(t, f) {
		if it.Purpose == purpose {
			n++
		}
	}
	return n
}

func TestAcceptSMSOpensTicketOnceAndQueuesAckOnce(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	m := sms("SM1", "+15557770101", "My laptop will not boot")
	ref, err := f.Service.Accept(ctx, m)
	require.NoError(t, err)
	require.True(t, ref.Created)
	require.Equal(t, "T-1", ref.ID)
	require.Equal(t, "dana", ref.Owner)
	require.Equal(t, "+15551230002", ref.OwnerPhone)
	for i := 0; i < 5; i++ {
		again, err := f.Service.Accept(ctx, m)
		require.NoError(t, err)
		require.True(t, again.Duplicate)
		require.Equal(t, "T-1", again.ID)
	}
	tk, err := f.Service.Ticket(ctx, "T-1")
	require.NoError(t, err)
	require.Equal(t, "sms", tk.Channel)
	require.Equal(t, "+15557770101", tk.Contact.Phone)
	evs, err := f.Service.Events(ctx, "T-1")
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, ownership.EventMessageIn, evs[0].Type)

	items := outbox(t, f)
	require.Len(t, items, 2, "one auto-ack, one owner notification")
	byPurpose := map[ownership.Purpose]ownership.OutboxItem{}
	for _, it := range items {
		byPurpose[it.Purpose] = it
	}
	require.Equal(t, "+15557770101", byPurpose["auto_ack"].To)
	require.Contains(t, byPurpose["auto_ack"].Body, "T-1")
	require.Contains(t, byPurpose["auto_ack"].Body, "Dana")
	require.Equal(t, "+15551230002", byPurpose["notify"].To)
}

func TestAcceptJoinsOpenTicketAndReopensPending(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	first, err := f.Service.Accept(ctx, sms("SM1", "+15557770101", "printer jammed"))
	require.NoError(t, err)
	_, err = f.Service.SetStatus(ctx, ownershiptest.Dana, first.ID, ownership.StatusPending, "asked for model", nil)
	require.NoError(t, err)
	second, err := f.Service.Accept(ctx, sms("SM2", "+15557770101", "it is an HP 4000"))
	require.NoError(t, err)
	require.False(t, second.Created)
	require.Equal(t, first.ID, second.ID)
	tk, err := f.Service.Ticket(ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, ownership.StatusOpen, tk.Status, "a customer reply reopens a pending ticket")

	_, err = f.Service.SetStatus(ctx, ownershiptest.Maria, first.ID, ownership.StatusClosed, "", nil)
	require.NoError(t, err)
	third, err := f.Service.Accept(ctx, sms("SM3", "+15557770101", "new problem"))
	require.NoError(t, err)
	require.True(t, third.Created)
	require.NotEqual(t, first.ID, third.ID)
}

func TestOptOutBlocksTexts(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	ref, err := f.Service.Accept(ctx, sms("SM1", "+15557770101", "help"))
	require.NoError(t, err)
	stop := withEvent(sms("SM2", "+15557770101", "STOP"), channels.EventOptOut)
	_, err = f.Service.Accept(ctx, stop)
	require.NoError(t, err)
	_, err = f.Service.Reply(ctx, ownershiptest.Dana, ref.ID, "on my way", "")
	require.ErrorIs(t, err, ownership.ErrState)
	require.ErrorContains(t, err, "opted out")

	start := withEvent(sms("SM3", "+15557770101", "START"), channels.EventOptIn)
	_, err = f.Service.Accept(ctx, start)
	require.NoError(t, err)
	_, err = f.Service.Reply(ctx, ownershiptest.Dana, ref.ID, "on my way", "k1")
	require.NoError(t, err)
	_, err = f.Service.Reply(ctx, ownershiptest.Dana, ref.ID, "on my way", "k1")
	require.NoError(t, err, "the same request again")
	require.Equal(t, 1, queued(t, f, "reply"), "one reply queued for one idempotency key")
}

func TestVoicemailJoinsItsCall(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	call := channels.Message{Kind: channels.Voice, Event: channels.EventCall, ExternalID: "CA1", From: channels.Contact{Phone: "+15557770199"}, Text: "Incoming call"}
	ref, err := f.Service.Accept(ctx, call)
	require.NoError(t, err)
	require.True(t, ref.Created)
	vm := channels.Message{Kind: channels.Voice, Event: channels.EventVoicemail, ExternalID: "RE1", ThreadKey: call.DedupKey(),
		Attachments: []channels.Attachment{{URL: "https://api.twilio.test/RE1", ContentType: "audio/mpeg"}}}
	for i := 0; i < 3; i++ {
		got, err := f.Service.Accept(ctx, vm)
		require.NoError(t, err)
		require.Equal(t, ref.ID, got.ID)
	}
	evs, err := f.Service.Events(ctx, ref.ID)
	require.NoError(t, err)
	var types []ownership.EventType
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	require.Equal(t, []ownership.EventType{ownership.EventCall, ownership.EventAssigned, ownership.EventVoicemail}, types)
	require.Equal(t, "https://api.twilio.test/RE1", evs[2].Attachments[0].URL)
}

// TestAcceptRequeuesAfterCrash: the first delivery stored the ticket but
// died before queueing the auto-ack; the provider's retry queues it.
func TestAcceptRequeuesAfterCrash(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	m := sms("SM9", "+15557770101", "help")
	// What the first delivery managed to store: the ticket, not the queue.
	_, _, err := f.Service.CreateTicket(ctx, ownership.NewTicket{Subject: "help", Body: "help", Channel: "sms", DedupKey: m.DedupKey(),
		ProviderID: m.ExternalID, Contact: ownership.Contact{Phone: "+15557770101"}})
	require.NoError(t, err)
	require.Empty(t, outbox(t, f))
	ref, err := f.Service.Accept(ctx, m)
	require.NoError(t, err)
	require.True(t, ref.Duplicate)
	items := outbox(t, f)
	require.Len(t, items, 2, "auto-ack and notification queued by the retry")
	_, err = f.Service.Accept(ctx, m)
	require.NoError(t, err)
	require.Len(t, outbox(t, f), 2, "and only once")
}

func TestConcurrentTextsFromNewNumberOpenOneTicket(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.Service.Accept(ctx, sms(fmt.Sprintf("SMc%d", i), "+15557770111", "part "+fmt.Sprint(i)))
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	p, err := f.Store.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 1)
	require.Equal(t, 1, queued(t, f, "auto_ack"))
}

func TestOptOutRecordedOnce(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	ref, err := f.Service.Accept(ctx, sms("SM1", "+15557770101", "help"))
	require.NoError(t, err)
	stop := withEvent(sms("SM2", "+15557770101", "STOP"), channels.EventOptOut)
	for i := 0; i < 3; i++ {
		_, err = f.Service.Accept(ctx, stop)
		require.NoError(t, err)
	}
	evs, err := f.Service.Events(ctx, ref.ID)
	require.NoError(t, err)
	require.Equal(t, 1, count(evs, func(ev ownership.Event) bool { return ev.Type == ownership.EventOptOut }))
}

func TestHelpKeywordOpensNoTicket(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	help := sms("SMh", "+15557770101", "HELP")
	help.Meta = map[string]string{channels.MetaKeyword: "help"}
	ref, err := f.Service.Accept(ctx, help)
	require.NoError(t, err)
	require.Empty(t, ref.ID)
	p, err := f.Store.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Empty(t, p.Tickets)
	require.Empty(t, outbox(t, f), "no auto-ack for HELP")
}
