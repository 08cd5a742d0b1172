package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	slackapi "github.com/slack-go/slack"
)

// maxBody caps a Slack request; real payloads are a few KB.
const maxBody = 256 << 10

// maxSkew is how old (or how far ahead) a request timestamp may be: an
// older one is a replay.
const maxSkew = 5 * time.Minute

// Handler serves POST /slack/events, /slack/interactions and
// /slack/commands. Each request is verified before anything else.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", a.verified(a.serveEvents))
	mux.HandleFunc("POST /slack/interactions", a.verified(a.serveInteraction))
	mux.HandleFunc("POST /slack/commands", a.verified(a.serveCommand))
	return mux
}

// verified reads the body (capped), checks the v0 signature over the
// timestamp and raw body in constant time and refuses stale timestamps,
// then hands the body on.
func (a *App) verified(next func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if why := a.checkSignature(r.Header, body); why != "" {
			a.logger.Warn("slack request refused", "path", r.URL.Path, "why", why)
			http.Error(w, why, http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	}
}

// checkSignature returns why a request is not Slack's, "" when it is.
func (a *App) checkSignature(h http.Header, body []byte) string {
	tsHeader, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if tsHeader == "" || sig == "" {
		return "unsigned request"
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return "bad timestamp"
	}
	if skew := a.cfg.Now().Sub(time.Unix(ts, 0)); math.Abs(float64(skew)) > float64(maxSkew) {
		return "stale timestamp"
	}
	mac := hmac.New(sha256.New, []byte(a.cfg.SigningSecret))
	mac.Write([]byte("v0:" + tsHeader + ":"))
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "bad signature"
	}
	return ""
}

func (a *App) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	resp, status := a.handleEventsPayload(r.Context(), body)
	if status != http.StatusOK {
		http.Error(w, resp, status)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, resp)
}

func (a *App) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "want a form with a payload", http.StatusBadRequest)
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "payload is not JSON", http.StatusBadRequest)
		return
	}
	out, err := a.handleInteraction(r.Context(), cb)
	if err != nil {
		a.logger.Error("slack interaction failed", "type", cb.Type, "err", err)
		http.Error(w, "could not record the action; try again", http.StatusInternalServerError)
		return
	}
	writeJSON(w, out)
}

func (a *App) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "want a form", http.StatusBadRequest)
		return
	}
	cmd := slackapi.SlashCommand{Command: form.Get("command"), Text: form.Get("text"), UserID: form.Get("user_id"),
		ChannelID: form.Get("channel_id"), TeamID: form.Get("team_id"), TriggerID: form.Get("trigger_id")}
	writeJSON(w, a.handleCommand(r.Context(), cmd))
}

func writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
