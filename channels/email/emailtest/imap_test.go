package emailtest

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"
)

const plainMail = "From: Anna Berg <anna.berg@acmedental.example>\r\n" +
	"To: help@northwind.example\r\n" +
	"Subject: Printer offline\r\n" +
	"Message-ID: <1.1@acmedental.example>\r\n" +
	"Date: Mon, 03 Mar 2025 09:00:00 +0100\r\n" +
	"\r\n" +
	"The front desk printer is offline again.\r\n"

// session is a logged-in client with the INBOX selected; exists receives
// every EXISTS count the server sends unilaterally.
type session struct {
	*imapclient.Client
	exists chan uint32
}

func dial(t *testing.T, addr string) *session {
	t.Helper()
	s := &session{exists: make(chan uint32, 16)}
	c, err := imapclient.DialInsecure(addr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					s.exists <- *d.NumMessages
				}
			},
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(Username, Password).Wait())
	s.Client = c
	return s
}

func (s *session) selectInbox(t *testing.T) *imap.SelectData {
	t.Helper()
	sel, err := s.Select(Mailbox, nil).Wait()
	require.NoError(t, err)
	return sel
}

func (s *session) waitExists(t *testing.T, want uint32) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case n := <-s.exists:
			if n == want {
				return
			}
		case <-timeout:
			t.Fatalf("no EXISTS %d within 5s", want)
		}
	}
}

func waitClosed(t *testing.T, c *imapclient.Client) {
	t.Helper()
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("client connection still open 5s after the server went away")
	}
}

func TestIMAPServerIdleStopRestart(t *testing.T) {
	srv := StartIMAP(t)
	c := dial(t, srv.Addr())
	require.True(t, c.Caps().Has(imap.CapIdle), "caps %v", c.Caps())
	sel := c.selectInbox(t)
	require.Equal(t, uint32(0), sel.NumMessages)
	require.Equal(t, srv.UIDValidity(), sel.UIDValidity)

	idle, err := c.Idle()
	require.NoError(t, err)
	uid := srv.Append(t, []byte(plainMail))
	c.waitExists(t, 1)
	require.NoError(t, idle.Close())
	require.NoError(t, idle.Wait())

	seen, total := srv.Seen(t)
	require.Equal(t, [2]int{0, 1}, [2]int{seen, total})
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}
	require.NoError(t, c.Store(imap.UIDSetNum(imap.UID(uid)), store, nil).Close())
	seen, total = srv.Seen(t)
	require.Equal(t, [2]int{1, 1}, [2]int{seen, total})
	require.Equal(t, []uint32{uid}, srv.SeenUIDs(t))
	require.Equal(t, []imap.Flag{imap.FlagSeen}, srv.Flags(t, uid))

	validity := srv.UIDValidity()
	srv.Stop()
	waitClosed(t, c.Client)
	uid2 := srv.Append(t, []byte(plainMail), imap.FlagFlagged, "$Label1")
	require.Equal(t, uid+1, uid2)
	_, err = imapclient.DialInsecure(srv.Addr(), nil)
	require.Error(t, err, "dial while stopped")

	srv.Restart(t)
	c = dial(t, srv.Addr())
	sel = c.selectInbox(t)
	require.Equal(t, uint32(2), sel.NumMessages)
	require.Equal(t, validity, sel.UIDValidity)
	require.Equal(t, []imap.Flag{"$label1", imap.FlagFlagged}, srv.Flags(t, uid2))
	seen, total = srv.Seen(t)
	require.Equal(t, [2]int{1, 2}, [2]int{seen, total})

	// A live IDLE survives nothing: Stop drops it, and the client reconnects.
	idle, err = c.Idle()
	require.NoError(t, err)
	srv.Restart(t)
	waitClosed(t, c.Client)
	require.Error(t, idle.Wait())
	c = dial(t, srv.Addr())
	c.selectInbox(t)
	idle, err = c.Idle()
	require.NoError(t, err)
	srv.Append(t, []byte(plainMail))
	// The EXISTS normally arrives during IDLE; on a loaded machine the
	// update can land just as IDLE starts, and a NOOP delivers it then.
	// Either way the client must learn of the third message.
	if !c.existsWithin(3, 5*time.Second) {
		require.NoError(t, idle.Close())
		require.NoError(t, idle.Wait())
		require.NoError(t, c.Noop().Wait())
		c.waitExists(t, 3)
		return
	}
	require.NoError(t, idle.Close())
	require.NoError(t, idle.Wait())
}

// existsWithin reports whether EXISTS want arrives within d.
func (s *session) existsWithin(want uint32, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case n := <-s.exists:
			if n == want {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

func TestIMAPServerResetUIDValidity(t *testing.T) {
	srv := StartIMAP(t)
	for range 3 {
		srv.Append(t, []byte(plainMail))
	}
	c := dial(t, srv.Addr())
	old := c.selectInbox(t).UIDValidity
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}
	require.NoError(t, c.Store(imap.UIDSetNum(2), store, nil).Close())

	got := srv.ResetUIDValidity(t)
	require.NotEqual(t, old, got)
	require.Equal(t, got, srv.UIDValidity())
	waitClosed(t, c.Client)

	c = dial(t, srv.Addr())
	sel := c.selectInbox(t)
	require.Equal(t, got, sel.UIDValidity)
	require.Equal(t, uint32(3), sel.NumMessages)
	require.Equal(t, imap.UID(4), sel.UIDNext)
	require.Equal(t, []uint32{2}, srv.SeenUIDs(t))

	srv.Stop()
	again := srv.ResetUIDValidity(t) // works while stopped, stays stopped
	require.NotEqual(t, got, again)
	_, err := imapclient.DialInsecure(srv.Addr(), nil)
	require.Error(t, err)
}

func TestIMAPServerWithoutIDLE(t *testing.T) {
	srv := StartIMAP(t, WithoutIDLE())
	c := dial(t, srv.Addr())
	require.False(t, c.Caps().Has(imap.CapIdle), "caps %v", c.Caps())
	capsCmd, err := c.Capability().Wait()
	require.NoError(t, err)
	require.False(t, capsCmd.Has(imap.CapIdle), "CAPABILITY %v", capsCmd)
	c.selectInbox(t)

	_, err = c.Idle()
	require.Error(t, err, "IDLE on a server without it")

	srv.Append(t, []byte(plainMail))
	require.NoError(t, c.Noop().Wait())
	c.waitExists(t, 1)
}
