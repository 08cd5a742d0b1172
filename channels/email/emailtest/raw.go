package emailtest

import (
	"slices"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// imapmemserver extracts every body section by parsing the message's
// header block first, and returns nothing at all for a message whose
// header block does not parse (a line without a colon, a NUL in a field
// name, text with no header). A real server (Dovecot, for one) returns
// BODY[] as the bytes it stored. rawSession does the same for the whole
// message body sections a mail reader asks for, so hostile mail reaches
// the reader as it was appended.

// rawStore keeps the bytes of each message Append put in the INBOX, by UID.
type rawStore struct {
	mu  sync.Mutex
	raw map[imap.UID][]byte
}

func (r *rawStore) put(uid imap.UID, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.raw == nil {
		r.raw = map[imap.UID][]byte{}
	}
	r.raw[uid] = slices.Clone(b)
}

// renumber maps the INBOX's messages, listed by their old UIDs in order,
// to UIDs 1..n, as a rebuilt mailbox numbers them.
func (r *rawStore) renumber(old []imap.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := make(map[imap.UID][]byte, len(old))
	for i, u := range old {
		if b, ok := r.raw[u]; ok {
			next[imap.UID(i+1)] = b
		}
	}
	r.raw = next
}

// get returns the bytes of each uid, or false if any is unknown (a
// message APPENDed over IMAP rather than by IMAPServer.Append).
func (r *rawStore) get(uids []imap.UID) ([][]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, len(uids))
	for i, u := range uids {
		b, ok := r.raw[u]
		if !ok {
			return nil, false
		}
		out[i] = b
	}
	return out, true
}

// rawSession is imapmemserver's session with whole-message BODY[] fetches
// of the INBOX served from rawStore.
type rawSession struct {
	imapserver.SessionIMAP4rev2
	store    *rawStore
	selected string
}

func (s *rawSession) Select(mailbox string, o *imap.SelectOptions) (*imap.SelectData, error) {
	d, err := s.SessionIMAP4rev2.Select(mailbox, o)
	if err == nil {
		s.selected = mailbox
	}
	return d, err
}

func (s *rawSession) Unselect() error {
	s.selected = ""
	return s.SessionIMAP4rev2.Unselect()
}

func (s *rawSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, o *imap.FetchOptions) error {
	if s.selected != Mailbox || !wholeBodyPeek(o) {
		return s.SessionIMAP4rev2.Fetch(w, numSet, o)
	}
	crit := &imap.SearchCriteria{}
	switch set := numSet.(type) {
	case imap.UIDSet:
		crit.UID = []imap.UIDSet{set}
	case imap.SeqSet:
		crit.SeqNum = []imap.SeqSet{set}
	default:
		return s.SessionIMAP4rev2.Fetch(w, numSet, o)
	}
	byUID, err := s.Search(imapserver.NumKindUID, crit, &imap.SearchOptions{})
	if err != nil {
		return err
	}
	bySeq, err := s.Search(imapserver.NumKindSeq, crit, &imap.SearchOptions{})
	if err != nil {
		return err
	}
	uids, seqs := byUID.AllUIDs(), bySeq.AllSeqNums()
	raws, ok := s.store.get(uids)
	if !ok || len(uids) != len(seqs) {
		return s.SessionIMAP4rev2.Fetch(w, numSet, o)
	}
	for i, raw := range raws {
		rw := w.CreateMessage(seqs[i])
		rw.WriteUID(uids[i])
		if o.RFC822Size {
			rw.WriteRFC822Size(int64(len(raw)))
		}
		for _, bs := range o.BodySection {
			b := partial(raw, bs.Partial)
			wc := rw.WriteBodySection(bs, int64(len(b)))
			_, werr := wc.Write(b)
			if cerr := wc.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return werr
			}
		}
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// wholeBodyPeek reports whether o asks only for UID, size and
// BODY.PEEK[] (partial or not): what a mail reader fetches.
func wholeBodyPeek(o *imap.FetchOptions) bool {
	if o.Flags || o.Envelope || o.InternalDate || o.ModSeq || o.BodyStructure != nil ||
		len(o.BinarySection) > 0 || len(o.BinarySectionSize) > 0 || len(o.BodySection) == 0 {
		return false
	}
	for _, bs := range o.BodySection {
		if !bs.Peek || bs.Specifier != imap.PartSpecifierNone || len(bs.Part) > 0 || len(bs.HeaderFields) > 0 || len(bs.HeaderFieldsNot) > 0 {
			return false
		}
	}
	return true
}

func partial(b []byte, p *imap.SectionPartial) []byte {
	if p == nil {
		return b
	}
	if p.Offset >= int64(len(b)) {
		return nil
	}
	b = b[p.Offset:]
	if p.Size >= 0 && p.Size < int64(len(b)) {
		b = b[:p.Size]
	}
	return b
}
