package twilio

import (
	"fmt"
	"net/url"
	"path"
	"strconv"

	"github.com/intakehq/intake/channels"
)

// callKey is the dedup key of the incoming-call message, which later call
// steps name as their ThreadKey so they land on the call's ticket.
func callKey(callSid string) string {
	return channels.Message{Kind: channels.Voice, Event: channels.EventCall, ExternalID: callSid}.DedupKey()
}

// callMeta are the call fields worth keeping on the timeline.
var callMeta = map[string]string{
	"CallSid": "call_sid", "AccountSid": "account_sid", "CallStatus": "call_status", "Direction": "direction",
	"CallerName": "caller_name", "FromCity": "from_city", "FromState": "from_state", "FromCountry": "from_country",
}

// parseCall reads an incoming call.
func parseCall(form, _ url.Values) (channels.Message, error) {
	sid, from := form.Get("CallSid"), form.Get("From")
	if err := requireSID("CallSid", sid); err != nil {
		return channels.Message{}, err
	}
	if from == "" {
		return channels.Message{}, fmt.Errorf("missing From")
	}
	return channels.Message{
		Kind:         channels.Voice,
		Event:        channels.EventCall,
		ExternalID:   sid,
		From:         channels.Contact{Phone: identity(from), Name: form.Get("CallerName")},
		Unanswerable: unanswerable(from),
		To:           form.Get("To"),
		Text:         "Incoming call",
		Meta:         meta(form, callMeta),
	}, nil
}

// answerCall rings the owner when they can take the call, and otherwise
// takes a voicemail. Either way the caller hears their ticket number.
func (c *Channel) answerCall(_ channels.Message, ref channels.TicketRef, _ url.Values) string {
	if ref.OwnerPhone != "" && ref.OwnerOnShift {
		return c.dialTwiML(ref)
	}
	return c.voicemailTwiML(ref.ID)
}

// dialFailed are the Dial outcomes that send the caller to voicemail.
var dialFailed = map[string]bool{"no-answer": true, "busy": true, "failed": true, "canceled": true}

// parseCallStatus reads the Dial action (DialCallStatus) or a call status
// callback (CallStatus). Each (call, status) pair is one delivery.
func parseCallStatus(form, query url.Values) (channels.Message, error) {
	sid := form.Get("CallSid")
	if err := requireSID("CallSid", sid); err != nil {
		return channels.Message{}, err
	}
	// The owner's leg (DialCallStatus) and the caller's leg (CallStatus)
	// can both report "completed": their dedup keys must differ.
	status, text, leg := form.Get("DialCallStatus"), "Owner's phone: ", "dial:"
	if status == "" {
		status, text, leg = form.Get("CallStatus"), "Call ", ""
	}
	if !statusPattern.MatchString(status) {
		return channels.Message{}, fmt.Errorf("missing or invalid DialCallStatus and CallStatus")
	}
	m := channels.Message{
		Kind:         channels.Voice,
		Event:        channels.EventCall,
		ExternalID:   sid + ":" + leg + status,
		ThreadKey:    callKey(sid),
		From:         channels.Contact{Phone: identity(form.Get("From"))},
		Unanswerable: unanswerable(form.Get("From")),
		To:           form.Get("To"),
		Text:         text + status,
		Meta: meta(form, map[string]string{
			"CallSid": "call_sid", "CallStatus": "call_status", "CallDuration": "call_duration",
			"DialCallStatus": "dial_call_status", "DialCallSid": "dial_call_sid", "DialCallDuration": "dial_call_duration",
		}),
	}
	if t := query.Get("ticket"); t != "" {
		m.Meta["ticket"] = t
	}
	return m, nil
}

// answerCallStatus sends an unanswered caller to voicemail, hangs up after
// an answered dial, and says nothing to a plain status callback.
func (c *Channel) answerCallStatus(m channels.Message, ref channels.TicketRef, query url.Values) string {
	switch dial := m.Meta["dial_call_status"]; {
	case dialFailed[dial]:
		ticket := ref.ID
		if ticket == "" {
			ticket = query.Get("ticket")
		}
		return c.voicemailTwiML(ticket)
	case dial == "completed" || dial == "answered":
		return hangupTwiML()
	}
	return emptyTwiML
}

// parseRecording reads the Record action: the voicemail itself.
func parseRecording(form, query url.Values) (channels.Message, error) {
	sid, call, rec := form.Get("RecordingSid"), form.Get("CallSid"), form.Get("RecordingUrl")
	if err := requireSID("RecordingSid", sid); err != nil {
		return channels.Message{}, err
	}
	if err := requireSID("CallSid", call); err != nil {
		return channels.Message{}, err
	}
	u, err := url.Parse(rec)
	if rec == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return channels.Message{}, fmt.Errorf("missing or invalid RecordingUrl")
	}
	// The bare RecordingUrl serves WAV; with .mp3 it serves MP3.
	if path.Ext(u.Path) == "" {
		u.Path += ".mp3"
		if u.RawPath != "" {
			u.RawPath += ".mp3"
		}
	}
	secs := form.Get("RecordingDuration")
	text := "Voicemail"
	if n, err := strconv.Atoi(secs); err == nil {
		text = fmt.Sprintf("Voicemail (%d s)", n)
	}
	m := channels.Message{
		Kind:         channels.Voice,
		Event:        channels.EventVoicemail,
		ExternalID:   sid,
		ThreadKey:    callKey(call),
		From:         channels.Contact{Phone: identity(form.Get("From"))},
		Unanswerable: unanswerable(form.Get("From")),
		To:           form.Get("To"),
		Text:         text,
		Attachments:  []channels.Attachment{{Name: sid + ".mp3", ContentType: "audio/mpeg", URL: u.String()}},
		Meta: meta(form, map[string]string{
			"RecordingSid": "recording_sid", "CallSid": "call_sid", "RecordingDuration": "recording_duration",
		}),
	}
	if t := query.Get("ticket"); t != "" {
		m.Meta["ticket"] = t
	}
	return m, nil
}

func answerRecording(channels.Message, channels.TicketRef, url.Values) string { return goodbyeTwiML() }

// parseTranscription reads the transcription of a voicemail.
func parseTranscription(form, query url.Values) (channels.Message, error) {
	sid, call := form.Get("RecordingSid"), form.Get("CallSid")
	if err := requireSID("RecordingSid", sid); err != nil {
		return channels.Message{}, err
	}
	if err := requireSID("CallSid", call); err != nil {
		return channels.Message{}, err
	}
	text := form.Get("TranscriptionText")
	if status := form.Get("TranscriptionStatus"); status != "" && status != "completed" && text == "" {
		text = "(transcription " + status + ")"
	}
	m := channels.Message{
		Kind:         channels.Voice,
		Event:        channels.EventVoicemail,
		ExternalID:   sid + ":transcription",
		ThreadKey:    callKey(call),
		From:         channels.Contact{Phone: identity(form.Get("From"))},
		Unanswerable: unanswerable(form.Get("From")),
		To:           form.Get("To"),
		Text:         text,
		Meta: meta(form, map[string]string{
			"RecordingSid": "recording_sid", "CallSid": "call_sid", "TranscriptionSid": "transcription_sid",
			"TranscriptionStatus": "transcription_status",
		}),
	}
	if t := query.Get("ticket"); t != "" {
		m.Meta["ticket"] = t
	}
	return m, nil
}
