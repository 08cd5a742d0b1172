package dashboard

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/ownership"
)

// funcs are the template helpers. None returns template.HTML: everything
// they produce is escaped like any other value.
var funcs = template.FuncMap{
	"ago":   ago,
	"when":  when,
	"badge": badge,
	"load":  load,
	"label": eventLabel,
	"list":  func(s ...string) []string { return s },
	"join":  strings.Join,
	"table": func(ts []ownership.Ticket, now time.Time, empty string) tableData { return tableData{ts, now, empty} },
}

// tableData feeds the shared "tickettable" template.
type tableData struct {
	Tickets []ownership.Ticket
	Now     time.Time
	Empty   string
}

func itoa(n int) string { return strconv.Itoa(n) }

// ago says how long before now t was, roughly.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in " + span(-d)
	}
	return span(d) + " ago"
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// slaClock is one of a ticket's clocks (ack, first response, resolution).
type slaClock struct {
	Name    string
	Due     time.Time
	State   string // met, due, risk, overdue
	Text    string
	Running bool
}

func (d *dashboard) clocks(t ownership.Ticket, now time.Time) []slaClock {
	var out []slaClock
	add := func(name string, due time.Time, done *time.Time, start time.Time) {
		c := slaClock{Name: name, Due: due}
		switch {
		case done != nil && done.After(due):
			c.State, c.Text = "overdue", "met late, "+span(done.Sub(due))+" after due"
		case done != nil:
			c.State, c.Text = "met", "met "+when(*done)
		case !t.Status.Active():
			c.State, c.Text = "met", "stopped: ticket "+string(t.Status)
		case now.After(due):
			c.State, c.Text, c.Running = "overdue", "overdue by "+span(now.Sub(due)), true
		default:
			c.State, c.Text, c.Running = "due", "due in "+span(due.Sub(now)), true
			if w := due.Sub(start); w > 0 && now.Sub(start) >= w*8/10 {
				c.State = "risk"
			}
		}
		out = append(out, c)
	}
	if due, ok := d.svc.AckDue(t); ok {
		add("Ack", due, t.AckedAt, t.AssignedAt)
	}
	if t.FirstResponseDue != nil {
		add("First response", *t.FirstResponseDue, t.FirstResponseAt, t.CreatedAt)
	}
	if t.ResolutionDue != nil {
		add("Resolution", *t.ResolutionDue, t.ResolvedAt, t.CreatedAt)
	}
	return out
}

func when(t time.Time) string { return t.UTC().Format("Mon Jan 2 15:04 UTC") }

// badge is the short text icon of a timeline entry: its channel for
// messages, else what kind of entry it is.
func badge(e ownership.Event) string {
	switch e.Type {
	case ownership.EventMessageIn, ownership.EventMessageOut, ownership.EventDelivery:
		switch e.Channel {
		case "sms":
			return "SMS"
		case "voice":
			return "☎ Call"
		case "email":
			return "✉ Email"
		case "slack":
			return "# Slack"
		case "web":
			return "⌨ Web"
		}
		if e.Channel != "" {
			return e.Channel
		}
		return "Message"
	case ownership.EventCall:
		return "☎ Call"
	case ownership.EventVoicemail:
		return "☎ Voicemail"
	case ownership.EventNote:
		return "✎ Note"
	case ownership.EventAssigned, ownership.EventTransferred:
		return "→ Owner"
	case ownership.EventEscalated:
		return "▲ Escalated"
	case ownership.EventAcked:
		return "✓ Ack"
	case ownership.EventStatus:
		return "● Status"
	case ownership.EventTimeLogged:
		return "⏱ Time"
	case ownership.EventOptOut:
		return "SMS opt-out"
	}
	return string(e.Type)
}

// eventLabel says in words what a timeline entry records (its body, if
// any, is shown beside it as text).
func eventLabel(e ownership.Event) string {
	switch e.Type {
	case ownership.EventMessageIn:
		return "from the customer"
	case ownership.EventMessageOut:
		s := "to the customer"
		if to := e.Meta["to"]; to != "" {
			s += " (" + to + ")"
		}
		if st := e.Meta["delivery"]; st != "" {
			s += ", " + st
		}
		return s
	case ownership.EventAssigned:
		return fmt.Sprintf("owner %s → %s", or(e.From, "none"), e.To)
	case ownership.EventTransferred:
		return fmt.Sprintf("handoff %s → %s %s", or(e.From, "none"), e.To, or(e.Meta["state"], ""))
	case ownership.EventEscalated:
		return fmt.Sprintf("escalated %s → %s", or(e.From, "none"), e.To)
	case ownership.EventStatus:
		return fmt.Sprintf("status %s → %s", e.From, e.To)
	case ownership.EventTimeLogged:
		return fmt.Sprintf("%d minutes logged", e.Minutes)
	case ownership.EventAcked:
		return "acknowledged"
	case ownership.EventDelivery:
		return "delivery " + or(e.Meta["status"], "update")
	case ownership.EventOptOut:
		if e.Meta["opted_out"] == "true" {
			return "the customer opted out of texts"
		}
		return "the customer opted back in to texts"
	case ownership.EventNote:
		return "internal, never sent to the customer"
	}
	return ""
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// loadBar is a rep's open tickets against capacity, drawn as an SVG bar.
type loadBar struct {
	W     int // filled width of 160
	Class string
	Text  string
}

func load(r ownership.RepView) loadBar {
	const width = 160
	if r.Capacity <= 0 {
		return loadBar{W: min(r.Open, 20) * width / 20, Class: "nolimit", Text: itoa(r.Open) + " open (no limit)"}
	}
	b := loadBar{W: min(r.Open, r.Capacity) * width / r.Capacity, Class: "ok", Text: itoa(r.Open) + " / " + itoa(r.Capacity)}
	switch {
	case r.Open >= r.Capacity:
		b.Class = "full"
	case r.Open*10 >= r.Capacity*8:
		b.Class = "high"
	}
	return b
}
