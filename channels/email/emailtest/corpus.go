package emailtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Kind says what a corpus mail is, and so how a reader must treat it.
type Kind string

// Kinds. Only NewHuman mail should open a ticket; Reply mail belongs to the
// thread of an earlier NewHuman mail; the rest must never open a ticket.
const (
	NewHuman  Kind = "new_human"
	Reply     Kind = "reply"
	AutoReply Kind = "auto_reply"
	Bounce    Kind = "bounce"
	List      Kind = "list"
)

// Mail is one generated message.
type Mail struct {
	Raw       []byte // RFC 5322 with CRLF line ends
	MessageID string // without angle brackets: "<n>.<seed>@<domain>"
	From      string // the sender's address
	Kind      Kind
	// ReplyTo is the index of the NewHuman mail whose thread this mail
	// answers, or -1. It is set for every Reply and for the auto-replies
	// that answer a corpus mail (In-Reply-To its Message-ID). A Reply's
	// In-Reply-To names the latest earlier mail of that thread, its
	// References the whole thread from the root; its Subject is
	// "Re: <root subject>" (sometimes "RE: ") and never has a [T-n] token.
	ReplyTo int
	Subject string // decoded
	Date    time.Time
}

// CorpusOptions tunes Corpus; the zero value is ready to use.
type CorpusOptions struct {
	// To is our address, the recipient of every mail. Default Username.
	To string
	// BounceOf returns the Message-ID (with or without angle brackets) of
	// our outbound mail that the bounce at corpus index i reports. Default
	// "intake.<seed>.<i>@<domain of To>".
	BounceOf func(i int) string
	// Start is the Date of the first mail; each next one is 1 to 15
	// minutes later. Default 2025-03-03 08:00 UTC.
	Start time.Time
}

// Mix returns how many mails of each kind Corpus(_, n, _) makes: a tenth
// auto-replies, a twenty-fifth bounces, a fiftieth list mail, a fifth
// replies, and new human mail for the rest (for 500: 50, 20, 10, 100, 320).
func Mix(n int) map[Kind]int {
	m := map[Kind]int{AutoReply: n / 10, Bounce: n / 25, List: n / 50, Reply: n / 5}
	m[NewHuman] = n - m[AutoReply] - m[Bounce] - m[List] - m[Reply]
	return m
}

// Count returns how many mails have one of the kinds.
func Count(mails []Mail, kinds ...Kind) int {
	n := 0
	for _, m := range mails {
		for _, k := range kinds {
			if m.Kind == k {
				n++
				break
			}
		}
	}
	return n
}

// Human returns how many mails a person wrote: NewHuman and Reply.
func Human(mails []Mail) int { return Count(mails, NewHuman, Reply) }

// Corpus returns n realistic inbound mails in Mix(n) proportions, in Date
// order. The same seed and options give the same bytes. Every mail parses
// with go-message; the variety covers plain, quoted-printable,
// multipart/alternative, HTML-only, attachments with RFC 2047 and RFC 2231
// filenames, multipart/related inside multipart/mixed, ISO-8859-1/-15,
// Windows-1252/-1251, Shift_JIS and ISO-2022-JP bodies, encoded subjects
// and names, quoted replies and "-- " signatures; auto-replies carrying one
// of Auto-Submitted, X-Autoreply, X-Autorespond, Precedence: auto_reply or
// an empty Return-Path; DSN bounces; and list mail.
//
// Traps a reader must not fall for: some auto-replies answer a corpus
// mail, some answer our own (made-up) ack and carry a [T-n] token in the
// subject, and a bounce's returned headers name a [T-n] ticket.
func Corpus(seed int64, n int, opts CorpusOptions) []Mail {
	if opts.To == "" {
		opts.To = Username
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)
	}
	_, ourDomain, _ := strings.Cut(opts.To, "@")
	g := &gen{
		rng:       rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		seed:      seed,
		opts:      opts,
		ourDomain: ourDomain,
		people:    corpusPeople(),
		now:       opts.Start,
		threads:   map[int][]int{},
	}
	for i, k := range g.schedule(n) {
		if i > 0 {
			g.now = g.now.Add(time.Duration(60+g.rng.IntN(14*60)) * time.Second)
		}
		var (
			m    Mail
			body string
		)
		switch k {
		case NewHuman:
			m, body = g.newHuman(i)
		case Reply:
			m, body = g.reply(i)
		case AutoReply:
			m, body = g.autoReply(i)
		case Bounce:
			m, body = g.bounce(i)
		case List:
			m, body = g.list(i)
		}
		m.Kind, m.Date = k, g.now
		g.mails = append(g.mails, m)
		g.texts = append(g.texts, body)
	}
	return g.mails
}

var corpusPeople = sync.OnceValue(people)

// gen is the state of one Corpus call.
type gen struct {
	rng       *rand.Rand
	seed      int64
	opts      CorpusOptions
	ourDomain string
	people    []person
	now       time.Time

	mails   []Mail
	texts   []string      // plain text of each mail, for quoting
	roots   []int         // indexes of NewHuman mails
	threads map[int][]int // root index → the thread's mails, root first
	autos   int           // auto-replies so far, to rotate their signal
}

// schedule shuffles Mix(n) and moves a NewHuman mail to the front, so every
// reply has an earlier mail to answer.
func (g *gen) schedule(n int) []Kind {
	var kinds []Kind
	for _, k := range []Kind{NewHuman, Reply, AutoReply, Bounce, List} {
		for range Mix(n)[k] {
			kinds = append(kinds, k)
		}
	}
	g.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	for i, k := range kinds {
		if k == NewHuman {
			kinds[0], kinds[i] = kinds[i], kinds[0]
			break
		}
	}
	return kinds
}

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

func (g *gen) oneOf(s []string) string { return s[g.pick(len(s))] }

// chance is true with probability p percent.
func (g *gen) chance(p int) bool { return g.rng.IntN(100) < p }

// num fills a %d in s with a plausible number.
func (g *gen) num(s string) string {
	if strings.Contains(s, "%d") {
		return fmt.Sprintf(s, 1000+g.pick(9000))
	}
	return s
}

func (g *gen) messageID(i int, domain string) string {
	return fmt.Sprintf("%d.%d@%s", i, g.seed, domain)
}

func (g *gen) date(zone *time.Location) string {
	return g.now.In(zone).Format(time.RFC1123Z)
}

// root picks a NewHuman mail to answer, favouring recent ones.
func (g *gen) root() int {
	return g.roots[len(g.roots)-1-g.pick(min(len(g.roots), 40))]
}

// colleague returns someone from p's domain, often p.
func (g *gen) colleague(p person) person {
	var same []person
	for _, q := range g.people {
		if q.Domain == p.Domain && (q.Company != "" || q.Addr == p.Addr) {
			same = append(same, q)
		}
	}
	return same[g.pick(len(same))]
}

func (g *gen) personOf(i int) person {
	for _, p := range g.people {
		if p.Addr == g.mails[i].From {
			return p
		}
	}
	panic("emailtest: corpus mail from a stranger")
}

// personFitting picks a sender whose name fits c.
func (g *gen) personFitting(c charset) person {
	for {
		if p := g.people[g.pick(len(g.people))]; c.fits(p.Name) {
			return p
		}
	}
}
