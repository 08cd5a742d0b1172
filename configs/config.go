// Package configs reads, checks and holds intake's YAML configuration.
//
// Load (or LoadFile, or Parse) decodes strictly: an unknown key, a value of
// the wrong kind, a ${ENV_VAR} that is not set or any failed check is an
// error of the form "FILE:LINE: path.to.key: what is wrong", and every
// problem in a file is reported at once, sorted by line. Defaults are applied
// while loading, so a loaded Config holds the values intake will use.
//
// Validation includes each channel adapter's own checks (its Config's
// Validate, run on the settings TwilioConfig, ReaderConfig, SMTPConfig and
// SlackConfig build) and, with LoadWith, the settings serve takes from
// outside the file (--addr, --store, INTAKE_STORE, INTAKE_ADMIN_TOKEN): a
// configuration that loads is one `intake serve` starts with. A file that
// is not UTF-8 text is refused with the line and byte offset of each bad
// byte.
//
// Secrets are of type Secret, which never prints. Only cmd/intake reads this
// package; it hands the parts on (Routing for the router, the adapters'
// settings for the adapters).
package configs

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/intakehq/intake/routing"
)

// Built-in defaults, used for keys a file leaves out and by Default.
const (
	DefaultListen        = "127.0.0.1:8080"
	DefaultStore         = "sqlite:data/intake.db"
	DefaultCapacity      = 10
	DefaultTransferOffer = 30 * time.Minute
	DefaultMailbox       = "INBOX"
	DefaultReplyPrefix   = "!reply"
	DefaultNotePrefix    = "!note"
	defaultTimezone      = "UTC"
)

// Config is the whole configuration file. Build one with Load, LoadFile,
// Parse or Default; a Config built another way should be checked with
// Validate before use.
type Config struct {
	// Listen is the HTTP listen address, host:port.
	Listen string `yaml:"listen" json:"listen"`
	// PublicURL is the externally visible base URL, e.g.
	// https://intake.example.com; Twilio signatures are checked against it.
	PublicURL string `yaml:"public_url,omitempty" json:"public_url,omitempty"`
	// Store is "sqlite:PATH" or a redis:// or rediss:// URL.
	Store    string    `yaml:"store" json:"store"`
	API      API       `yaml:"api" json:"api"`
	Reps     []Rep     `yaml:"reps" json:"reps"`
	Teams    []Team    `yaml:"teams" json:"teams"`
	Orgs     []Org     `yaml:"orgs,omitempty" json:"orgs,omitempty"`
	Contacts []Contact `yaml:"contacts,omitempty" json:"contacts,omitempty"`
	// Routes is the "routing" section. (The method Routing converts it.)
	Routes   Routes   `yaml:"routing" json:"routing"`
	SLA      SLA      `yaml:"sla" json:"sla"`
	Acks     Acks     `yaml:"acks,omitempty" json:"acks,omitempty"`
	Channels Channels `yaml:"channels" json:"channels"`
	// Dashboard configures sign-in to the web dashboard besides tokens.
	Dashboard Dashboard `yaml:"dashboard,omitempty" json:"dashboard,omitempty"`

	src     *source   // where each value was written; nil for a Config built in code
	outside Overrides // settings given outside the file, applied over it
}

// String returns the configuration as YAML, with every secret shown as
// "<secret>" (alertmanager's Config.String does the same), so a Config can
// be logged or printed by intake check-config.
func (c *Config) String() string {
	out, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	return string(out)
}

// API configures the JSON API and the dashboard.
type API struct {
	// Tokens are the accepted bearer tokens. With none, the API and the
	// dashboard are open, and only on a loopback address (DESIGN §5).
	Tokens []Token `yaml:"tokens,omitempty" json:"tokens,omitempty"`
	// TechScope is which tickets techs see and act on: own, team (the
	// default) or all (ownership.TechScope). Managers see every ticket.
	TechScope string `yaml:"tech_scope,omitempty" json:"tech_scope,omitempty"`
}

// Token is one API bearer token.
type Token struct {
	Name  string       `yaml:"name" json:"name"`
	Token Secret       `yaml:"token" json:"token"`
	Role  routing.Role `yaml:"role" json:"role"`
	// Rep is the rep the token acts as (the actor on events it causes); ""
	// for automation tokens.
	Rep string `yaml:"rep,omitempty" json:"rep,omitempty"`
}

// Rep is one member of the roster.
type Rep struct {
	ID        string       `yaml:"id" json:"id"`
	Name      string       `yaml:"name" json:"name"`
	Email     string       `yaml:"email,omitempty" json:"email,omitempty"` // lower-cased on load
	Phone     string       `yaml:"phone,omitempty" json:"phone,omitempty"` // E.164
	SlackUser string       `yaml:"slack_user,omitempty" json:"slack_user,omitempty"`
	Role      routing.Role `yaml:"role" json:"role"` // default tech
	Skills    []string     `yaml:"skills,omitempty" json:"skills,omitempty"`
	// Capacity is the most open tickets the rep owns at once; a file that
	// omits it gets DefaultCapacity. Zero means no limit, which only a
	// Config built in code (Default) may use: a file must write a positive
	// number.
	Capacity int `yaml:"capacity" json:"capacity"`
	// Timezone is an IANA zone name; default UTC.
	Timezone string `yaml:"timezone" json:"timezone"`
	// Hours are weekly shifts ("mon-fri 08:00-17:00") in Timezone; none
	// means always on shift.
	Hours []string `yaml:"hours,omitempty" json:"hours,omitempty"`
	// Availability is the state a rep starts in before any change through
	// the API or Slack; default available.
	Availability routing.Availability `yaml:"availability" json:"availability"`
}

// Team is a group of reps that owns a kind of work.
type Team struct {
	ID       string           `yaml:"id" json:"id"`
	Name     string           `yaml:"name" json:"name"` // default: the id
	Members  []string         `yaml:"members" json:"members"`
	Strategy routing.Strategy `yaml:"strategy" json:"strategy"` // default least_loaded
	// Fallback owns what no one else can take; it must be a rep, and should
	// be a member or a manager.
	Fallback string `yaml:"fallback" json:"fallback"`
	// Hours are the team's business hours; nil means routing.business_hours.
	Hours  *Hours  `yaml:"hours,omitempty" json:"hours,omitempty"`
	OnCall *OnCall `yaml:"on_call,omitempty" json:"on_call,omitempty"`
}

// Hours is a weekly schedule: shifts read in one time zone.
type Hours struct {
	Timezone string   `yaml:"timezone" json:"timezone"` // IANA name, default UTC
	Shifts   []string `yaml:"shifts" json:"shifts"`     // none means 24x7
}

// OnCall is an after-hours rota: Rota[0] is on call for Shift from Start,
// then Rota[1], and so on round.
type OnCall struct {
	Rota  []string  `yaml:"rota" json:"rota"`
	Start time.Time `yaml:"start" json:"start"`
	Shift Duration  `yaml:"shift" json:"shift"` // default 168h (a week)
}

// Plan is an org's service plan.
type Plan string

// Plans.
const (
	PlanManaged  Plan = "managed"
	PlanBreakFix Plan = "break_fix"
	PlanPrepaid  Plan = "prepaid"
)

// Org is a client organisation.
type Org struct {
	ID             string   `yaml:"id" json:"id"`
	Name           string   `yaml:"name" json:"name"`
	Domains        []string `yaml:"domains,omitempty" json:"domains,omitempty"` // email domains, lower-cased on load
	Phones         []string `yaml:"phones,omitempty" json:"phones,omitempty"`   // E.164
	Plan           Plan     `yaml:"plan" json:"plan"`
	SLATier        string   `yaml:"sla_tier,omitempty" json:"sla_tier,omitempty"`
	AccountManager string   `yaml:"account_manager,omitempty" json:"account_manager,omitempty"` // rep id
	PrepaidHours   float64  `yaml:"prepaid_hours,omitempty" json:"prepaid_hours,omitempty"`
}

// Contact links one person's identities across channels, so a client who
// texts and then emails is one contact.
type Contact struct {
	Name      string   `yaml:"name" json:"name"`
	Emails    []string `yaml:"emails,omitempty" json:"emails,omitempty"` // lower-cased on load
	Phones    []string `yaml:"phones,omitempty" json:"phones,omitempty"` // E.164
	SlackUser string   `yaml:"slack_user,omitempty" json:"slack_user,omitempty"`
	Org       string   `yaml:"org,omitempty" json:"org,omitempty"` // org id
}

// Routes is the "routing" section. A file may write it as a plain list of
// rules, or as a mapping with business_hours, default_team and rules.
type Routes struct {
	// BusinessHours are used by "hours" matchers and by teams without their
	// own hours; nil means 24x7.
	BusinessHours *Hours `yaml:"business_hours,omitempty" json:"business_hours,omitempty"`
	// DefaultTeam takes tickets no rule places; "" means the first team.
	DefaultTeam string `yaml:"default_team,omitempty" json:"default_team,omitempty"`
	// Rules are tried in order; the first match wins.
	Rules []Rule `yaml:"rules" json:"rules"`

	list bool // written as a plain list: errors say routing[i], not routing.rules[i]
}

// Rule is one ordered routing rule.
type Rule struct {
	Name  string `yaml:"name" json:"name"`
	Match Match  `yaml:"match" json:"match"`
	Set   Set    `yaml:"set" json:"set"`
}

// Match holds a rule's matchers. An empty matcher matches anything; values
// within one matcher are alternatives; all non-empty matchers must match.
type Match struct {
	Channel  []string `yaml:"channel,omitempty" json:"channel,omitempty"`   // sms, voice, email, slack, web, api
	Org      []string `yaml:"org,omitempty" json:"org,omitempty"`           // org ids
	Plan     []string `yaml:"plan,omitempty" json:"plan,omitempty"`         // plans
	Contact  []string `yaml:"contact,omitempty" json:"contact,omitempty"`   // email, E.164 phone or Slack user id
	Priority []string `yaml:"priority,omitempty" json:"priority,omitempty"` // low, normal, high, urgent
	// Keywords are regular expressions (Go syntax) on subject and body; any
	// one matching is enough.
	Keywords []string `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	Hours    string   `yaml:"hours,omitempty" json:"hours,omitempty"` // business or after
}

// Set holds a rule's actions.
type Set struct {
	Priority string   `yaml:"priority,omitempty" json:"priority,omitempty"`
	Team     string   `yaml:"team,omitempty" json:"team,omitempty"`
	Skills   []string `yaml:"skills,omitempty" json:"skills,omitempty"`
	Owner    string   `yaml:"owner,omitempty" json:"owner,omitempty"` // a fixed owner, used when available
}

// SLA holds acknowledgement timeouts and per-plan targets.
type SLA struct {
	// Ack is how long an owner has to acknowledge a new ticket, by priority.
	Ack Targets `yaml:"ack" json:"ack"`
	// TransferOffer is how long a handoff offer stays open.
	TransferOffer Duration `yaml:"transfer_offer" json:"transfer_offer"`
	// Holidays are dates (YYYY-MM-DD, in the business hours' zone) on which
	// business-hours SLA clocks stand still.
	Holidays []string `yaml:"holidays,omitempty" json:"holidays,omitempty"`
	Plans    Plans    `yaml:"plans" json:"plans"`
}

// Targets are durations by ticket priority. Zero means none (for plan
// targets) or the default (for Ack).
type Targets struct {
	Urgent Duration `yaml:"urgent,omitempty" json:"urgent,omitempty"`
	High   Duration `yaml:"high,omitempty" json:"high,omitempty"`
	Normal Duration `yaml:"normal,omitempty" json:"normal,omitempty"`
	Low    Duration `yaml:"low,omitempty" json:"low,omitempty"`
}

// For returns the target for a priority ("urgent", "high", "normal",
// "low"); an unknown priority reads as normal.
func (t Targets) For(priority string) time.Duration {
	switch priority {
	case "urgent":
		return t.Urgent.D()
	case "high":
		return t.High.D()
	case "low":
		return t.Low.D()
	}
	return t.Normal.D()
}

// Plans are the SLA targets of each plan.
type Plans struct {
	Managed  PlanSLA `yaml:"managed" json:"managed"`
	BreakFix PlanSLA `yaml:"break_fix" json:"break_fix"`
	Prepaid  PlanSLA `yaml:"prepaid" json:"prepaid"`
}

// PlanSLA are one plan's SLA targets. A zero target means no clock.
type PlanSLA struct {
	// BusinessHours makes the clocks run only within business hours
	// (routing.business_hours).
	BusinessHours bool    `yaml:"business_hours" json:"business_hours"`
	FirstResponse Targets `yaml:"first_response" json:"first_response"`
	Resolution    Targets `yaml:"resolution" json:"resolution"`
}

// Acks configures the auto-acknowledgement a customer gets when their
// message opens a ticket. It is the ledger's, so one key words it on every
// channel (SMS, email, Slack).
type Acks struct {
	// Template is the text; {{ticket}} (required) and {{owner}} (the
	// owner's first name) are filled in. Empty: ownership.DefaultAckTemplate.
	Template string `yaml:"template,omitempty" json:"template,omitempty"`
}

// Dashboard configures the web dashboard.
type Dashboard struct {
	Users []DashboardUser `yaml:"users,omitempty" json:"users,omitempty"`
}

// DashboardUser signs in to the dashboard with a password. The role is the
// rep's.
type DashboardUser struct {
	Name         string `yaml:"name" json:"name"`
	PasswordHash Secret `yaml:"password_hash" json:"password_hash"` // bcrypt, e.g. htpasswd -nbB name password
	Rep          string `yaml:"rep" json:"rep"`
}

// Channels configures the channel adapters. A nil section means the
// channel is disabled.
type Channels struct {
	Twilio *Twilio `yaml:"twilio,omitempty" json:"twilio,omitempty"`
	Email  *Email  `yaml:"email,omitempty" json:"email,omitempty"`
	Slack  *Slack  `yaml:"slack,omitempty" json:"slack,omitempty"`
}

// Twilio configures SMS and voice.
type Twilio struct {
	AccountSID string `yaml:"account_sid" json:"account_sid"`
	AuthToken  Secret `yaml:"auth_token" json:"auth_token"`
	Number     string `yaml:"number" json:"number"`                       // E.164
	APIURL     string `yaml:"api_url,omitempty" json:"api_url,omitempty"` // test seam
	// AckTemplate, when set, is the text a new SMS ticket's customer gets
	// back instead of acks.template (SMS only: email and Slack acks keep
	// acks.template); {{ticket}} (required) and {{owner}} are filled in.
	AckTemplate string `yaml:"ack_template,omitempty" json:"ack_template,omitempty"`
}

// TLSMode is how a mail connection is secured.
type TLSMode string

// TLS modes. None is allowed only towards a loopback address.
const (
	TLSImplicit TLSMode = "implicit"
	TLSStartTLS TLSMode = "starttls"
	TLSNone     TLSMode = "none"
)

// Email configures the mailbox (IMAP in, SMTP out).
type Email struct {
	IMAP   IMAP   `yaml:"imap" json:"imap"`
	SMTP   SMTP   `yaml:"smtp" json:"smtp"`
	APIURL string `yaml:"api_url,omitempty" json:"api_url,omitempty"` // test seam
}

// IMAP is the inbound mailbox.
type IMAP struct {
	Addr     string  `yaml:"addr" json:"addr"` // host:port
	TLS      TLSMode `yaml:"tls" json:"tls"`   // default implicit
	Username string  `yaml:"username" json:"username"`
	Password Secret  `yaml:"password" json:"password"`
	Mailbox  string  `yaml:"mailbox" json:"mailbox"` // default INBOX
	// Processed, when set, is the folder processed mail is moved to
	// (it is always marked \Seen).
	Processed string `yaml:"processed,omitempty" json:"processed,omitempty"`
	// PollInterval is how often a server without IDLE is checked.
	PollInterval Duration `yaml:"poll_interval,omitempty" json:"poll_interval,omitempty"`
}

// SMTP is the outbound relay.
type SMTP struct {
	Addr     string  `yaml:"addr" json:"addr"` // host:port
	TLS      TLSMode `yaml:"tls" json:"tls"`   // default implicit on port 465, else starttls
	Username string  `yaml:"username,omitempty" json:"username,omitempty"`
	Password Secret  `yaml:"password,omitempty" json:"password,omitempty"`
	From     string  `yaml:"from" json:"from"` // "Name <addr>" or addr
}

// ReplyMode says which rep messages in a Slack ticket thread reach the
// customer.
type ReplyMode string

// Reply modes.
const (
	// ReplyExplicit sends only messages that start with the reply prefix
	// (or use the shortcut or the Reply button); the default.
	ReplyExplicit ReplyMode = "explicit"
	// ReplyThread sends every rep message except those that start with the
	// note prefix.
	ReplyThread ReplyMode = "thread"
)

// Slack configures the Slack app.
type Slack struct {
	BotToken      Secret    `yaml:"bot_token" json:"bot_token"`
	SigningSecret Secret    `yaml:"signing_secret" json:"signing_secret"`
	AppToken      Secret    `yaml:"app_token,omitempty" json:"app_token,omitempty"` // Socket Mode when set
	Channel       string    `yaml:"channel" json:"channel"`                         // triage channel
	APIURL        string    `yaml:"api_url,omitempty" json:"api_url,omitempty"`     // test seam
	ReplyMode     ReplyMode `yaml:"reply_mode" json:"reply_mode"`                   // default explicit
	ReplyPrefix   string    `yaml:"reply_prefix" json:"reply_prefix"`               // default "!reply"
	NotePrefix    string    `yaml:"note_prefix" json:"note_prefix"`                 // default "!note"
	// CustomerChannels are shared (Slack Connect) channels where customers
	// write; their messages open or join tickets, like DMs to the app.
	CustomerChannels []string `yaml:"customer_channels,omitempty" json:"customer_channels,omitempty"`
	// AlertChannel gets every manager alert (escalations, breached SLAs)
	// besides the managers' own DMs.
	AlertChannel string `yaml:"alert_channel,omitempty" json:"alert_channel,omitempty"`
}
