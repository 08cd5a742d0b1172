package twilio

import (
	"fmt"
	"regexp"
	"strings"
)

// e164 is an E.164 number: "+", a country code that does not start with
// 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// maxIdentity bounds a caller identity kept on a ticket.
const maxIdentity = 64

// unanswerable says why a Twilio From cannot be texted or called back
// ("" when it is an E.164 number): a Twilio Client or SIP identity on a
// call, a withheld number, an alphanumeric sender id or short code.
// Such a sender's message is kept on a review ticket and nothing is
// queued to them (channels.Message.Unanswerable).
func unanswerable(from string) string {
	if e164.MatchString(from) {
		return ""
	}
	shown := from
	if len(shown) > maxIdentity {
		shown = shown[:maxIdentity] + "…"
	}
	shown = fmt.Sprintf("%q", shown)
	switch l := strings.ToLower(from); {
	case strings.HasPrefix(l, "client:"):
		return "the caller is a Twilio Client identity (" + shown + "), not a phone number"
	case strings.HasPrefix(l, "sip:"):
		return "the caller is a SIP address (" + shown + "), not a phone number"
	case l == "anonymous" || l == "restricted" || l == "unknown" || l == "blocked" || l == "private":
		return "the sender withheld their number (" + shown + ")"
	}
	return "the sender " + shown + " is not an E.164 phone number"
}

// identity is from as it is kept on the ticket: an unanswerable one is
// bounded, so a long sender id cannot fill the contact.
func identity(from string) string {
	if len(from) > maxIdentity && unanswerable(from) != "" {
		return from[:maxIdentity]
	}
	return from
}
