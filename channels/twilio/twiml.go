package twilio

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/intakehq/intake/channels"
	"github.com/twilio/twilio-go/twiml"
)

// emptyTwiML is the answer that asks Twilio to do nothing more.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// helpText answers HELP and INFO.
const helpText = "IT support: text your question and we'll open a ticket; reply here to add to it. Reply STOP to stop texts."

// render builds a TwiML document from verbs with the twiml package, which
// escapes every text and attribute value. Attributes are sorted so the same
// answer is byte-identical on every replay.
func render(verbs ...twiml.Element) string {
	doc, resp := twiml.CreateDocument()
	twiml.AddAllVerbs(resp, verbs)
	sortAttrs(resp)
	s, err := twiml.ToXML(doc)
	if err != nil {
		return emptyTwiML
	}
	return s
}

func sortAttrs(e *etree.Element) {
	slices.SortFunc(e.Attr, func(a, b etree.Attr) int { return strings.Compare(a.Key, b.Key) })
	for _, c := range e.ChildElements() {
		sortAttrs(c)
	}
}

// callbackURL is a webhook URL of ours under the public URL, carrying the
// ticket id so the callback can name it.
func (c *Channel) callbackURL(path, ticket string) string {
	u := c.cfg.PublicURL + path
	if ticket != "" {
		u += "?ticket=" + url.QueryEscape(ticket)
	}
	return u
}

// dialTwiML greets the caller with their ticket number and rings the
// owner's phone; the Dial action reports how that went.
func (c *Channel) dialTwiML(ref channels.TicketRef) string {
	return render(
		twiml.VoiceSay{Message: greeting(ref.ID) + " Connecting you to " + ownerName(ref) + "."},
		twiml.VoiceDial{
			Number:  ref.OwnerPhone,
			Timeout: strconv.Itoa(c.cfg.DialTimeout),
			Action:  c.callbackURL("/twilio/voice/status", ref.ID),
			Method:  "POST",
		},
	)
}

// voicemailTwiML names the ticket and records a message with
// transcription, up to five minutes.
func (c *Channel) voicemailTwiML(ticket string) string {
	return render(
		twiml.VoiceSay{Message: greeting(ticket) + " Please leave a message after the tone and we will call you back."},
		twiml.VoiceRecord{
			Action:             c.callbackURL("/twilio/voice/recording", ticket),
			Method:             "POST",
			MaxLength:          "300",
			PlayBeep:           "true",
			Transcribe:         "true",
			TranscribeCallback: c.callbackURL("/twilio/voice/transcription", ticket),
		},
		// Reached only when nothing was recorded.
		twiml.VoiceHangup{},
	)
}

// ownerName is how the caller hears the owner named.
func ownerName(ref channels.TicketRef) string {
	switch {
	case strings.TrimSpace(ref.OwnerName) != "":
		return strings.TrimSpace(ref.OwnerName)
	case ref.Owner != "":
		return ref.Owner
	}
	return "your technician"
}

func greeting(ticket string) string {
	if ticket == "" {
		return "Thanks for calling."
	}
	return "Thanks for calling. Your ticket is " + ticket + "."
}

// goodbyeTwiML ends the call after a voicemail.
func goodbyeTwiML() string {
	return render(twiml.VoiceSay{Message: "Thank you. Goodbye."}, twiml.VoiceHangup{})
}

// hangupTwiML ends the call after an answered dial.
func hangupTwiML() string { return render(twiml.VoiceHangup{}) }

// helpTwiML answers HELP and INFO.
func helpTwiML() string { return render(twiml.MessagingMessage{Body: helpText}) }
