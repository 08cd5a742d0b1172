package email

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/intakehq/intake/channels"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

var ours = []string{"support@intake.example", "helpdesk@intake.example"}

type golden struct {
	Parsed Parsed `json:"parsed"`
	Class  Class  `json:"class"`
	Reason string `json:"reason,omitempty"`
	Err    string `json:"error,omitempty"`
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 15)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".eml"), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			p, perr := Parse(raw, ParseOptions{})
			g := golden{Parsed: p}
			g.Class, g.Reason = Classify(p, ours)
			if perr != nil {
				g.Err = perr.Error()
				require.ErrorIs(t, perr, ErrMalformed)
			}
			got, err := json.MarshalIndent(g, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			gf := strings.TrimSuffix(f, ".eml") + ".golden.json"
			if *update {
				require.NoError(t, os.WriteFile(gf, got, 0o644))
				return
			}
			want, err := os.ReadFile(gf)
			require.NoError(t, err, "run go test -update")
			require.Equal(t, string(want), string(got))
		})
	}
}

func TestBrokenMIMEKeepsRawText(t *testing.T) {
	raw, err := os.ReadFile("testdata/15_broken_boundary.eml")
	require.NoError(t, err)
	p, err := Parse(raw, ParseOptions{})
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, p.Text, "Outlook crashes right after the splash screen.")
	require.Equal(t, "broken.1@northwind.example", p.MessageID)
	require.Equal(t, "gus@northwind.example", p.From.Address)
}

func TestGarbageHeader(t *testing.T) {
	p, err := Parse([]byte("this is not\x00 a header\r\nat all"), ParseOptions{})
	require.ErrorIs(t, err, ErrMalformed)
	require.True(t, utf8.ValidString(p.Text))
	require.NotEmpty(t, p.Text)
}

func TestTextCap(t *testing.T) {
	body := strings.Repeat("é", 1000) // 2 bytes each
	raw := "From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
	p, err := Parse([]byte(raw), ParseOptions{MaxText: 101})
	require.NoError(t, err)
	require.LessOrEqual(t, len(p.Text), 101)
	require.True(t, utf8.ValidString(p.Text))
	require.True(t, p.Truncated)
}

func nested(depth int) string {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i <= depth; i++ {
		b.WriteString("--b" + itoa(i-1) + "\r\nContent-Type: multipart/mixed; boundary=b" + itoa(i) + "\r\n\r\n")
	}
	b.WriteString("--b" + itoa(depth) + "\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
	for i := depth; i >= 0; i-- {
		b.WriteString("--b" + itoa(i) + "--\r\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDeepNestingTruncated(t *testing.T) {
	p, err := Parse([]byte(nested(100)), ParseOptions{})
	require.NoError(t, err)
	require.True(t, p.Truncated)
	require.Empty(t, p.Text)

	p, err = Parse([]byte(nested(3)), ParseOptions{})
	require.NoError(t, err)
	require.False(t, p.Truncated)
	require.Equal(t, "deep", p.Text)
}

func TestManyPartsTruncated(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
	for i := 0; i < 10000; i++ {
		b.WriteString("--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f.bin\r\n\r\nAAAA\r\n")
	}
	b.WriteString("--x--\r\n")
	p, err := Parse([]byte(b.String()), ParseOptions{MaxAttachments: 10})
	require.NoError(t, err)
	require.True(t, p.Truncated)
	require.Len(t, p.Attachments, 10)
	require.Equal(t, DefaultMaxParts-1-10, p.AttachmentsOmitted)
}

func TestNoMIMEVersionPlain(t *testing.T) {
	p, err := Parse([]byte("From: x@y.example\nSubject: hi\n\nhello\n"), ParseOptions{})
	require.NoError(t, err)
	require.Equal(t, "hello", p.Text)
	require.Equal(t, "hi", p.Subject)
}

func TestMalformedWraps(t *testing.T) {
	_, err := Parse([]byte("From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nbody"), ParseOptions{})
	require.ErrorIs(t, err, ErrMalformed)
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(nested(20)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		opts := ParseOptions{MaxText: 4096}
		p, err := Parse(raw, opts)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		for name, s := range map[string]string{"Text": p.Text, "NewText": p.NewText, "Subject": p.Subject, "From": p.From.Address, "MessageID": p.MessageID} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s not valid UTF-8: %q", name, s)
			}
		}
		if len(p.Text) > opts.MaxText || len(p.NewText) > opts.MaxText {
			t.Fatalf("text over cap: %d", len(p.Text))
		}
		if strings.ContainsAny(p.Subject, "\r\n") || strings.ContainsAny(p.MessageID, "\r\n") {
			t.Fatalf("newline in header value")
		}
		Classify(p, ours)

		// The whole path to the ledger: what Inbound hands over is
		// bounded, valid UTF-8 and always identifiable.
		m := Inbound(p, err, raw, ours, time.Now())
		if m.ExternalID == "" || m.Kind != channels.Email {
			t.Fatalf("no provider id or kind: %+v", m)
		}
		if len(m.Subject) > maxSubject || len(m.References) > maxThreadIDs {
			t.Fatalf("subject %d bytes, %d references", len(m.Subject), len(m.References))
		}
		for k, v := range m.Meta {
			if !utf8.ValidString(v) {
				t.Fatalf("meta %s not valid UTF-8: %q", k, v)
			}
		}
		if strings.ContainsAny(m.Meta[channels.MetaMessageID]+m.Meta[channels.MetaReferences]+m.TicketHint, "\r\n") {
			t.Fatalf("newline in a threading value")
		}
		// Mail that does not parse is kept for review, unless its header
		// block says a machine sent it: that is recorded quietly.
		if err != nil && m.Meta[channels.MetaReview] == "" && m.Meta[channels.MetaAutomated] == "" && m.Event != channels.EventStatus {
			t.Fatalf("unparseable mail neither flagged for review nor automated")
		}
	})
}
