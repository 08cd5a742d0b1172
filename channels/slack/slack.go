// Package slack is where techs work: each new ticket is posted to a triage
// channel with its owner and buttons, the owner gets a direct message,
// customer messages are mirrored into the post's thread, and reps ack,
// take, resolve, note and reply from Slack. Customers may also write to
// the app (a DM or a shared channel) and get answers there.
//
// Unlike the other adapters this one is also a console: reps act from it
// as through the API. It reaches the ledger through its Desk and imports
// ownership only for the ledger's types and errors. Every request is
// verified with the signing secret; everything sent to Slack goes through
// the outbox.
package slack

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// Reply modes: which rep messages in a ticket thread reach the customer.
const (
	ReplyExplicit = "explicit" // only messages starting with the reply prefix (default)
	ReplyThread   = "thread"   // every rep message except those starting with the note prefix
)

// Rep is a roster rep as Slack knows them.
type Rep struct {
	ID        string
	Name      string
	SlackUser string
	Role      routing.Role
}

// Config configures the Slack app.
type Config struct {
	BotToken      string
	SigningSecret string
	AppToken      string // Socket Mode when set
	Channel       string // triage channel id
	APIURL        string // Web API base ("https://slack.com/api/" when empty)
	ReplyMode     string
	ReplyPrefix   string // default "!reply"
	NotePrefix    string // default "!note"
	// CustomerChannels are shared (Slack Connect) channels whose messages
	// from non-reps open or join tickets, like DMs to the app.
	CustomerChannels []string
	Reps             []Rep
	OrgNames         map[string]string // org id -> name, for posts
	// Flags keeps the triage-post index (the store); required by New.
	Flags Flags
	Now   func() time.Time
}

// App is the Slack adapter.
type App struct {
	cfg    Config
	api    *slackapi.Client
	desk   Desk
	posts  posts
	logger *slog.Logger
	gate   *gate

	bySlack   map[string]Rep // Slack user id -> rep
	byID      map[string]Rep
	customers map[string]bool
	// botUser is the app's own user id, learnt from auth.test by Start
	// while requests may already be served.
	botUser atomic.Pointer[string]
	// people caches customers' Slack profiles (user id -> Contact).
	people sync.Map
	health health // what Health reports
}

// New returns the adapter over desk; it does not call Slack until Start
// or a send.
func New(cfg Config, desk Desk, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if desk == nil || cfg.Flags == nil {
		return nil, errors.New("slack: the adapter needs the ledger's desk and flags")
	}
	if cfg.ReplyMode == "" {
		cfg.ReplyMode = ReplyExplicit
	}
	if cfg.ReplyPrefix == "" {
		cfg.ReplyPrefix = "!reply"
	}
	if cfg.NotePrefix == "" {
		cfg.NotePrefix = "!note"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	opts := []slackapi.Option{}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slackapi.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	a := &App{cfg: cfg, api: slackapi.New(cfg.BotToken, opts...), desk: desk, posts: posts{cfg.Flags}, logger: logger, gate: &gate{},
		bySlack: map[string]Rep{}, byID: map[string]Rep{}, customers: map[string]bool{}}
	for _, r := range cfg.Reps {
		a.byID[r.ID] = r
		if r.SlackUser != "" {
			a.bySlack[r.SlackUser] = r
		}
	}
	for _, c := range cfg.CustomerChannels {
		a.customers[c] = true
	}
	return a, nil
}

// actor returns the rep behind a Slack user.
func (a *App) actor(user string) (ownership.Actor, bool) {
	r, ok := a.bySlack[user]
	if !ok {
		return ownership.Actor{}, false
	}
	return ownership.Actor{ID: r.ID, Role: r.Role}, true
}

// repBySlackOrName finds a rep by Slack user id, or by id or first name.
func (a *App) repBySlackOrName(user, name string) (Rep, bool) {
	if r, ok := a.bySlack[user]; ok && user != "" {
		return r, true
	}
	name = strings.ToLower(strings.TrimPrefix(name, "@"))
	for _, r := range a.cfg.Reps {
		if name != "" && (strings.ToLower(r.ID) == name || strings.ToLower(firstWord(r.Name)) == name) {
			return r, true
		}
	}
	return Rep{}, false
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}
