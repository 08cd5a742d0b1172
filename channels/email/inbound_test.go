package email

import (
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/stretchr/testify/require"
)

// brokenMIME is a multipart body whose boundary never closes and whose
// part is not the base64 it says.
const brokenMIME = "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"

func TestInboundClassifiesFromHeaders(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		raw       string
		automated string // substring of Meta[automated]; "" for human mail
		review    bool
		noAnswer  bool // Unanswerable set
		from      string
	}{
		{"human", "From: Pat <pat@acmedental.example>\r\nSubject: Printer\r\n\r\nJammed.\r\n", "", false, false, "pat@acmedental.example"},
		{"human broken MIME", "From: pat@acmedental.example\r\nSubject: broken\r\n" + brokenMIME, "", true, false, "pat@acmedental.example"},
		{"DSN broken MIME", "From: Mail Delivery System <MAILER-DAEMON@mx.acmedental.example>\r\nSubject: Undelivered\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\ngone", "bounce", false, false, "mailer-daemon@mx.acmedental.example"},
		{"DSN damaged content type", "From: postmaster@mx.acmedental.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\r\n\r\nx", "bounce", false, false, "postmaster@mx.acmedental.example"},
		{"DSN report without parsable params", "From: Delivery <bounces@mx.example>\r\nContent-Type: multipart/report; report-type=\"delivery-status\"; boundary=\"a\"; boundary=\"b\"\r\n\r\nx", "multipart/report", false, false, "bounces@mx.example"},
		{"daemon without domain", "From: Mail Delivery Subsystem <MAILER-DAEMON>\r\nSubject: failure\r\n" + brokenMIME, "mailer-daemon", true, true, ""},
		{"list broken MIME", "From: news@lists.example\r\nList-Id: <news.lists.example>\r\nSubject: Weekly\r\n" + brokenMIME, "List-Id", false, false, "news@lists.example"},
		{"list unsubscribe", "From: news@lists.example\r\nList-Unsubscribe: <mailto:u@lists.example>\r\n\r\nhi", "List-Unsubscribe", false, false, "news@lists.example"},
		{"precedence bulk", "From: news@lists.example\r\nPrecedence: bulk\r\n" + brokenMIME, "Precedence: bulk", false, false, "news@lists.example"},
		{"auto-submitted damaged header", "From: pat@acmedental.example\r\nAuto-Submitted: auto-replied\r\nthis line has no colon\r\nSubject: Away\r\n\r\nI am away", "Auto-Submitted", false, false, "pat@acmedental.example"},
		{"auto-submitted no", "From: pat@acmedental.example\r\nAuto-Submitted: no\r\n\r\nhello", "", false, false, "pat@acmedental.example"},
		{"null return path", "Return-Path: <>\r\nFrom: robot@acmedental.example\r\n" + brokenMIME, "null Return-Path", false, false, "robot@acmedental.example"},
		{"NUL in header", "From: pat@acmedental.example\r\nSubject: a\x00b\r\nX-Bad\x00: y\r\n\r\nbody", "", true, false, "pat@acmedental.example"},
		{"no header", "just some text\r\nwith no header at all\r\n", "", true, true, ""},
		{"empty", "", "", true, true, ""},
		{"spoofed display name", "From: pat@acmedental.example <mallory@evil.example>\r\nSubject: invoice\r\n\r\npay", "", true, false, "mallory@evil.example"},
		{"encoded angle-addr in name", "From: =?utf-8?q?x_<pat@acmedental.example>?= <mallory@evil.example>\r\nSubject: hi\r\n\r\nhi", "", true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.raw)
			p, err := Parse(raw, ParseOptions{})
			m := Inbound(p, err, raw, ours, now)
			require.Contains(t, m.Meta[channels.MetaAutomated], tt.automated, "Inbound(%q) automated", tt.name)
			if tt.automated == "" {
				require.Empty(t, m.Meta[channels.MetaAutomated], "human mail is not automated")
			} else {
				require.Empty(t, m.Meta[channels.MetaReview], "a machine's mail is not put up for review")
			}
			require.Equal(t, tt.review, m.Meta[channels.MetaReview] != "" || m.Unanswerable != "", "review: %q %q", m.Meta[channels.MetaReview], m.Unanswerable)
			require.Equal(t, tt.noAnswer, m.Unanswerable != "", "Unanswerable = %q", m.Unanswerable)
			require.Equal(t, tt.from, m.From.Email)
			if m.Unanswerable != "" || strings.Contains(m.Meta[channels.MetaReview], "From") {
				require.NotEmpty(t, m.Meta[channels.MetaRawFrom]+m.Unanswerable, "the raw header or the reason is kept")
			}
			require.NotEmpty(t, m.Meta[channels.MetaDigest])
			if tt.automated == "" && tt.raw != "" {
				require.NotEmpty(t, strings.TrimSpace(m.Text+m.Subject), "human mail keeps its text")
			}
		})
	}
}

func TestInboundDigestIgnoresTransportHeaders(t *testing.T) {
	body := "From: pat@acmedental.example\r\nMessage-ID: <x@acmedental.example>\r\nSubject: VPN\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nVPN down\r\n"
	digest := func(raw string) string {
		p, err := Parse([]byte(raw), ParseOptions{})
		return Inbound(p, err, []byte(raw), ours, time.Now()).Meta[channels.MetaDigest]
	}
	require.Equal(t, digest(body), digest("Received: from mx2\r\nDelivered-To: helpdesk@intake.example\r\n"+body),
		"two copies of one mail have one digest")
	require.NotEqual(t, digest(body), digest(strings.Replace(body, "VPN down", "Wire the money", 1)),
		"a different mail reusing the Message-ID has another")
	require.NotEqual(t, digest(body), digest(strings.Replace(body, "From: pat@", "From: mallory@", 1)))
}
