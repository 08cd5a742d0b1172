package dashboard

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/intakehq/intake/ownership"
)

// ChannelStatus is one channel's live state as the overview shows it.
type ChannelStatus struct {
	Name     string   // twilio, email, slack
	State    string   // ok, degraded or disabled
	Problems []string // why it is degraded
}

// overviewData is the manager's at-a-glance page.
type overviewData struct {
	Degraded  []ChannelStatus // channels failing now, each a visible line
	Summary   ownership.Summary
	AtRisk    int // open tickets with 80% or more of an SLA window gone, not yet breached
	Attention ownership.Audit
	ByChannel []count
	ByTeam    []count
	Reps      []ownership.RepView
	Newest    []ownership.Ticket
	Volume    chart
}

type count struct {
	Name string
	N    int
}

func (d *dashboard) overview(w http.ResponseWriter, r *http.Request, s *session) {
	if !d.managersOnly(w, s, "The overview") {
		return
	}
	// Managers see every ticket; the counts still go through the scope,
	// so the page stays right if techs are ever shown it.
	ctx := r.Context()
	now := d.svc.Now()
	var data overviewData
	var err error
	if data.Summary, err = d.svc.SummaryFor(ctx, s.actor); err != nil {
		d.unavailable(w, s, "the summary", err)
		return
	}
	if data.Attention, err = d.svc.AuditFor(ctx, s.actor); err != nil {
		d.unavailable(w, s, "the audit", err)
		return
	}
	if data.Reps, err = d.svc.Reps(ctx); err != nil {
		d.unavailable(w, s, "the roster", err)
		return
	}
	active := ownership.Filter{Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending}, Limit: 1000}
	p, err := d.svc.ListFor(ctx, s.actor, active)
	if err != nil {
		d.unavailable(w, s, "the open tickets", err)
		return
	}
	if d.channels != nil {
		for _, c := range d.channels(ctx) {
			if c.State == "degraded" {
				data.Degraded = append(data.Degraded, c)
			}
		}
	}
	data.AtRisk = data.Summary.SLAAtRisk
	data.Newest = p.Tickets[:min(len(p.Tickets), 15)]
	data.ByChannel, data.ByTeam = sorted(data.Summary.ByChannel), sorted(data.Summary.ByTeam)
	days, truncated, err := d.volume(ctx, s.actor, now)
	if err != nil {
		d.unavailable(w, s, "the last 14 days", err)
		return
	}
	data.Volume = volumeChart(days, now, truncated)
	d.render(w, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Actor: s.actor, SignOut: s.signOut,
		CSRF: s.csrf, Flash: s.flash, Refresh: true, Now: now, Data: data})
}

func sorted(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		if k == "" {
			k = "(none)"
		}
		out = append(out, count{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Volume chart: tickets opened per day (UTC) over the last 14 days,
// stacked by channel.
const (
	chartDays    = 14
	volumeBudget = 20000 // tickets read at most for the chart
)

// volume counts tickets created per day and channel since the start of
// the day 13 days ago. Tickets are listed newest first and numbered in
// creation order, so reading stops at the first page reaching past the
// start.
func (d *dashboard) volume(ctx context.Context, a ownership.Actor, now time.Time) (map[int]map[string]int, bool, error) {
	start := day(now).AddDate(0, 0, -(chartDays - 1))
	out := map[int]map[string]int{}
	f := d.svc.Narrow(a, ownership.Filter{Limit: 1000})
	for read := 0; ; {
		p, err := d.svc.List(ctx, f)
		if err != nil {
			return nil, false, err
		}
		for _, t := range p.Tickets {
			if t.CreatedAt.Before(start) {
				continue
			}
			i := int(day(t.CreatedAt).Sub(start) / (24 * time.Hour))
			if i >= chartDays {
				continue // the clock moved back; not in the window
			}
			if out[i] == nil {
				out[i] = map[string]int{}
			}
			out[i][t.Channel]++
		}
		read += len(p.Tickets)
		if p.Next == "" || len(p.Tickets) == 0 || p.Tickets[len(p.Tickets)-1].CreatedAt.Before(start) {
			return out, false, nil
		}
		if read >= volumeBudget {
			return out, true, nil
		}
		f.Cursor = p.Next
	}
}

func day(t time.Time) time.Time {
	y, m, dd := t.UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

// chart is an SVG bar chart laid out in Go, so the page needs no script.
type chart struct {
	Width, Height int
	Bottom        int // y of the x axis
	Bars          []bar
	Ticks         []tick
	Legend        []legend
	Total         int
	Truncated     bool
}

type bar struct {
	X, W, LabelX int
	Label, Title string
	Segs         []seg
}

type seg struct {
	Y, H  int
	Class string
	Title string
}

type tick struct {
	Y     int
	Label int
}

type legend struct {
	Class, Name string
	N           int
}

// channelOrder fixes the stacking order and colours of known channels.
var channelOrder = []string{"email", "sms", "voice", "slack", "web"}

func channelClass(ch string) string {
	if slices.Contains(channelOrder, ch) {
		return "ch-" + ch
	}
	return "ch-other"
}

func volumeChart(days map[int]map[string]int, now time.Time, truncated bool) chart {
	c := chart{Width: 720, Height: 220, Bottom: 190, Truncated: truncated}
	const left, top, right = 40, 10, 10
	totals := map[string]int{}
	peak := 0
	for _, byCh := range days {
		sum := 0
		for ch, n := range byCh {
			totals[ch] += n
			sum += n
		}
		peak = max(peak, sum)
	}
	channels := make([]string, 0, len(totals))
	for ch := range totals {
		channels = append(channels, ch)
	}
	sort.Slice(channels, func(i, j int) bool {
		ri, rj := rank(channels[i]), rank(channels[j])
		if ri != rj {
			return ri < rj
		}
		return channels[i] < channels[j]
	})
	for _, ch := range channels {
		c.Legend = append(c.Legend, legend{Class: channelClass(ch), Name: ch, N: totals[ch]})
		c.Total += totals[ch]
	}
	scale := niceMax(peak)
	plotH := c.Bottom - top
	for i := 0; i <= 4; i++ {
		v := scale * i / 4
		c.Ticks = append(c.Ticks, tick{Y: c.Bottom - plotH*i/4, Label: v})
	}
	slot := (c.Width - left - right) / chartDays
	start := day(now).AddDate(0, 0, -(chartDays - 1))
	for i := range chartDays {
		date := start.AddDate(0, 0, i)
		b := bar{X: left + i*slot + slot/6, W: slot * 2 / 3, LabelX: left + i*slot + slot/2, Label: date.Format("Jan 2")}
		y, sum := c.Bottom, 0
		for _, ch := range channels {
			n := days[i][ch]
			if n == 0 {
				continue
			}
			h := plotH * n / scale
			y -= h
			sum += n
			b.Segs = append(b.Segs, seg{Y: y, H: h, Class: channelClass(ch), Title: date.Format("Mon Jan 2") + ": " + itoa(n) + " by " + ch})
		}
		b.Title = date.Format("Mon Jan 2") + ": " + itoa(sum) + " tickets"
		c.Bars = append(c.Bars, b)
	}
	return c
}

func rank(ch string) int {
	if i := slices.Index(channelOrder, ch); i >= 0 {
		return i
	}
	return len(channelOrder)
}

// niceMax rounds the y axis up to a multiple of 4 that reads well.
func niceMax(peak int) int {
	for _, m := range []int{4, 8, 12, 20, 40, 60, 80, 100, 200, 400, 600, 800, 1000, 2000, 4000} {
		if peak <= m {
			return m
		}
	}
	return (peak + 999) / 1000 * 1000
}
