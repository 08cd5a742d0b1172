package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/display/displaytest"
)

const (
	evilLine  = displaytest.Hostile
	evilShown = displaytest.Shown
)

// requireShownSafely fails t unless text, which quotes evilLine, has every
// evil rune as its marker.
func requireShownSafely(t *testing.T, what, text string) {
	t.Helper()
	displaytest.RequireNeutral(t, what, text)
	require.Contains(t, text, "⟨U+202E⟩gpj.exe", what)
}

// jsonText is every string in a JSON document, decoded (JSON writes ESC
// as \u001b), one per line.
func jsonText(t *testing.T, raw string) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(raw), &v), raw)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}

// TestHostileTextInSlack: a hostile text reaches Slack only neutralized,
// in the triage post and its updates, the owner's DM, the thread mirror
// and /ticket mine; a rep's reply to the customer goes out as written.
func TestHostileTextInSlack(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "")
	id := e.sms(t, "SM1", customer, evilLine+"\nsecond line "+evilLine)
	tk, _ := fetchTicket(t, e.api, id)
	require.Equal(t, evilLine, tk.Subject, "the ledger keeps the text raw")
	owner := map[string]string{"dana": slackDana, "lee": slackLee}[tk.Owner]

	post := e.triagePost(t, id)
	require.Contains(t, blocks(post), "*"+evilShown+"*", "the subject")
	e.sms(t, "SM2", customer, "and again: "+evilLine)
	require.Contains(t, e.command(t, owner, "mine"), evilShown)
	requireShownSafely(t, "/ticket mine", e.command(t, owner, "mine"))
	code, _ := e.event(t, "Ev1", threadMsg(triageChan, owner, "!reply שלום \u200fRLM kept", "1800000001.000100", post.TS))
	require.Equal(t, 200, code)
	e.settle(t)

	var mirrored, dm bool
	for _, c := range append(e.slack.Posted("chat.postMessage"), e.slack.Posted("chat.update")...) {
		text := c.Params.Get("text")
		if b := c.Params.Get("blocks"); b != "" {
			text += "\n" + jsonText(t, b)
		}
		requireShownSafely(t, c.Method+" to "+c.Params.Get("channel"), text)
		mirrored = mirrored || c.Params.Get("thread_ts") == post.TS && strings.Contains(text, "and again: "+evilShown)
		dm = dm || c.Params.Get("channel") == "D"+owner
	}
	require.True(t, mirrored, "the second text is mirrored into the thread")
	require.True(t, dm, "the owner got a DM")

	var reply string
	for _, m := range e.texts(customer) {
		if strings.Contains(m.Body, "RLM kept") {
			reply = m.Body
		}
	}
	require.Equal(t, "שלום \u200fRLM kept", reply, "a rep's reply reaches the customer as written")
}

// TestHostileTextInTextsToReps: the owner's text about a hostile SMS has
// the markers; the customer's own text is kept raw.
func TestHostileTextInTextsToReps(t *testing.T) {
	e := newTwilioEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	code, body := e.post(t, "/twilio/sms", smsForm("SM00000000000000000000000000000001", "+15557770101", evilLine), "")
	require.Equal(t, 200, code, body)
	tk, evs := e.ticket(t, "T-1")
	require.Equal(t, evilLine, evs[0].Body, "the ledger keeps the text raw")
	ownerPhone := map[string]string{"dana": "+15551230002", "lee": "+15551230003", "maria": "+15551230001"}[tk.Owner]
	note := e.sentTo(t, ownerPhone, 1)[0]
	require.Contains(t, note.Body, ": "+evilShown)
	requireShownSafely(t, "the owner's text", note.Body)
}

// TestHostileTextInMailToReps: the owner's mail about a hostile mail (in
// its body and in the sender's name) has the markers in its subject and
// body.
func TestHostileTextInMailToReps(t *testing.T) {
	e := newEmailEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	from := mime.BEncoding.Encode("utf-8", "\u202Ekcip\u202C Doe") + " <pat@acmedental.example>"
	e.imap.Append(t, mailBytes("evil1@acmedental.example", from, mime.BEncoding.Encode("utf-8", evilLine), evilLine+"\r\n\r\nThanks"))
	e.waitSeen(t, 1, 30*time.Second)
	tks := e.tickets(t)
	require.Len(t, tks, 1)
	// (The mail parser drops C0 and C1 controls from headers; the bidi
	// characters it keeps.)
	require.Contains(t, tks[0].Subject, "\u202Egpj.exe\u202C", "the ledger keeps the text raw")
	ownerMail := map[string]string{"dana": "dana@northwind.example", "lee": "lee@northwind.example", "maria": "maria@northwind.example"}[tks[0].Owner]

	m := e.waitSentTo(t, ownerMail, 1)[0]
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	require.NoError(t, err)
	subject, err := r.Header.Subject()
	require.NoError(t, err)
	part, err := r.NextPart()
	require.NoError(t, err)
	text, err := io.ReadAll(part.Body)
	require.NoError(t, err)
	for what, s := range map[string]string{"subject": subject, "body": string(text)} {
		requireShownSafely(t, "the owner's mail "+what, s)
		require.Contains(t, s, "⟨U+202E⟩kcip⟨U+202C⟩ Doe", "the owner's mail %s names the sender", what)
	}
}

// TestAuditNeutralizesTicketText: intake audit prints an unowned ticket's
// hostile subject with markers, on one line.
func TestAuditNeutralizesTicketText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "intake.db")
	srv := startServer(t, serveFlags{config: exampleConfig, store: "sqlite:" + path})
	ctx := context.Background()
	_, err := newAPIClient(srv.url, "", 1).do(ctx, "POST", "/api/v1/tickets",
		map[string]any{"subject": evilLine + "\tOK: every\ropen ticket", "contact": map[string]string{"email": "x@example.org"}}, nil)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, `UPDATE tickets SET owner = '', json = json_set(json, '$.owner', '') WHERE num = 1`)
	require.NoError(t, err)

	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, run(ctx, []string{"audit", "--server", srv.url}, &stdout, &stderr), stderr.String())
	out := stdout.String()
	requireShownSafely(t, "audit", out)
	// A tab, a CR or a NEL in the subject is a space on the one line.
	require.Contains(t, out, "\n  T-1  open  (no owner)  "+strings.Replace(evilShown, "⟨U+0085⟩", " ", 1)+" OK: every open ticket\n")
}
