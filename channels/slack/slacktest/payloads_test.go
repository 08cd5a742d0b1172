package slacktest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/slack/slacktest"
)

// interaction parses an interaction form as slack-go does.
func interaction(t *testing.T, form url.Values) slack.InteractionCallback {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://x/slack/interactions", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cb, err := slack.InteractionCallbackParse(req)
	require.NoError(t, err)
	return cb
}

func TestEventCallbackParses(t *testing.T) {
	for _, tc := range []struct{ channel, typ, thread string }{
		{"C0TRIAGE", "channel", "1800000000.000100"},
		{"D0CUST", "im", ""},
		{"G0PRIV", "group", ""},
	} {
		body := slacktest.EventCallback("Ev1", slacktest.MessageEvent(tc.channel, "U01DANA", "hello <@U0BOT>", "1800000001.000200", tc.thread))
		outer, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		require.NoError(t, err)
		require.Equal(t, slackevents.CallbackEvent, outer.Type)
		require.Equal(t, slacktest.TeamID, outer.TeamID)
		cb := outer.Data.(*slackevents.EventsAPICallbackEvent)
		require.Equal(t, "Ev1", cb.EventID)
		require.Equal(t, 1800000001, cb.EventTime)
		ev := outer.InnerEvent.Data.(*slackevents.MessageEvent)
		require.Equal(t, tc.channel, ev.Channel)
		require.Equal(t, tc.typ, ev.ChannelType)
		require.Equal(t, "U01DANA", ev.User)
		require.Equal(t, "hello <@U0BOT>", ev.Text)
		require.Equal(t, "1800000001.000200", ev.TimeStamp)
		require.Equal(t, tc.thread, ev.ThreadTimeStamp)
	}
}

func TestBlockActionParses(t *testing.T) {
	cb := interaction(t, slacktest.BlockAction("U01DANA", "C0TRIAGE", "1700000000.000100", "ticket_ack", "T-1|dana", "trig-1"))
	require.Equal(t, slack.InteractionTypeBlockActions, cb.Type)
	require.Equal(t, "U01DANA", cb.User.ID)
	require.Equal(t, "C0TRIAGE", cb.Channel.ID)
	require.Equal(t, slacktest.TeamID, cb.Team.ID)
	require.Equal(t, "trig-1", cb.TriggerID)
	require.Equal(t, "1700000000.000100", cb.Message.Timestamp)
	require.Equal(t, "1700000000.000100", cb.Container.MessageTs)
	require.Equal(t, "C0TRIAGE", cb.Container.ChannelID)
	require.NotEmpty(t, cb.ResponseURL)
	require.Len(t, cb.ActionCallback.BlockActions, 1)
	act := cb.ActionCallback.BlockActions[0]
	require.Equal(t, "ticket_ack", act.ActionID)
	require.Equal(t, "T-1|dana", act.Value)
	require.Equal(t, slack.ActionType("button"), act.Type)
	require.NotEmpty(t, act.BlockID)
}

func TestMessageShortcutParses(t *testing.T) {
	cb := interaction(t, slacktest.MessageShortcut("send_to_customer", "U01LEE", "C0TRIAGE", "1800000004.000100",
		"1700000000.000100", "Technician arrives at 3pm", "trig-2"))
	require.Equal(t, slack.InteractionTypeMessageAction, cb.Type)
	require.Equal(t, "send_to_customer", cb.CallbackID)
	require.Equal(t, "U01LEE", cb.User.ID)
	require.Equal(t, "C0TRIAGE", cb.Channel.ID)
	require.Equal(t, "1800000004.000100", cb.MessageTs)
	require.Equal(t, "1800000004.000100", cb.Message.Timestamp)
	require.Equal(t, "1700000000.000100", cb.Message.ThreadTimestamp)
	require.Equal(t, "Technician arrives at 3pm", cb.Message.Text)
	require.Equal(t, "trig-2", cb.TriggerID)
}

func TestViewSubmissionParses(t *testing.T) {
	values := map[string]map[string]string{"reply": {"text": "Sent from the modal"}}
	form := slacktest.ViewSubmission("U01DANA", "ticket_reply", "T-1", values)
	cb := interaction(t, form)
	require.Equal(t, slack.InteractionTypeViewSubmission, cb.Type)
	require.Equal(t, "U01DANA", cb.User.ID)
	require.Equal(t, "ticket_reply", cb.View.CallbackID)
	require.Equal(t, "T-1", cb.View.PrivateMetadata)
	require.NotEmpty(t, cb.View.ID)
	require.Equal(t, "Sent from the modal", cb.View.State.Values["reply"]["text"].Value)
	require.Len(t, cb.View.Blocks.BlockSet, 1)
	require.Equal(t, cb.View.ID, interaction(t, slacktest.ViewSubmission("U01DANA", "ticket_reply", "T-1", values)).View.ID,
		"the same submission twice is one view")
	other := map[string]map[string]string{"reply": {"text": "Something else"}}
	require.NotEqual(t, cb.View.ID, interaction(t, slacktest.ViewSubmission("U01DANA", "ticket_reply", "T-1", other)).View.ID)
}

func TestSlashCommandParses(t *testing.T) {
	form := slacktest.SlashCommand("U01DANA", "C0TRIAGE", "ack T-1", "trig-3")
	req, err := http.NewRequest(http.MethodPost, "http://x/slack/commands", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sc, err := slack.SlashCommandParse(req)
	require.NoError(t, err)
	require.Equal(t, "/ticket", sc.Command)
	require.Equal(t, "ack T-1", sc.Text)
	require.Equal(t, "U01DANA", sc.UserID)
	require.Equal(t, "C0TRIAGE", sc.ChannelID)
	require.Equal(t, slacktest.TeamID, sc.TeamID)
	require.Equal(t, "trig-3", sc.TriggerID)
	require.NotEmpty(t, sc.ResponseURL)

	// Socket Mode carries the same fields as a JSON object.
	flat := map[string]string{}
	for k := range form {
		flat[k] = form.Get(k)
	}
	raw, err := json.Marshal(flat)
	require.NoError(t, err)
	var viaSocket slack.SlashCommand
	require.NoError(t, json.Unmarshal(raw, &viaSocket))
	sc.IsEnterpriseInstall = viaSocket.IsEnterpriseInstall
	require.Equal(t, sc, viaSocket)
}
