package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/intakehq/intake/ownership"
)

type errorBody struct {
	Error  string            `json:"error"`
	Ticket *ownership.Ticket `json:"ticket,omitempty"` // the current ticket, on 409
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// writeServiceError maps an error from the Service to a status code. A
// refusal (ownership.IsRefusal) is the requester's to read and gets a 4xx
// with its words; anything else is logged and answered with a generic 503,
// so no internal detail leaks.
func (h *handler) writeServiceError(w http.ResponseWriter, r *http.Request, err error) {
	if !ownership.IsRefusal(err) {
		h.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusServiceUnavailable, "the ticket store is not available; try again")
		return
	}
	var ce *ownership.ConflictError
	switch {
	case errors.As(err, &ce):
		cur := ce.Current
		writeJSON(w, http.StatusConflict, errorBody{Error: err.Error(), Ticket: &cur})
	case errors.Is(err, ownership.ErrNotFound):
		writeError(w, http.StatusNotFound, trimSentinel(err))
	case errors.Is(err, ownership.ErrForbidden):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, ownership.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, ownership.ErrOwnerFull):
		writeError(w, http.StatusConflict, err.Error()+": that rep already holds as many active tickets as their capacity allows; choose someone else")
	default: // ErrState, ErrConflict
		writeError(w, http.StatusConflict, err.Error())
	}
}

func trimSentinel(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "ticket ") || strings.Contains(msg, "rep ") {
		return msg
	}
	return "not found"
}

// decode reads a JSON body of at most maxBody bytes into v, refusing
// unknown fields, trailing data and non-JSON content types.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return h.decodeBody(w, r, v, false)
}

// decodeOptional is decode for requests whose fields are all optional: an
// empty body means an empty object.
func (h *handler) decodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	return h.decodeBody(w, r, v, true)
}

func (h *handler) decodeBody(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) bool {
	// A body must say it is JSON: browsers cannot send that cross-site
	// without a CORS preflight, which this API never grants.
	if ct := r.Header.Get("Content-Type"); ct != "" || r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send the body as application/json", ct))
			return false
		}
	}
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", h.maxBody))
		case errors.Is(err, io.EOF) && emptyOK:
			return true
		case errors.Is(err, io.EOF):
			writeError(w, http.StatusBadRequest, "request body is empty; send a JSON object")
		default:
			writeError(w, http.StatusBadRequest, "malformed JSON: "+jsonMessage(err))
		}
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "malformed JSON: more data after the object")
		return false
	}
	return true
}

// jsonMessage turns encoding/json errors into plain words.
func jsonMessage(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return err.Error()
}

// expectedVersion returns the version a change must start from: the body's
// "version" or the If-Match header; nil when neither is given.
func expectedVersion(r *http.Request, body *int64) (*int64, error) {
	if body != nil {
		return body, nil
	}
	im := strings.Trim(strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/"), `"`)
	if im == "" || im == "*" {
		return nil, nil
	}
	v, err := strconv.ParseInt(im, 10, 64)
	if err != nil || v <= 0 {
		return nil, fmt.Errorf("If-Match %q: want a ticket version number", r.Header.Get("If-Match"))
	}
	return &v, nil
}
