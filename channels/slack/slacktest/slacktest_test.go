package slacktest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/slack/slacktest"
)

func newAPI(t *testing.T, opts ...slacktest.Option) (*slacktest.Server, *slack.Client) {
	t.Helper()
	srv := slacktest.New(t, opts...)
	return srv, slack.New(slacktest.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))
}

// slackError is the error code of a {"ok":false} answer as slack-go
// reports it.
func slackError(t *testing.T, err error) string {
	t.Helper()
	var se slack.SlackErrorResponse
	require.ErrorAs(t, err, &se)
	return se.Err
}

func TestAuthTest(t *testing.T) {
	_, api := newAPI(t)
	res, err := api.AuthTestContext(t.Context())
	require.NoError(t, err)
	require.Equal(t, slacktest.BotUserID, res.UserID)
	require.Equal(t, slacktest.BotID, res.BotID)
	require.Equal(t, slacktest.TeamID, res.TeamID)
	require.Equal(t, "intake", res.User)
}

func TestTokens(t *testing.T) {
	srv := slacktest.New(t)
	for token, want := range map[string]string{"": "not_authed", slacktest.AppToken: "not_allowed_token_type", "xoxb-other": "invalid_auth"} {
		_, err := slack.New(token, slack.OptionAPIURL(srv.APIURL())).AuthTestContext(t.Context())
		require.Equal(t, want, slackError(t, err), "auth.test with %q", token)
	}
	_, _, err := slack.New(slacktest.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(slacktest.BotToken)).
		StartSocketModeContext(t.Context())
	require.Equal(t, "not_allowed_token_type", slackError(t, err), "apps.connections.open takes the app token")
	for _, c := range srv.Calls() {
		require.NotEmpty(t, c.Error, "%s refused", c.Method)
	}
	require.Empty(t, srv.Posted("auth.test"))
}

func TestUnknownMethod(t *testing.T) {
	srv := slacktest.New(t)
	resp, err := http.PostForm(srv.APIURL()+"chat.teleport", url.Values{"token": {slacktest.BotToken}})
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, map[string]any{"ok": false, "error": "unknown_method"}, body)
}

func card(text string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		slack.NewActionBlock("ticket_actions", slack.NewButtonBlockElement("ticket_ack", "T-1|dana",
			slack.NewTextBlockObject(slack.PlainTextType, "Ack", false, false))),
	}
}

func TestPostUpdateEphemeral(t *testing.T) {
	srv, api := newAPI(t)
	ctx := t.Context()
	meta := slack.SlackMetadata{EventType: "intake_ticket", EventPayload: map[string]any{"ticket": "T-1"}}
	ch, ts, err := api.PostMessageContext(ctx, "C0TRIAGE", slack.MsgOptionText("T-1 opened", false),
		slack.MsgOptionBlocks(card("*T-1* printer on fire")...), slack.MsgOptionMetadata(meta))
	require.NoError(t, err)
	require.Equal(t, "C0TRIAGE", ch)
	require.Regexp(t, `^\d{10}\.\d{6}$`, ts, "seconds.micros")
	_, reply, err := api.PostMessageContext(ctx, "C0TRIAGE", slack.MsgOptionText("on it", false), slack.MsgOptionTS(ts))
	require.NoError(t, err)
	require.Greater(t, reply, ts)

	_, _, _, err = api.UpdateMessageContext(ctx, "C0TRIAGE", ts, slack.MsgOptionText("T-1 acked", false),
		slack.MsgOptionBlocks(card("*T-1* acked")...))
	require.NoError(t, err)
	_, _, _, err = api.UpdateMessageContext(ctx, "C0TRIAGE", "1700000000.999900", slack.MsgOptionText("x", false))
	require.Equal(t, "message_not_found", slackError(t, err))
	_, _, _, err = api.UpdateMessageContext(ctx, "C0OTHER", ts, slack.MsgOptionText("x", false))
	require.Equal(t, "message_not_found", slackError(t, err), "the ts is in another channel")

	msgs := srv.Messages("C0TRIAGE")
	require.Len(t, msgs, 2)
	post := msgs[0]
	require.Equal(t, "T-1 acked", post.Text)
	require.Equal(t, 1, post.Updates)
	require.Len(t, post.Revisions, 1)
	require.Equal(t, "T-1 opened", post.Revisions[0].Text)
	require.Contains(t, string(post.Revisions[0].Blocks), "printer on fire")
	var blocks slack.Blocks
	require.NoError(t, json.Unmarshal(post.Blocks, &blocks))
	require.Len(t, blocks.BlockSet, 2)
	require.Equal(t, "*T-1* acked", blocks.BlockSet[0].(*slack.SectionBlock).Text.Text)
	require.JSONEq(t, `{"event_type":"intake_ticket","event_payload":{"ticket":"T-1"}}`, string(post.Metadata), "kept by the update")
	require.Equal(t, slacktest.BotUserID, post.User)
	require.Equal(t, ts, msgs[1].ThreadTS)

	ets, err := api.PostEphemeralContext(ctx, "C0TRIAGE", "U01DANA", slack.MsgOptionText("Only reps can do that.", false))
	require.NoError(t, err)
	require.NotEmpty(t, ets)
	eph := srv.Ephemerals()
	require.Len(t, eph, 1)
	require.Equal(t, "U01DANA", eph[0].Params.Get("user"))
	require.Equal(t, "Only reps can do that.", eph[0].Params.Get("text"))
	require.Empty(t, eph[0].Params.Get("token"), "the token is kept apart")
	require.Equal(t, slacktest.BotToken, eph[0].Token)
	require.Len(t, srv.Messages("C0TRIAGE"), 2, "an ephemeral is not a message of the channel")
}

func TestPostChecksContent(t *testing.T) {
	_, api := newAPI(t)
	_, _, err := api.PostMessageContext(t.Context(), "C0TRIAGE")
	require.Equal(t, "no_text", slackError(t, err))
	_, _, err = api.PostMessageContext(t.Context(), "C0TRIAGE", slack.MsgOptionBlocks(card(strings.Repeat("é", 3000))...))
	require.NoError(t, err, "3000 characters fit a section")
	_, _, err = api.PostMessageContext(t.Context(), "C0TRIAGE", slack.MsgOptionBlocks(card(strings.Repeat("x", 3001))...))
	require.Equal(t, "invalid_blocks", slackError(t, err))
	var se slack.SlackErrorResponse
	require.ErrorAs(t, err, &se)
	require.Equal(t, []string{"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"}, se.ResponseMetadata.Messages)
	dup := append(card("a"), card("b")...)
	_, _, err = api.PostMessageContext(t.Context(), "C0TRIAGE", slack.MsgOptionBlocks(dup...))
	require.Equal(t, "invalid_blocks", slackError(t, err), "block_ids are unique in a message")
}

func TestDirectMessages(t *testing.T) {
	srv, api := newAPI(t)
	ch, _, err := api.PostMessageContext(t.Context(), "U01DANA", slack.MsgOptionText("T-1 is yours", false))
	require.NoError(t, err)
	require.Equal(t, slacktest.DMChannel("U01DANA"), ch, "posted to a user id, it lands in the DM")
	opened, noOp, already, err := api.OpenConversationContext(t.Context(), &slack.OpenConversationParameters{Users: []string{"U01DANA"}})
	require.NoError(t, err)
	require.Equal(t, ch, opened.ID)
	require.False(t, noOp || already)
	_, _, already, err = api.OpenConversationContext(t.Context(), &slack.OpenConversationParameters{Users: []string{"U01DANA"}})
	require.NoError(t, err)
	require.True(t, already)
	_, _, err = api.PostMessageContext(t.Context(), opened.ID, slack.MsgOptionText("still yours", false))
	require.NoError(t, err)
	require.Len(t, srv.Messages(slacktest.DMChannel("U01DANA")), 2)
}

func TestUsersInfo(t *testing.T) {
	srv, api := newAPI(t)
	srv.AddUser("U0CUSTOMER", "Pat Doe", "Pat@AcmeDental.example")
	u, err := api.GetUserInfoContext(t.Context(), "U0CUSTOMER")
	require.NoError(t, err)
	require.Equal(t, "Pat Doe", u.Profile.RealName)
	require.Equal(t, "Pat Doe", u.RealName)
	require.Equal(t, "Pat@AcmeDental.example", u.Profile.Email)
	require.Equal(t, "pat.doe", u.Name)
	require.False(t, u.IsBot)
	bot, err := api.GetUserInfoContext(t.Context(), slacktest.BotUserID)
	require.NoError(t, err)
	require.True(t, bot.IsBot)
	_, err = api.GetUserInfoContext(t.Context(), "U0NOBODY")
	require.Equal(t, "user_not_found", slackError(t, err))
}

func TestReactions(t *testing.T) {
	srv, api := newAPI(t)
	ref := slack.NewRefToMessage("C0TRIAGE", "1800000001.000100")
	require.NoError(t, api.AddReactionContext(t.Context(), "incoming_envelope", ref))
	require.Equal(t, "already_reacted", slackError(t, api.AddReactionContext(t.Context(), "incoming_envelope", ref)))
	require.NoError(t, api.AddReactionContext(t.Context(), "memo", ref))
	require.Equal(t, []slacktest.Reaction{{Channel: "C0TRIAGE", TS: "1800000001.000100", Name: "incoming_envelope"},
		{Channel: "C0TRIAGE", TS: "1800000001.000100", Name: "memo"}}, srv.Reactions())
}

func modal(title, metadata string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Reply", false, false), "text")
	return slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "ticket_reply", PrivateMetadata: metadata,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("reply", slack.NewTextBlockObject(slack.PlainTextType, "Reply", false, false), nil, input)}}}
}

func TestOpenView(t *testing.T) {
	srv, api := newAPI(t)
	res, err := api.OpenViewContext(t.Context(), "trig-1", modal("Reply on T-1", "T-1"))
	require.NoError(t, err)
	require.NotEmpty(t, res.ID)
	require.Equal(t, "T-1", res.PrivateMetadata)
	require.Equal(t, "ticket_reply", res.CallbackID)
	require.NotNil(t, res.State)
	again, err := api.OpenViewContext(t.Context(), "trig-2", modal("Reply on T-1", "T-1"))
	require.NoError(t, err)
	require.NotEqual(t, res.ID, again.ID, "every view has its own id")

	_, err = api.OpenViewContext(t.Context(), "trig-3", modal("Reply on T-1234567890123456", "T-1234567890123456"))
	require.Equal(t, "invalid_arguments", slackError(t, err), "titles take 24 characters")

	views := srv.Views()
	require.Len(t, views, 2)
	require.Equal(t, "trig-1", views[0].Params.Get("trigger_id"))
	require.Contains(t, views[0].Params.Get("view"), `"private_metadata":"T-1"`, "the view's JSON as sent")
}

func TestHistory(t *testing.T) {
	_, api := newAPI(t)
	ctx := t.Context()
	var posts []string
	for i, id := range []string{"T-1", "T-2", "T-3"} {
		_, ts, err := api.PostMessageContext(ctx, "C0TRIAGE", slack.MsgOptionText(id, false),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "intake_ticket", EventPayload: map[string]any{"ticket": id}}))
		require.NoError(t, err)
		posts = append(posts, ts)
		if i == 0 {
			_, _, err = api.PostMessageContext(ctx, "C0TRIAGE", slack.MsgOptionText("a reply", false), slack.MsgOptionTS(ts))
			require.NoError(t, err)
		}
	}
	h, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0TRIAGE", IncludeAllMetadata: true})
	require.NoError(t, err)
	require.Len(t, h.Messages, 3, "thread replies are not in the history")
	require.Equal(t, posts[2], h.Messages[0].Timestamp, "newest first")
	require.Equal(t, "T-3", h.Messages[0].Metadata.EventPayload["ticket"])
	require.Equal(t, 1, h.Messages[2].ReplyCount)

	h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0TRIAGE", Limit: 2})
	require.NoError(t, err)
	require.Len(t, h.Messages, 2)
	require.Empty(t, h.Messages[0].Metadata.EventType, "metadata only when asked for")
	require.True(t, h.HasMore)
	h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0TRIAGE", Limit: 2,
		Cursor: h.ResponseMetaData.NextCursor})
	require.NoError(t, err)
	require.Len(t, h.Messages, 1)
	require.Equal(t, posts[0], h.Messages[0].Timestamp)
	require.False(t, h.HasMore)
}

func TestRateLimit(t *testing.T) {
	srv, api := newAPI(t)
	srv.RateLimit("chat.postMessage", 2, 2)
	for range 2 {
		_, _, err := api.PostMessageContext(t.Context(), "C0TRIAGE", slack.MsgOptionText("hello", false))
		var rl *slack.RateLimitedError
		require.ErrorAs(t, err, &rl)
		require.Equal(t, 2*time.Second, rl.RetryAfter)
	}
	_, _, err := api.PostMessageContext(t.Context(), "C0TRIAGE", slack.MsgOptionText("hello", false))
	require.NoError(t, err)
	require.Len(t, srv.Messages("C0TRIAGE"), 1, "refused calls post nothing")
	require.Equal(t, 2, srv.Limited())
	require.Len(t, srv.Posted("chat.postMessage"), 1)
	calls := srv.Calls()
	require.Len(t, calls, 3)
	require.Equal(t, []int{429, 429, 200}, []int{calls[0].Status, calls[1].Status, calls[2].Status})
	require.Equal(t, "ratelimited", calls[0].Error)
	require.Equal(t, "hello", calls[0].Params.Get("text"), "refused calls are recorded with what they carried")
}

func TestFaultsQueue(t *testing.T) {
	srv, api := newAPI(t)
	srv.Fail("chat.postMessage", "channel_not_found", 1)
	srv.LoseAnswers("chat.postMessage", 1)
	_, _, err := api.PostMessageContext(t.Context(), "C0GONE", slack.MsgOptionText("one", false))
	require.Equal(t, "channel_not_found", slackError(t, err))
	require.Empty(t, srv.Messages("C0GONE"))

	_, _, err = api.PostMessageContext(t.Context(), "C0GONE", slack.MsgOptionText("two", false))
	var sc slack.StatusCodeError
	require.ErrorAs(t, err, &sc)
	require.Equal(t, http.StatusInternalServerError, sc.Code)
	require.Len(t, srv.Messages("C0GONE"), 1, "a lost answer's post took effect")

	_, _, err = api.PostMessageContext(t.Context(), "C0GONE", slack.MsgOptionText("three", false))
	require.NoError(t, err)
	require.NoError(t, api.AddReactionContext(t.Context(), "x", slack.NewRefToMessage("C0GONE", "1.2")), "other methods are untouched")
	require.Len(t, srv.Posted("chat.postMessage"), 2)
}

func TestWaitFor(t *testing.T) {
	srv, api := newAPI(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		for range 2 {
			_, _, _ = api.PostMessageContext(context.Background(), "C0TRIAGE", slack.MsgOptionText("late", false))
		}
	}()
	calls := srv.WaitFor(t, "chat.postMessage", 2, 5*time.Second)
	require.Len(t, calls, 2)
	require.Equal(t, "late", calls[1].Params.Get("text"))
}

func TestTimestampsAreUniqueAndRising(t *testing.T) {
	srv, api := newAPI(t)
	start := time.Now().Unix()
	prev := ""
	for range 120 {
		_, ts, err := api.PostMessageContext(t.Context(), "C0TRIAGE", slack.MsgOptionText("x", false))
		require.NoError(t, err)
		require.Greater(t, ts, prev)
		prev = ts
	}
	secs, _, _ := strings.Cut(prev, ".")
	require.GreaterOrEqual(t, secs, strconv.FormatInt(start, 10), "stamped by the wall clock, as Slack does")
	require.Len(t, srv.Messages("C0TRIAGE"), 120)
}

func TestURLs(t *testing.T) {
	srv := slacktest.New(t)
	require.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), srv.URL())
	require.Equal(t, srv.URL()+"/api/", srv.APIURL())
}
