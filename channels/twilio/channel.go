// Package twilio is the SMS and voice channel: it takes Twilio's webhooks
// (inbound texts, calls, voicemail, delivery status), hands each to a
// channels.Sink as one channels.Message, answers with TwiML, and sends SMS
// replies through Twilio's REST API (Replier).
//
// Every webhook is verified (X-Twilio-Signature over the configured public
// URL, the account) before anything reaches the sink, and acknowledged only
// after the sink has stored it: a sink error answers 503 so Twilio retries.
// Replays are the sink's to recognise, by Message.DedupKey.
package twilio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/twilio/twilio-go/client"
)

// acceptTimeout bounds the sink's work on one webhook, so Twilio (which
// gives up after 15 s) hears a 503 rather than nothing.
const acceptTimeout = 10 * time.Second

// Channel is the Twilio adapter. It is safe for concurrent use.
type Channel struct {
	cfg       Config
	sink      channels.Sink
	logger    *slog.Logger
	validator client.RequestValidator
	mux       *http.ServeMux
	sweeps    channels.Failures // reconcile sweeps, for Health
}

// New checks cfg and returns the channel delivering to sink. A nil logger
// discards logs.
func New(cfg Config, sink channels.Sink, logger *slog.Logger) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("twilio: nil sink")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	c := &Channel{
		cfg:       cfg,
		sink:      sink,
		logger:    logger.With("channel", "twilio"),
		validator: client.NewRequestValidator(cfg.AuthToken),
		mux:       http.NewServeMux(),
	}
	c.mux.Handle("POST /twilio/sms", c.webhook(parseSMS, answerSMS))
	c.mux.Handle("POST /twilio/sms/status", c.webhook(parseSMSStatus, answerEmpty))
	c.mux.Handle("POST /twilio/voice", c.webhook(parseCall, c.answerCall))
	c.mux.Handle("POST /twilio/voice/status", c.webhook(parseCallStatus, c.answerCallStatus))
	c.mux.Handle("POST /twilio/voice/recording", c.webhook(parseRecording, answerRecording))
	c.mux.Handle("POST /twilio/voice/transcription", c.webhook(parseTranscription, answerEmpty))
	return c, nil
}

// Name is the channel's name in config and logs.
func (c *Channel) Name() string { return "twilio" }

// Handler serves Twilio's webhooks: POST /twilio/sms, /twilio/sms/status,
// /twilio/voice, /twilio/voice/status, /twilio/voice/recording and
// /twilio/voice/transcription. Mount it at "/twilio/" without stripping
// the prefix.
func (c *Channel) Handler() http.Handler { return c.mux }

// parseFunc turns a verified webhook form (and our own query parameters,
// covered by the signature too) into the message for the sink. An error is
// the client's: 400.
type parseFunc func(form, query url.Values) (channels.Message, error)

// answerFunc is the TwiML returned once the sink has stored m.
type answerFunc func(m channels.Message, ref channels.TicketRef, query url.Values) string

// webhook is the shape of every endpoint: read and verify, parse, hand to
// the sink, answer.
func (c *Channel) webhook(parse parseFunc, answer answerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := c.verified(w, r)
		if !ok {
			return
		}
		query := r.URL.Query()
		m, err := parse(form, query)
		if err != nil {
			c.logger.Warn("twilio webhook rejected", "reason", "invalid_params", "path", r.URL.Path, "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m.ReceivedAt = c.cfg.Now()
		ctx, cancel := context.WithTimeout(r.Context(), acceptTimeout)
		defer cancel()
		ref, err := c.sink.Accept(ctx, m)
		if err != nil {
			c.logger.Error("twilio webhook not stored", "path", r.URL.Path, "dedup_key", m.DedupKey(), "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write([]byte(answer(m, ref, query)))
	})
}

func answerEmpty(channels.Message, channels.TicketRef, url.Values) string { return emptyTwiML }
