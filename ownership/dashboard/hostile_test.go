package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/display/displaytest"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

// Customer text in each field a page shows (displaytest.Hostile has each
// kind of character that acts on the text around it).
const (
	rloSubject = "Invoice \u202Egpj.exe\u202C \x1b[31mpaid\x1b[0m"
	rloBody    = "Hi,\n" + displaytest.Hostile
	rloName    = "\u202EnamoW llik"
	rloNote    = "Customer says \u202Edetaler\u202C, call back"
	rloOrg     = "acme\u202Eevil"
)

// TestPagesNeutralizeBidiAndControls puts hostile characters in every
// customer field a page shows (subject, body, contact name, org, note, a
// dead letter) and reads every page: none reaches the browser raw, each is
// there as its visible marker. The API keeps the raw text.
func TestPagesNeutralizeBidiAndControls(t *testing.T) {
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.Email: true}
		o.Orgs = append(o.Orgs, ownership.Org{ID: rloOrg, Plan: "managed", Domains: []string{"evil.test"}})
	})
	mux := http.NewServeMux()
	dashboard.Register(mux, f.Service, dashboard.Options{Auth: api.NewSessions(tokens, f.Service.Router(), api.SessionOptions{Store: f.Service.Store()})})
	api.Register(mux, f.Service, api.Options{Tokens: tokens})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := context.Background()
	tk, _, err := f.Service.CreateTicket(ctx, ownership.NewTicket{Subject: rloSubject, Body: rloBody, Channel: "email",
		Contact: ownership.Contact{Name: rloName, Email: "mallory@evil.test"}, DedupKey: "rlo"})
	require.NoError(t, err)
	require.Equal(t, rloOrg, tk.Org)
	_, err = f.Service.Note(ctx, ownershiptest.Maria, tk.ID, rloNote, "", nil)
	require.NoError(t, err)
	now := f.Clock.Now()
	require.NoError(t, f.Store.Enqueue(ctx, ownership.OutboxItem{ID: "reply:rlo", TicketID: tk.ID, Channel: "email", To: "mallory@evil.test",
		Subject: "Re: " + rloSubject, Body: rloBody, Purpose: "reply", NextAt: now, CreatedAt: now, UpdatedAt: now}))
	items, err := f.Store.ClaimOutbox(ctx, now, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.NoError(t, f.Store.FinishOutbox(ctx, "reply:rlo", items[0].Attempts, ownership.OutboxResult{State: ownership.OutboxDead,
		Error: "550 no such user \u202Eresu\x1b[0m", At: now}))

	b := newBrowser(t, srv)
	code, _ := b.signIn(managerToken)
	require.Equal(t, 200, code)
	for _, path := range []string{"/", "/tickets", "/tickets?status=all", "/tickets?q=Invoice", "/tickets?org=" + rloOrg,
		"/tickets/" + tk.ID, "/roster", "/outbox"} {
		code, body := b.get(path)
		require.Equal(t, 200, code, path)
		displaytest.RequireNeutral(t, path, body)
		if path != "/roster" {
			require.Contains(t, body, "⟨U+202E⟩", "%s shows the override as a marker", path)
		}
	}
	_, page := b.get("/tickets/" + tk.ID)
	for _, want := range []string{"Invoice ⟨U+202E⟩gpj.exe⟨U+202C⟩ ␛[31mpaid␛[0m", "⟨U+202E⟩namoW llik", "acme⟨U+202E⟩evil",
		displaytest.Shown, "Customer says ⟨U+202E⟩detaler⟨U+202C⟩, call back"} {
		require.Contains(t, page, want)
	}
	_, page = b.get("/outbox")
	require.Contains(t, page, "550 no such user ⟨U+202E⟩resu␛[0m")

	// The API is data: it returns what the customer sent, byte for byte.
	req, err := http.NewRequest("GET", srv.URL+"/api/v1/tickets/"+tk.ID, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+managerToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var got struct {
		ownership.Ticket
		Events []ownership.Event `json:"events"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Equal(t, rloSubject, got.Subject)
	require.Equal(t, rloName, got.Contact.Name)
	require.Equal(t, rloBody, got.Events[0].Body)
}
