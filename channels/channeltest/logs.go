package channeltest

import (
	"bytes"
	"log/slog"
	"sync"
)

// Logs keeps what an adapter logs, for AssertNoSecret; it is safe to read
// while the adapter's goroutines write.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Logger is a debug-level text logger writing to l.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
