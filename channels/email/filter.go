package email

import (
	"regexp"
	"strings"
)

// daemonRe finds a mail system's own sender in a From header that did not
// parse as an address.
var daemonRe = regexp.MustCompile(`(?i)(^|[<\s"])(mailer-daemon|postmaster)([@>\s"]|$)`)

// Class is what kind of sender a mail comes from, for loop and noise
// control: only Human mail opens tickets and gets auto-acks.
type Class string

// Classes.
const (
	Human     Class = "human"
	AutoReply Class = "auto_reply" // out-of-office, vacation, auto-generated
	Bulk      Class = "bulk"       // mailing lists, newsletters
	Bounce    Class = "bounce"     // delivery status notifications
	Loop      Class = "loop"       // our own mail coming back
)

// Classify decides whether p is human mail, with a short reason for the
// timeline. ourAddresses are the addresses we send from and receive on.
// Order: loop, bounce, auto-reply, bulk. A list mail that replies to one of
// our tickets is still Bulk here; the threading step may override that.
func Classify(p Parsed, ourAddresses []string) (Class, string) {
	h := func(k string) string { return strings.TrimSpace(p.Headers[k]) }
	from := strings.ToLower(strings.TrimSpace(p.From.Address))

	for _, a := range ourAddresses {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			continue
		}
		if from == a {
			return Loop, "From is our own address " + a
		}
		if x := strings.ToLower(h("X-Loop")); x != "" && strings.Contains(x, a) {
			return Loop, "X-Loop names our address " + a
		}
	}

	if p.ContentType == "multipart/report" && p.ReportType == "delivery-status" {
		return Bounce, "multipart/report; report-type=delivery-status"
	}
	local, _, _ := strings.Cut(from, "@")
	switch local {
	case "mailer-daemon", "postmaster":
		return Bounce, "sender is " + local
	}
	if from == "" && daemonRe.MatchString(p.FromRaw) {
		// "<MAILER-DAEMON>" without a domain is no address, but it is
		// plainly a bounce.
		return Bounce, "sender is mailer-daemon"
	}

	if v := strings.ToLower(h("Auto-Submitted")); p.hasHeader("Auto-Submitted") && !strings.HasPrefix(v, "no") {
		return AutoReply, "Auto-Submitted: " + v
	}
	if p.hasHeader("X-Autoreply") {
		return AutoReply, "X-Autoreply header"
	}
	if p.hasHeader("X-Autorespond") {
		return AutoReply, "X-Autorespond header"
	}
	prec := strings.ToLower(h("Precedence"))
	switch prec {
	case "auto_reply":
		return AutoReply, "Precedence: auto_reply"
	case "bulk", "junk", "list":
		return Bulk, "Precedence: " + prec
	}
	if p.hasHeader("List-Id") {
		return Bulk, "List-Id header"
	}
	if p.hasHeader("List-Unsubscribe") {
		return Bulk, "List-Unsubscribe header"
	}
	if p.hasHeader("Return-Path") {
		if rp := strings.Trim(h("Return-Path"), "<> "); rp == "" {
			return AutoReply, "null Return-Path"
		}
	}
	return Human, ""
}

func (p Parsed) hasHeader(k string) bool {
	_, ok := p.Headers[k]
	return ok
}
