package channels

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, whichever comes first, and reports
// whether all of d passed. The adapters' retry loops and schedules wait
// through it, so a shutdown never sits out a backoff.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
