// Package redisstore is the Redis implementation of ownership.Store, for
// several gateway replicas sharing one ledger.
//
// Each write is one Lua script (create, update) and is idempotent under
// go-redis's automatic retry of a command whose reply was lost: creates
// carry a per-call token and their dedup key, updates their OpID. See
// keys.go for the key layout and the Redis Cluster hash-tag choice.
//
// Redis must run with AOF persistence (appendonly yes) in production;
// Durability reports the server's setting so the caller can warn.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"

	"github.com/intakehq/intake/ownership"
	"github.com/redis/go-redis/v9"
)

var _ ownership.Store = (*Store)(nil)

// Store is an ownership.Store kept in Redis. It is safe for concurrent use
// by many goroutines and many processes.
type Store struct {
	rdb     redis.UniversalClient
	k       keys
	scripts scripts
	log     *slog.Logger
}

// Open connects to the Redis at rawURL (redis://[user:pass@]host:port/db,
// rediss:// or unix://; go-redis URL options apply), pings it and checks
// the schema version, writing it into an empty installation. The optional
// query parameter prefix=NAME (default "intake") namespaces every key as
// {NAME}:…; several installations can share one Redis under different
// prefixes. Open refuses data written by a newer layout.
func Open(ctx context.Context, rawURL string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts, prefix, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	k, err := newKeys(prefix)
	if err != nil {
		return nil, fmt.Errorf("redisstore: open: %w", err)
	}
	s := &Store{rdb: redis.NewClient(opts), k: k, scripts: newScripts(), log: logger}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		_ = s.rdb.Close()
		return nil, fmt.Errorf("redisstore: open %s: ping: %w", opts.Addr, err)
	}
	if err := s.checkSchema(ctx); err != nil {
		_ = s.rdb.Close()
		return nil, fmt.Errorf("redisstore: open %s: %w", opts.Addr, err)
	}
	logger.Info("redis store opened", "addr", opts.Addr, "db", opts.DB, "prefix", prefix)
	return s, nil
}

// parseURL splits the prefix parameter off rawURL and parses the rest with
// redis.ParseURL, which rejects parameters it does not know.
func parseURL(rawURL string) (*redis.Options, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("redisstore: parse url: %w", err)
	}
	prefix := DefaultPrefix
	q := u.Query()
	if q.Has("prefix") {
		prefix = q.Get("prefix")
		q.Del("prefix")
		u.RawQuery = q.Encode()
	}
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("redisstore: parse url: %w", err)
	}
	return opts, prefix, nil
}

// checkSchema records ownership.SchemaVersion in an empty installation and
// refuses any other stored version.
func (s *Store) checkSchema(ctx context.Context) error {
	want := strconv.Itoa(ownership.SchemaVersion)
	if err := s.rdb.SetNX(ctx, s.k.schema(), want, 0).Err(); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	got, err := s.rdb.Get(ctx, s.k.schema()).Result()
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	v, err := strconv.Atoi(got)
	switch {
	case err != nil || v < 1:
		return fmt.Errorf("schema version %q at %s is not a version", got, s.k.schema())
	case v > ownership.SchemaVersion:
		return fmt.Errorf("data at %s has schema version %d, newer than this build's %d: upgrade intake", s.k.schema(), v, ownership.SchemaVersion)
	case v < ownership.SchemaVersion:
		return fmt.Errorf("data at %s has schema version %d, older than this build's %d, and there is no migration", s.k.schema(), v, ownership.SchemaVersion)
	}
	return nil
}

// Durability reports the server's AOF settings (CONFIG GET appendonly,
// appendfsync). It returns an error, not a guess, when CONFIG is disabled
// or renamed, as on many managed Redis services.
func (s *Store) Durability(ctx context.Context) (appendonly bool, appendfsync string, err error) {
	m, err := s.rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return false, "", fmt.Errorf("redisstore: durability: config get: %w", err)
	}
	ao, ok1 := m["appendonly"]
	fs, ok2 := m["appendfsync"]
	if !ok1 || !ok2 {
		return false, "", errors.New("redisstore: durability: config get append*: server did not report appendonly and appendfsync")
	}
	return ao == "yes", fs, nil
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}
