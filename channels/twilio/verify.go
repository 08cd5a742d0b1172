package twilio

import (
	"cmp"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxBody caps a webhook body. Twilio's largest forms (an MMS with ten
// media) are a few KiB.
const maxBody = 64 << 10

// verified reads the form of a webhook and checks that Twilio sent it for
// our account. It answers the request itself and returns false when not:
// 413 oversized, 415 not a form, 400 malformed, 403 unsigned, wrongly
// signed or for another account.
func (c *Channel) verified(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	var form url.Values
	reject := func(status int, reason, msg string) (url.Values, bool) {
		c.logger.Warn("twilio webhook rejected", "reason", reason, "path", r.URL.Path, "status", status,
			"sid", cmp.Or(form.Get("MessageSid"), form.Get("CallSid"), form.Get("RecordingSid")))
		http.Error(w, msg, status)
		return nil, false
	}
	// An unsigned request is refused before anything else is looked at
	// (DESIGN invariant 6: unsigned webhooks get 403, whatever they carry).
	if r.Header.Get("X-Twilio-Signature") == "" {
		return reject(http.StatusForbidden, "twilio_signature_missing", "missing X-Twilio-Signature")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return reject(http.StatusUnsupportedMediaType, "content_type", "expected an application/x-www-form-urlencoded body")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return reject(http.StatusRequestEntityTooLarge, "body_too_large", "request body too large")
		}
		return reject(http.StatusBadRequest, "body_unreadable", "request body unreadable")
	}
	form, err = url.ParseQuery(string(body))
	if err != nil {
		return reject(http.StatusBadRequest, "malformed_form", "malformed form body")
	}
	// twilio-go's validator takes one value per key, so a repeated key is
	// refused rather than half-verified.
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) != 1 {
			return reject(http.StatusBadRequest, "duplicate_param", "repeated form parameter")
		}
		params[k] = v[0]
	}
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return reject(http.StatusForbidden, "twilio_signature_missing", "missing X-Twilio-Signature")
	}
	if !c.validSignature(c.signedURL(r), params, sig) {
		return reject(http.StatusForbidden, "twilio_signature_invalid", "invalid X-Twilio-Signature")
	}
	if form.Get("AccountSid") != c.cfg.AccountSID {
		return reject(http.StatusForbidden, "wrong_account", "webhook for another account")
	}
	return form, true
}

// signedURL is the URL Twilio signed: our public URL with the request's
// path and query exactly as they arrived, whatever Host a proxy forwarded.
func (c *Channel) signedURL(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		uri = r.URL.RequestURI()
	}
	return c.cfg.PublicURL + uri
}

// validSignature checks sig with twilio-go's validator: HMAC-SHA1 over
// the URL and the parameters sorted by key, compared in constant time, with
// the URL tried with and without its default port.
func (c *Channel) validSignature(fullURL string, params map[string]string, sig string) bool {
	return c.validator.Validate(fullURL, params, sig)
}
