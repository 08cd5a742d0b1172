package emailtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"
)

// parsed is what a test needs from one corpus mail, read with go-message.
type parsed struct {
	header    mail.Header
	mediaType string          // top level
	types     map[string]bool // every media type in the tree
	charsets  map[string]bool
	text      string // decoded text/plain and text/html leaves, concatenated
	files     []string
}

func parse(t *testing.T, m Mail) parsed {
	t.Helper()
	e, err := message.Read(bytes.NewReader(m.Raw))
	require.NoError(t, err, "message.Read %s", m.MessageID)
	p := parsed{header: mail.Header{Header: e.Header}, types: map[string]bool{}, charsets: map[string]bool{}}
	p.mediaType, _, _ = e.Header.ContentType()
	var text strings.Builder
	err = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, params, err := part.Header.ContentType()
		if err != nil {
			return err
		}
		p.types[mt] = true
		if cs := params["charset"]; cs != "" {
			p.charsets[strings.ToLower(cs)] = true
		}
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		body, err := io.ReadAll(part.Body)
		if err != nil {
			return err
		}
		disp, _, _ := part.Header.ContentDisposition()
		if (mt == "text/plain" || mt == "text/html") && disp != "attachment" {
			text.Write(body)
		}
		if disp == "attachment" {
			name, err := (&mail.AttachmentHeader{Header: part.Header}).Filename()
			if err != nil {
				return err
			}
			p.files = append(p.files, name)
		}
		return nil
	})
	require.NoError(t, err, "walk %s", m.MessageID)
	p.text = text.String()
	return p
}

func TestCorpusParses(t *testing.T) {
	fileNames := map[string]bool{}
	for _, f := range files {
		fileNames[f.name] = true
	}
	senders := map[string]person{}
	for _, p := range people() {
		senders[p.Addr] = p
	}
	for _, seed := range []int64{1, 2, 42, -7} {
		mails := Corpus(seed, 500, CorpusOptions{})
		for i, m := range mails {
			p := parse(t, m)
			subject, err := p.header.Subject()
			require.NoError(t, err)
			require.Equal(t, m.Subject, subject, "Subject of %s", m.MessageID)
			id, err := p.header.MessageID()
			require.NoError(t, err)
			require.Equal(t, m.MessageID, id)
			require.True(t, strings.HasPrefix(id, fmt.Sprintf("%d.%d@", i, seed)), "Message-ID %s", id)
			from, err := p.header.AddressList("From")
			require.NoError(t, err, "From of %s", m.MessageID)
			require.Equal(t, m.From, from[0].Address)
			date, err := p.header.Date()
			require.NoError(t, err)
			require.True(t, date.Equal(m.Date), "Date %v, want %v", date, m.Date)
			require.True(t, utf8.ValidString(p.text) && !strings.ContainsRune(p.text, utf8.RuneError),
				"decoded text of %s is not clean UTF-8", m.MessageID)
			for _, f := range p.files {
				require.True(t, fileNames[f], "attachment name %q of %s", f, m.MessageID)
			}
			if m.Kind == NewHuman || m.Kind == Reply {
				// The sign-off names the sender, in whatever charset the
				// mail uses: proves the body decodes to what was meant.
				require.Contains(t, p.text, senders[m.From].First, "body of %s", m.MessageID)
				require.NotEqual(t, "mailer-daemon", strings.ToLower(strings.Split(m.From, "@")[0]))
			}
		}
	}
}

func TestCorpusMix(t *testing.T) {
	require.Equal(t, map[Kind]int{NewHuman: 320, Reply: 100, AutoReply: 50, Bounce: 20, List: 10}, Mix(500))
	for _, n := range []int{500, 2000} {
		mails := Corpus(1, n, CorpusOptions{})
		require.Len(t, mails, n)
		for k, want := range Mix(n) {
			require.Equal(t, want, Count(mails, k), "n=%d kind %s", n, k)
		}
		require.Equal(t, Mix(n)[NewHuman]+Mix(n)[Reply], Human(mails))

		ids := map[string]bool{}
		senders := map[string]bool{}
		for i, m := range mails {
			require.False(t, ids[m.MessageID], "duplicate Message-ID %s", m.MessageID)
			ids[m.MessageID] = true
			if i > 0 {
				require.True(t, m.Date.After(mails[i-1].Date), "Date of %d not after %d", i, i-1)
			}
			if m.Kind == NewHuman || m.Kind == Reply {
				senders[m.From] = true
			}
		}
		require.GreaterOrEqual(t, len(senders), 50, "distinct human senders")
		require.LessOrEqual(t, len(senders), 60, "distinct human senders")
	}
}

func header(t *testing.T, m Mail) *message.Header {
	t.Helper()
	e, err := message.Read(bytes.NewReader(m.Raw))
	require.NoError(t, err)
	return &e.Header
}

func TestCorpusThreads(t *testing.T) {
	mails := Corpus(3, 500, CorpusOptions{})
	repliedAuto := 0
	for i, m := range mails {
		h := header(t, m)
		switch m.Kind {
		case NewHuman, List, Bounce:
			require.Equal(t, -1, m.ReplyTo)
			require.Empty(t, h.Get("In-Reply-To"), "%s %s", m.Kind, m.MessageID)
		case Reply:
			require.GreaterOrEqual(t, m.ReplyTo, 0)
			require.Less(t, m.ReplyTo, i)
			root := mails[m.ReplyTo]
			require.Equal(t, NewHuman, root.Kind)
			require.Contains(t, []string{"Re: " + root.Subject, "RE: " + root.Subject}, m.Subject)
			require.NotContains(t, m.Subject, "[T-")
			refs := strings.Fields(h.Get("References"))
			require.Equal(t, "<"+root.MessageID+">", refs[0], "References of %s", m.MessageID)
			require.Equal(t, refs[len(refs)-1], h.Get("In-Reply-To"))
			text := parse(t, m).text
			require.True(t, strings.Contains(text, "wrote:") || strings.Contains(text, "-----Original Message-----"),
				"no quoted history in %s", m.MessageID)
		case AutoReply:
			if m.ReplyTo >= 0 {
				repliedAuto++
				require.Equal(t, NewHuman, mails[m.ReplyTo].Kind)
				require.Equal(t, "<"+mails[m.ReplyTo].MessageID+">", h.Get("In-Reply-To"))
			}
		}
	}
	require.Greater(t, repliedAuto, 10, "auto-replies answering corpus mail")
}

func TestCorpusNoiseSignals(t *testing.T) {
	mails := Corpus(5, 500, CorpusOptions{})
	signals := map[string]int{}
	for _, m := range mails {
		h := header(t, m)
		var got []string
		if v := h.Get("Auto-Submitted"); v != "" && m.Kind != Bounce {
			got = append(got, "Auto-Submitted: "+v)
		}
		for _, k := range []string{"X-Autoreply", "X-Autorespond"} {
			if h.Has(k) {
				got = append(got, k)
			}
		}
		if p := h.Get("Precedence"); p == "auto_reply" {
			got = append(got, "Precedence: auto_reply")
		}
		if h.Has("Return-Path") && strings.Trim(h.Get("Return-Path"), "<> ") == "" && m.Kind != Bounce {
			got = append(got, "Return-Path: <>")
		}
		list := h.Has("List-Id") || h.Has("List-Unsubscribe") || h.Get("Precedence") == "list" || h.Get("Precedence") == "bulk"
		mt, params, _ := h.ContentType()

		switch m.Kind {
		case AutoReply:
			require.Len(t, got, 1, "signals of %s", m.MessageID)
			signals[got[0]]++
			require.False(t, list)
		case Bounce:
			require.Equal(t, "multipart/report", mt)
			require.Equal(t, "delivery-status", params["report-type"])
			require.True(t, strings.HasPrefix(m.From, "MAILER-DAEMON@"), m.From)
			require.Contains(t, string(m.Raw), "Content-Type: message/delivery-status")
		case List:
			require.True(t, h.Has("List-Id") && h.Has("List-Unsubscribe"), m.MessageID)
			require.Contains(t, []string{"list", "bulk"}, h.Get("Precedence"))
			require.Empty(t, got)
		default:
			require.Empty(t, got, "human %s has auto signals", m.MessageID)
			require.False(t, list, "human %s looks like list mail", m.MessageID)
			require.NotEqual(t, "multipart/report", mt)
		}
	}
	require.Equal(t, map[string]int{
		"Auto-Submitted: auto-replied": 10, "X-Autoreply": 10, "X-Autorespond": 10,
		"Precedence: auto_reply": 10, "Return-Path: <>": 10,
	}, signals)
}

func TestCorpusVariety(t *testing.T) {
	mails := Corpus(1, 500, CorpusOptions{})
	top, types, charsets := map[string]int{}, map[string]bool{}, map[string]bool{}
	var all bytes.Buffer
	for _, m := range mails {
		p := parse(t, m)
		top[p.mediaType]++
		for k := range p.types {
			types[k] = true
		}
		for k := range p.charsets {
			charsets[k] = true
		}
		all.Write(m.Raw)
	}
	for _, mt := range []string{"text/plain", "text/html", "multipart/alternative", "multipart/mixed", "multipart/report"} {
		require.Positive(t, top[mt], "top-level %s", mt)
	}
	for _, mt := range []string{"multipart/related", "message/delivery-status", "image/png", "application/pdf"} {
		require.True(t, types[mt], "nested %s", mt)
	}
	require.True(t, types["text/rfc822-headers"] || types["message/rfc822"])
	for _, cs := range []string{"utf-8", "iso-8859-1", "iso-8859-15", "windows-1252", "windows-1251", "shift_jis", "iso-2022-jp"} {
		require.True(t, charsets[cs], "charset %s", cs)
	}
	raw := all.String()
	for _, s := range []string{
		"Content-Transfer-Encoding: quoted-printable", "Content-Transfer-Encoding: base64",
		"Content-Transfer-Encoding: 8bit", "filename*=UTF-8''", "filename*0*=UTF-8''", `filename="=?UTF-8?`,
		"Subject: =?utf-8?q?", "Subject: =?utf-8?b?", "Subject: =?ISO-2022-JP?b?", "Subject: =?windows-1251?",
		"From: =?", "\r\n-- \r\n", " wrote:\r\n> ", "-----Original Message-----", "<blockquote", "cid:image001.png",
	} {
		require.Contains(t, raw, s)
	}
}

func TestCorpusDeterministic(t *testing.T) {
	a, b := Corpus(9, 300, CorpusOptions{}), Corpus(9, 300, CorpusOptions{})
	require.Equal(t, a, b)
	c := Corpus(10, 300, CorpusOptions{})
	require.NotEqual(t, a[0].Raw, c[0].Raw)
}

func TestCorpusOptions(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	mails := Corpus(4, 200, CorpusOptions{
		To:       "support@contoso.example",
		BounceOf: func(i int) string { return fmt.Sprintf("<out.%d@contoso.example>", i) },
		Start:    start,
	})
	require.True(t, mails[0].Date.Equal(start))
	bounces := 0
	for i, m := range mails {
		require.Contains(t, header(t, m).Get("To"), "support@contoso.example")
		if m.Kind == Bounce {
			bounces++
			require.Contains(t, string(m.Raw), fmt.Sprintf("Message-ID: <out.%d@contoso.example>", i))
		}
	}
	require.Equal(t, Mix(200)[Bounce], bounces)

	for _, m := range Corpus(4, 200, CorpusOptions{}) {
		if m.Kind == Bounce {
			require.Contains(t, string(m.Raw), "Message-ID: <intake.4.")
		}
	}
}

func TestWordDecodes(t *testing.T) {
	var dec mime.WordDecoder
	dec.CharsetReader = message.CharsetReader
	for _, c := range []charset{csUTF8, csLatin1, csCP1252, csCP1251, csShiftJIS, csJIS} {
		for _, l := range []*lang{&langEnglish, &langLatin, &langSmart, &langRussian, &langJapanese} {
			for _, s := range l.Subjects {
				if !c.fits(s) {
					continue
				}
				for _, b := range []bool{false, true} {
					got, err := dec.DecodeHeader(word(c, s, b))
					require.NoError(t, err)
					require.Equal(t, s, got, "word(%s, %q, %v)", c.name, s, b)
				}
			}
		}
	}
}

func BenchmarkCorpus2000(b *testing.B) {
	for b.Loop() {
		Corpus(1, 2000, CorpusOptions{})
	}
}
