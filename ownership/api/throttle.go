package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/intakehq/intake/ownership"
)

// ThrottleStore keeps failure counts where every replica sees them
// (ownership.Store implements it).
type ThrottleStore interface {
	RecordFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (ownership.Failures, error)
	Failures(ctx context.Context, key string, now time.Time) (ownership.Failures, error)
	ClearFailures(ctx context.Context, key string) error
}

// Throttle defaults: 5 free failures per key, then waits of 1 s, 2 s,
// 4 s, … up to 15 min; a key is forgotten an hour after its latest
// failure.
const (
	DefaultThrottleFree   = 5
	DefaultThrottleBase   = time.Second
	DefaultThrottleMax    = 15 * time.Minute
	DefaultThrottleForget = time.Hour
)

// ThrottleOptions configure a Throttle. Zero fields take the defaults.
type ThrottleOptions struct {
	Free   int           // failures per key before waits begin
	Base   time.Duration // the first wait
	Max    time.Duration // the longest wait
	Forget time.Duration // a key's count is forgotten this long after its latest failure
	// Registerer, when set, gets intake_auth_failures_total{surface,reason}
	// and intake_auth_throttled_total{surface}.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

// Throttle slows down guessing: failed bearer tokens and sign-ins are
// counted in the store per key (the client's address; for a user name and
// password also the account), and once a key has more than Free failures,
// every attempt under it is refused unchecked with 429 and Retry-After
// until Base·2^(n-Free-1) (at most Max) has passed since its latest
// failure. Refused attempts are not counted, so waiting out a Retry-After
// always gets one attempt checked; each further failure doubles the wait.
// A successful sign-in clears the account's count, not the address's.
type Throttle struct {
	store ThrottleStore
	opts  ThrottleOptions
	fails *prometheus.CounterVec
	held  *prometheus.CounterVec
}

// NewThrottle returns a throttle keeping its counts in store (nil: a
// throttle that never holds anything back, for tests of other things).
func NewThrottle(store ThrottleStore, opts ThrottleOptions) *Throttle {
	if opts.Free <= 0 {
		opts.Free = DefaultThrottleFree
	}
	if opts.Base <= 0 {
		opts.Base = DefaultThrottleBase
	}
	if opts.Max <= 0 {
		opts.Max = DefaultThrottleMax
	}
	if opts.Forget <= 0 {
		opts.Forget = DefaultThrottleForget
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := &Throttle{store: store, opts: opts,
		fails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intake_auth_failures_total",
			Help: "Failed bearer tokens and dashboard sign-ins, by surface (api, dashboard_bearer, dashboard_token, dashboard_user) and reason.",
		}, []string{"surface", "reason"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intake_auth_throttled_total",
			Help: "Authentication attempts refused unchecked (429) because of earlier failures, by surface.",
		}, []string{"surface"}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(t.fails, t.held)
	}
	return t
}

// ThrottledError says an attempt was refused unchecked: wait Wait first.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed attempts: try again in %d s", RetryAfter(e.Wait))
}

// RetryAfter is d as a Retry-After value: whole seconds, rounded up, at
// least 1.
func RetryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// ClientKey is the throttle key of the request's client: its address
// (r.RemoteAddr; intake trusts no forwarding header), an IPv6 address by
// its /64, which one client usually holds whole.
func ClientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return "client:" + host
}

// AccountKey is the throttle key of a user name.
func AccountKey(name string) string { return "account:" + name }

// Check returns a *ThrottledError when any of keys is waiting out
// failures, nil when the attempt may be checked. A store that cannot be
// read lets the attempt through (logged): the credential check still
// stands.
func (t *Throttle) Check(ctx context.Context, surface string, keys ...string) error {
	if t.store == nil {
		return nil
	}
	now := t.opts.Now()
	var wait time.Duration
	for _, k := range keys {
		f, err := t.store.Failures(ctx, k, now)
		if err != nil {
			t.opts.Logger.WarnContext(ctx, "auth throttle: cannot read failure count", "surface", surface, "err", err)
			continue
		}
		wait = max(wait, f.Last.Add(t.delay(f.Count)).Sub(now))
	}
	if wait <= 0 {
		return nil
	}
	t.held.WithLabelValues(surface).Inc()
	return &ThrottledError{Wait: wait}
}

// Fail records a failed attempt under keys and logs it: surface, reason,
// client address and who (a name safe to log, never the secret).
func (t *Throttle) Fail(ctx context.Context, r *http.Request, surface, reason, who string, keys ...string) {
	t.fails.WithLabelValues(surface, reason).Inc()
	count := 0
	for _, k := range keys {
		if t.store == nil {
			break
		}
		f, err := t.store.RecordFailure(ctx, k, t.opts.Now(), t.opts.Forget)
		if err != nil {
			t.opts.Logger.WarnContext(ctx, "auth throttle: cannot record failure", "surface", surface, "err", err)
			continue
		}
		count = max(count, f.Count)
	}
	attrs := []any{"surface", surface, "reason", reason, "remote", r.RemoteAddr, "failures", count}
	if who != "" {
		attrs = append(attrs, "who", who)
	}
	if d := t.delay(count); d > 0 {
		attrs = append(attrs, "retry_after_s", RetryAfter(d))
	}
	t.opts.Logger.WarnContext(ctx, "authentication failed", attrs...)
}

// Succeed forgets the counts under keys (an account that signed in).
func (t *Throttle) Succeed(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if t.store == nil {
			break
		}
		if err := t.store.ClearFailures(ctx, k); err != nil {
			t.opts.Logger.WarnContext(ctx, "auth throttle: cannot clear failure count", "err", err)
		}
	}
}

// delay is how long after its latest failure a key with count failures
// waits: nothing for the free ones, then Base doubling up to Max.
func (t *Throttle) delay(count int) time.Duration {
	d := time.Duration(0)
	for i := t.opts.Free; i < count && d < t.opts.Max; i++ {
		d = max(t.opts.Base, 2*d)
	}
	return min(d, t.opts.Max)
}

// writeThrottled answers 429 with Retry-After.
func writeThrottled(w http.ResponseWriter, err *ThrottledError) {
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfter(err.Wait)))
	writeError(w, http.StatusTooManyRequests, err.Error())
}
