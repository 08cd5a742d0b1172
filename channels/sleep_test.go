package channels_test

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/stretchr/testify/require"
)

func TestSleep(t *testing.T) {
	require.True(t, channels.Sleep(t.Context(), time.Millisecond), "the whole wait passes")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	require.False(t, channels.Sleep(ctx, time.Hour), "an ended context cuts the wait")
	require.Less(t, time.Since(start), time.Minute)
}
