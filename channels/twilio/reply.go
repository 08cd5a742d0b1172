package twilio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/intakehq/intake/channels"
	twilioapi "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// sendTimeout bounds one REST call: twilio-go takes no context.
const sendTimeout = 10 * time.Second

// defaultRetryAfter is the wait after a 429 that names none.
const defaultRetryAfter = time.Second

// permanentCodes are Twilio errors that no retry can fix: unsubscribed
// recipient (21610), invalid To (21211), not a mobile number (21614), no
// permission for the region (21408), invalid From (21606), and the like.
var permanentCodes = map[int]bool{
	21211: true, 21408: true, 21606: true, 21610: true, 21612: true, 21614: true, 21635: true,
}

var _ channels.Replier = (*Replier)(nil)

// Replier sends SMS through Twilio's Messages API, from the configured
// number, asking for delivery status at /twilio/sms/status. It is safe for
// concurrent use.
type Replier struct {
	cfg    Config
	base   http.RoundTripper
	logger *slog.Logger
}

// NewReplier checks cfg and returns a Replier. A nil logger discards logs.
func NewReplier(cfg Config, logger *slog.Logger) (*Replier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Replier{cfg: cfg.withDefaults(), base: http.DefaultTransport, logger: logger.With("channel", "twilio")}, nil
}

// Replier returns the channel's SMS sender.
func (c *Channel) Replier() *Replier {
	return &Replier{cfg: c.cfg, base: http.DefaultTransport, logger: c.logger}
}

// Send texts o.Body to o.To and returns the Message SID. It does not start
// when ctx is done, and one attempt is bounded by ctx and by a 10 s client
// timeout. Errors: *channels.RetryAfterError on 429; channels.Permanent
// for an empty message, our own number as recipient, Twilio codes such as
// 21610 (unsubscribed) and 21211 (invalid number) and any other 4xx;
// anything else (5xx, network, timeout) is temporary. A timeout after the
// request left is an unknown outcome: retrying may text twice, as Twilio
// offers no idempotency key.
func (r *Replier) Send(ctx context.Context, o channels.Outbound) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	switch {
	case o.To == "":
		return "", channels.Permanent(errors.New("twilio: send sms: no recipient"))
	case o.To == r.cfg.Number:
		return "", channels.Permanent(errors.New("twilio: send sms: refusing to text our own number"))
	case o.Body == "":
		return "", channels.Permanent(errors.New("twilio: send sms: empty body"))
	}
	rt := &attempt{ctx: ctx, base: r.base, apiURL: r.cfg.APIURL}
	defer rt.release()
	api := r.restClient(rt)
	params := (&openapi.CreateMessageParams{}).
		SetFrom(r.cfg.Number).
		SetTo(o.To).
		SetBody(o.Body).
		SetStatusCallback(r.cfg.PublicURL + "/twilio/sms/status")
	msg, err := api.Api.CreateMessage(params)
	if err != nil {
		err = r.classify(rt, err)
		r.logger.Warn("sms not sent", "outbox_id", o.ID, "ticket", o.TicketID, "attempt", o.Attempt,
			"permanent", channels.IsPermanent(err), "err", err)
		return "", err
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return "", errors.New("twilio: send sms: response without a message sid")
	}
	return *msg.Sid, nil
}

// restClient is a twilio-go client with our credentials (never the
// TWILIO_* environment) whose HTTP goes through rt.
func (r *Replier) restClient(rt http.RoundTripper) *twilioapi.RestClient {
	return newRestClient(r.cfg, rt)
}

// newRestClient is a twilio-go client with cfg's credentials (never the
// TWILIO_* environment) whose HTTP goes through rt, one request bounded by
// sendTimeout.
func newRestClient(cfg Config, rt http.RoundTripper) *twilioapi.RestClient {
	hc := &http.Client{
		Transport:     rt,
		Timeout:       sendTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	base := &client.Client{Credentials: client.NewCredentials(cfg.AccountSID, cfg.AuthToken), HTTPClient: hc}
	base.SetAccountSid(cfg.AccountSID)
	rc := twilioapi.NewRestClientWithParams(twilioapi.ClientParams{Client: base})
	rc.SetEdge("") // config, not TWILIO_EDGE / TWILIO_REGION, decides where requests go
	rc.SetRegion("")
	return rc
}

// classify maps a failed send onto the outbox's error classes.
func (r *Replier) classify(rt *attempt, err error) error {
	status, retryAfter := rt.result()
	var code int
	if te, ok := errors.AsType[*client.TwilioRestError](err); ok {
		code = te.Code
		if status == 0 {
			status = te.Status
		}
	}
	err = fmt.Errorf("twilio: send sms: %w", err)
	switch {
	case status == http.StatusTooManyRequests || code == 20429:
		return &channels.RetryAfterError{After: parseRetryAfter(retryAfter, r.cfg.Now()), Err: err}
	case permanentCodes[code]:
		return channels.Permanent(err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Our credentials, not the message: a rotated auth token must not
		// dead-letter every queued message. Retry (with backoff) and say so.
		r.logger.Error("twilio refused our credentials; check channels.twilio.auth_token", "status", status, "code", code)
		return err
	case status >= 400 && status < 500:
		return channels.Permanent(err)
	}
	return err
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return defaultRetryAfter
}

// attempt is the transport of one Send (or one Reconcile): it points Twilio's hosts at
// apiURL, ties the request to the caller's context, and remembers the
// response status and Retry-After, which twilio-go's errors drop.
type attempt struct {
	ctx    context.Context
	base   http.RoundTripper
	apiURL string

	mu         sync.Mutex
	status     int
	retryAfter string
	stops      []func() bool
}

// RoundTrip sends req bounded by both its own context (the client's
// timeout) and the Send's.
func (a *attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	stop := context.AfterFunc(a.ctx, func() { cancel(context.Cause(a.ctx)) })
	a.mu.Lock()
	a.stops = append(a.stops, stop)
	a.mu.Unlock()
	out := req.Clone(ctx)
	if err := rewrite(out, a.apiURL); err != nil {
		return nil, err
	}
	resp, err := a.base.RoundTrip(out)
	if err == nil {
		a.mu.Lock()
		a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
		a.mu.Unlock()
	}
	return resp, err
}

// release drops the watch on the Send's context once the call is over.
func (a *attempt) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, stop := range a.stops {
		stop()
	}
}

func (a *attempt) result() (int, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status, a.retryAfter
}
