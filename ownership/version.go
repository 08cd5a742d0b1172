package ownership

import (
	"encoding/json"
	"time"
)

// Conflicts reports whether next differs from cur in a field a client could
// conflict with: owner (and team), status, priority, acknowledgement, the
// pending offer, subject. Only such a change moves Ticket.Version, so the
// version a client read stays good across the server's own bookkeeping
// (a triage post recorded, an auto-ack sent, a delivery status, a
// customer message that leaves the status alone) and across notes and time
// entries, which commute with every other change.
func Conflicts(cur, next Ticket) bool {
	return cur.Owner != next.Owner || cur.Team != next.Team || cur.Status != next.Status ||
		cur.Priority != next.Priority || cur.Subject != next.Subject ||
		!sameTime(cur.AckedAt, next.AckedAt) || !sameOffer(cur.Offer, next.Offer)
}

// bumpVersion prepares next, a changed copy of cur, for UpdateTicket: the
// store compare-and-sets on cur's Rev, and Version moves on only when the
// change Conflicts.
func bumpVersion(cur Ticket, next *Ticket) {
	next.Rev, next.Version = cur.Rev, cur.Version
	if Conflicts(cur, *next) {
		next.Version = cur.Version + 1
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func sameOffer(a, b *Offer) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.To == b.To && a.From == b.From && a.By == b.By && a.At.Equal(b.At) &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.Reason == b.Reason
}

// stored is a ticket as stores keep it: its JSON plus the revision,
// which the JSON clients see leaves out. The embedded fields come first,
// so the JSON still starts with id and number.
type stored struct {
	Ticket
	Rev int64 `json:"rev"`
}

// MarshalStored encodes t as stores keep it, Rev included.
func MarshalStored(t Ticket) ([]byte, error) {
	return json.Marshal(stored{Ticket: t, Rev: t.Rev})
}

// UnmarshalStored decodes what MarshalStored wrote. A ticket stored before
// revisions existed has none; every write moved its version then, so its
// Version is its revision too (the Redis store's "v" field holds exactly
// that).
func UnmarshalStored(b []byte) (Ticket, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return Ticket{}, err
	}
	t := s.Ticket
	t.Rev = s.Rev
	if t.Rev == 0 {
		t.Rev = t.Version
	}
	return t, nil
}
