package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMux wires every HTTP path of DESIGN §5.
// secureCookies says the dashboard is reached over HTTPS, so its session
// cookie is marked Secure.
func newMux(svc *ownership.Service, chans *channelSet, health *healthCheck, tokens []api.Token, users []dashboard.User, secureCookies bool, reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	reg.MustRegister(ownership.NewCollector(svc, logger), newHealthCollector(health))
	// One throttle for the API and the dashboard: its counts live in the
	// store, so they hold across replicas.
	throttle := api.NewThrottle(svc.Store(), api.ThrottleOptions{Registerer: reg, Logger: logger})
	api.Register(mux, svc, api.Options{Tokens: tokens, Logger: logger, Throttle: throttle})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(svc, health))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	for _, ch := range []string{"twilio", "slack"} {
		if h, ok := chans.handlers["/"+ch+"/"]; ok {
			mux.Handle("/"+ch+"/", h)
			continue
		}
		mux.HandleFunc("/"+ch+"/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "channel " + ch + " is not enabled on this server"})
		})
	}
	sessions := api.NewSessions(tokens, svc.Router(), api.SessionOptions{Store: svc.Store(), Throttle: throttle, Secure: secureCookies, Logger: logger})
	dashboard.Register(mux, svc, dashboard.Options{Auth: sessions, Secure: secureCookies, Logger: logger, Users: users,
		Sessions: svc.Store(), Throttle: throttle, Channels: health.dashboard})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such path: " + r.Method + " " + r.URL.Path})
	})
	return instrument(mux, reg)
}

// readyz answers 503 only when the store is unreachable (this replica
// can then take in nothing); otherwise 200, with "status" "degraded" when
// any channel is, and each channel's state, problems and outbox figures.
// A load balancer keeps sending to a replica whose Slack is failing: the
// others' Slack fails the same way, and webhooks still need a home.
func readyz(svc *ownership.Service, health *healthCheck) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := map[string]any{"status": stateOK, "store": "ok"}
		code := http.StatusOK
		if err := svc.Ping(ctx); err != nil {
			body["status"], body["store"] = "unavailable", "unreachable"
			code = http.StatusServiceUnavailable
		}
		states, err := health.check(ctx)
		if err != nil && code == http.StatusOK {
			body["store"] = "outbox unreadable: " + err.Error()
		}
		for _, c := range states {
			if c.State == stateDegraded && code == http.StatusOK {
				body["status"] = stateDegraded
			}
		}
		body["channels"] = states
		writeJSON(w, code, body)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// instrument records request counts and latency by route pattern (never
// by raw path, so ticket ids do not explode the label set).
func instrument(next *http.ServeMux, reg *prometheus.Registry) http.Handler {
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "intake_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern and status code (webhooks included).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "code"})
	reg.MustRegister(dur)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		_, pattern := next.Handler(r)
		next.ServeHTTP(rec, r)
		if pattern == "" {
			pattern = "unmatched"
		}
		dur.WithLabelValues(pattern, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}
