package ownership

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/intakehq/intake/channels"
)

// Recognising a delivery seen before. Most providers' ids are unique
// (MessageSid, CallSid, Slack event ids), so the id alone decides. Email's
// Message-ID is not: broken mailers and list software reuse ids, and anyone
// can copy one to make a later mail vanish. A delivery that carries a
// content digest (channels.MetaDigest) is the same message as the one
// stored under its id only when the digest or the mailbox position
// (channels.MetaMailboxUID) matches; a different message reusing the id is
// taken in under a key of its own and says so (channels.MetaIDReused). The
// original keeps the id, so threading by In-Reply-To and References still
// leads to the original's ticket, and no reuse can steer a mail past the
// stranger check into another customer's ticket.

// seen returns the ticket a delivery was taken in on before ("" when it
// is new), with m as it is to be stored and its dedup key: m itself, or
// for a different message reusing a provider id, a copy under its own
// key whose Meta notes the reuse.
func (s *Service) seen(ctx context.Context, m channels.Message) (channels.Message, string, string, error) {
	key := m.DedupKey()
	id, err := s.store.LookupDedup(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return m, key, "", nil
	}
	if err != nil {
		return m, key, "", err
	}
	digest := m.Meta[channels.MetaDigest]
	if digest == "" {
		return m, key, id, nil // a unique provider id
	}
	same, err := s.sameMessage(ctx, id, m)
	if err != nil || same {
		return m, key, id, err
	}
	orig, first := m.ExternalID, id
	m.Meta = maps.Clone(m.Meta)
	m.Meta[channels.MetaIDReused] = fmt.Sprintf("%s was already used by a different message, on %s; this one was taken in as its own", orig, id)
	m.ExternalID = orig + "#" + shortDigest(digest)
	key = m.DedupKey()
	id, err = s.store.LookupDedup(ctx, key)
	if errors.Is(err, ErrNotFound) {
		s.logger.Warn("provider id reused by a different message", "channel", m.Kind, "provider_id", orig, "first_ticket", first)
		return m, key, "", nil
	}
	return m, key, id, err
}

// sameMessage reports whether m is the message stored under its provider
// id on ticket id: same mailbox position or same content digest. A stored
// message without either (taken in before digests were kept) counts as
// the same, as before.
func (s *Service) sameMessage(ctx context.Context, id string, m channels.Message) (bool, error) {
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return false, fmt.Errorf("events of %s: %w", id, err)
	}
	found := false
	for _, ev := range evs {
		if ev.ProviderID != m.ExternalID {
			continue
		}
		found = true
		d, uid := ev.Meta[channels.MetaDigest], ev.Meta[channels.MetaMailboxUID]
		if d == "" && uid == "" {
			return true, nil
		}
		if d == m.Meta[channels.MetaDigest] || (uid != "" && uid == m.Meta[channels.MetaMailboxUID]) {
			return true, nil
		}
	}
	return !found, nil
}

func shortDigest(d string) string {
	if len(d) > 24 {
		return d[:24]
	}
	return d
}
