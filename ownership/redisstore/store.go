// Package redisstore is the Redis implementation of ownership.Store, for
// several gateway replicas sharing one ledger.
//
// Each write is one Lua script (create, update) and is idempotent under
// go-redis's automatic retry of a command whose reply was lost: creates
// carry a per-call token and their dedup key, updates their OpID. See
// keys.go for the key layout and the Redis Cluster hash-tag choice, and
// Open for the URL forms: one server (redis://host:port/db) or Redis
// Cluster (redis://host:port?cluster=true&addr=host2:port2…).
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
	"regexp"
	"slices"
	"strconv"
	"strings"

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

// Open connects to the Redis at rawURL, pings it and checks the schema
// version, writing it into an empty installation. Open refuses data written
// by a newer layout.
//
// A single server: redis://[user:pass@]host:port/db, rediss://… or
// unix://[user:pass@]/path/to/socket; go-redis URL options apply
// (redis.ParseURL).
//
// Redis Cluster: add cluster=true, and optionally more seed nodes as addr=
// parameters: redis://[user:pass@]host1:port1?cluster=true&addr=host2:port2&addr=host3:port3
// (or rediss://…). The URL is read by redis.ParseClusterURL, whose options
// apply; the database is always 0 (a path other than "", "/" or "/0" is
// refused).
//
// In both forms the optional parameter prefix=NAME (default "intake")
// namespaces every key as {NAME}:…; several installations can share one
// Redis (or cluster) under different prefixes.
//
// Errors and log lines name the server as scheme://host:port at most, never
// with its user name or password. Percent-encode '@', '/', '?' and '#' in a
// user name or password: a URL with an '@' after its host is refused, as its
// password may have been cut short by one of those.
func Open(ctx context.Context, rawURL string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	k, err := newKeys(tg.prefix)
	if err != nil {
		return nil, fmt.Errorf("redisstore: open %s: %w", tg.display, err)
	}
	s := &Store{rdb: tg.client(), k: k, scripts: newScripts(), log: logger}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		_ = s.rdb.Close()
		return nil, fmt.Errorf("redisstore: open %s: ping: %w", tg.display, err)
	}
	if err := s.checkSchema(ctx); err != nil {
		_ = s.rdb.Close()
		return nil, fmt.Errorf("redisstore: open %s: %w", tg.display, err)
	}
	if tg.cluster != nil {
		logger.Info("redis store opened", "url", tg.display, "cluster", true, "seeds", tg.cluster.Addrs, "prefix", tg.prefix)
	} else {
		logger.Info("redis store opened", "url", tg.display, "db", tg.single.DB, "prefix", tg.prefix)
	}
	return s, nil
}

// target is a parsed store URL: exactly one of single and cluster is set.
type target struct {
	display string // scheme://host:port, without userinfo: safe to show
	prefix  string
	single  *redis.Options
	cluster *redis.ClusterOptions
}

func (tg target) client() redis.UniversalClient {
	if tg.cluster != nil {
		return redis.NewClusterClient(tg.cluster)
	}
	return redis.NewClient(tg.single)
}

const unparseable = "<unparseable URL>"

// parseURL splits the prefix and cluster parameters off rawURL and parses
// the rest with redis.ParseURL or redis.ParseClusterURL, which reject
// parameters they do not know. Its errors never contain the URL's userinfo.
func parseURL(rawURL string) (target, error) {
	tg := target{display: redactURL(rawURL), prefix: DefaultPrefix}
	fail := func(reason string) (target, error) {
		return target{}, fmt.Errorf("redisstore: open %s: parse url: %s", tg.display, reason)
	}
	if _, _, rest, ok := splitURL(rawURL); ok && strings.Contains(rest, "@") {
		return fail("an '@' after the host: percent-encode '@', '/', '?' and '#' in the user name and password (%40, %2F, %3F, %23)")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error repeats the whole URL; its inner error quotes the
		// offending part, which may be a piece of the password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail(quotedRE.ReplaceAllString(err.Error(), `"…"`))
	}
	q := u.Query()
	if q.Has("prefix") {
		tg.prefix = q.Get("prefix")
		q.Del("prefix")
	}
	cluster := false
	if q.Has("cluster") {
		if cluster, err = strconv.ParseBool(q.Get("cluster")); err != nil {
			return fail(fmt.Sprintf("cluster=%q: want true or false", q.Get("cluster")))
		}
		q.Del("cluster")
	}
	u.RawQuery = q.Encode()
	if cluster {
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return fail("Redis Cluster has only database 0; drop the path " + strconv.Quote(u.Path))
		}
		u.Path, u.RawPath = "", ""
		tg.cluster, err = redis.ParseClusterURL(u.String())
	} else {
		tg.single, err = redis.ParseURL(u.String())
	}
	if err != nil {
		return fail(scrub(err.Error(), u.User))
	}
	return tg, nil
}

var (
	quotedRE = regexp.MustCompile(`"[^"]*"`)
	schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)
	hostRE   = regexp.MustCompile(`^[A-Za-z0-9._~%:\[\]-]*$`)
	pathRE   = regexp.MustCompile(`^[A-Za-z0-9._~%/+-]*$`)
)

// splitURL cuts raw into scheme, authority (userinfo@host:port) and the
// rest (path, query, fragment).
func splitURL(raw string) (scheme, authority, rest string, ok bool) {
	scheme, after, ok := strings.Cut(raw, "://")
	if !ok {
		return "", "", "", false
	}
	i := strings.IndexAny(after, "/?#")
	if i < 0 {
		i = len(after)
	}
	return scheme, after[:i], after[i:], true
}

// redactURL returns scheme://host:port of raw (unix://path for a socket),
// or "<unparseable URL>" when that cannot be told apart from userinfo with
// certainty. It never returns userinfo, query or fragment.
func redactURL(raw string) string {
	scheme, auth, rest, ok := splitURL(raw)
	if !ok || strings.Contains(rest, "@") || !schemeRE.MatchString(scheme) {
		return unparseable
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if !hostRE.MatchString(auth) {
		return unparseable
	}
	if strings.EqualFold(scheme, "unix") {
		path, _, _ := strings.Cut(rest, "?")
		if !pathRE.MatchString(path) {
			return unparseable
		}
		return scheme + "://" + auth + path
	}
	return scheme + "://" + auth
}

// scrub replaces the userinfo and password of a parsed URL, in every form
// they may take in an error text, with "xxxxx".
func scrub(msg string, user *url.Userinfo) string {
	if user == nil {
		return msg
	}
	secrets := []string{user.String()}
	if pw, ok := user.Password(); ok && pw != "" {
		secrets = append(secrets, pw, url.PathEscape(pw), url.QueryEscape(pw))
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range secrets {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, "xxxxx")
		}
	}
	return msg
}

// upgradeFrom lists the schema versions Open upgrades by rewriting the
// version alone: version 2 only added keys (the leases), version 3 too
// (sessions and throttle counts; its tickets' "v" is their revision, as
// it was before).
var upgradeFrom = []int{1, 2}

// checkSchema records ownership.SchemaVersion in an empty installation,
// upgrades one at a version in upgradeFrom, and refuses any other stored
// version.
func (s *Store) checkSchema(ctx context.Context) error {
	args := []any{strconv.Itoa(ownership.SchemaVersion)}
	for _, v := range upgradeFrom {
		args = append(args, strconv.Itoa(v))
	}
	r, err := s.scripts.schema.Run(ctx, s.rdb, []string{s.k.schema()}, args...).StringSlice()
	if err != nil {
		return fmt.Errorf("check schema version: %w", err)
	}
	if len(r) != 2 {
		return fmt.Errorf("check schema version: unexpected script reply %q", r)
	}
	before, got := r[0], r[1]
	if before != "" && before != got {
		s.log.Info("redis schema upgraded", "key", s.k.schema(), "from", before, "to", got)
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
