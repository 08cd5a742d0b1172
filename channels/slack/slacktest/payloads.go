package slacktest

// Builders of what Slack sends the app, shaped after Slack's documented
// payloads (and parsed by slack-go's InteractionCallback, SlashCommand and
// slackevents in this package's tests). Interaction and command bodies
// are forms, as Slack posts them; their response_url is on a domain that
// never resolves, so an adapter that posts to it in a test fails loudly.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const responseURL = "https://hooks.slack.invalid/actions/" + TeamID + "/1/response"

// EventCallback is an Events API request body carrying event: the
// event_callback envelope with team, app, event_id and the bot's
// authorization. event_time is taken from the event's event_ts (or ts),
// else the current time.
func EventCallback(eventID string, event map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"token": VerificationToken, "team_id": TeamID, "context_team_id": TeamID, "api_app_id": AppID,
		"event": event, "type": "event_callback", "event_id": eventID, "event_time": eventTime(event),
		"authorizations": []any{map[string]any{"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false, "event_context": "4-" + eventID,
	})
	if err != nil {
		panic(fmt.Sprintf("slacktest: EventCallback: %v", err)) // only an unmarshallable event gets here
	}
	return b
}

func eventTime(event map[string]any) int64 {
	for _, k := range []string{"event_ts", "ts"} {
		if ts, ok := event[k].(string); ok {
			sec, _, _ := strings.Cut(ts, ".")
			if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
				return n
			}
		}
	}
	return time.Now().Unix()
}

// MessageEvent is a person's message event: channel_type is "im" for a
// D… channel, "group" for G… and "channel" otherwise; threadTS "" for a
// top-level message. The text is also given as a rich_text block, as
// Slack's clients send it.
func MessageEvent(channel, user, text, ts, threadTS string) map[string]any {
	typ := "channel"
	switch {
	case strings.HasPrefix(channel, "D"):
		typ = "im"
	case strings.HasPrefix(channel, "G"):
		typ = "group"
	}
	ev := map[string]any{"type": "message", "channel": channel, "channel_type": typ, "user": user, "text": text,
		"ts": ts, "event_ts": ts, "team": TeamID, "client_msg_id": uuidOf(channel, ts),
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": uuidOf(ts)[:5], "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": text}}}}}}}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return ev
}

// BlockAction is the interaction form Slack posts when user presses the
// button actionID (carrying value, in block "actions") on the bot's
// message messageTS in channel.
func BlockAction(user, channel, messageTS, actionID, value, triggerID string) url.Values {
	return form(map[string]any{
		"type": "block_actions", "token": VerificationToken, "api_app_id": AppID, "trigger_id": triggerID,
		"team": team(), "user": person(user), "channel": map[string]any{"id": channel, "name": channelName(channel)},
		"is_enterprise_install": false, "enterprise": nil,
		"container": map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel, "is_ephemeral": false},
		"message": map[string]any{"type": "message", "user": BotUserID, "bot_id": BotID, "app_id": AppID, "team": TeamID,
			"ts": messageTS, "text": "", "blocks": []any{}},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": responseURL,
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "actions", "value": value,
			"text": map[string]any{"type": "plain_text", "text": actionID, "emoji": true}, "action_ts": actionTS()}},
	})
}

// MessageShortcut is the interaction form Slack posts when user runs the
// message shortcut callbackID on message messageTS (text, in thread
// threadTS, "" when top-level) in channel. The message's author is user.
func MessageShortcut(callbackID, user, channel, messageTS, threadTS, text, triggerID string) url.Values {
	msg := map[string]any{"type": "message", "user": user, "text": text, "ts": messageTS, "team": TeamID,
		"client_msg_id": uuidOf(channel, messageTS)}
	if threadTS != "" {
		msg["thread_ts"] = threadTS
	}
	return form(map[string]any{
		"type": "message_action", "token": VerificationToken, "action_ts": actionTS(), "callback_id": callbackID,
		"trigger_id": triggerID, "response_url": responseURL, "team": team(), "user": person(user),
		"channel": map[string]any{"id": channel, "name": channelName(channel)}, "is_enterprise_install": false,
		"enterprise": nil, "message_ts": messageTS, "message": msg,
	})
}

// ViewSubmission is the interaction form Slack posts when user submits
// the modal callbackID whose inputs hold values (block id → action id →
// text, each a plain_text_input). The view's id is derived from the
// arguments, so the same submission posted twice is a redelivery of one
// view; it is not the id views.open answered.
func ViewSubmission(user, callbackID, privateMetadata string, values map[string]map[string]string) url.Values {
	id := "V" + strings.ToUpper(uuidOf(user, callbackID, privateMetadata, fmt.Sprint(values))[:10])
	state, blocks := map[string]any{}, []any{}
	for _, b := range slices.Sorted(maps.Keys(values)) {
		actions := map[string]any{}
		for _, a := range slices.Sorted(maps.Keys(values[b])) {
			actions[a] = map[string]any{"type": "plain_text_input", "value": values[b][a]}
			blocks = append(blocks, map[string]any{"type": "input", "block_id": b,
				"label":   map[string]any{"type": "plain_text", "text": b},
				"element": map[string]any{"type": "plain_text_input", "action_id": a}})
		}
		state[b] = actions
	}
	return form(map[string]any{
		"type": "view_submission", "token": VerificationToken, "api_app_id": AppID, "trigger_id": "1700000000.1." + strings.ReplaceAll(uuidOf(id), "-", ""),
		"team": team(), "user": person(user), "is_enterprise_install": false, "enterprise": nil, "response_urls": []any{},
		"view": map[string]any{"id": id, "team_id": TeamID, "type": "modal", "callback_id": callbackID,
			"private_metadata": privateMetadata, "title": map[string]any{"type": "plain_text", "text": "Modal"},
			"blocks": blocks, "state": map[string]any{"values": state}, "hash": "1700000000." + id,
			"root_view_id": id, "previous_view_id": nil, "app_id": AppID, "bot_id": BotID, "app_installed_team_id": TeamID,
			"external_id": "", "clear_on_close": false, "notify_on_close": false},
	})
}

// SlashCommand is the form Slack posts when user runs "/ticket text" in
// channel. Over Socket Mode, SocketSend carries it as a JSON object.
func SlashCommand(user, channel, text, triggerID string) url.Values {
	return url.Values{"token": {VerificationToken}, "team_id": {TeamID}, "team_domain": {TeamDomain},
		"channel_id": {channel}, "channel_name": {channelName(channel)}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/ticket"}, "text": {text}, "api_app_id": {AppID}, "is_enterprise_install": {"false"},
		"response_url": {strings.Replace(responseURL, "/actions/", "/commands/", 1)}, "trigger_id": {triggerID}}
}

func form(payload map[string]any) url.Values {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("slacktest: payload: %v", err))
	}
	return url.Values{"payload": {string(b)}}
}

func team() map[string]any { return map[string]any{"id": TeamID, "domain": TeamDomain} }

func person(id string) map[string]any {
	return map[string]any{"id": id, "username": strings.ToLower(id), "name": strings.ToLower(id), "team_id": TeamID}
}

func channelName(id string) string {
	if strings.HasPrefix(id, "D") {
		return "directmessage"
	}
	return strings.ToLower(id)
}

func actionTS() string {
	now := time.Now()
	return fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
}

// uuidOf is a UUID-shaped id derived from parts, so payloads built twice
// from the same arguments carry the same ids.
func uuidOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}
