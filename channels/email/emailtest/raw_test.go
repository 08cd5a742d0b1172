package emailtest

import (
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/stretchr/testify/require"
)

// A real server returns BODY[] as stored, whatever the header block looks
// like; so does this one (imapmemserver alone returns nothing for these).
func TestIMAPServerServesRawBody(t *testing.T) {
	srv := StartIMAP(t)
	mails := [][]byte{
		[]byte(plainMail),
		[]byte("just text, no header at all\r\nsecond line\r\n"),
		[]byte("From: pat@acmedental.example\r\nthis line has no colon\r\n\r\nbody"),
		[]byte("From: pat@acmedental.example\r\nX-Bad\x00: y\r\n\r\nbody\x00"),
	}
	for _, m := range mails {
		srv.Append(t, m)
	}
	c := dial(t, srv.Addr())
	c.selectInbox(t)
	for _, tc := range []struct {
		name    string
		partial *imap.SectionPartial
		set     imap.NumSet
	}{
		{"whole, by UID", nil, imap.UIDSetNum(1, 2, 3, 4)},
		{"partial, by UID", &imap.SectionPartial{Offset: 0, Size: 10}, imap.UIDSet{{Start: 1, Stop: 0}}},
		{"whole, by sequence number", nil, imap.SeqSetNum(1, 2, 3, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			section := &imap.FetchItemBodySection{Peek: true, Partial: tc.partial}
			msgs, err := c.Fetch(tc.set, &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			require.NoError(t, err)
			require.Len(t, msgs, len(mails))
			for _, m := range msgs {
				want := mails[m.UID-1]
				require.Equal(t, int64(len(want)), m.RFC822Size)
				if tc.partial != nil {
					want = want[:min(len(want), int(tc.partial.Size))]
				}
				require.Equal(t, string(want), string(m.FindBodySection(section)), "UID %d", m.UID)
			}
		})
	}

	// Anything else is imapmemserver's own answer.
	msgs, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, Peek: true}}}).Collect()
	require.NoError(t, err)
	require.Contains(t, string(msgs[0].BodySection[0].Bytes), "Subject: Printer offline")
}
