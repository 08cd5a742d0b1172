package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Slack users of the test roster.
const (
	slackMaria = "U01MARIA" // manager
	slackDana  = "U01DANA"
	slackLee   = "U01LEE"
	triageChan = "C0TRIAGE"
	customer   = "+15557770101"
)

// slackEnv is a running intake with Twilio (SMS) and Slack pointed at local
// stand-ins.
type slackEnv struct {
	srv    *server
	slack  *slacktest.Server
	twilio *twiliotest.Server
	api    *apiClient
}

// slackRoster is the roster of newSlackEnv: maria (manager), dana and
// lee in helpdesk.
var slackRoster = fmt.Sprintf(`reps:
  - {id: maria, name: Maria Santos, role: manager, phone: "+15551230001", slack_user: %s}
  - {id: dana, name: Dana Whitfield, phone: "+15551230002", slack_user: %s, capacity: 1000}
  - {id: lee, name: Lee Chen, phone: "+15551230003", slack_user: %s, capacity: 1000}
teams:
  - {id: helpdesk, members: [dana, lee], fallback: maria}
`, slackMaria, slackDana, slackLee)

func newSlackEnv(t *testing.T, store string, extra string, before ...func(*slacktest.Server)) *slackEnv {
	return newSlackEnvRoster(t, store, slackRoster, extra, before...)
}

// newSlackEnvRoster is newSlackEnv with roster (the reps, teams and any
// other top-level keys) in place of slackRoster.
func newSlackEnvRoster(t *testing.T, store, roster, extra string, before ...func(*slacktest.Server)) *slackEnv {
	sl := slacktest.New(t)
	for _, f := range before {
		f(sl)
	}
	tw := twiliotest.NewServer()
	t.Cleanup(tw.Close)
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
public_url: %s
%schannels:
%s  slack:
    bot_token: %s
    signing_secret: %s
    channel: %s
    api_url: %s
%s`, publicURL, roster, twilioSection(tw),
		slacktest.BotToken, slacktest.SigningSecret, triageChan, sl.APIURL(), extra)
	path := filepath.Join(t.TempDir(), "intake.yaml")
	require.NoError(t, writeFile(path, cfg))
	srv := startServer(t, serveFlags{config: path, store: store})
	return &slackEnv{srv: srv, slack: sl, twilio: tw, api: newAPIClient(srv.url, "", 4)}
}

// sms delivers a signed text from the customer and returns its ticket id.
func (e *slackEnv) sms(t *testing.T, sid, from, body string) string {
	t.Helper()
	form := smsForm(sid, from, body)
	code, _ := postBody(t, e.srv.url+"/twilio/sms", form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"X-Twilio-Signature": twiliotest.Signature(twiliotest.AuthToken, publicURL+"/twilio/sms", form)})
	require.Equal(t, 200, code)
	tks := listTickets(t, e.api)
	require.NotEmpty(t, tks)
	return tks[0].ID
}

// post sends a request signed with secret at time at to path.
func (e *slackEnv) post(t *testing.T, path, contentType string, body []byte, at time.Time, secret string) (int, string) {
	t.Helper()
	h := map[string]string{"Content-Type": contentType}
	if secret != "" {
		h["X-Slack-Request-Timestamp"], h["X-Slack-Signature"] = slacktest.Sign(secret, at, body)
	}
	return postBody(t, e.srv.url+path, string(body), h)
}

func (e *slackEnv) event(t *testing.T, eventID string, ev map[string]any) (int, string) {
	t.Helper()
	return e.post(t, "/slack/events", "application/json", slacktest.EventCallback(eventID, ev), time.Now(), slacktest.SigningSecret)
}

func (e *slackEnv) interact(t *testing.T, form url.Values) (int, string) {
	t.Helper()
	return e.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()), time.Now(), slacktest.SigningSecret)
}

// command runs /ticket as user and returns the ephemeral answer.
func (e *slackEnv) command(t *testing.T, user, text string) string {
	t.Helper()
	code, body := e.post(t, "/slack/commands", "application/x-www-form-urlencoded",
		[]byte(slacktest.SlashCommand(user, triageChan, text, "trig").Encode()), time.Now(), slacktest.SigningSecret)
	require.Equal(t, 200, code, body)
	var out struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	require.Equal(t, "ephemeral", out.ResponseType)
	return out.Text
}

// triagePost waits for ticket id's triage post and returns its ts.
func (e *slackEnv) triagePost(t *testing.T, id string) slacktest.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range e.slack.Messages(triageChan) {
			if m.ThreadTS == "" && strings.Contains(string(m.Blocks), `"`+id+"|") {
				// Slack has the post before intake has recorded where it
				// is; a thread reply is only possible after that.
				e.settle(t)
				return m
			}
		}
		require.True(t, time.Now().Before(deadline), "no triage post for %s", id)
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *slackEnv) texts(to string) []twiliotest.Sent {
	var out []twiliotest.Sent
	for _, m := range e.twilio.Messages() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// settle waits until the outbox has nothing pending or sending.
func (e *slackEnv) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(180 * time.Second) // a 200-ticket burst under -race on a loaded machine takes a while
	for {
		// Ask per state: the unfiltered list is the newest items only, which
		// may all be done while older ones still wait.
		busy := 0
		for _, state := range []string{ownership.OutboxPending, ownership.OutboxSending} {
			var l struct {
				Items []ownership.OutboxItem `json:"items"`
			}
			_, err := e.api.do(context.Background(), "GET", "/api/v1/outbox?state="+state, nil, &l)
			require.NoError(t, err)
			busy += len(l.Items)
		}
		if busy == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d outbox items still busy", busy)
		time.Sleep(30 * time.Millisecond)
	}
}

// blocks is a message's Block Kit JSON with JSON's HTML escapes undone,
// so assertions see what Slack renders.
func blocks(m slacktest.Message) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
}

func threadMsg(channel, user, text, ts, thread string) map[string]any {
	return slacktest.MessageEvent(channel, user, text, ts, thread)
}

func TestSlackTriageAndThreadReplies(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "")
	id := e.sms(t, "SM1", customer, "Printer on fire <!channel>")

	// Must-show 1: one triage post naming the owner, one DM to the owner.
	post := e.triagePost(t, id)
	tk, _ := fetchTicket(t, e.api, id)
	owner := map[string]string{"dana": slackDana, "lee": slackLee}[tk.Owner]
	require.NotEmpty(t, owner)
	require.Contains(t, blocks(post), "<@"+owner+">")
	require.NotContains(t, blocks(post), "<!channel>", "customer text is escaped")
	require.Contains(t, blocks(post), "&lt;!channel&gt;")
	e.settle(t)
	dms := e.slack.Messages("D" + owner)
	require.Len(t, dms, 1, "one direct message to the owner")
	require.Contains(t, dms[0].Text, id)
	require.Len(t, e.slack.Posted("chat.postMessage"), 2, "the post and the DM, nothing else")

	// Must-show 2 (explicit mode): a plain thread message is a note.
	code, _ := e.event(t, "Ev1", threadMsg(triageChan, slackDana, "Probably the fuser again", "1800000001.000100", post.TS))
	require.Equal(t, 200, code)
	// With the reply prefix: exactly one text to the customer.
	code, _ = e.event(t, "Ev2", threadMsg(triageChan, slackDana, "!reply We are on our way &amp; bringing a spare.", "1800000002.000100", post.TS))
	require.Equal(t, 200, code)
	// A non-rep (a guest in the channel) using the prefix: a note only.
	code, _ = e.event(t, "Ev3", threadMsg(triageChan, "U0GUEST", "!reply hello from a guest", "1800000003.000100", post.TS))
	require.Equal(t, 200, code)
	// The "Send to customer" shortcut on a thread message.
	code, _ = e.interact(t, slacktest.MessageShortcut("send_to_customer", slackLee, triageChan, "1800000004.000100", post.TS, "Technician arrives at 3pm", "trig1"))
	require.Equal(t, 200, code)
	e.settle(t)

	sent := e.texts(customer)
	var bodies []string
	for _, m := range sent {
		bodies = append(bodies, m.Body)
	}
	require.Contains(t, bodies, "We are on our way & bringing a spare.")
	require.Contains(t, bodies, "Technician arrives at 3pm")
	require.Len(t, sent, 3, "the auto-ack and exactly the two explicit replies: %q", bodies)

	_, evs := fetchTicket(t, e.api, id)
	notes := map[string]string{}
	for _, ev := range evs {
		if ev.Type == ownership.EventNote {
			notes[ev.Body] = ev.Actor
		}
	}
	require.Equal(t, "dana", notes["Probably the fuser again"])
	require.Equal(t, "slack:U0GUEST", notes["!reply hello from a guest"])

	reactions := map[string]string{}
	for _, r := range e.slack.Reactions() {
		reactions[r.TS] = r.Name
	}
	require.Equal(t, "memo", reactions["1800000001.000100"])
	require.Equal(t, "outbox_tray", reactions["1800000002.000100"])
	require.Equal(t, "memo", reactions["1800000003.000100"])
	require.Equal(t, "outbox_tray", reactions["1800000004.000100"])

	// The Reply button opens a modal; its submission is sent.
	code, _ = e.interact(t, slacktest.BlockAction(slackDana, triageChan, post.TS, "ticket_reply", id+"|"+tk.Owner, "trig2"))
	require.Equal(t, 200, code)
	require.Len(t, e.slack.Views(), 1)
	require.Contains(t, e.slack.Views()[0].Params.Get("view"), `"private_metadata":"`+id+`"`)
	for i := 0; i < 2; i++ { // a double submit sends once
		code, _ = e.interact(t, slacktest.ViewSubmission(slackDana, "ticket_reply", id, map[string]map[string]string{"reply": {"text": "Sent from the modal"}}))
		require.Equal(t, 200, code)
	}
	e.settle(t)
	require.Len(t, e.texts(customer), 4)
	require.Equal(t, "Sent from the modal", e.texts(customer)[3].Body)

	// The customer's next text is mirrored into the thread.
	e.sms(t, "SM2", customer, "Thanks, the smoke has stopped")
	e.settle(t)
	mirrored := false
	for _, m := range e.slack.Messages(triageChan) {
		if m.ThreadTS == post.TS && strings.Contains(m.Text, "the smoke has stopped") {
			mirrored = true
		}
	}
	require.True(t, mirrored, "customer messages are mirrored into the thread")
}

// Customers may write to the app: a DM opens a ticket (with its post) and
// the answer goes back into the DM.
func TestSlackCustomerDM(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "", func(s *slacktest.Server) {
		s.AddUser("U0CUSTOMER", "Pat Doe", "Pat@AcmeDental.example")
	})
	code, _ := e.event(t, "EvC1", slacktest.MessageEvent("D0CUST", "U0CUSTOMER", "Our Wi-Fi is down", "1800000100.000100", ""))
	require.Equal(t, 200, code)
	tks := listTickets(t, e.api)
	require.Len(t, tks, 1)
	require.Equal(t, "slack", tks[0].Channel)
	require.Equal(t, "U0CUSTOMER", tks[0].Contact.SlackUser)
	require.Equal(t, "Pat Doe", tks[0].Contact.Name, "named from the Slack profile")
	require.Equal(t, "pat@acmedental.example", tks[0].Contact.Email)
	post := e.triagePost(t, tks[0].ID)
	e.event(t, "EvC2", threadMsg(triageChan, slackDana, "!reply Rebooting the access point", "1800000101.000100", post.TS))
	e.settle(t)
	var dm []string
	for _, m := range e.slack.Messages("D0CUST") {
		dm = append(dm, m.Text)
	}
	require.Len(t, dm, 2, "the auto-ack and the reply, in the customer's DM")
	require.Contains(t, dm[0], tks[0].ID)
	require.Equal(t, "Rebooting the access point", dm[1])
	// A rep DMing the app opens nothing.
	e.event(t, "EvC3", slacktest.MessageEvent("D0DANA", slackDana, "hello bot", "1800000102.000100", ""))
	require.Len(t, listTickets(t, e.api), 1)
}

func TestSlackThreadReplyMode(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "    reply_mode: thread\n")
	id := e.sms(t, "SM1", customer, "VPN is down")
	post := e.triagePost(t, id)
	e.event(t, "Ev1", threadMsg(triageChan, slackDana, "Rebooting the firewall now", "1800000001.000100", post.TS))
	e.event(t, "Ev2", threadMsg(triageChan, slackDana, "!note this one is for us only", "1800000002.000100", post.TS))
	e.settle(t)
	var bodies []string
	for _, m := range e.texts(customer) {
		bodies = append(bodies, m.Body)
	}
	require.Contains(t, bodies, "Rebooting the firewall now")
	require.NotContains(t, strings.Join(bodies, "\n"), "for us only")
	require.Len(t, bodies, 2, "auto-ack and the one plain reply")
}

func TestSlackButtonsAndCommands(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "")
	id := e.sms(t, "SM1", customer, "Email bounces")
	post := e.triagePost(t, id)
	tk, _ := fetchTicket(t, e.api, id)
	other := map[string]string{"dana": slackLee, "lee": slackDana}[tk.Owner]
	ownerSlack := map[string]string{"dana": slackDana, "lee": slackLee}[tk.Owner]

	press := func(user, action string) {
		t.Helper()
		tk, _ := fetchTicket(t, e.api, id)
		code, body := e.interact(t, slacktest.BlockAction(user, triageChan, post.TS, action, id+"|"+tk.Owner, "trig"))
		require.Equal(t, 200, code, body)
	}
	press(ownerSlack, "ticket_ack")
	tk, _ = fetchTicket(t, e.api, id)
	require.NotNil(t, tk.AckedAt)
	press(other, "ticket_take")
	tk, _ = fetchTicket(t, e.api, id)
	require.NotEqual(t, map[string]string{slackDana: "dana", slackLee: "lee"}[other], tk.Owner, "a tech cannot take from an owner who is on it")
	require.Len(t, e.slack.Ephemerals(), 1, "and is told why")
	require.Contains(t, e.slack.Ephemerals()[0].Params.Get("text"), "ask them to transfer it")
	press(slackMaria, "ticket_take")
	tk, _ = fetchTicket(t, e.api, id)
	require.Equal(t, "maria", tk.Owner, "a manager may take")
	press(slackMaria, "ticket_resolve")
	tk, _ = fetchTicket(t, e.api, id)
	require.Equal(t, ownership.StatusResolved, tk.Status)
	e.settle(t)
	require.Positive(t, e.slack.Messages(triageChan)[0].Updates, "the post follows the ticket")

	// A guest's press changes nothing and is told why.
	code, _ := e.interact(t, slacktest.BlockAction("U0GUEST", triageChan, post.TS, "ticket_ack", id+"|"+tk.Owner, "trig"))
	require.Equal(t, 200, code)
	require.Len(t, e.slack.Ephemerals(), 2)

	// /ticket, every subcommand.
	id2 := e.sms(t, "SM9", "+15557770199", "New laptop please")
	t2, _ := fetchTicket(t, e.api, id2)
	ownerUser := map[string]string{"dana": slackDana, "lee": slackLee}[t2.Owner]
	otherUser := map[string]string{"dana": slackLee, "lee": slackDana}[t2.Owner]
	otherID := map[string]string{slackDana: "dana", slackLee: "lee"}[otherUser]
	require.Contains(t, e.command(t, ownerUser, "help"), "/ticket")
	require.Contains(t, e.command(t, ownerUser, "mine"), id2)
	require.Contains(t, e.command(t, ownerUser, "ack "+id2), "Acknowledged")
	require.Contains(t, e.command(t, ownerUser, "note "+id2+" ordered from the supplier"), "Note added")
	require.Contains(t, e.command(t, ownerUser, "time "+id2+" 45m"), "45 minutes")
	require.Contains(t, e.command(t, ownerUser, "assign "+id2+" <@"+otherUser+">"), "Offered")
	t2, _ = fetchTicket(t, e.api, id2)
	require.NotNil(t, t2.Offer, "a tech's assign is an offer")
	require.Contains(t, e.command(t, otherUser, "accept "+id2), "yours now")
	t2, _ = fetchTicket(t, e.api, id2)
	require.Equal(t, otherID, t2.Owner)
	require.Contains(t, e.command(t, slackMaria, "assign "+id2+" <@"+ownerUser+">"), "assigned to")
	require.Contains(t, e.command(t, otherUser, "take "+id2), "ask them to transfer it", "the owner is on it")
	require.Contains(t, e.command(t, slackMaria, "take "+id2), "yours now")
	require.Contains(t, e.command(t, slackMaria, "resolve "+id2), "resolved")
	require.Contains(t, e.command(t, ownerUser, "away"), "away")
	require.Contains(t, e.command(t, ownerUser, "back"), "back")
	require.Contains(t, e.command(t, ownerUser, "ack T-999"), "No such ticket")
	require.Contains(t, e.command(t, ownerUser, "frobnicate"), "unknown")
	require.Contains(t, e.command(t, "U0GUEST", "mine"), "Only reps")
	_, evs := fetchTicket(t, e.api, id2)
	kinds := map[ownership.EventType]int{}
	for _, ev := range evs {
		kinds[ev.Type]++
	}
	require.Equal(t, 1, kinds[ownership.EventAcked])
	require.Equal(t, 1, kinds[ownership.EventTimeLogged])
	require.GreaterOrEqual(t, kinds[ownership.EventTransferred], 2, "offered and accepted")
}

// Must-show 3: a Take racing an API assign: one owner, the loser told why.
func TestSlackTakeRacesAPIAssign(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "")
	manager := newAPIClient(e.srv.url, "", 4)
	for i := 0; i < 5; i++ {
		id := e.sms(t, fmt.Sprintf("SMR%d", i), fmt.Sprintf("+1555777020%d", i), "race")
		post := e.triagePost(t, id)
		e.settle(t) // the auto-ack's delivery lands on the timeline first
		tk, _ := fetchTicket(t, e.api, id)
		other := map[string]string{"dana": "lee", "lee": "dana"}[tk.Owner]
		var wg sync.WaitGroup
		wg.Add(2)
		var apiErr error
		go func() {
			defer wg.Done()
			v := tk.Version
			_, apiErr = manager.do(context.Background(), "POST", "/api/v1/tickets/"+id+"/assign", map[string]any{"owner": other, "version": v}, nil)
		}()
		go func() {
			defer wg.Done()
			e.interact(t, slacktest.BlockAction(slackMaria, triageChan, post.TS, "ticket_take", id+"|"+tk.Owner, "trig"))
		}()
		wg.Wait()
		final, evs := fetchTicket(t, e.api, id)
		changes := 0
		for _, ev := range evs {
			if ev.Type == ownership.EventAssigned && ev.Actor != "router" {
				changes++
			}
		}
		require.Equal(t, 1, changes, "exactly one of the two changed the owner")
		if final.Owner == "maria" {
			require.Error(t, apiErr, "the API loser gets a conflict")
			require.Contains(t, apiErr.Error(), "409")
		} else {
			require.NoError(t, apiErr)
			require.Equal(t, other, final.Owner)
			eph := e.slack.Ephemerals()
			require.NotEmpty(t, eph, "the Slack loser is told why")
			require.Contains(t, eph[len(eph)-1].Params.Get("text"), id+" changed meanwhile")
		}
	}
}

// Must-show 4: bad signatures, replays, duplicates and our own messages.
func TestSlackRequestSecurity(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "")
	id := e.sms(t, "SM1", customer, "Server down")
	post := e.triagePost(t, id)
	body := slacktest.EventCallback("EvX", threadMsg(triageChan, slackDana, "!reply hello", "1800000009.000100", post.TS))
	e.settle(t)
	_, before := fetchTicket(t, e.api, id)

	for name, tc := range map[string]struct {
		secret string
		at     time.Time
	}{
		"unsigned":      {"", time.Now()},
		"wrong secret":  {"not-the-secret", time.Now()},
		"6 minutes old": {slacktest.SigningSecret, time.Now().Add(-6 * time.Minute)},
		"from future":   {slacktest.SigningSecret, time.Now().Add(6 * time.Minute)},
	} {
		code, _ := e.post(t, "/slack/events", "application/json", body, tc.at, tc.secret)
		require.Equal(t, 401, code, name)
		code, _ = e.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(slacktest.SlashCommand(slackDana, triageChan, "ack "+id, "t").Encode()), tc.at, tc.secret)
		require.Equal(t, 401, code, name)
	}
	big := make([]byte, 300<<10)
	code, _ := e.post(t, "/slack/events", "application/json", big, time.Now(), slacktest.SigningSecret)
	require.Equal(t, 413, code)
	code, _ = e.post(t, "/slack/events", "application/json", []byte("{not json"), time.Now(), slacktest.SigningSecret)
	require.Equal(t, 400, code)
	_, after := fetchTicket(t, e.api, id)
	require.Equal(t, len(before), len(after), "nothing changed")

	// url_verification answers the challenge.
	code, resp := e.post(t, "/slack/events", "application/json", []byte(`{"type":"url_verification","challenge":"c-123","token":"x"}`), time.Now(), slacktest.SigningSecret)
	require.Equal(t, 200, code)
	require.Equal(t, "c-123", resp)

	// The same event three times (Slack retries): handled once.
	for i := 0; i < 3; i++ {
		code, _ := e.post(t, "/slack/events", "application/json", body, time.Now(), slacktest.SigningSecret)
		require.Equal(t, 200, code)
	}
	// Our own message and a bot's: ignored.
	e.event(t, "EvBot", threadMsg(triageChan, slacktest.BotUserID, "!reply from ourselves", "1800000010.000100", post.TS))
	bot := threadMsg(triageChan, "U0OTHERBOT", "!reply from a bot", "1800000011.000100", post.TS)
	bot["bot_id"] = "B0OTHER"
	e.event(t, "EvBot2", bot)
	edited := threadMsg(triageChan, slackDana, "!reply edited", "1800000012.000100", post.TS)
	edited["subtype"] = "message_changed"
	e.event(t, "EvEdit", edited)
	e.settle(t)
	var bodies []string
	for _, m := range e.texts(customer) {
		bodies = append(bodies, m.Body)
	}
	require.Equal(t, []string{bodies[0], "hello"}, bodies, "the auto-ack and one reply, whatever was redelivered")
}

// Must-show 5: a burst of 200 new tickets against a rate-limited Slack:
// every triage post arrives once, after the wait.
func TestSlackBurstHonoursRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("200 tickets")
	}
	e := newSlackEnv(t, redisOrSQLite(t), "", func(s *slacktest.Server) { s.RateLimit("chat.postMessage", 3, 2) })
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			form := smsForm(fmt.Sprintf("SMB%03d", i), fmt.Sprintf("+1555800%04d", i), "burst")
			req, _ := http.NewRequest("POST", e.srv.url+"/twilio/sms", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", twiliotest.Signature(twiliotest.AuthToken, publicURL+"/twilio/sms", form))
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
		}(i)
	}
	wg.Wait()
	e.settle(t)
	tickets := listTickets(t, e.api)
	require.Len(t, tickets, 200)
	posts := map[string]int{}
	for _, m := range e.slack.Messages(triageChan) {
		if m.ThreadTS == "" {
			for _, tk := range tickets {
				if strings.Contains(string(m.Blocks), `"`+tk.ID+"|") {
					posts[tk.ID]++
				}
			}
		}
	}
	require.Len(t, posts, 200, "every ticket has its post")
	for id, n := range posts {
		require.Equal(t, 1, n, "%s posted once", id)
	}
	require.Equal(t, 3, e.slack.Limited(), "Slack answered 429 three times")
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "the sends waited out Retry-After")
}

func redisOrSQLite(t *testing.T) string {
	return backends()[1].url(t)
}

// Must-show: with an app token the same flow runs over Socket Mode (a
// local websocket speaking Slack's envelopes): events, buttons and /ticket
// are handled and acknowledged, without any public URL.
func TestSlackSocketMode(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "    app_token: "+slacktest.AppToken+"\n")
	e.slack.WaitSocket(t, 10*time.Second)

	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	env := e.slack.SocketSend(t, "events_api", json.RawMessage(slacktest.EventCallback("EvS1",
		slacktest.MessageEvent("D0CUST", "U0CUSTOMER", "Laptop will not charge", "1800000200.000100", ""))))
	e.slack.WaitAck(t, env, 10*time.Second)
	tks := listTickets(t, e.api)
	require.Len(t, tks, 1, "a DM over the socket opened a ticket")
	id := tks[0].ID
	post := e.triagePost(t, id)
	e.settle(t)

	env = e.slack.SocketSend(t, "events_api", json.RawMessage(slacktest.EventCallback("EvS2",
		threadMsg(triageChan, slackDana, "!reply Try another charger", "1800000201.000100", post.TS))))
	e.slack.WaitAck(t, env, 10*time.Second)
	e.settle(t)
	var dm []string
	for _, m := range e.slack.Messages("D0CUST") {
		dm = append(dm, m.Text)
	}
	require.Contains(t, dm, "Try another charger")

	tk, _ := fetchTicket(t, e.api, id)
	owner := map[string]string{"dana": slackDana, "lee": slackLee}[tk.Owner]
	form := slacktest.BlockAction(owner, triageChan, post.TS, "ticket_ack", id+"|"+tk.Owner, "trigS")
	env = e.slack.SocketSend(t, "interactive", json.RawMessage(form.Get("payload")))
	e.slack.WaitAck(t, env, 10*time.Second)
	tk, _ = fetchTicket(t, e.api, id)
	require.NotNil(t, tk.AckedAt, "the Ack button over the socket")

	cmd := map[string]string{}
	for k, v := range slacktest.SlashCommand(owner, triageChan, "mine", "trigC") {
		cmd[k] = v[0]
	}
	env = e.slack.SocketSend(t, "slash_commands", raw(cmd))
	ack := e.slack.WaitAck(t, env, 10*time.Second)
	require.Contains(t, string(ack), id, "the /ticket answer rides on the ack")
	require.Contains(t, string(ack), "ephemeral")
}

// Slack took the triage post but its answer was lost (a timeout): the
// retry finds the post by its metadata and does not post it again.
func TestSlackLostAnswerDoesNotRepost(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "", func(s *slacktest.Server) {
		s.LoseAnswers("chat.postMessage", 1)
	})
	id := e.sms(t, "SM1", customer, "Phones are down")
	post := e.triagePost(t, id)
	e.settle(t)
	var top []slacktest.Message
	for _, m := range e.slack.Messages(triageChan) {
		if m.ThreadTS == "" {
			top = append(top, m)
		}
	}
	require.Len(t, top, 1, "one post, although its first answer was lost")
	require.Equal(t, post.TS, top[0].TS)
	require.Len(t, e.slack.Posted("conversations.history"), 1, "the retry looked before posting")
	// The recorded post is the one found: thread replies still find the ticket.
	code, _ := e.event(t, "EvL1", threadMsg(triageChan, slackDana, "checking the PBX", "1800000300.000100", post.TS))
	require.Equal(t, 200, code)
	// The note is found among the events, not as the last one: the
	// reaction queued with it may be sent and recorded first.
	_, evs := fetchTicket(t, e.api, id)
	var notes []string
	for _, ev := range evs {
		if ev.Type == ownership.EventNote {
			notes = append(notes, ev.Body)
		}
	}
	require.Equal(t, []string{"checking the PBX"}, notes)
}
