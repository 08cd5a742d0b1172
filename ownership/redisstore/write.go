package redisstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/intakehq/intake/ownership"
)

// call is one script invocation: exactly what go-redis sends, and re-sends
// on a retry.
type call struct {
	keys []string
	args []any
}

// CreateTicket stores a new ticket, its owner, indexes and events in one
// atomic script. The ticket number comes from INCR inside the script, only
// once every check has passed, so numbers stay gap-free.
func (s *Store) CreateTicket(ctx context.Context, req ownership.CreateRequest) (ownership.Ticket, bool, error) {
	c, err := s.createCall(req)
	if err != nil {
		return ownership.Ticket{}, false, err
	}
	return s.runCreate(ctx, c)
}

func (s *Store) createCall(req ownership.CreateRequest) (call, error) {
	t := req.Ticket
	t.Rev = 1 // the script writes "v" 1 and prepends "version":1
	if t.Owner == "" && t.Status != ownership.StatusClosed {
		return call{}, fmt.Errorf("redisstore: create ticket: %w", ownership.ErrNoOwner)
	}
	rest, err := ticketRest(t)
	if err != nil {
		return call{}, fmt.Errorf("redisstore: create ticket: %w", err)
	}
	token, err := newToken()
	if err != nil {
		return call{}, fmt.Errorf("redisstore: create ticket: %w", err)
	}
	opKey, dedupKey, hasDedup := s.k.op(token), s.k.op(token), "0"
	if req.DedupKey != "" {
		dedupKey, hasDedup = s.k.dedup(req.DedupKey), "1"
	}
	itemKeys, itemArgs, err := s.outboxArgs(req.Outbox)
	if err != nil {
		return call{}, fmt.Errorf("redisstore: create ticket: %w", err)
	}
	ks := []string{s.k.seq(), s.k.load(), s.k.lastAssigned(), opKey, dedupKey, s.k.obDue(), s.k.obAll(), s.k.obState(ownership.OutboxPending)}
	ks = append(append(ks, itemKeys...), s.k.indexes(t)...)
	args := []any{s.k.p, hasDedup, t.Owner, string(t.Status), flag(t.Status.Active()),
		capacity(req.OwnerCapacity), nanos(t), opTTL, rest, len(req.Events), len(req.Outbox)}
	if args, err = appendEvents(args, req.Events); err != nil {
		return call{}, fmt.Errorf("redisstore: create ticket: %w", err)
	}
	return call{keys: ks, args: append(args, itemArgs...)}, nil
}

func (s *Store) runCreate(ctx context.Context, c call) (ownership.Ticket, bool, error) {
	tag, js, err := reply(s.scripts.create.Run(ctx, s.rdb, c.keys, c.args...).Result())
	if err != nil {
		return ownership.Ticket{}, false, fmt.Errorf("redisstore: create ticket: %w", err)
	}
	switch tag {
	case tagOK, tagReplay, tagDup:
		if tag == tagReplay {
			s.log.DebugContext(ctx, "redisstore: create answered from its earlier run (retried after a lost reply)")
		}
		t, err := decodeTicket(js)
		if err != nil {
			return ownership.Ticket{}, false, fmt.Errorf("redisstore: create ticket: %w", err)
		}
		return t, tag != tagDup, nil
	case tagFull:
		return ownership.Ticket{}, false, fmt.Errorf("redisstore: create ticket: %w", ownership.ErrOwnerFull)
	}
	return ownership.Ticket{}, false, fmt.Errorf("redisstore: create ticket: unexpected script reply %q", tag)
}

// UpdateTicket applies req as one compare-and-set script.
func (s *Store) UpdateTicket(ctx context.Context, req ownership.UpdateRequest) (ownership.Ticket, error) {
	c, err := s.updateCall(req)
	if err != nil {
		return ownership.Ticket{}, err
	}
	return s.runUpdate(ctx, c, req.Ticket.ID)
}

func (s *Store) updateCall(req ownership.UpdateRequest) (call, error) {
	t := req.Ticket
	n, err := ownership.ParseID(t.ID)
	if err != nil {
		return call{}, fmt.Errorf("redisstore: update ticket %q: %w", t.ID, ownership.ErrNotFound)
	}
	if t.Owner == "" && t.Status != ownership.StatusClosed {
		return call{}, fmt.Errorf("redisstore: update ticket %s: %w", t.ID, ownership.ErrNoOwner)
	}
	expected := t.Rev
	t.ID, t.Number, t.Rev = ownership.FormatID(n), n, expected+1
	js, err := ownership.MarshalStored(t)
	if err != nil {
		return call{}, fmt.Errorf("redisstore: update ticket %s: encode: %w", t.ID, err)
	}
	// Without an OpID a go-redis retry of a lost reply would look like a
	// conflict; a random one makes the resent script a replay instead. The
	// script records the OpID under {p}:op:<opid> for opTTL, so the resent
	// script is a replay even when other updates came in between.
	opID := req.OpID
	if opID == "" {
		tok, err := newToken()
		if err != nil {
			return call{}, fmt.Errorf("redisstore: update ticket %s: %w", t.ID, err)
		}
		opID = "auto:" + tok
	}
	dedupKey, hasDedup := s.k.ticket(n), "0"
	if req.DedupKey != "" {
		dedupKey, hasDedup = s.k.dedup(req.DedupKey), "1"
	}
	itemKeys, itemArgs, err := s.outboxArgs(req.Outbox)
	if err != nil {
		return call{}, fmt.Errorf("redisstore: update ticket %s: %w", t.ID, err)
	}
	ks := []string{s.k.ticket(n), s.k.events(n), s.k.ticketIdx(n), s.k.load(), s.k.lastAssigned(), dedupKey,
		s.k.op(opID), s.k.obDue(), s.k.obAll(), s.k.obState(ownership.OutboxPending)}
	ks = append(append(ks, itemKeys...), s.k.indexes(t)...)
	args := []any{hasDedup, opID, strconv.FormatInt(expected, 10), strconv.FormatInt(t.Rev, 10),
		strconv.FormatInt(n, 10), t.ID, t.Owner, string(t.Status), flag(t.Status.Active()),
		capacity(req.OwnerCapacity), nanos(t), string(js), opTTL, len(req.Events), len(req.Outbox)}
	if args, err = appendEvents(args, req.Events); err != nil {
		return call{}, fmt.Errorf("redisstore: update ticket %s: %w", t.ID, err)
	}
	return call{keys: ks, args: append(args, itemArgs...)}, nil
}

func (s *Store) runUpdate(ctx context.Context, c call, id string) (ownership.Ticket, error) {
	tag, js, err := reply(s.scripts.update.Run(ctx, s.rdb, c.keys, c.args...).Result())
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("redisstore: update ticket %s: %w", id, err)
	}
	var sentinel error
	switch tag {
	case tagOK, tagReplay:
		t, err := decodeTicket(js)
		if err != nil {
			return ownership.Ticket{}, fmt.Errorf("redisstore: update ticket %s: %w", id, err)
		}
		return t, nil
	case tagNotFound:
		sentinel = ownership.ErrNotFound
	case tagConflict:
		sentinel = ownership.ErrConflict
	case tagDup:
		sentinel = ownership.ErrDuplicate
	case tagFull:
		sentinel = ownership.ErrOwnerFull
	default:
		return ownership.Ticket{}, fmt.Errorf("redisstore: update ticket %s: unexpected script reply %q", id, tag)
	}
	return ownership.Ticket{}, fmt.Errorf("redisstore: update ticket %s: %w", id, sentinel)
}

// reply splits a script reply {tag[, json]}.
func reply(v any, err error) (tag, js string, _ error) {
	if err != nil {
		return "", "", err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return "", "", fmt.Errorf("unexpected script reply %v", v)
	}
	if tag, ok = arr[0].(string); !ok {
		return "", "", fmt.Errorf("unexpected script reply %v", v)
	}
	if len(arr) > 1 {
		js, _ = arr[1].(string)
	}
	return tag, js, nil
}

func decodeTicket(js string) (ownership.Ticket, error) {
	if js == "" {
		return ownership.Ticket{}, errors.New("stored ticket missing")
	}
	t, err := ownership.UnmarshalStored([]byte(js))
	if err != nil {
		return t, fmt.Errorf("decode stored ticket: %w", err)
	}
	return t, nil
}

// The JSON splices. The create script writes
// '{"id":"T-<n>","number":<n>,"version":1,' .. rest, and each event as
// '{"seq":<k>,' .. rest. The script never decodes JSON (Lua cjson would turn
// empty arrays into objects and large integers into floats).
var (
	ticketHead = []byte(`{"id":"","number":0,`)
	versionMid = []byte(`,"version":0,`)
	eventHead  = []byte(`{"seq":0,`)
)

// ticketRest returns t's JSON without its opening brace and without the
// id, number and version fields, which the create script prepends. The
// field order of ownership.Ticket puts id and number first (MarshalStored
// appends rev, which stays in rest); version is the only top-level
// "version" key with a number value (a string inside the
// JSON cannot contain an unescaped `,"`), and the checks below fail loudly
// should the type change.
func ticketRest(t ownership.Ticket) (string, error) {
	t.ID, t.Number, t.Version = "", 0, 0
	b, err := ownership.MarshalStored(t)
	if err != nil {
		return "", fmt.Errorf("encode ticket: %w", err)
	}
	rest, ok := bytes.CutPrefix(b, ticketHead)
	if !ok || bytes.Count(rest, versionMid) != 1 {
		return "", errors.New("encode ticket: unexpected JSON layout of ownership.Ticket")
	}
	return string(bytes.Replace(rest, versionMid, []byte(","), 1)), nil
}

// appendEvents appends each event's JSON without its leading '{"seq":0,'.
func appendEvents(args []any, evs []ownership.Event) ([]any, error) {
	for _, e := range evs {
		e.Seq = 0
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		rest, ok := bytes.CutPrefix(b, eventHead)
		if !ok {
			return nil, errors.New("encode event: unexpected JSON layout of ownership.Event")
		}
		args = append(args, string(rest))
	}
	return args, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func capacity(c int) int {
	if c < 0 {
		return 0
	}
	return c
}

// nanos is the script argument for the owner's last assignment time.
func nanos(t ownership.Ticket) string {
	if t.AssignedAt.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.AssignedAt.UnixNano(), 10)
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
