package emailtest

import (
	"fmt"
	"strings"
	"time"
)

// autoSignals are the headers that mark an auto-reply; each auto-reply
// carries exactly one, in rotation, so every signal is tested on its own.
var autoSignals = []string{
	"Auto-Submitted: auto-replied",
	"X-Autoreply: yes",
	"X-Autorespond: vacation",
	"Precedence: auto_reply",
	"Return-Path: <>",
}

// autoReply is an out-of-office answer. Half answer an earlier NewHuman mail
// (In-Reply-To its Message-ID, sent by someone from the same domain); the
// rest answer our own acknowledgement, sometimes with its [T-n] subject.
func (g *gen) autoReply(i int) (Mail, string) {
	signal := autoSignals[g.autos%len(autoSignals)]
	g.autos++
	prefix := g.oneOf(autoReplyPrefixes)

	var (
		p         person
		subject   string
		inReplyTo string
		replyTo   = -1
	)
	if g.chance(50) {
		replyTo = g.root()
		p = g.colleague(g.personOf(replyTo))
		subject = prefix + g.mails[replyTo].Subject
		inReplyTo = "<" + g.mails[replyTo].MessageID + ">"
	} else {
		p = g.people[g.pick(len(g.people))]
		subject = prefix + "Your message to Northwind Support"
		if g.chance(50) {
			subject = prefix + fmt.Sprintf("Re: [T-%d] We received your message", 1+g.pick(500))
			inReplyTo = fmt.Sprintf("<intake.ack.%d.%d@%s>", i, g.seed, g.ourDomain)
		}
	}

	id := g.messageID(i, p.Domain)
	returnPath := "Return-Path: <" + p.Addr + ">"
	if signal == "Return-Path: <>" {
		returnPath = signal
	}
	h := []string{
		returnPath,
		"Date: " + g.date(p.Zone),
		"From: " + address(csUTF8, p.Name, p.Addr, g.chance(50)),
		"To: " + g.opts.To,
		"Subject: " + word(csUTF8, subject, g.chance(50)),
		"Message-ID: <" + id + ">",
	}
	if inReplyTo != "" {
		h = append(h, "In-Reply-To: "+inReplyTo, "References: "+inReplyTo)
	}
	if signal != returnPath {
		h = append(h, signal)
	}

	back := g.now.AddDate(0, 0, 3+g.pick(12)).Format("Monday, 2 January")
	body := fmt.Sprintf(g.oneOf(autoReplyTexts), back) + "\n\n" + p.Name
	if p.Company != "" {
		body += "\n" + p.Company
	}
	root := qpPart(g, i, csUTF8, body)
	if g.chance(40) {
		root = alternativePart(g, i, csUTF8, body)
	}
	return Mail{Raw: compose(h, root), MessageID: id, From: p.Addr, ReplyTo: replyTo, Subject: subject}, body
}

var bounceSubjects = []string{
	"Undelivered Mail Returned to Sender",
	"Delivery Status Notification (Failure)",
	"Mail delivery failed: returning message to sender",
	"Returned mail: see transcript for details",
}

var bounceFailures = []struct{ status, action, diag string }{
	{"5.1.1", "failed", "smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table"},
	{"5.2.2", "failed", "smtp; 552 5.2.2 <%s>: Mailbox full"},
	{"5.7.1", "failed", "smtp; 550 5.7.1 <%s>: Message rejected as spam by Content Filtering"},
	{"4.4.1", "delayed", "X-Postfix; connect to mx.example for <%s>: Connection timed out"},
}

// bounce is a delivery status notification (RFC 3464) for our outbound mail
// opts.BounceOf(i), from a MAILER-DAEMON, with the original headers attached
// as text/rfc822-headers or a whole message/rfc822.
func (g *gen) bounce(i int) (Mail, string) {
	orig := fmt.Sprintf("intake.%d.%d@%s", g.seed, i, g.ourDomain)
	if g.opts.BounceOf != nil {
		orig = strings.Trim(strings.TrimSpace(g.opts.BounceOf(i)), "<>")
	}
	p := g.people[g.pick(len(g.people))]
	rcpt := p.Addr
	if g.chance(30) {
		rcpt = "info@" + p.Domain
	}
	mta := "mx1." + g.ourDomain
	if g.chance(30) {
		mta = "mail." + p.Domain
	}
	daemon := "MAILER-DAEMON@" + mta
	fail := bounceFailures[g.pick(len(bounceFailures))]
	subject := g.oneOf(bounceSubjects)
	id := g.messageID(i, mta)

	h := []string{
		"Return-Path: <>",
		"Date: " + g.date(p.Zone),
		"From: " + address(csUTF8, "Mail Delivery System", daemon, false),
		"To: " + g.opts.To,
		"Subject: " + subject,
		"Message-ID: <" + id + ">",
	}
	if g.chance(50) {
		h = append(h, "Auto-Submitted: auto-replied")
	}

	diag := fmt.Sprintf(fail.diag, rcpt)
	notice := fmt.Sprintf("This is the mail system at host %s.\n\n"+
		"I'm sorry to have to inform you that your message could not\n"+
		"be delivered to one or more recipients. It's attached below.\n\n"+
		"                   The mail system\n\n<%s>: %s\n", mta, rcpt, diag)
	sent := g.now.Add(-10 * time.Minute).Format("Mon, 2 Jan 2006 15:04:05 -0700")
	status := fmt.Sprintf("Reporting-MTA: dns; %s\nX-Postfix-Queue-ID: %X\nArrival-Date: %s\n\n"+
		"Final-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\nAction: %s\nStatus: %s\n"+
		"Remote-MTA: dns; mx.%s\nDiagnostic-Code: %s\n", mta, g.rng.Uint32(), sent, rcpt, rcpt, fail.action, fail.status, p.Domain, diag)
	origHeaders := fmt.Sprintf("Return-Path: <%s>\nDate: %s\nFrom: Northwind Support <%s>\nTo: %s\n"+
		"Subject: Re: %s [T-%d]\nMessage-ID: <%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n",
		g.opts.To, sent, g.opts.To, rcpt, g.num(g.oneOf(langEnglish.Subjects)), 1+g.pick(500), orig)

	returned := leaf("text/rfc822-headers", "7bit", crlf([]byte(origHeaders)), "Content-Description: Undelivered Message Headers")
	if g.chance(50) {
		returned = leaf("message/rfc822", "7bit",
			crlf([]byte(origHeaders+"\nHello,\n\nthank you for contacting Northwind Support. We are on it.\n")),
			"Content-Description: Undelivered Message")
	}
	root := multipart("report", g.boundary(i, "report"), "report-type=delivery-status",
		leaf("text/plain; charset=us-ascii", "7bit", crlf([]byte(notice)), "Content-Description: Notification"),
		leaf("message/delivery-status", "7bit", crlf([]byte(status)), "Content-Description: Delivery report"),
		returned)
	return Mail{Raw: compose(h, root), MessageID: id, From: daemon, ReplyTo: -1, Subject: subject}, notice
}

// list is a newsletter or status-page mail with List-Id, List-Unsubscribe
// and Precedence: list or bulk.
func (g *gen) list(i int) (Mail, string) {
	nl := newsletters[g.pick(len(newsletters))]
	_, domain, _ := strings.Cut(nl.Addr, "@")
	subject := g.num(g.oneOf(listSubjects))
	id := g.messageID(i, domain)
	precedence := "list"
	if g.chance(50) {
		precedence = "bulk"
	}
	h := []string{
		fmt.Sprintf("Return-Path: <bounces+%d.%d@%s>", i, g.seed, domain),
		"Date: " + g.date(orgs[0].zone),
		"From: " + address(csUTF8, nl.Name, nl.Addr, true),
		"To: " + g.opts.To,
		"Subject: " + word(csUTF8, subject, true),
		"Message-ID: <" + id + ">",
		"List-Id: " + word(csUTF8, nl.Name, true) + " <" + nl.ListID + ">",
		fmt.Sprintf("List-Unsubscribe: <mailto:unsubscribe@%s?subject=unsubscribe>, <%s/%d>", domain, nl.Unsub, i),
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Precedence: " + precedence,
	}
	body := fmt.Sprintf("Hello,\n\nHere is what is new this week:\n\n* %s\n* %s\n\n"+
		"You receive this mail because %s subscribed to %s.\nUnsubscribe: %s/%d\n",
		g.num(g.oneOf(listSubjects)), g.num(g.oneOf(listSubjects)), g.opts.To, nl.Name, nl.Unsub, i)
	root := alternativePart(g, i, csUTF8, body)
	if g.chance(30) {
		root = htmlOnlyPart(g, i, csUTF8, body)
	}
	return Mail{Raw: compose(h, root), MessageID: id, From: nl.Addr, ReplyTo: -1, Subject: subject}, body
}
