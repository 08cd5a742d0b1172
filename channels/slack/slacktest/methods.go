package slacktest

// The Web API methods, answered as Slack documents them. Each handler runs
// with s.mu held, on parameters already authenticated.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

type method struct {
	token tokenKind
	run   func(*Server, url.Values) answer
}

var methods = map[string]method{
	"auth.test":             {botToken, (*Server).authTest},
	"chat.postMessage":      {botToken, (*Server).postMessage},
	"chat.update":           {botToken, (*Server).update},
	"chat.postEphemeral":    {botToken, (*Server).postEphemeral},
	"conversations.open":    {botToken, (*Server).openConversation},
	"conversations.history": {botToken, (*Server).history},
	"users.info":            {botToken, (*Server).userInfo},
	"reactions.add":         {botToken, (*Server).addReaction},
	"views.open":            {botToken, (*Server).openView},
	"apps.connections.open": {appToken, (*Server).openConnection},
}

const maxMessageText = 40000

func (s *Server) authTest(url.Values) answer {
	return answer{"ok": true, "url": "https://" + TeamDomain + ".slack.com/", "team": "Test", "user": "intake",
		"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false}
}

// postMessage posts to a channel, a thread (thread_ts) or, given a user id
// as channel, the bot's DM with that user (as Slack does).
func (s *Server) postMessage(p url.Values) answer {
	ch := p.Get("channel")
	if ch == "" {
		return failed("channel_not_found")
	}
	if isUser(ch) {
		ch = DMChannel(ch)
	}
	if a := checkContent(p); a != nil {
		return a
	}
	m := &Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: p.Get("thread_ts"), User: BotUserID, Text: p.Get("text"),
		Blocks: rawOrNil(p.Get("blocks")), Metadata: rawOrNil(p.Get("metadata"))}
	s.msgs = append(s.msgs, m)
	return answer{"ok": true, "channel": ch, "ts": m.TS, "message": messageJSON(m, true)}
}

// update replaces a message's text, blocks and metadata, each only when
// given (Slack keeps the others).
func (s *Server) update(p url.Values) answer {
	ch := p.Get("channel")
	if isUser(ch) {
		ch = DMChannel(ch)
	}
	i := s.findLocked(ch, p.Get("ts"))
	if i < 0 {
		return failed("message_not_found")
	}
	if a := checkContent(p); a != nil {
		return a
	}
	m := s.msgs[i]
	m.Revisions = append(m.Revisions, Revision{Text: m.Text, Blocks: m.Blocks, At: time.Now()})
	m.Updates++
	if p.Has("text") {
		m.Text = p.Get("text")
	}
	if p.Has("blocks") {
		m.Blocks = rawOrNil(p.Get("blocks"))
	}
	if p.Has("metadata") {
		m.Metadata = rawOrNil(p.Get("metadata"))
	}
	return answer{"ok": true, "channel": ch, "ts": m.TS, "text": m.Text, "message": messageJSON(m, true)}
}

func (s *Server) postEphemeral(p url.Values) answer {
	switch {
	case p.Get("channel") == "":
		return failed("channel_not_found")
	case p.Get("user") == "":
		return failed("user_not_found")
	}
	if a := checkContent(p); a != nil {
		return a
	}
	return answer{"ok": true, "message_ts": s.nextTSLocked()}
}

// openConversation opens the DM with one user (DMChannel) or a group DM
// with several.
func (s *Server) openConversation(p url.Values) answer {
	if ch := p.Get("channel"); ch != "" {
		return answer{"ok": true, "no_op": true, "already_open": true, "channel": answer{"id": ch}}
	}
	var users []string
	for u := range strings.SplitSeq(p.Get("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	switch {
	case len(users) == 0:
		return failed("users_list_not_supplied")
	case len(users) > 8:
		return failed("too_many_users")
	}
	ch := answer{"id": "G" + strings.Join(users, ""), "is_mpim": true}
	if len(users) == 1 {
		ch = answer{"id": DMChannel(users[0]), "is_im": true, "user": users[0]}
	}
	id := ch["id"].(string)
	open := s.dms[id]
	s.dms[id] = true
	return answer{"ok": true, "no_op": open, "already_open": open, "channel": ch}
}

func (s *Server) userInfo(p url.Values) answer {
	id := p.Get("user")
	u, ok := s.users[id]
	if !ok {
		return failed("user_not_found")
	}
	return answer{"ok": true, "user": u.json(id)}
}

func (s *Server) addReaction(p url.Values) answer {
	r := Reaction{Channel: p.Get("channel"), TS: p.Get("timestamp"), Name: strings.Trim(p.Get("name"), ":")}
	switch {
	case r.Name == "":
		return failed("invalid_name")
	case r.Channel == "" || r.TS == "":
		return failed("no_item_specified")
	}
	for _, have := range s.reactions {
		if have == r {
			return failed("already_reacted")
		}
	}
	s.reactions = append(s.reactions, r)
	return answer{"ok": true}
}

// openView opens a modal; the answer is the view as Slack completes it
// (id, hash, empty state). Trigger ids are not checked for age or reuse.
func (s *Server) openView(p url.Values) answer {
	if p.Get("trigger_id") == "" {
		return failed("invalid_trigger_id")
	}
	var view map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p.Get("view")), &view); err != nil {
		return invalidArguments([]string{"must provide an object [json-pointer:/view]"})
	}
	if errs := checkView(p.Get("view")); len(errs) > 0 {
		return invalidArguments(errs)
	}
	s.views++
	id := fmt.Sprintf("V%09d", s.views)
	out := answer{}
	for k, v := range view {
		out[k] = v
	}
	for k, v := range (answer{"id": id, "team_id": TeamID, "app_id": AppID, "bot_id": BotID, "app_installed_team_id": TeamID,
		"root_view_id": id, "previous_view_id": nil, "hash": fmt.Sprintf("1700000000.%08d", s.views),
		"state": answer{"values": answer{}}}) {
		out[k] = v
	}
	return answer{"ok": true, "view": out}
}

// checkView returns Slack's complaints about a modal view's JSON.
func checkView(raw string) []string {
	var v slack.ModalViewRequest
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return []string{fmt.Sprintf("invalid view: %v [json-pointer:/view]", err)}
	}
	var errs []string
	long := func(s string, limit int, at string) {
		if utf8.RuneCountInString(s) > limit {
			errs = append(errs, fmt.Sprintf("must be less than %d characters [json-pointer:/view/%s]", limit+1, at))
		}
	}
	if v.Type != slack.VTModal {
		errs = append(errs, `must be "modal" [json-pointer:/view/type]`)
	}
	if v.Title == nil {
		errs = append(errs, "must provide a title [json-pointer:/view/title]")
	} else {
		long(v.Title.Text, 24, "title/text")
	}
	if v.Submit != nil {
		long(v.Submit.Text, 24, "submit/text")
	}
	if v.Close != nil {
		long(v.Close.Text, 24, "close/text")
	}
	long(v.PrivateMetadata, 3000, "private_metadata")
	long(v.CallbackID, maxID, "callback_id")
	var blocks struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal([]byte(raw), &blocks)
	if len(blocks.Blocks) == 0 {
		return append(errs, "must provide blocks [json-pointer:/view/blocks]")
	}
	return append(errs, checkBlocks(string(blocks.Blocks), "/view/blocks", maxViewBlocks)...)
}

func invalidArguments(errs []string) answer {
	return answer{"ok": false, "error": "invalid_arguments", "response_metadata": answer{"messages": errs}}
}

// checkContent returns Slack's error for a message's text, blocks and
// metadata, nil when it would take them.
func checkContent(p url.Values) answer {
	text, blocks := p.Get("text"), p.Get("blocks")
	if text == "" && blocks == "" && p.Get("attachments") == "" {
		return failed("no_text")
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return failed("msg_too_long")
	}
	if blocks != "" {
		if errs := checkBlocks(blocks, "/blocks", maxMessageBlocks); len(errs) > 0 {
			return answer{"ok": false, "error": "invalid_blocks", "errors": errs, "response_metadata": answer{"messages": errs}}
		}
	}
	if md := p.Get("metadata"); md != "" {
		var m slack.SlackMetadata
		if json.Unmarshal([]byte(md), &m) != nil || m.EventType == "" {
			return failed("invalid_metadata_format")
		}
	}
	return nil
}

// nextTSLocked hands out the next message timestamp as Slack does: the
// wall clock in "seconds.micros", unique and rising (a microsecond past
// the last one when the clock has not moved), so a client may bound a
// history read by the time it posted.
func (s *Server) nextTSLocked() string {
	micros := max(time.Now().UnixMicro(), s.lastTS+1)
	s.lastTS = micros
	return fmt.Sprintf("%d.%06d", micros/1000000, micros%1000000)
}

// findLocked returns the index of the message ts in channel, or -1.
func (s *Server) findLocked(channel, ts string) int {
	for i, m := range s.msgs {
		if m.Channel == channel && m.TS == ts {
			return i
		}
	}
	return -1
}

// messageJSON is m as the Web API shows a message the bot posted.
func messageJSON(m *Message, withMetadata bool) answer {
	out := answer{"type": "message", "user": m.User, "bot_id": BotID, "app_id": AppID, "team": TeamID, "text": m.Text, "ts": m.TS}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	if m.Updates > 0 {
		at := m.Revisions[len(m.Revisions)-1].At
		out["edited"] = answer{"user": m.User, "ts": fmt.Sprintf("%d.%06d", at.Unix(), at.Nanosecond()/1000)}
	}
	return out
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// isUser reports whether id is a user id (U…, or W… in Enterprise Grid).
func isUser(id string) bool { return strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") }

// user is one workspace member users.info knows.
type user struct {
	name, email string
	bot         bool
}

func (u user) json(id string) answer {
	handle := strings.ToLower(strings.Join(strings.Fields(u.name), "."))
	profile := answer{"real_name": u.name, "real_name_normalized": u.name, "display_name": u.name,
		"display_name_normalized": u.name, "team": TeamID}
	if u.email != "" {
		profile["email"] = u.email
	}
	if u.bot {
		profile["bot_id"] = BotID
	}
	return answer{"id": id, "team_id": TeamID, "name": handle, "real_name": u.name, "deleted": false, "is_bot": u.bot,
		"is_admin": false, "tz": "UTC", "profile": profile}
}
