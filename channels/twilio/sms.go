package twilio

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/intakehq/intake/channels"
)

// sidPattern is a Twilio resource id: a two-letter type prefix (SM, MM, CA,
// RE, TR...) and an alphanumeric body. Real ones have 32 hex digits; the
// bound is what keeps dedup keys sane.
var sidPattern = regexp.MustCompile(`^[A-Z]{2}[0-9A-Za-z]{1,62}$`)

// statusPattern is a Twilio status word (queued, no-answer, in-progress...).
var statusPattern = regexp.MustCompile(`^[a-z][a-z_-]{0,31}$`)

// Keywords, matched on the whole trimmed body, case-insensitively ("please
// stop" is an ordinary message). The opt-out list is Twilio's default for
// long codes, so what we record matches what Twilio enforces.
var (
	optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
	optInWords  = []string{"START", "YES", "UNSTOP"}
	helpWords   = []string{"HELP", "INFO"}
)

func isKeyword(body string, words []string) bool {
	b := strings.TrimSpace(body)
	for _, w := range words {
		if strings.EqualFold(b, w) {
			return true
		}
	}
	return false
}

// maxMedia is the most media Twilio attaches to one message.
const maxMedia = 10

// parseSMS reads an inbound SMS or MMS. STOP and START words become opt-out
// and opt-in events; everything else, HELP included, is a message.
func parseSMS(form, _ url.Values) (channels.Message, error) {
	sid, from := form.Get("MessageSid"), form.Get("From")
	if err := requireSID("MessageSid", sid); err != nil {
		return channels.Message{}, err
	}
	if from == "" {
		return channels.Message{}, fmt.Errorf("missing From")
	}
	m := channels.Message{
		Kind:         channels.SMS,
		ExternalID:   sid,
		From:         channels.Contact{Phone: identity(from)},
		Unanswerable: unanswerable(from),
		To:           form.Get("To"),
		Text:         form.Get("Body"),
		Attachments:  media(form),
		Meta: meta(form, map[string]string{
			"MessageSid": "message_sid", "AccountSid": "account_sid", "MessagingServiceSid": "messaging_service_sid",
			"NumSegments": "num_segments", "NumMedia": "num_media", "SmsStatus": "sms_status",
			"FromCity": "from_city", "FromState": "from_state", "FromZip": "from_zip", "FromCountry": "from_country",
		}),
	}
	switch {
	case isKeyword(m.Text, optOutWords):
		m.Event = channels.EventOptOut
	case isKeyword(m.Text, optInWords):
		m.Event = channels.EventOptIn
	default:
		m.Event = channels.EventMessage
		if isKeyword(m.Text, helpWords) {
			// HELP is answered in the TwiML; the ledger only records it
			// on a ticket that is already open.
			m.Meta[channels.MetaKeyword] = "help"
		}
	}
	return m, nil
}

// media lists an MMS's attachments as links (never fetched here: Twilio's
// media URLs want our credentials).
func media(form url.Values) []channels.Attachment {
	n, err := strconv.Atoi(form.Get("NumMedia"))
	if err != nil || n > maxMedia {
		n = maxMedia
	}
	var out []channels.Attachment
	for i := range max(n, 0) {
		u := form.Get("MediaUrl" + strconv.Itoa(i))
		if u == "" {
			continue
		}
		out = append(out, channels.Attachment{
			Name:        fmt.Sprintf("media%d", i),
			ContentType: form.Get("MediaContentType" + strconv.Itoa(i)),
			URL:         u,
		})
	}
	return out
}

// answerSMS is empty TwiML: the auto-acknowledgement goes through the
// outbox, so a replayed webhook never texts twice. HELP gets a short help
// text.
func answerSMS(m channels.Message, ref channels.TicketRef, _ url.Values) string {
	// Never text a number that opted out, not even the help line, nor
	// a sender that is no number.
	if m.Event == channels.EventMessage && isKeyword(m.Text, helpWords) && !ref.OptedOut && m.Unanswerable == "" {
		return helpTwiML()
	}
	return emptyTwiML
}

// parseSMSStatus reads a delivery status callback for one of our messages.
// Each (message, status) pair is one delivery.
func parseSMSStatus(form, _ url.Values) (channels.Message, error) {
	sid, status := form.Get("MessageSid"), form.Get("MessageStatus")
	if err := requireSID("MessageSid", sid); err != nil {
		return channels.Message{}, err
	}
	if !statusPattern.MatchString(status) {
		return channels.Message{}, fmt.Errorf("missing or invalid MessageStatus")
	}
	return channels.Message{
		Kind:       channels.SMS,
		Event:      channels.EventStatus,
		ExternalID: sid + ":" + status,
		To:         form.Get("To"),
		Meta:       map[string]string{"message_sid": sid, "status": status, "error_code": form.Get("ErrorCode")},
	}, nil
}

func requireSID(name, v string) error {
	if v == "" {
		return fmt.Errorf("missing %s", name)
	}
	if !sidPattern.MatchString(v) {
		return fmt.Errorf("invalid %s", name)
	}
	return nil
}

// meta copies the non-empty form fields named in keys, renamed.
func meta(form url.Values, keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for field, key := range keys {
		if v := form.Get(field); v != "" {
			out[key] = v
		}
	}
	return out
}
