package email

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/intakehq/intake/channels"
)

// What the Reader does with a selected mailbox: find the mail after its
// checkpoint, hand it to the ledger in UID order, mark it, move on.

// checkpoint is where the reader is in the mailbox.
type checkpoint struct {
	validity uint32
	last     imap.UID
}

func (r *Reader) checkpointKey() string {
	return "email:checkpoint:" + strings.ToLower(r.cfg.Username) + ":" + r.cfg.Mailbox
}

// checkpoint loads the saved position. A different UIDVALIDITY means the
// UIDs were renumbered: start from the first message again; the ledger
// recognises what was taken before (same Message-ID and content digest)
// and does not double it.
func (r *Reader) checkpoint(ctx context.Context, validity uint32) (checkpoint, error) {
	v, err := r.lease.Load(ctx, r.checkpointKey())
	if err != nil {
		return checkpoint{}, fmt.Errorf("load mailbox checkpoint: %w", err)
	}
	cp := checkpoint{validity: validity}
	if v == "" {
		return cp, nil
	}
	vs, ls, _ := strings.Cut(v, ":")
	saved, err1 := strconv.ParseUint(vs, 10, 32)
	last, err2 := strconv.ParseUint(ls, 10, 32)
	if err1 != nil || err2 != nil {
		r.logger.Warn("mailbox checkpoint unreadable; rescanning", "value", v)
		return cp, nil
	}
	if uint32(saved) != validity {
		r.logger.Warn("mailbox UIDVALIDITY changed; rescanning, duplicates are recognised by Message-ID and content",
			"was", saved, "now", validity)
		return cp, nil
	}
	cp.last = imap.UID(last)
	return cp, nil
}

// catchUp takes in every message after the checkpoint, a batch at a time,
// in UID order.
func (r *Reader) catchUp(ctx context.Context, c *imapclient.Client, cp *checkpoint) error {
	for ctx.Err() == nil {
		var found *imap.SearchData
		err := r.do(c, func() (err error) {
			set := imap.UIDSet{imap.UIDRange{Start: cp.last + 1, Stop: 0}}
			found, err = c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
			return err
		})
		if err != nil {
			return fmt.Errorf("search new mail: %w", err)
		}
		var uids []imap.UID
		for _, u := range found.AllUIDs() {
			// "n:*" always matches the highest UID, even one below n.
			if u > cp.last {
				uids = append(uids, u)
			}
		}
		if len(uids) == 0 {
			return nil
		}
		slices.Sort(uids)
		if len(uids) > r.cfg.Batch {
			uids = uids[:r.cfg.Batch]
		}
		if err := r.batch(ctx, c, cp, uids); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// batch fetches uids, hands each message to the ledger in UID order, then
// marks them \Seen (and moves them) and saves the checkpoint. A crash in
// between fetches them again; the ledger recognises them.
func (r *Reader) batch(ctx context.Context, c *imapclient.Client, cp *checkpoint, uids []imap.UID) error {
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: r.cfg.MaxSize}}
	opts := &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}
	var done []imap.UID
	err := r.do(c, func() error {
		cmd := c.Fetch(imap.UIDSetNum(uids...), opts)
		defer cmd.Close()
		for {
			msg := cmd.Next()
			if msg == nil {
				break
			}
			buf, err := msg.Collect()
			if err != nil {
				return err
			}
			if buf.UID == 0 {
				continue
			}
			raw := buf.FindBodySection(section)
			if err := r.ingest(ctx, cp.validity, buf.UID, raw, buf.RFC822Size); err != nil {
				return err
			}
			done = append(done, buf.UID)
		}
		return cmd.Close()
	})
	if err != nil && len(done) == 0 {
		return fmt.Errorf("fetch mail: %w", err)
	}
	// Messages the server listed but did not return (expunged meanwhile)
	// are passed over; fetched ones are marked even if a later one failed.
	if len(done) > 0 {
		if merr := r.mark(c, done); merr != nil {
			return errors.Join(err, merr)
		}
	}
	if err != nil {
		return fmt.Errorf("fetch mail: %w", err)
	}
	last := slices.Max(uids)
	if err := r.lease.Save(ctx, r.checkpointKey(), fmt.Sprintf("%d:%d", cp.validity, last)); err != nil {
		return fmt.Errorf("save mailbox checkpoint: %w", err)
	}
	cp.last = last
	r.count(func(s *ReaderStats) { s.LastUID = uint32(last) })
	return nil
}

// mark flags processed messages \Seen and moves them when configured.
func (r *Reader) mark(c *imapclient.Client, uids []imap.UID) error {
	set := imap.UIDSetNum(uids...)
	err := r.do(c, func() error {
		return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	})
	if err != nil {
		return fmt.Errorf("mark mail seen: %w", err)
	}
	if r.cfg.Processed != "" {
		if err := r.do(c, func() error { _, err := c.Move(set, r.cfg.Processed).Wait(); return err }); err != nil {
			return fmt.Errorf("move mail to %s: %w", r.cfg.Processed, err)
		}
	}
	return nil
}

// ingest hands one message to the ledger. A message the ledger refuses
// as invalid is handed over again as raw text for review rather than
// blocking the mailbox; any other error (the store is down) stops the
// batch so the message is fetched again.
func (r *Reader) ingest(ctx context.Context, validity uint32, uid imap.UID, raw []byte, size int64) error {
	p, perr := Parse(raw, r.cfg.Parse)
	// Where the mail was read: reading the same position again is the
	// same mail, whatever its Message-ID.
	pos := fmt.Sprintf("%s %d:%d", r.cfg.Mailbox, validity, uid)
	inbound := func(perr error) channels.Message {
		m := Inbound(p, perr, raw, r.cfg.Ours, r.cfg.Now())
		m.Meta[channels.MetaMailboxUID] = pos
		if size > int64(len(raw)) {
			m.Meta["truncated"] = "true"
			m.Meta["size"] = strconv.FormatInt(size, 10)
		}
		return m
	}
	m := inbound(perr)
	ref, err := r.sink.Accept(ctx, m)
	if errors.Is(err, channels.ErrRejected) {
		r.logger.Warn("ledger refused a mail; keeping it for review", "uid", uid, "err", err)
		m = inbound(fmt.Errorf("refused: %w", err))
		if m.Meta[channels.MetaAutomated] != "" {
			addReview(&m, "the ledger refused it ("+capBytes(SanitizeHeader(err.Error()), 200)+"); its raw text is kept")
		}
		if m.Text == "" {
			m.Text = "(empty)"
		}
		m.Event = ""
		delete(m.Meta, channels.MetaAutomated)
		ref, err = r.sink.Accept(ctx, m)
		if errors.Is(err, channels.ErrRejected) {
			// Not even its raw text can be stored: say so loudly and move
			// on; the mail stays in the mailbox.
			r.logger.Error("mail could not be stored even as raw text; left in the mailbox", "uid", uid,
				"message_id", m.Meta[channels.MetaMessageID], "err", err)
			r.count(func(s *ReaderStats) { s.Fetched++; s.Review++ })
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("store mail uid %d: %w", uid, err)
	}
	r.count(func(s *ReaderStats) {
		s.Fetched++
		switch {
		case ref.Duplicate:
			s.Duplicate++
		case m.Meta[channels.MetaReview] != "" || m.Unanswerable != "":
			s.Review++
		case ref.Created:
			s.Tickets++
		case ref.ID != "":
			s.Joined++
		default:
			s.Ignored++
		}
	})
	r.logger.Debug("mail taken in", "uid", uid, "ticket", ref.ID, "created", ref.Created, "duplicate", ref.Duplicate,
		"automated", m.Meta[channels.MetaAutomated])
	return nil
}
