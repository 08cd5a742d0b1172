package ownership_test

import (
	"context"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

// read is mail as the mailbox reader hands it over: with its content
// digest and the mailbox position it was read from.
func read(m channels.Message, digest, pos string) channels.Message {
	m.Meta[channels.MetaDigest] = digest
	m.Meta[channels.MetaMailboxUID] = pos
	return m
}

func TestReusedMessageIDIsTakenInNotDropped(t *testing.T) {
	f := emailFixture(t)
	orig := accept(t, f, read(mail("dup@acme.test", "pat@acme.test", "Printer jammed", "Floor 2."), "sha256:aaa", "INBOX 7:1"))
	require.True(t, orig.Created)

	// The same mail read again, at its place or renumbered, or a second
	// copy with the same content: recognised, nothing new.
	for _, again := range []channels.Message{
		read(mail("dup@acme.test", "pat@acme.test", "Printer jammed", "Floor 2."), "sha256:aaa", "INBOX 7:1"),
		read(mail("dup@acme.test", "pat@acme.test", "Printer jammed", "Floor 2."), "sha256:aaa", "INBOX 8:1"),
		read(mail("dup@acme.test", "pat@acme.test", "Printer jammed", "Floor 2."), "sha256:other-fetch", "INBOX 7:1"),
	} {
		ref := accept(t, f, again)
		require.True(t, ref.Duplicate, "a re-read of %s", again.Meta[channels.MetaMailboxUID])
		require.Equal(t, orig.ID, ref.ID)
	}

	// A different mail reusing the id is its own message, with a note.
	other := read(mail("dup@acme.test", "mallory@evil.test", "Invoice", "Wire the money."), "sha256:bbb", "INBOX 7:2")
	ref := accept(t, f, other)
	require.True(t, ref.Created, "a different mail reusing a Message-ID is not dropped")
	require.NotEqual(t, orig.ID, ref.ID)
	tk := ticket(t, f, ref.ID)
	require.Contains(t, tk.Review, "<dup@acme.test> was already used by a different message, on "+orig.ID)
	evs := events(t, f, ref.ID)
	require.Equal(t, "Wire the money.", evs[0].Body)
	require.Contains(t, evs[0].Meta[channels.MetaIDReused], orig.ID)
	require.Equal(t, ref.ID, accept(t, f, other).ID, "and it too is recognised when read again")
	require.True(t, accept(t, f, other).Duplicate)

	// The original keeps the id: a reply to it threads to the original,
	// and only for its own people.
	reply := accept(t, f, replyTo(read(mail("r1@acme.test", "pat@acme.test", "Re: Printer jammed", "Still jammed."), "sha256:ccc", "INBOX 7:3"), "dup@acme.test"))
	require.Equal(t, orig.ID, reply.ID)
	stranger := accept(t, f, replyTo(read(mail("r2@evil.test", "mallory@evil.test", "Re: Invoice", "Pay now."), "sha256:ddd", "INBOX 7:4"), "dup@acme.test"))
	require.True(t, stranger.Created)
	require.NotEqual(t, orig.ID, stranger.ID, "a reused id does not lead a stranger into the original's ticket")

	// A reusing mail that answers its sender's own ticket joins it, noted.
	before := len(events(t, f, orig.ID))
	vpn := accept(t, f, read(mail("v1@acme.test", "pat@acme.test", "VPN down", "No VPN."), "sha256:eee", "INBOX 7:5"))
	join := accept(t, f, replyTo(read(mail("dup@acme.test", "pat@acme.test", "Re: VPN down", "Still no VPN."), "sha256:fff", "INBOX 7:6"), "v1@acme.test"))
	require.Equal(t, vpn.ID, join.ID)
	require.False(t, join.Duplicate)
	evs = events(t, f, vpn.ID)
	last := evs[len(evs)-1]
	require.Equal(t, ownership.EventNote, last.Type)
	require.Contains(t, last.Body, "Message id reused: <dup@acme.test> was already used")
	require.Len(t, events(t, f, orig.ID), before, "the original is untouched by the reuse")
}

func TestUnanswerableSenderIsKeptNotAnswered(t *testing.T) {
	ctx := context.Background()
	f := emailFixtureWith(t, channels.Email, channels.SMS)
	manager := ownership.Actor{ID: "maria", Role: routing.RoleManager}
	tests := []struct {
		name string
		m    channels.Message
	}{
		{"email without a usable From", func() channels.Message {
			m := mail("u1@evil.test", "", "Invoice", "Pay.")
			m.Unanswerable = "the From header does not parse (mail: expected comma)"
			m.Meta[channels.MetaRawFrom] = "=?utf-8?q?x_<pat@acme.test>?= <mallory@evil.test>"
			return m
		}()},
		{"sms from a sender id", channels.Message{Kind: channels.SMS, ExternalID: "SM0001", From: channels.Contact{Phone: "ACMEBANK"},
			Text: "Your code is 1234", Unanswerable: `the sender "ACMEBANK" is not an E.164 phone number`}},
		{"call from a Twilio Client", channels.Message{Kind: channels.Voice, Event: channels.EventCall, ExternalID: "CA0001",
			From: channels.Contact{Phone: "client:alice"}, Text: "Incoming call", Unanswerable: `the caller is a Twilio Client identity ("client:alice"), not a phone number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := accept(t, f, tt.m)
			require.True(t, ref.Created, "the message is kept")
			tk := ticket(t, f, ref.ID)
			require.Contains(t, tk.Review, tt.m.Unanswerable)
			items, err := f.Store.ListOutbox(ctx, "", 100)
			require.NoError(t, err)
			for _, it := range items {
				if it.TicketID == ref.ID {
					require.NotEqual(t, ownership.PurposeAutoAck, it.Purpose, "no auto-acknowledgement to %q", it.To)
					require.NotEqual(t, tt.m.From.Phone+tt.m.From.Email, it.To, "nothing queued to the sender")
				}
			}
			_, err = f.Service.Reply(ctx, manager, ref.ID, "Hello?", "k1")
			require.ErrorIs(t, err, ownership.ErrState)
			require.Contains(t, err.Error(), "cannot be answered")
			require.Contains(t, err.Error(), tt.m.Unanswerable)
		})
	}

	// An answerable sender still gets its acknowledgement (the test
	// would pass vacuously if nothing were ever queued).
	ok := accept(t, f, channels.Message{Kind: channels.SMS, ExternalID: "SM0002", From: channels.Contact{Phone: "+15550001111"}, Text: "Printer down"})
	items, err := f.Store.ListOutbox(ctx, "", 100)
	require.NoError(t, err)
	acked := false
	for _, it := range items {
		acked = acked || (it.TicketID == ok.ID && it.Purpose == "auto_ack" && it.To == "+15550001111")
	}
	require.True(t, acked)
}

func emailFixtureWith(t *testing.T, kinds ...channels.Kind) *ownershiptest.Fixture {
	return ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{}
		for _, k := range kinds {
			o.Outbound[k] = true
		}
	})
}
