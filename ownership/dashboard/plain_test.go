package dashboard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// TestPlainRefusals: a refusal (ownership.IsRefusal) is put into words
// for the rep; only a failure to answer reads as the store not answering.
func TestPlainRefusals(t *testing.T) {
	d := &dashboard{logger: slog.New(slog.DiscardHandler)}
	s := &session{actor: ownership.Actor{ID: "maria"}}
	r := httptest.NewRequest("POST", "/tickets/T-1/assign", nil)
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("assign T-1 to lee: %w", ownership.ErrOwnerFull), "Assign T-1 to lee: owner at capacity: that rep already holds"},
		{fmt.Errorf("%w: T-1 is closed", ownership.ErrState), "T-1 is closed"},
		{fmt.Errorf("ticket T-9: %w", ownership.ErrNotFound), "Not found: ticket T-9."},
		{errors.New("database is locked"), "The ticket store did not answer"},
	}
	for _, tc := range cases {
		require.Contains(t, d.plain(r, s, tc.err), tc.want, "plain(%v)", tc.err)
	}
}
