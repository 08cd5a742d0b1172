// Package email holds the pure, no-I/O parts of the email channel: MIME
// parsing into a Parsed message, the loop and noise filter, and subject
// threading helpers. The IMAP reader and SMTP sender build on these.
package email

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // ISO-8859-x, Windows-125x, Shift_JIS...
	"github.com/emersion/go-message/textproto"

	"github.com/intakehq/intake/channels"
)

// ErrMalformed wraps every structural parse failure (unreadable header
// block, broken multipart). Parse still returns a best-effort Parsed with
// the raw text alongside it, so the caller keeps the mail as a raw event.
var ErrMalformed = errors.New("email: malformed message")

// Defaults for ParseOptions fields left at zero.
const (
	DefaultMaxText        = 64 << 10
	DefaultMaxAttachments = 50
	DefaultMaxParts       = 100
	DefaultMaxDepth       = 10
)

// ParseOptions bound what Parse keeps. Zero fields take the defaults.
type ParseOptions struct {
	MaxText        int // bytes of Text kept (cut on a UTF-8 boundary)
	MaxAttachments int // attachments listed; the rest are only counted
	MaxParts       int // MIME parts visited; the rest are skipped
	MaxDepth       int // multipart nesting visited
}

func (o ParseOptions) withDefaults() ParseOptions {
	if o.MaxText <= 0 {
		o.MaxText = DefaultMaxText
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = DefaultMaxAttachments
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return o
}

// Address is one mailbox: display name and lower-cased address.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Parsed is one inbound mail, decoded. All strings are valid UTF-8.
type Parsed struct {
	MessageID  string   `json:"message_id,omitempty"` // without <>
	InReplyTo  []string `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`
	From       Address  `json:"from"`
	// FromTrust is how far From can be relied on (see ParseSender);
	// FromWhy says what is wrong with it and FromRaw keeps the header as
	// it arrived, when it is not SenderClean.
	FromTrust SenderTrust `json:"-"`
	FromWhy   string      `json:"from_why,omitempty"`
	FromRaw   string      `json:"from_raw,omitempty"`
	ReplyTo   []Address   `json:"reply_to,omitempty"`
	To        []Address   `json:"to,omitempty"`
	Cc        []Address   `json:"cc,omitempty"`
	Subject   string      `json:"subject,omitempty"`
	Date      time.Time   `json:"date,omitzero"`

	// Text is the readable body: text/plain preferred, else HTML as text.
	Text string `json:"text"`
	// NewText is Text without quoted history and signature; Text when
	// nothing would be left.
	NewText string `json:"new_text"`
	// HTMLOnly is set when Text was converted from HTML.
	HTMLOnly bool `json:"html_only,omitempty"`

	Attachments []channels.Attachment `json:"attachments,omitempty"`
	// AttachmentsOmitted counts attachments beyond MaxAttachments.
	AttachmentsOmitted int `json:"attachments_omitted,omitempty"`

	// ContentType is the top-level media type; ReportType its
	// report-type parameter for multipart/report.
	ContentType string `json:"content_type,omitempty"`
	ReportType  string `json:"report_type,omitempty"`
	// Headers holds the raw (unfolded) values of the headers the filter
	// reads, by canonical name (first occurrence).
	Headers map[string]string `json:"headers,omitempty"`

	// BouncedMessageID is the Message-ID of the original message carried
	// in a delivery status notification; DSNAction and DSNStatus are the
	// first recipient's Action and Status fields.
	BouncedMessageID string `json:"bounced_message_id,omitempty"`
	DSNAction        string `json:"dsn_action,omitempty"`
	DSNStatus        string `json:"dsn_status,omitempty"`

	// SuppressAutoReply is set by X-Auto-Response-Suppress: All or OOF,
	// a sender's request not to be auto-answered (not by itself a sign
	// that the mail is automated).
	SuppressAutoReply bool `json:"suppress_auto_reply,omitempty"`

	// Truncated is set when Text was cut or parts/depth limits were hit.
	Truncated bool `json:"truncated,omitempty"`
	// Warnings lists non-fatal problems (unknown charset, bad date...).
	Warnings []string `json:"warnings,omitempty"`
}

// filterHeaders are kept in Parsed.Headers for Classify.
var filterHeaders = []string{
	"Auto-Submitted", "Precedence", "List-Id", "List-Unsubscribe", "List-Post",
	"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "Return-Path",
	"X-Loop", "X-Failed-Recipients", "Sender",
}

// Parse decodes one raw RFC 5322 message. It never panics on any input.
// On structural damage it returns an error wrapping ErrMalformed together
// with a best-effort Parsed whose Text is the decoded parts read so far or
// the raw body.
func Parse(raw []byte, opts ParseOptions) (Parsed, error) {
	opts = opts.withDefaults()
	var p Parsed

	br := bufio.NewReader(bytes.NewReader(raw))
	th, err := textproto.ReadHeader(br)
	if err != nil {
		// The header block is damaged, but what can be read of it still
		// says who wrote and whether a machine did (Classify).
		p.readHeader(message.Header{Header: lenientHeader(raw)})
		p.Text = capText(cleanText(string(raw)), opts.MaxText, &p)
		p.NewText = p.Text
		p.warn("header: " + err.Error())
		return p, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	h := message.Header{Header: th}
	p.readHeader(h)

	ent, err := message.New(h, br)
	if err != nil {
		if ent == nil {
			p.Text = capText(cleanText(rawBody(raw)), opts.MaxText, &p)
			p.NewText = p.Text
			return p, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		p.warn(err.Error())
	}

	w := walker{opts: opts, p: &p}
	walkErr := w.walk(ent, 0, "")

	switch {
	case len(w.plain) > 0:
		p.Text = strings.Join(w.plain, "\n\n")
	case len(w.html) > 0:
		p.Text = strings.Join(w.html, "\n\n")
		p.HTMLOnly = true
	}
	p.Text = strings.TrimSpace(p.Text)
	if walkErr != nil && p.Text == "" {
		p.Text = cleanText(rawBody(raw))
	}
	p.Text = capText(p.Text, opts.MaxText, &p)
	p.NewText = NewText(p.Text)
	if walkErr != nil {
		p.warn(walkErr.Error())
		return p, fmt.Errorf("%w: %v", ErrMalformed, walkErr)
	}
	return p, nil
}

func (p *Parsed) warn(s string) {
	s = cleanLine(s)
	for _, w := range p.Warnings {
		if w == s {
			return
		}
	}
	if len(p.Warnings) < 20 {
		p.Warnings = append(p.Warnings, s)
	}
}

func (p *Parsed) readHeader(h message.Header) {
	var err error
	p.MessageID = firstID(h.Get("Message-Id"))
	p.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	p.References = msgIDs(h.Get("References"))
	p.Subject = cleanLine(p.decodeWords(h.Get("Subject")))
	from := ParseSender(h.Get("From"))
	p.From, p.FromTrust = from.Address, from.Trust
	if from.Trust != SenderClean {
		p.FromWhy, p.FromRaw = from.Why, capBytes(cleanLine(h.Get("From")), 500)
	}
	p.ReplyTo = p.addresses(h.Get("Reply-To"))
	p.To = p.addresses(h.Get("To"))
	p.Cc = p.addresses(h.Get("Cc"))
	if d := h.Get("Date"); d != "" {
		if p.Date, err = mail.ParseDate(d); err != nil {
			p.warn("date: " + err.Error())
		} else {
			p.Date = p.Date.UTC()
		}
	}
	mt, params, cerr := h.ContentType()
	if cerr != nil {
		// A damaged parameter list still names the media type, and a
		// bounce still says it is one.
		mt, params = looseContentType(h.Get("Content-Type"))
	}
	p.ContentType = mt
	if mt == "multipart/report" {
		p.ReportType = strings.ToLower(params["report-type"])
	}
	for _, k := range filterHeaders {
		if !h.Has(k) {
			continue
		}
		if p.Headers == nil {
			p.Headers = map[string]string{}
		}
		p.Headers[k] = cleanLine(h.Get(k))
	}
	switch v := strings.ToLower(h.Get("X-Auto-Response-Suppress")); {
	case strings.Contains(v, "all"), strings.Contains(v, "oof"):
		p.SuppressAutoReply = true
	}
}

var reportTypeRe = regexp.MustCompile(`(?i)report-type\s*=\s*"?([a-z0-9./+-]+)`)

// looseContentType reads the media type (and report-type) of a
// Content-Type value mime.ParseMediaType refused.
func looseContentType(v string) (string, map[string]string) {
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if strings.Count(mt, "/") != 1 || strings.ContainsAny(mt, " \t\"") {
		return "", nil
	}
	params := map[string]string{}
	if m := reportTypeRe.FindStringSubmatch(rest); m != nil {
		params["report-type"] = m[1]
	}
	return mt, params
}

var wordDecoder = mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	cs = strings.ToLower(cs)
	if cs == "utf-8" || cs == "us-ascii" || message.CharsetReader == nil {
		return r, nil
	}
	return message.CharsetReader(cs, r)
}}

// decodeWords decodes RFC 2047 encoded words, keeping the raw value (made
// valid UTF-8) when a charset is unknown.
func (p *Parsed) decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		p.warn("encoded word: " + err.Error())
		return s
	}
	return d
}

var looseAddr = regexp.MustCompile(`[^\s<>"(),;:@]+@[^\s<>"(),;:@]+`)

func (p *Parsed) addresses(v string) []Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	var out []Address
	list, err := (&mail.AddressParser{WordDecoder: &wordDecoder}).ParseList(v)
	if err == nil {
		for _, a := range list {
			out = append(out, Address{Name: cleanLine(a.Name), Address: cleanLine(strings.ToLower(a.Address))})
		}
		return out
	}
	// Lenient fallback: any address-looking tokens.
	for _, m := range looseAddr.FindAllString(v, 20) {
		out = append(out, Address{Address: cleanLine(strings.ToLower(strings.Trim(m, ".")))})
	}
	if len(out) == 0 && v != "" {
		p.warn("address: " + err.Error())
	}
	return out
}

var idRe = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs extracts normalized message ids (no angle brackets, no spaces).
func msgIDs(v string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		id = cleanLine(strings.TrimSpace(id))
		if id == "" || seen[id] || len(out) >= 100 {
			return
		}
		seen[id] = true
		out = append(out, id)
	}
	ms := idRe.FindAllStringSubmatch(v, -1)
	for _, m := range ms {
		add(m[1])
	}
	if len(ms) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				add(strings.Trim(f, "<>,;"))
			}
		}
	}
	return out
}

func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

type walker struct {
	opts  ParseOptions
	p     *Parsed
	parts int
	plain []string
	html  []string
	text  int // bytes of body text collected
}

// walk visits e and its children, bounded by depth and part count. It
// returns only structural (multipart) errors.
func (w *walker) walk(e *message.Entity, depth int, parent string) error {
	w.parts++
	if w.parts > w.opts.MaxParts {
		w.p.Truncated = true
		w.p.warn(fmt.Sprintf("more than %d MIME parts; rest skipped", w.opts.MaxParts))
		return nil
	}
	mt, params, _ := e.Header.ContentType()
	if mt == "" {
		mt = "text/plain"
	}
	if mr := e.MultipartReader(); mr != nil {
		if depth >= w.opts.MaxDepth {
			w.p.Truncated = true
			w.p.warn(fmt.Sprintf("MIME nesting deeper than %d; rest skipped", w.opts.MaxDepth))
			return nil
		}
		if params["boundary"] == "" {
			return errors.New("multipart without boundary")
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && part == nil {
				return err
			}
			if err != nil {
				w.p.warn(err.Error())
			}
			if err := w.walk(part, depth+1, mt); err != nil {
				return err
			}
			if w.parts > w.opts.MaxParts {
				return nil
			}
		}
	}

	disp, dparams, _ := e.Header.ContentDisposition()
	name := w.filename(dparams["filename"], params["name"])
	isAttachment := strings.EqualFold(disp, "attachment") || name != ""

	switch {
	case mt == "message/delivery-status":
		w.readDSN(e.Body)
		return nil
	case mt == "text/rfc822-headers", mt == "message/rfc822" && parent == "multipart/report":
		w.readBounced(e.Body)
		return nil
	case !isAttachment && (mt == "text/plain" || mt == "text/html"):
		// HTML carries markup, so more source is read for the same text.
		limit := int64(4 * w.opts.MaxText)
		if mt == "text/html" {
			limit *= 4
		}
		b, err := io.ReadAll(io.LimitReader(e.Body, limit))
		if err != nil {
			w.p.warn(mt + ": " + err.Error())
		}
		if n, _ := io.Copy(io.Discard, e.Body); n > 0 {
			w.p.Truncated = true
		}
		s := string(b)
		if !utf8.ValidString(s) {
			w.p.warn(mt + ": invalid UTF-8 replaced")
		}
		if w.text > 4*w.opts.MaxText {
			return nil
		}
		if mt == "text/html" {
			s = HTMLToText(s)
			w.html = append(w.html, cleanText(s))
		} else {
			w.plain = append(w.plain, cleanText(s))
		}
		w.text += len(s)
		return nil
	}

	n, err := io.Copy(io.Discard, e.Body)
	if err != nil {
		w.p.warn("attachment: " + err.Error())
	}
	if len(w.p.Attachments) >= w.opts.MaxAttachments {
		w.p.AttachmentsOmitted++
		return nil
	}
	w.p.Attachments = append(w.p.Attachments, channels.Attachment{Name: name, ContentType: mt, Size: n})
	return nil
}

// filename decodes an attachment name (RFC 2231 handled by the media type
// parser, RFC 2047 here) and reduces it to a safe base name.
func (w *walker) filename(names ...string) string {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		n = w.p.decodeWords(n)
		n = strings.ReplaceAll(n, "\\", "/")
		n = path.Base(n)
		n = cleanLine(n)
		if n == "." || n == "/" || n == ".." {
			continue
		}
		if len(n) > 255 {
			n = capBytes(n, 255)
		}
		return n
	}
	return ""
}

func (w *walker) readBounced(r io.Reader) {
	th, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(r, 1<<20)))
	io.Copy(io.Discard, r)
	if err != nil && th.Len() == 0 {
		w.p.warn("bounced headers: " + err.Error())
		return
	}
	if w.p.BouncedMessageID == "" {
		w.p.BouncedMessageID = firstID(th.Get("Message-Id"))
	}
}

func (w *walker) readDSN(r io.Reader) {
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = cleanLine(strings.TrimSpace(v))
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "action":
			if w.p.DSNAction == "" {
				w.p.DSNAction = strings.ToLower(v)
			}
		case "status":
			if w.p.DSNStatus == "" {
				w.p.DSNStatus = v
			}
		}
	}
	io.Copy(io.Discard, r)
}

// rawBody is everything after the first blank line, or all of raw.
func rawBody(raw []byte) string {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(raw, []byte(sep)); i >= 0 {
			return string(raw[i+len(sep):])
		}
	}
	return string(raw)
}

// cleanText makes s valid UTF-8 with LF line ends and no control
// characters other than tab and newline.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r == '\u00a0':
			return ' '
		case unicode.IsControl(r), r == '\ufeff':
			return -1
		}
		return r
	}, s)
}

// cleanLine is cleanText for one-line values: no newlines at all.
func cleanLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\ufeff' {
			return -1
		}
		return r
	}, s))
}

func capText(s string, max int, p *Parsed) string {
	if len(s) <= max {
		return s
	}
	p.Truncated = true
	return capBytes(s, max)
}

// capBytes cuts s to at most max bytes on a rune boundary.
func capBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
