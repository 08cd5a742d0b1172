package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// The version a client was given stays good while the server does its own
// bookkeeping: the triage post recorded, the auto-ack sent and its
// delivery status, a note. Only a change a client could conflict with (here
// an assign) moves it.
func TestVersionSurvivesBookkeeping(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "")
	other := func(owner string) string {
		return map[string]string{"dana": "lee", "lee": "dana", "maria": "dana"}[owner]
	}
	assign := func(id, owner string, version int64) int {
		code, _ := e.api.do(context.Background(), "POST", "/api/v1/tickets/"+id+"/assign",
			map[string]any{"owner": owner, "version": version}, nil)
		return code
	}

	t.Run("API create, triage post", func(t *testing.T) {
		var created ownership.Ticket
		code, err := e.api.do(context.Background(), "POST", "/api/v1/tickets", map[string]any{
			"subject": "Scanner jams", "body": "every page",
			"contact": map[string]any{"name": "Pat", "email": "pat@acme.example", "phone": "+15557770301"}}, &created)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, code)
		_, before := fetchTicket(t, e.api, created.ID)
		e.triagePost(t, created.ID) // posted, recorded, outbox settled
		code, err = e.api.do(context.Background(), "POST", "/api/v1/tickets/"+created.ID+"/notes", map[string]any{"body": "called Pat"}, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		e.settle(t)
		_, after := fetchTicket(t, e.api, created.ID)
		require.Greater(t, len(after), len(before), "the server wrote to the ticket meanwhile")

		resp, err := http.Get(e.srv.url + "/api/v1/tickets/" + created.ID)
		require.NoError(t, err)
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.NotContains(t, string(raw), `"rev"`, "the store's revision is not part of the API")

		require.Equal(t, http.StatusOK, assign(created.ID, other(created.Owner), created.Version),
			"the 201's version is still the ticket's version")
		require.Equal(t, http.StatusConflict, assign(created.ID, created.Owner, created.Version),
			"an assign moved the version: the 201's version is stale now")
	})

	t.Run("SMS, auto-ack and its delivery status", func(t *testing.T) {
		from := "+15557770302"
		id := e.sms(t, "SMV00000000000000000000000000001", from, "printer offline")
		first, before := fetchTicket(t, e.api, id)
		e.triagePost(t, id)
		acks := e.texts(from)
		require.Len(t, acks, 1, "the auto-ack was sent")
		st := url.Values{"MessageSid": {acks[0].SID}, "MessageStatus": {"delivered"}, "AccountSid": {twiliotest.AccountSID}}
		code, _ := postBody(t, e.srv.url+"/twilio/sms/status", st.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"X-Twilio-Signature": twiliotest.Signature(twiliotest.AuthToken, publicURL+"/twilio/sms/status", st)})
		require.Equal(t, http.StatusOK, code)
		e.settle(t)
		_, after := fetchTicket(t, e.api, id)
		require.Greater(t, len(after), len(before), "the server wrote to the ticket meanwhile")
		require.Equal(t, http.StatusOK, assign(id, other(first.Owner), first.Version))
	})
}
