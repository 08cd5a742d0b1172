package twilio

import (
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/stretchr/testify/require"
)

func TestUnanswerable(t *testing.T) {
	tests := []struct {
		from string
		why  string // "" for an answerable number
	}{
		{"+15557770101", ""},
		{"+442071838750", ""},
		{"+123456789012345", ""},
		{"+1234567890123456", "not an E.164"}, // 16 digits
		{"+0123456", "not an E.164"},
		{"15557770101", "not an E.164"},
		{"72345", "not an E.164"},
		{"ACMEBANK", "not an E.164"},
		{"client:alice", "Twilio Client identity"},
		{"Client:Alice", "Twilio Client identity"},
		{"sip:alice@example.com", "SIP address"},
		{"anonymous", "withheld"},
		{"Restricted", "withheld"},
		{"", "not an E.164"},
		{"+1555\n7770101", "not an E.164"},
		{strings.Repeat("A", 200), "…"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			got := unanswerable(tt.from)
			if tt.why == "" {
				require.Empty(t, got, "unanswerable(%q)", tt.from)
				return
			}
			require.Contains(t, got, tt.why, "unanswerable(%q)", tt.from)
			require.NotContains(t, got, "\n")
			require.LessOrEqual(t, len(identity(tt.from)), maxIdentity)
		})
	}
}

func TestParseSMSFromSenderID(t *testing.T) {
	form := url.Values{"MessageSid": {"SM00000000000000000000000000000001"}, "From": {"ACMEBANK"}, "Body": {"HELP"}}
	m, err := parseSMS(form, nil)
	require.NoError(t, err)
	require.Equal(t, "ACMEBANK", m.From.Phone, "the sender is kept as it came")
	require.Contains(t, m.Unanswerable, "not an E.164")
	require.Equal(t, emptyTwiML, answerSMS(m, channels.TicketRef{}, nil), "not even the help line goes to a sender id")

	form.Set("From", "+15557770101")
	m, err = parseSMS(form, nil)
	require.NoError(t, err)
	require.Empty(t, m.Unanswerable)
	require.NotEqual(t, emptyTwiML, answerSMS(m, channels.TicketRef{}, nil))
}

func TestParseCallFromClient(t *testing.T) {
	m, err := parseCall(url.Values{"CallSid": {"CA00000000000000000000000000000001"}, "From": {"client:alice"}}, nil)
	require.NoError(t, err)
	require.Contains(t, m.Unanswerable, "Twilio Client identity")
	for _, parse := range []parseFunc{parseCallStatus, parseRecording, parseTranscription} {
		m, err := parse(url.Values{"CallSid": {"CA00000000000000000000000000000001"}, "RecordingSid": {"RE00000000000000000000000000000001"},
			"RecordingUrl": {"https://api.twilio.com/rec"}, "CallStatus": {"completed"}, "From": {"client:alice"}}, nil)
		require.NoError(t, err)
		require.Contains(t, m.Unanswerable, "Twilio Client identity", "a call step that opens a ticket keeps the same rule")
	}
}
