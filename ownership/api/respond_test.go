package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// TestWriteServiceErrorRefusals: every error the ledger calls a refusal
// (ownership.IsRefusal) is answered with a 4xx and its words; only a
// failure to answer is a 503.
func TestWriteServiceErrorRefusals(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		msg    string // a part of the answer's error text
	}{
		{"stale version", &ownership.ConflictError{Current: ownership.Ticket{ID: "T-1", Version: 3}}, http.StatusConflict, "T-1 changed"},
		{"conflict", fmt.Errorf("T-1: gave up: %w", ownership.ErrConflict), http.StatusConflict, "version conflict"},
		{"not found", fmt.Errorf("ticket T-9: %w", ownership.ErrNotFound), http.StatusNotFound, "ticket T-9"},
		{"forbidden", fmt.Errorf("%w: only managers assign", ownership.ErrForbidden), http.StatusForbidden, "only managers assign"},
		{"invalid", fmt.Errorf("%w: unknown rep", ownership.ErrInvalid), http.StatusBadRequest, "unknown rep"},
		{"state", fmt.Errorf("%w: T-1 is closed", ownership.ErrState), http.StatusConflict, "T-1 is closed"},
		{"owner at capacity", fmt.Errorf("assign T-1 to lee: %w", ownership.ErrOwnerFull), http.StatusConflict, "at capacity"},
		{"store down", errors.New("database is locked"), http.StatusServiceUnavailable, "not available"},
	}
	h := &handler{logger: slog.New(slog.DiscardHandler)}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.status != http.StatusServiceUnavailable, ownership.IsRefusal(tc.err))
			rec := httptest.NewRecorder()
			h.writeServiceError(rec, httptest.NewRequest(http.MethodPost, "/api/v1/tickets/T-1/assign", nil), tc.err)
			require.Equal(t, tc.status, rec.Code, "writeServiceError(%v) status", tc.err)
			var body errorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			require.Contains(t, body.Error, tc.msg)
			require.NotContains(t, body.Error, "database", "no internal detail in the answer")
		})
	}
}
