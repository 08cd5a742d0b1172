package emailtest

import (
	"fmt"
	"html"
	"strings"
)

// shape is how a new human mail is built: its charset, language and MIME
// structure. Weights are out of 100.
type shape struct {
	weight int
	cs     charset
	lang   *lang // nil: mostly English, sometimes other languages in UTF-8
	build  func(g *gen, i int, c charset, body string) part
}

var shapes = []shape{
	{18, csUTF8, nil, plainPart},
	{10, csUTF8, nil, qpPart},
	{20, csUTF8, nil, alternativePart},
	{8, csUTF8, nil, htmlOnlyPart},
	{12, csUTF8, nil, attachmentsPart},
	{8, csUTF8, nil, relatedPart},
	{5, csLatin1, &langLatin, qpPart},
	{4, csLatin9, &langEuro, plainPart},
	{5, csCP1252, &langSmart, alternativePart},
	{4, csCP1251, &langRussian, plainPart},
	{3, csShiftJIS, &langJapanese, base64Part},
	{3, csJIS, &langJapanese, plainPart},
}

func (g *gen) shape() shape {
	n := g.pick(100)
	for _, s := range shapes {
		if n < s.weight {
			return s
		}
		n -= s.weight
	}
	return shapes[0]
}

func (g *gen) utf8Lang() *lang {
	switch n := g.pick(100); {
	case n < 85:
		return &langEnglish
	case n < 93:
		return &langLatin
	case n < 97:
		return &langRussian
	}
	return &langJapanese
}

func (g *gen) newHuman(i int) (Mail, string) {
	sh := g.shape()
	l := sh.lang
	if l == nil {
		l = g.utf8Lang()
	}
	p := g.personFitting(sh.cs)
	subject := g.num(g.oneOf(l.Subjects))
	body := g.body(l, p)
	id := g.messageID(i, p.Domain)
	raw := compose(g.humanHeaders(p, sh.cs, subject, id), sh.build(g, i, sh.cs, body))
	g.roots = append(g.roots, i)
	g.threads[i] = []int{i}
	return Mail{Raw: raw, MessageID: id, From: p.Addr, ReplyTo: -1, Subject: subject}, body
}

var replyLines = []string{
	"Any update on this?",
	"Following up on my message below, we are still stuck.",
	"Still happening today, unfortunately.",
	"Thanks, that fixed part of it, but the second issue remains.",
	"My colleague is affected now as well.",
	"Just tried again after the update: same result.",
	"Sorry, I forgot to mention that this is on the Windows laptop at reception.",
}

var mailers = []string{"Microsoft Outlook 16.0", "Apple Mail (2.3774.500.171)", "Mozilla Thunderbird 128.7.1", "", ""}

func (g *gen) reply(i int) (Mail, string) {
	r := g.root()
	thread := g.threads[r]
	last := thread[len(thread)-1]
	p := g.personOf(r)
	if g.chance(20) {
		p = g.colleague(p)
	}
	subject := "Re: " + g.mails[r].Subject
	if g.chance(20) {
		subject = "RE: " + g.mails[r].Subject
	}

	fresh := g.oneOf(replyLines) + "\n\n" + g.oneOf(langEnglish.Closings) + "\n" + p.First
	if g.chance(50) {
		fresh += g.signature(p)
	}
	attribution, quoted := g.quote(last)
	body := fresh + "\n\n" + attribution + "\n" + quoted

	id := g.messageID(i, p.Domain)
	refs := make([]string, len(thread))
	for k, t := range thread {
		refs[k] = "<" + g.mails[t].MessageID + ">"
	}
	h := append(g.humanHeaders(p, csUTF8, subject, id),
		"In-Reply-To: "+refs[len(refs)-1],
		"References: "+strings.Join(refs, " "))

	var root part
	switch n := g.pick(10); {
	case n < 5:
		root = plainPart(g, i, csUTF8, body)
	case n < 7:
		root = qpPart(g, i, csUTF8, body)
	default:
		root = multipart("alternative", g.boundary(i, "alt"), "",
			text("plain", csUTF8, "quoted-printable", body),
			text("html", csUTF8, "quoted-printable", toHTML(fresh, csUTF8, attribution, g.texts[last])))
	}
	g.threads[r] = append(thread, i)
	return Mail{Raw: compose(h, root), MessageID: id, From: p.Addr, ReplyTo: r, Subject: subject}, body
}

// quote renders mail j as quoted history in one of the common styles:
// Gmail ("On … wrote:" and "> " lines), Apple Mail, or Outlook's unquoted
// original under a header block.
func (g *gen) quote(j int) (attribution, quoted string) {
	m, p := g.mails[j], g.personOf(j)
	when := m.Date.In(p.Zone)
	switch g.pick(4) {
	case 0:
		return fmt.Sprintf("On %s, %s <%s> wrote:", when.Format("2 Jan 2006, at 15:04"), p.Name, p.Addr), quoteLines(g.texts[j])
	case 1:
		return fmt.Sprintf("-----Original Message-----\nFrom: %s <%s>\nSent: %s\nTo: %s\nSubject: %s\n",
			p.Name, p.Addr, when.Format("Monday, January 2, 2006 3:04 PM"), g.opts.To, m.Subject), g.texts[j]
	}
	return fmt.Sprintf("On %s, %s <%s> wrote:", when.Format("Mon, 2 Jan 2006 at 15:04"), p.Name, p.Addr), quoteLines(g.texts[j])
}

func quoteLines(s string) string {
	lines := strings.Split(s, "\n")
	for k, l := range lines {
		if l == "" || strings.HasPrefix(l, ">") {
			lines[k] = ">" + l
		} else {
			lines[k] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// body is a greeting, a paragraph of two to four sentences and a sign-off,
// and half the time a "-- " signature.
func (g *gen) body(l *lang, p person) string {
	var sentences []string
	for _, k := range g.rng.Perm(len(l.Sentences))[:min(len(l.Sentences), 2+g.pick(3))] {
		sentences = append(sentences, g.num(l.Sentences[k]))
	}
	s := g.oneOf(l.Greetings) + "\n\n" + strings.Join(sentences, " ") + "\n\n" + g.oneOf(l.Closings) + "\n" + p.First
	if g.chance(50) {
		s += g.signature(p)
	}
	return s
}

func (g *gen) signature(p person) string {
	s := "\n\n-- \n" + p.Name
	if p.Company != "" {
		s += "\n" + p.Company
	}
	return s + fmt.Sprintf("\n+1 555 01%02d", g.pick(100))
}

func (g *gen) humanHeaders(p person, c charset, subject, id string) []string {
	to := g.opts.To
	if g.chance(40) {
		to = address(csUTF8, "Northwind Support", g.opts.To, false)
	}
	h := []string{
		"Return-Path: <" + p.Addr + ">",
		"Date: " + g.date(p.Zone),
		"From: " + address(c, p.Name, p.Addr, g.chance(50)),
		"To: " + to,
	}
	if q := g.colleague(p); q.Addr != p.Addr && g.chance(20) {
		h = append(h, "Cc: "+address(csUTF8, q.Name, q.Addr, true))
	}
	h = append(h, "Subject: "+word(c, subject, g.chance(50)), "Message-ID: <"+id+">")
	if m := g.oneOf(mailers); m != "" {
		h = append(h, "X-Mailer: "+m)
	}
	return h
}

func (g *gen) boundary(i int, tag string) string {
	return fmt.Sprintf("----=_Part_%d_%s.%d", i, tag, g.seed)
}

func plainPart(_ *gen, _ int, c charset, body string) part {
	return text("plain", c, cteFor(string(c.bytes(body))), body)
}

func qpPart(_ *gen, _ int, c charset, body string) part {
	return text("plain", c, "quoted-printable", body)
}

func base64Part(_ *gen, _ int, c charset, body string) part {
	return text("plain", c, "base64", body)
}

func alternativePart(g *gen, i int, c charset, body string) part {
	return multipart("alternative", g.boundary(i, "alt"), "",
		text("plain", c, "quoted-printable", body),
		text("html", c, "quoted-printable", toHTML(body, c, "", "")))
}

func htmlOnlyPart(g *gen, _ int, c charset, body string) part {
	h := `<div dir="ltr" style="font-family:Calibri,sans-serif">` + toHTML(body, c, "", "") + `<p>&nbsp;</p></div>`
	if g.chance(50) {
		return text("html", c, "base64", h)
	}
	return text("html", c, "quoted-printable", h)
}

// files are the attachments human mail carries; names exercise every
// filename encoding.
var files = []struct {
	contentType, name string
	style             int
	magic             string
}{
	{"application/pdf", "invoice-2291.pdf", namePlain, "%PDF-1.4\n"},
	{"application/pdf", "Rechnung_März_2025.pdf", nameRFC2231, "%PDF-1.7\n"},
	{"application/pdf", "facture_été.pdf", nameRFC2047, "%PDF-1.5\n"},
	{"image/png", "スクリーンショット 2025-03-03.png", nameRFC2231Split, "\x89PNG\r\n\x1a\n"},
	{"text/plain; charset=us-ascii", "error log.txt", namePlain, "2025-03-03T08:00:00Z ERROR upload failed status=500\n"},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Übersicht Q1 (final).xlsx", nameRFC2231, "PK\x03\x04"},
}

func (g *gen) file(k int) part {
	f := files[k]
	return attachment(f.contentType, f.name, f.style, g.blob(f.magic, 400+g.pick(1600)), "attachment")
}

// blob is magic followed by n pseudo-random bytes, or for a text magic
// (ending in a newline) the magic repeated.
func (g *gen) blob(magic string, n int) []byte {
	if strings.HasSuffix(magic, "\n") && !strings.HasPrefix(magic, "%PDF") {
		return []byte(strings.Repeat(magic, 1+n/len(magic)))
	}
	b := make([]byte, 0, len(magic)+n+8)
	b = append(b, magic...)
	for len(b) < len(magic)+n {
		v := g.rng.Uint64()
		for k := 0; k < 8; k++ {
			b = append(b, byte(v>>(8*k)))
		}
	}
	return b
}

func attachmentsPart(g *gen, i int, c charset, body string) part {
	first := plainPart(g, i, c, body)
	if g.chance(50) {
		first = alternativePart(g, i, c, body)
	}
	parts := []part{first, g.file(g.pick(len(files)))}
	if g.chance(40) {
		parts = append(parts, g.file(g.pick(len(files))))
	}
	return multipart("mixed", g.boundary(i, "mixed"), "", parts...)
}

// relatedPart is Outlook's shape: mixed[related[alternative[text, html],
// inline image], attachment].
func relatedPart(g *gen, i int, c charset, body string) part {
	cid := fmt.Sprintf("image001.png@01DB8C2A.%d", i)
	img := attachment("image/png", "image001.png", namePlain, g.blob("\x89PNG\r\n\x1a\n", 300+g.pick(600)), "inline")
	img.header = append(img.header, "Content-ID: <"+cid+">")
	page := strings.Replace(toHTML(body, c, "", ""), "</body>", `<p><img src="cid:`+cid+`" alt="logo" width="120"></p></body>`, 1)
	alt := multipart("alternative", g.boundary(i, "alt"), "",
		text("plain", c, "quoted-printable", body),
		text("html", c, "quoted-printable", page))
	related := multipart("related", g.boundary(i, "rel"), `type="multipart/alternative"`, alt, img)
	return multipart("mixed", g.boundary(i, "mixed"), "", related, g.file(g.pick(len(files))))
}

// toHTML renders plain text as simple HTML, the signature in its own div and
// any quoted history in a blockquote.
func toHTML(body string, c charset, attribution, quoted string) string {
	var b strings.Builder
	b.WriteString(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=` + c.name + `">` +
		"<style>p{margin:0 0 1em}</style></head><body>\n")
	text, sig, hasSig := strings.Cut(body, "\n-- \n")
	for _, para := range strings.Split(text, "\n\n") {
		b.WriteString("<p>" + htmlLines(para) + "</p>\n")
	}
	if hasSig {
		b.WriteString(`<div class="signature">-- <br>` + htmlLines(sig) + "</div>\n")
	}
	if quoted != "" {
		b.WriteString(`<div class="quote">` + htmlLines(attribution) + "</div>\n" +
			`<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">` +
			htmlLines(quoted) + "</blockquote>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func htmlLines(s string) string {
	return strings.ReplaceAll(html.EscapeString(strings.TrimSpace(s)), "\n", "<br>\n")
}
