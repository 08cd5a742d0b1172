package slack_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

func outbound(purpose, ticket string, attempt int) channels.Outbound {
	return channels.Outbound{ID: purpose + ":" + ticket, TicketID: ticket, Kind: channels.Slack, Purpose: purpose, Attempt: attempt}
}

// A triage post is recorded in the post index (through Flags, under the
// keys the ledger used, so posts made before still resolve); a second
// post item for the ticket updates the post instead of posting again, and
// a thread line waits until the post exists.
func TestTriagePostIsIndexed(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.desk.tickets["T-1"] = ticket("T-1", "dana")

	_, err := r.app.Send(ctx, channels.Outbound{ID: "m", TicketID: "T-1", Kind: channels.Slack, Purpose: ownership.PurposeMirror, Body: "early"})
	var ra *channels.RetryAfterError
	require.ErrorAs(t, err, &ra, "a thread line before its post waits for it")

	ts, err := r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 1))
	require.NoError(t, err)
	require.NotEmpty(t, ts)
	v, _ := r.flags.Flag(ctx, "slack:post:T-1")
	require.Equal(t, triage+" "+ts, v)
	v, _ = r.flags.Flag(ctx, "slack:thread:"+triage+":"+ts)
	require.Equal(t, "T-1", v)

	_, err = r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 1))
	require.NoError(t, err)
	_, err = r.app.Send(ctx, outbound(ownership.PurposeTriageUpdate, "T-1", 1))
	require.NoError(t, err)
	_, err = r.app.Send(ctx, channels.Outbound{ID: "m", TicketID: "T-1", Kind: channels.Slack, Purpose: ownership.PurposeMirror, Body: "a <b>"})
	require.NoError(t, err)
	msgs := r.slack.Messages(triage)
	require.Len(t, msgs, 2, "one post and one thread line")
	require.Equal(t, 2, msgs[0].Updates, "the second post item and the update each refreshed the post")
	require.Equal(t, ts, msgs[1].ThreadTS)
	require.Equal(t, "a &lt;b&gt;", msgs[1].Text)

	// A message in the post's thread finds its ticket through the index.
	code, _ := r.event(t, "Ev1", slacktest.MessageEvent(triage, uDana, "noted", "5.5", ts))
	require.Equal(t, 200, code)
	require.Len(t, r.desk.called("Note"), 1)
}

// A post whose answer was lost (Slack made it; we never heard) is found
// again on the retry by its metadata, recorded, and not posted twice.
func TestLostAnswerIsFoundNotReposted(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	r.slack.LoseAnswers("chat.postMessage", 1)
	_, err := r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 1))
	require.Error(t, err)
	_, err = r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 2))
	require.NoError(t, err)
	msgs := r.slack.Messages(triage)
	require.Len(t, msgs, 1, "posted once")
	v, _ := r.flags.Flag(ctx, "slack:post:T-1")
	require.Equal(t, triage+" "+msgs[0].TS, v)
}

// A post whose answer was lost is found however many posts landed in the
// channel before the retry (a backlog sent after an outage), by paging
// the history back to the ticket's creation, and no further.
func TestLostAnswerIsFoundBehindABacklog(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	created := time.Now().Add(-time.Second) // slacktest stamps messages by the wall clock, as Slack does
	lost := ticket("T-1", "dana")
	lost.CreatedAt = created
	r.desk.tickets["T-1"] = lost
	r.slack.LoseAnswers("chat.postMessage", 1)
	_, err := r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 1))
	require.Error(t, err)
	for i := 2; i <= 501; i++ {
		id := fmt.Sprintf("T-%d", i)
		r.desk.tickets[id] = ticket(id, "lee")
		_, err := r.app.Send(ctx, outbound(ownership.PurposeTriage, id, 1))
		require.NoError(t, err)
	}

	_, err = r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 2))
	require.NoError(t, err)
	var posts []string // the ts of T-1's posts
	for _, m := range r.slack.Messages(triage) {
		if strings.Contains(string(m.Metadata), `"T-1"`) {
			posts = append(posts, m.TS)
		}
	}
	require.Len(t, posts, 1, "T-1 is posted once")
	v, _ := r.flags.Flag(ctx, "slack:post:T-1")
	require.Equal(t, triage+" "+posts[0], v)
	pages := r.slack.Posted("conversations.history")
	require.Len(t, pages, 3, "501 posts in pages of 200")
	for _, c := range pages {
		require.Equal(t, fmt.Sprintf("%d.%06d", created.Unix()-600, created.Nanosecond()/1000), c.Params.Get("oldest"), "read back to the ticket's creation less the skew, no further")
	}
}

// A 429 holds every send, of every purpose, until Retry-After has passed,
// without calling Slack meanwhile; then sending resumes.
func TestRateLimitHoldsEverySend(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	r.slack.RateLimit("chat.postMessage", 1, 30)

	_, err := r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 1))
	var ra *channels.RetryAfterError
	require.ErrorAs(t, err, &ra)
	require.Equal(t, 30*time.Second, ra.After)
	calls := len(r.slack.Calls())

	r.now = r.now.Add(10 * time.Second)
	_, err = r.app.Send(ctx, channels.Outbound{ID: "n", Kind: channels.Slack, Purpose: "notify", To: uDana, Body: "T-1 is yours"})
	require.ErrorAs(t, err, &ra)
	require.Equal(t, 20*time.Second, ra.After, "the rest of the wait")
	require.Len(t, r.slack.Calls(), calls, "Slack is not called while we wait")
	require.False(t, channels.IsPermanent(err))

	r.now = r.now.Add(21 * time.Second)
	_, err = r.app.Send(ctx, outbound(ownership.PurposeTriage, "T-1", 2))
	require.NoError(t, err)
	_, err = r.app.Send(ctx, channels.Outbound{ID: "n", Kind: channels.Slack, Purpose: "notify", To: uDana, Body: "T-1 is yours"})
	require.NoError(t, err)
	require.Len(t, r.slack.Messages(slacktest.DMChannel(uDana)), 1)
	require.Equal(t, 1, r.slack.Limited())
}

// Reactions are sent as queued (an existing one is no error); errors
// that retrying cannot fix are permanent.
func TestReactionsAndPermanentErrors(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	react := channels.Outbound{ID: "r", TicketID: "T-1", Kind: channels.Slack, Purpose: ownership.PurposeReact, To: triage,
		Headers: map[string]string{"ts": "1.5", "name": "memo"}}
	for i := 0; i < 2; i++ {
		_, err := r.app.Send(ctx, react)
		require.NoError(t, err)
	}
	require.Equal(t, []slacktest.Reaction{{Channel: triage, TS: "1.5", Name: "memo"}}, r.slack.Reactions())

	r.slack.Fail("chat.postMessage", "channel_not_found", 1)
	_, err := r.app.Send(ctx, channels.Outbound{ID: "a", Kind: channels.Slack, Purpose: "alert", To: "C0GONE", Body: "breach"})
	require.True(t, channels.IsPermanent(err), "%v", err)
	r.slack.Fail("chat.postMessage", "internal_error", 1)
	_, err = r.app.Send(ctx, channels.Outbound{ID: "a", Kind: channels.Slack, Purpose: "alert", To: "C0ALERTS", Body: "breach"})
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err))
	require.False(t, errors.Is(err, context.Canceled))
}
