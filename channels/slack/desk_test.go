package slack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/channeltest"
	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

// Slack users of the test roster, and the triage channel.
const (
	uMaria = "U01MARIA" // manager
	uDana  = "U01DANA"
	uLee   = "U01LEE"
	triage = "C0TRIAGE"
)

// call is one Desk method call as the fake received it.
type call struct {
	Method string
	Actor  string // rep id, "" for calls without an actor
	Ticket string
	Body   string // a note's or reply's text
	Key    string
	Meta   map[string]string
	Out    channels.Outbound // Queue
	Msg    channels.Message  // Accept
}

// desk is a recording Desk: it keeps tickets in memory, answers reads
// from them, records every call and fails a method with the error set in
// fail. It stands in for the ledger so the adapter is tested on its own;
// what the ledger does with the calls is tested in ownership.
type desk struct {
	mu      sync.Mutex
	tickets map[string]ownership.Ticket
	events  map[string][]ownership.Event
	calls   []call
	fail    map[string]error
}

var (
	_ slack.Desk          = (*desk)(nil)
	_ channeltest.Witness = (*desk)(nil)
)

func newDesk(tickets ...ownership.Ticket) *desk {
	d := &desk{tickets: map[string]ownership.Ticket{}, events: map[string][]ownership.Event{}, fail: map[string]error{}}
	for _, t := range tickets {
		d.tickets[t.ID] = t
	}
	return d
}

// record notes c and returns the error set for its method, or
// ErrNotFound for an unknown ticket.
func (d *desk) record(c call) (ownership.Ticket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, c)
	if err := d.fail[c.Method]; err != nil {
		return ownership.Ticket{}, err
	}
	if c.Ticket == "" {
		return ownership.Ticket{}, nil
	}
	t, ok := d.tickets[c.Ticket]
	if !ok {
		return ownership.Ticket{}, fmt.Errorf("ticket %s: %w", c.Ticket, ownership.ErrNotFound)
	}
	return t, nil
}

// called returns the calls of method, in order.
func (d *desk) called(method string) []call {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []call
	for _, c := range d.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// writes returns the methods of every call that changes something.
func (d *desk) writes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.calls {
		switch c.Method {
		case "Ticket", "Events", "TicketFor", "ListFor":
		default:
			out = append(out, c.Method)
		}
	}
	return out
}

// Accepted and Calls make the desk a channeltest.Witness: the customer
// messages it was given, and how many calls of any kind it took.
func (d *desk) Accepted() []channels.Message {
	var out []channels.Message
	for _, c := range d.called("Accept") {
		out = append(out, c.Msg)
	}
	return out
}

func (d *desk) Calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.calls)
}

func (d *desk) Accept(_ context.Context, m channels.Message) (channels.TicketRef, error) {
	_, err := d.record(call{Method: "Accept", Msg: m})
	return channels.TicketRef{ID: "T-99", Created: true}, err
}
func (d *desk) Ticket(_ context.Context, id string) (ownership.Ticket, error) {
	return d.record(call{Method: "Ticket", Ticket: id})
}
func (d *desk) Events(_ context.Context, id string) ([]ownership.Event, error) {
	if _, err := d.record(call{Method: "Events", Ticket: id}); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.events[id], nil
}
func (d *desk) TicketFor(_ context.Context, a ownership.Actor, id string) (ownership.Ticket, error) {
	return d.record(call{Method: "TicketFor", Actor: a.ID, Ticket: id})
}
func (d *desk) ListFor(_ context.Context, a ownership.Actor, f ownership.Filter) (ownership.Page, error) {
	_, err := d.record(call{Method: "ListFor", Actor: a.ID})
	d.mu.Lock()
	defer d.mu.Unlock()
	var p ownership.Page
	for _, t := range d.tickets {
		if t.Owner == f.Owner {
			p.Tickets = append(p.Tickets, t)
		}
	}
	return p, err
}
func (d *desk) Ack(_ context.Context, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
	return d.record(call{Method: "Ack", Actor: a.ID, Ticket: id})
}
func (d *desk) Take(_ context.Context, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
	t, err := d.record(call{Method: "Take", Actor: a.ID, Ticket: id})
	if err == nil {
		d.mu.Lock()
		t.Owner = a.ID
		d.tickets[id] = t
		d.mu.Unlock()
	}
	return t, err
}
func (d *desk) AcceptTransfer(_ context.Context, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
	return d.record(call{Method: "AcceptTransfer", Actor: a.ID, Ticket: id})
}
func (d *desk) Assign(_ context.Context, a ownership.Actor, id, to, _ string, _ *int64) (ownership.Ticket, error) {
	return d.record(call{Method: "Assign", Actor: a.ID, Ticket: id, Body: to})
}
func (d *desk) Transfer(_ context.Context, a ownership.Actor, id, to, _ string, _ *int64) (ownership.Ticket, error) {
	return d.record(call{Method: "Transfer", Actor: a.ID, Ticket: id, Body: to})
}
func (d *desk) SetStatus(_ context.Context, a ownership.Actor, id string, st ownership.Status, _ string, _ *int64) (ownership.Ticket, error) {
	return d.record(call{Method: "SetStatus", Actor: a.ID, Ticket: id, Body: string(st)})
}
func (d *desk) LogTime(_ context.Context, a ownership.Actor, id string, minutes int, _ string) (ownership.Ticket, error) {
	return d.record(call{Method: "LogTime", Actor: a.ID, Ticket: id, Body: fmt.Sprint(minutes)})
}
func (d *desk) Note(_ context.Context, a ownership.Actor, id, body, key string, meta map[string]string) (ownership.Ticket, error) {
	return d.record(call{Method: "Note", Actor: a.ID, Ticket: id, Body: body, Key: key, Meta: meta})
}
func (d *desk) Reply(_ context.Context, a ownership.Actor, id, body, key string) (ownership.Ticket, error) {
	return d.record(call{Method: "Reply", Actor: a.ID, Ticket: id, Body: body, Key: key})
}
func (d *desk) SetAvailability(_ context.Context, a ownership.Actor, rep string, av routing.Availability) (ownership.RepView, error) {
	_, err := d.record(call{Method: "SetAvailability", Actor: a.ID, Body: rep + " " + string(av)})
	return ownership.RepView{}, err
}
func (d *desk) Queue(_ context.Context, ticket, key string, o channels.Outbound) error {
	_, err := d.record(call{Method: "Queue", Ticket: ticket, Key: key, Out: o})
	return err
}

// flags is an in-memory Flags, the store's part the adapter uses.
type flags struct {
	mu sync.Mutex
	m  map[string]string
}

func (f *flags) SetFlag(_ context.Context, key, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if value == "" {
		delete(f.m, key)
	} else {
		f.m[key] = value
	}
	return nil
}

func (f *flags) Flag(_ context.Context, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[key], nil
}

// rig is the adapter over a recording desk, talking to a slacktest
// workspace, served by an httptest server.
type rig struct {
	app   *slack.App
	logs  *channeltest.Logs // everything the adapter logged
	desk  *desk
	flags *flags
	slack *slacktest.Server
	url   string
	now   time.Time
}

func newRig(t *testing.T, tune ...func(*slack.Config)) *rig {
	t.Helper()
	sl := slacktest.New(t)
	r := &rig{desk: newDesk(), logs: &channeltest.Logs{}, flags: &flags{m: map[string]string{}}, slack: sl, now: time.Now()}
	cfg := slack.Config{BotToken: slacktest.BotToken, SigningSecret: slacktest.SigningSecret, Channel: triage, APIURL: sl.APIURL(),
		Reps: []slack.Rep{
			{ID: "maria", Name: "Maria Santos", SlackUser: uMaria, Role: routing.RoleManager},
			{ID: "dana", Name: "Dana Whitfield", SlackUser: uDana, Role: routing.RoleTech},
			{ID: "lee", Name: "Lee Chen", SlackUser: uLee, Role: routing.RoleTech},
		},
		Flags: r.flags, Now: func() time.Time { return r.now }}
	for _, f := range tune {
		f(&cfg)
	}
	app, err := slack.New(cfg, r.desk, r.logs.Logger())
	require.NoError(t, err)
	r.app = app
	hs := httptest.NewServer(app.Handler())
	t.Cleanup(hs.Close)
	r.url = hs.URL
	return r
}

// post sends body to path, signed at time at with the signing secret.
func (r *rig) post(t *testing.T, path, contentType string, body []byte, at time.Time) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(slacktest.SignedRequest(t, r.url+path, contentType, body, at))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func (r *rig) event(t *testing.T, id string, ev map[string]any) (int, string) {
	t.Helper()
	return r.post(t, "/slack/events", "application/json", slacktest.EventCallback(id, ev), r.now)
}

func (r *rig) interact(t *testing.T, form url.Values) (int, string) {
	t.Helper()
	return r.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()), r.now)
}

func (r *rig) command(t *testing.T, user, text string) (int, string) {
	t.Helper()
	return r.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(slacktest.SlashCommand(user, triage, text, "trig").Encode()), r.now)
}

// posted records ticket's triage post at ts, as a sent post would.
func (r *rig) posted(t *testing.T, ticket, ts string) {
	t.Helper()
	require.NoError(t, r.flags.SetFlag(context.Background(), "slack:post:"+ticket, triage+" "+ts))
	require.NoError(t, r.flags.SetFlag(context.Background(), "slack:thread:"+triage+":"+ts, ticket))
}

// The adapter is built over the ledger: without a desk or a place for its
// post index there is nothing to build.
func TestNewNeedsDeskAndFlags(t *testing.T) {
	cfg := slack.Config{BotToken: slacktest.BotToken, SigningSecret: slacktest.SigningSecret, Channel: triage}
	_, err := slack.New(cfg, nil, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "needs the ledger's desk and flags")
	_, err = slack.New(cfg, newDesk(), slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "needs the ledger's desk and flags")
	cfg.Flags = &flags{m: map[string]string{}}
	_, err = slack.New(cfg, newDesk(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
}
