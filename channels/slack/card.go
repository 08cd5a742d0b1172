package slack

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/intakehq/intake/channels/display"
)

// Action ids of the triage post's buttons. Each button's value is the
// ticket id.
const (
	ActionAck     = "ticket_ack"
	ActionTake    = "ticket_take"
	ActionResolve = "ticket_resolve"
	ActionReply   = "ticket_reply"
	ActionReopen  = "ticket_reopen"
)

// ActionsBlockID is the block_id of the triage post's buttons.
const ActionsBlockID = "ticket_actions"

// How much of each customer-supplied string a post shows, in runes. Even
// when every rune escapes to "&amp;", no text object passes Slack's 3000
// characters.
const (
	maxWord         = 20  // ticket id, priority, channel, status
	maxName         = 100 // customer, org, owner, offer
	maxSubject      = 200
	maxSnippet      = 300
	maxSnippetLines = 6
	maxReview       = 300
)

// Card is what a triage post shows about a ticket. Every string is taken
// as plain text: CardBlocks escapes it.
type Card struct {
	TicketID   string     // "T-12"
	Subject    string     // the customer's subject or first line
	Customer   string     // name or address/number
	Org        string     // org name, may be ""
	Channel    string     // channel of origin: sms, voice, email, slack, web
	Priority   string     // low, normal, high, urgent
	Status     string     // open, pending, resolved, closed
	OwnerSlack string     // owner's Slack user id, "" if unknown
	OwnerName  string     // owner's display name
	Acked      bool       // the owner has acknowledged it
	Snippet    string     // first lines of the customer's message
	SLADue     *time.Time // first-response due, nil if none
	Offer      string     // name of a rep a handoff is offered to, "" if none
	Review     string     // why the ticket needs a person's look, "" if nothing odd
}

// CardBlocks renders c as a triage post: the ticket line with a priority
// emoji, the subject, who wrote and who owns it, the status, the
// first-response deadline (marked overdue once before now), the start of
// the customer's message as a quote, a review or handoff note, and the
// buttons (block ActionsBlockID): Ack (until acked), Take, Resolve and
// Reply on a live ticket, only Reopen on a resolved or closed one. The
// deadline is not shown on a resolved or closed ticket.
//
// fallback is the message's top-level text, used in notifications, e.g.
// "T-12 (urgent, email): Printer on fire — owner Dana". Every string of c
// is escaped (see Escape) and cut to a bounded length in both results, so
// they are ready to send as they are: pass fallback without asking
// slack-go to escape it again. The output depends only on c and now.
func CardBlocks(c Card, now time.Time) (fallback string, blocks []slackapi.Block) {
	done := c.Status == "resolved" || c.Status == "closed"
	blocks = []slackapi.Block{
		section(headline(c) + "\n" + subjectLine(c.Subject)),
		section(details(c, now, done)),
	}
	if q := quote(c.Snippet); q != "" {
		blocks = append(blocks, section(q))
	}
	if n := notes(c); len(n) > 0 {
		blocks = append(blocks, slackapi.NewContextBlock("", n...))
	}
	blocks = append(blocks, buttons(c, done))
	return summary(c), blocks
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes s safe to show to reps in Slack mrkdwn or message text: it
// replaces &, < and > with &amp;, &lt; and &gt;, the escaping Slack
// documents, so text from a customer cannot form a mention (<!channel>,
// <@U123>) or a link (<https://…|label>), and it shows control and bidi
// characters as visible markers (display.Neutralize), so the text cannot
// reorder or hide what is around it. It leaves everything else alone.
func Escape(s string) string { return escaper.Replace(display.Neutralize(s)) }

// priorityEmoji marks a post's priority at a glance.
var priorityEmoji = map[string]string{
	"urgent": "🔴",
	"high":   "🟠",
	"normal": "🔵",
	"low":    "⚪",
}

// headline is "🔴 *T-12* · urgent · email".
func headline(c Card) string {
	parts := []string{"*" + inline(c.TicketID, maxWord) + "*"}
	if e := priorityEmoji[c.Priority]; e != "" {
		parts[0] = e + " " + parts[0]
	}
	for _, s := range []string{c.Priority, c.Channel} {
		if s = inline(s, maxWord); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}

func subjectLine(subject string) string {
	if s := inline(subject, maxSubject); s != "" {
		return "*" + s + "*"
	}
	return "_(no subject)_"
}

// details is who wrote, who owns, the status and the deadline, a line each.
func details(c Card, now time.Time, done bool) string {
	from := firstNonEmpty(inline(c.Customer, maxName), "unknown sender")
	if org := inline(c.Org, maxName); org != "" {
		from += " · " + org
	}
	owner := firstNonEmpty(inline(c.OwnerName, maxName), "nobody yet")
	if isUserID(c.OwnerSlack) {
		owner = "<@" + c.OwnerSlack + ">"
	}
	status := firstNonEmpty(inline(c.Status, maxWord), "open")
	switch {
	case done:
	case c.Acked:
		status += " · acked"
	default:
		status += " · not acked yet"
	}
	lines := []string{"From: " + from, "Owner: " + owner, "Status: " + status}
	if c.SLADue != nil && !done {
		due := c.SLADue
		line := fmt.Sprintf("First response due: <!date^%d^{date_short_pretty} {time}|%s>",
			due.Unix(), due.UTC().Format("Jan 2 2006 15:04 UTC"))
		if due.Before(now) {
			line += " · *overdue*"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// quote is the start of the customer's message as a mrkdwn quote: at most
// maxSnippetLines non-blank lines and maxSnippet runes, "…" where cut.
func quote(snippet string) string {
	var lines []string
	cut := false
	for _, l := range strings.Split(clean(snippet), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if len(lines) == maxSnippetLines {
			cut = true
			break
		}
		lines = append(lines, l)
	}
	s := clip(strings.Join(lines, "\n"), maxSnippet)
	if cut && !strings.HasSuffix(s, "…") {
		s += "…"
	}
	if s == "" {
		return ""
	}
	return "> " + strings.ReplaceAll(Escape(s), "\n", "\n> ")
}

// notes is the context line: why the ticket needs review, and a pending
// handoff.
func notes(c Card) []slackapi.MixedElement {
	var n []slackapi.MixedElement
	if r := inline(c.Review, maxReview); r != "" {
		n = append(n, mrkdwn("⚠ needs review: "+r))
	}
	if o := inline(c.Offer, maxName); o != "" {
		n = append(n, mrkdwn("↪ handoff offered to "+o+", waiting for them to accept"))
	}
	return n
}

func buttons(c Card, done bool) *slackapi.ActionBlock {
	button := func(action, label string) *slackapi.ButtonBlockElement {
		return slackapi.NewButtonBlockElement(action, c.TicketID,
			slackapi.NewTextBlockObject(slackapi.PlainTextType, label, false, false))
	}
	if done {
		return slackapi.NewActionBlock(ActionsBlockID, button(ActionReopen, "Reopen"))
	}
	var els []slackapi.BlockElement
	if !c.Acked {
		els = append(els, button(ActionAck, "Ack"))
	}
	els = append(els,
		button(ActionTake, "Take"),
		button(ActionResolve, "Resolve").WithStyle(slackapi.StylePrimary),
		button(ActionReply, "Reply"))
	return slackapi.NewActionBlock(ActionsBlockID, els...)
}

// summary is the fallback text: "T-12 (urgent, email): Printer on fire —
// owner Dana", with the status added when it is not open.
func summary(c Card) string {
	var tags []string
	for _, s := range []string{c.Priority, c.Channel} {
		if s = inline(s, maxWord); s != "" {
			tags = append(tags, s)
		}
	}
	if c.Status != "" && c.Status != "open" {
		tags = append(tags, inline(c.Status, maxWord))
	}
	s := inline(c.TicketID, maxWord)
	if len(tags) > 0 {
		s += " (" + strings.Join(tags, ", ") + ")"
	}
	s += ": " + firstNonEmpty(inline(c.Subject, maxSubject), "(no subject)")
	return s + " — owner " + firstNonEmpty(inline(c.OwnerName, maxName), "nobody yet")
}

// section is a section block of mrkdwn text.
func section(text string) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(mrkdwn(text), nil, nil)
}

// mrkdwn is a verbatim mrkdwn text object: Slack keeps formatting and the
// <…> sequences we write, but does not turn bare URLs, #channel names or
// @mentions in customer text into links or mentions.
func mrkdwn(text string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, true)
}

// inline is s on one line (runs of white space become one space), cut to
// max runes and escaped.
func inline(s string, max int) string {
	return Escape(clip(strings.Join(strings.Fields(clean(s)), " "), max))
}

// clean makes s valid UTF-8 with "\n" line ends and every other control
// or bidi character shown as a marker (display.Neutralize), before it is
// cut to length, so the limits count the markers.
func clean(s string) string { return display.Neutralize(s) }

// clip cuts s to at most max runes, the last of them "…" when it cut.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	i, n := 0, 0
	for n < max-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	// A marker of display.Neutralize is cut whole, not into "⟨U+20…".
	if j := strings.LastIndex(s[:i], "⟨U+"); j >= 0 && !strings.Contains(s[j:i], "⟩") {
		i = j
	}
	return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
}
