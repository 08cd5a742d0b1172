package ownership

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/routing"
)

// Actor is who makes a change: a rep (or an API token acting as one) with a
// role.
type Actor struct {
	ID   string
	Role routing.Role
}

// IsManager reports whether the actor has the manager role.
func (a Actor) IsManager() bool { return a.Role == routing.RoleManager }

// Policy holds the rules of the ledger: its timings, and where alerts go
// besides the managers.
type Policy struct {
	AckTimeout    map[Priority]time.Duration // per priority; missing means no ack clock
	TransferOffer time.Duration              // how long a handoff offer stays open
	Plans         map[string]PlanSLA         // SLA targets per org plan; "default" for tickets without a plan
	// Calendar is the business hours (and holidays) that plans with
	// BusinessHours count in.
	Calendar routing.Calendar
	// AlertTo, when set, gets every manager alert too (escalations, stuck
	// tickets, breached SLAs): a place the managers watch together, such as
	// a Slack channel. Nothing goes there when its channel cannot send.
	AlertTo Destination
}

// Destination is an address on one channel: a phone number for SMS, an
// email address, a Slack channel or user id.
type Destination struct {
	Kind channels.Kind
	To   string
}

// PlanSLA are the targets of one plan, per priority.
type PlanSLA struct {
	FirstResponse map[Priority]time.Duration
	Resolution    map[Priority]time.Duration
	BusinessHours bool // clocks run only within Policy.Calendar
}

// Options configure a Service.
type Options struct {
	Store    Store
	Router   *routing.Router
	Orgs     []Org
	Contacts []ContactLink
	// Availability is each rep's availability until someone changes it.
	Availability map[string]routing.Availability
	Policy       Policy
	Now          func() time.Time // defaults to time.Now
	Logger       *slog.Logger
	Metrics      *Metrics // optional
	// Contacts of the reps, for notifications and for ringing owners.
	RepContacts map[string]RepContact
	// Outbound are the channels the outbox can send on (those with a
	// Replier): replies and notifications are only queued for these.
	Outbound map[channels.Kind]bool
	// AckTemplate is the customer auto-acknowledgement on every channel
	// (the acks.template key); DefaultAckTemplate when empty. {{ticket}}
	// and {{owner}} (the owner's first name) are filled in; it must name
	// {{ticket}} (CheckAckTemplate).
	AckTemplate string
	// AckTemplates override AckTemplate on one channel each, for an
	// operator who words an SMS ack differently from an email one
	// (channels.twilio.ack_template is the SMS one).
	AckTemplates map[channels.Kind]string
	// TechScope is which tickets techs see and act on; "" is ScopeTeam.
	TechScope TechScope
}

// RepContact is how to reach a rep.
type RepContact struct {
	Name      string
	Phone     string
	Email     string
	SlackUser string
}

// Service is the ledger's rules engine: it creates tickets with an owner and
// applies rep and manager actions as version-checked changes. It is safe for
// concurrent use.
type Service struct {
	store  Store
	router *routing.Router
	dir    *directory
	avail  map[string]routing.Availability
	policy Policy
	now    func() time.Time
	logger *slog.Logger
	m      *Metrics
	reps   map[string]RepContact
	out    map[channels.Kind]bool
	ack    string                   // the auto-acknowledgement template
	acks   map[channels.Kind]string // per channel, over ack
	// techScope is which tickets techs see (see visibility.go).
	techScope TechScope

	// createMu serialises routing decisions in this process, so
	// least_loaded sees the load the previous decision left. Across
	// replicas the store's capacity check keeps reps within capacity.
	createMu sync.Mutex
	// ticketMu serialises changes to one ticket in this process, so
	// concurrent changes queue instead of spinning on version conflicts.
	ticketMu [64]sync.Mutex
	// contactMu serialises inbound deliveries per sender (see Accept).
	contactMu [64]sync.Mutex
}

// NewService returns a Service over opts.Store and opts.Router.
func NewService(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Router == nil {
		return nil, errors.New("ownership: a store and a router are required")
	}
	s := &Service{
		store:     opts.Store,
		router:    opts.Router,
		dir:       newDirectory(opts.Orgs, opts.Contacts),
		avail:     opts.Availability,
		policy:    opts.Policy,
		now:       opts.Now,
		logger:    opts.Logger,
		m:         opts.Metrics,
		reps:      opts.RepContacts,
		out:       opts.Outbound,
		ack:       opts.AckTemplate,
		acks:      opts.AckTemplates,
		techScope: opts.TechScope,
	}
	if s.ack == "" {
		s.ack = DefaultAckTemplate
	}
	if err := CheckAckTemplate(s.ack); err != nil {
		return nil, fmt.Errorf("ownership: ack template: %w", err)
	}
	for k, t := range s.acks {
		if t == "" {
			continue // the ledger's template
		}
		if err := CheckAckTemplate(t); err != nil {
			return nil, fmt.Errorf("ownership: %s ack template: %w", k, err)
		}
	}
	if s.techScope == "" {
		s.techScope = ScopeTeam
	}
	if !s.techScope.Valid() {
		return nil, fmt.Errorf("ownership: tech scope %q is not one of own, team, all", s.techScope)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.policy.TransferOffer <= 0 {
		s.policy.TransferOffer = 30 * time.Minute
	}
	return s, nil
}

// Store returns the store the service writes to.
func (s *Service) Store() Store { return s.store }

// Router returns the router the service asks for owners.
func (s *Service) Router() *routing.Router { return s.router }

// Policy returns the service's timing rules.
func (s *Service) Policy() Policy { return s.policy }

// Now returns the service's current time.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Outbox returns up to limit outbox items in state (all states when ""),
// newest first: what the API, the dashboard, readiness and the metrics
// show of outbound messages.
func (s *Service) Outbox(ctx context.Context, state string, limit int) ([]OutboxItem, error) {
	return s.store.ListOutbox(ctx, state, limit)
}

// Ping reports whether the ledger's store can be reached.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Ticket returns one ticket.
func (s *Service) Ticket(ctx context.Context, id string) (Ticket, error) {
	return s.store.Ticket(ctx, id)
}

// Events returns a ticket's timeline.
func (s *Service) Events(ctx context.Context, id string) ([]Event, error) {
	return s.store.Events(ctx, id)
}

// List returns a page of tickets. Unowned selects, like Summary, tickets
// that are not closed and have no owner on the roster: an owner who left the
// roster counts as none.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if !f.Unowned {
		return s.store.List(ctx, f)
	}
	// A broken promise, and rare: scan what is not closed and page in memory.
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	var before int64
	if f.Cursor != "" {
		n, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || n <= 0 {
			return Page{}, fmt.Errorf("%w: invalid cursor %q", ErrInvalid, f.Cursor)
		}
		before = n
	}
	scan := f
	scan.Unowned, scan.Cursor = false, ""
	if len(scan.Statuses) == 0 {
		scan.Statuses = []Status{StatusOpen, StatusPending, StatusResolved}
	}
	var p Page
	err := s.each(ctx, scan, func(t Ticket) error {
		if !s.unowned(t) || (before > 0 && t.Number >= before) {
			return nil
		}
		if len(p.Tickets) == limit {
			p.Next = strconv.FormatInt(p.Tickets[limit-1].Number, 10)
			return errPageFull
		}
		p.Tickets = append(p.Tickets, t)
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return Page{}, err
	}
	return p, nil
}

var errPageFull = errors.New("page full")

// repStates reads the live state of the roster and fills in initial
// availability for reps nobody has changed.
func (s *Service) repStates(ctx context.Context) (map[string]RepState, error) {
	st, err := s.store.RepStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("read rep states: %w", err)
	}
	for _, r := range s.router.Reps() {
		rs := st[r.ID]
		if rs.Availability == "" {
			rs.Availability = string(routing.Available)
			if a, ok := s.avail[r.ID]; ok && a != "" {
				rs.Availability = string(a)
			}
		}
		st[r.ID] = rs
	}
	return st, nil
}

func (s *Service) lockTicket(id string) func() {
	n, _ := ParseID(id)
	mu := &s.ticketMu[n%int64(len(s.ticketMu))]
	mu.Lock()
	return mu.Unlock
}

// newOpID returns a random id for one change or one create.
func newOpID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
