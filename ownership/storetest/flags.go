package storetest

import (
	"context"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// The store's key/value flags.

// mustFlag returns the value of flag key.
func mustFlag(t *testing.T, s ownership.Store, key string) string {
	t.Helper()
	v, err := s.Flag(context.Background(), key)
	require.NoError(t, err, "Flag(%q)", key)
	return v
}

// testFlags: set, get, overwrite, delete with "", missing is "".
func testFlags(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	require.Equal(t, "", mustFlag(t, s, "optout:sms:+15557770101"))
	require.NoError(t, s.SetFlag(ctx, "optout:sms:+15557770101", "1"))
	require.NoError(t, s.SetFlag(ctx, "ref:{SM1}", "T-1"))
	require.Equal(t, "1", mustFlag(t, s, "optout:sms:+15557770101"))
	require.Equal(t, "T-1", mustFlag(t, s, "ref:{SM1}"))
	require.NoError(t, s.SetFlag(ctx, "optout:sms:+15557770101", "0"))
	require.Equal(t, "0", mustFlag(t, s, "optout:sms:+15557770101"))
	require.NoError(t, s.SetFlag(ctx, "optout:sms:+15557770101", ""))
	require.Equal(t, "", mustFlag(t, s, "optout:sms:+15557770101"))
	require.NoError(t, s.SetFlag(ctx, "never:set", ""), "deleting a missing flag")
	require.Equal(t, "T-1", mustFlag(t, s, "ref:{SM1}"))
}
