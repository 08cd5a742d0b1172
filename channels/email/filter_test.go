package email

import (
	"bytes"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
)

// FuzzClassifyHeader checks that a mail is classified by its header block
// alone: the same header over any body, broken MIME or none, gives the
// same class, and what Inbound hands the ledger is consistent — an
// automated mail is never up for review (it opens nothing), a sender
// without a usable address is never given one, and every mail carries
// its digest.
func FuzzClassifyHeader(f *testing.F) {
	seeds := [][2]string{
		{"From: Pat <pat@acmedental.example>\r\nSubject: Printer", "Jammed."},
		{"From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"zz\"", "--zz\r\nContent-Type: text/plain\r\n\r\ngone"},
		{"From: Mail Delivery Subsystem <MAILER-DAEMON>\r\nSubject: failure", brokenMIME},
		{"From: news@lists.example\r\nList-Id: <news.lists.example>\r\nContent-Type: multipart/mixed; boundary=\"q\"", "--q\r\n\r\nx"},
		{"From: pat@acmedental.example\r\nAuto-Submitted: auto-replied\r\nno colon here", "Away"},
		{"Return-Path: <>\r\nFrom: robot@acmedental.example", "x"},
		{"From: pat@acmedental.example <mallory@evil.example>\r\nPrecedence: bulk", "hi"},
		{"From: =?utf-8?q?Pat=0D=0A?= <mallory@evil.example>\r\nX-Autoreply: yes", "hi"},
		{"From: a\x00@b.example\r\nSubject: \x00", "\x00\x00"},
		{"", "no header"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, header, body string) {
		if bytes.Contains([]byte(header), []byte("\n\n")) || bytes.Contains([]byte(header), []byte("\n\r\n")) {
			return // the header block would end early: another header
		}
		raw := []byte(header + "\r\n\r\n" + body)
		p, err := Parse(raw, ParseOptions{})
		class, why := Classify(p, ours)
		plain := []byte(header + "\r\n\r\nplain text")
		q, _ := Parse(plain, ParseOptions{})
		if c2, why2 := Classify(q, ours); c2 != class {
			t.Fatalf("header %q classifies %s (%s) over body %q but %s (%s) over plain text", header, class, why, body, c2, why2)
		}
		m := Inbound(p, err, raw, ours, now)
		if m.Meta[channels.MetaDigest] == "" {
			t.Fatal("no digest")
		}
		if class != Human && m.Event != channels.EventStatus && m.Meta[channels.MetaAutomated] == "" {
			t.Fatalf("%s mail (%s) not marked automated", class, why)
		}
		if m.Meta[channels.MetaAutomated] != "" && m.Meta[channels.MetaReview] != "" {
			t.Fatalf("automated mail up for review: %q", m.Meta[channels.MetaReview])
		}
		if m.Unanswerable != "" && m.From.Email != "" {
			t.Fatalf("unanswerable sender %q has an address %q", m.Unanswerable, m.From.Email)
		}
		if m.From.Email != "" {
			if _, err := checkAddrSpec(m.From.Email); err != nil {
				t.Fatalf("From.Email %q: %v", m.From.Email, err)
			}
		}
		if m.From.Email == "" && m.Unanswerable == "" && m.Meta[channels.MetaAutomated] == "" && m.Event == "" {
			t.Fatalf("human mail without a sender is answerable: from %q", p.FromRaw)
		}
	})
}
