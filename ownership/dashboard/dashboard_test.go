package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

func TestOverviewEscapesCustomerText(t *testing.T) {
	f := ownershiptest.New(t)
	_, _, err := f.Service.CreateTicket(context.Background(), ownership.NewTicket{
		Subject: `<script>alert(1)</script><img src=x onerror=alert(2)>`,
		Contact: ownership.Contact{Name: `"><b>Mallory</b>`, Email: "m@evil.test"},
	})
	require.NoError(t, err)
	allow := func(*http.Request) (ownership.Actor, bool) { return ownershiptest.Maria, true }
	h := dashboard.New(f.Service, dashboard.Options{Authenticate: allow})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, 200, rec.Code)
	body, _ := io.ReadAll(rec.Body)
	require.NotContains(t, string(body), "<script>alert")
	require.NotContains(t, string(body), "<img src=x")
	require.NotContains(t, string(body), "<b>Mallory")
	require.Contains(t, string(body), "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'none'")
	require.Contains(t, string(body), `<b id="unowned">0</b>`)
}

func TestOverviewNeedsAuthentication(t *testing.T) {
	f := ownershiptest.New(t)
	deny := func(*http.Request) (ownership.Actor, bool) { return ownership.Actor{}, false }
	rec := httptest.NewRecorder()
	dashboard.New(f.Service, dashboard.Options{Authenticate: deny}).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, 401, rec.Code)
}
