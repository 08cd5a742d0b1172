package routing

import (
	"slices"
	"time"
)

// businessHorizonDays bounds every business-time walk: about three years of
// calendar days after the start. A schedule that offers no (or too little)
// business time within it — shifts on no day, or a holiday list covering
// everything — makes AddBusiness fall back to plain elapsed time rather than
// walk forever, and BusinessBetween count nothing past it.
const businessHorizonDays = 3*366 + 1

// holidayLayout is the format of Calendar.Holidays keys.
const holidayLayout = "2006-01-02"

// Calendar is business hours with holidays (dates, YYYY-MM-DD in the hours'
// zone, on which no shift runs). A holiday removes the shifts that start on
// that date; an overnight shift that started the evening before still runs
// into the holiday morning. A Calendar whose Hours have no shifts is 24x7
// except on holidays, which are closed from midnight to midnight.
type Calendar struct {
	Hours    Hours
	Holidays map[string]bool
}

// AddBusiness returns the instant at which d of business time (time inside
// h's shifts) has passed since start. With no shifts it is start.Add(d).
// See Calendar.AddBusiness for the details.
func (h Hours) AddBusiness(start time.Time, d time.Duration) time.Time {
	return Calendar{Hours: h}.AddBusiness(start, d)
}

// BusinessBetween returns how much business time lies between a and b
// (0 if b <= a). See Calendar.BusinessBetween for the details.
func (h Hours) BusinessBetween(a, b time.Time) time.Duration {
	return Calendar{Hours: h}.BusinessBetween(a, b)
}

// AddBusiness returns the instant at which d of business time has passed
// since start, in start's Location. Business time is time inside the shifts
// on non-holiday days, read on the wall clock of the hours' zone, so a 09:00
// opening is 09:00 local time on both sides of a DST change (a bound in a
// skipped hour is the moment of the change; a shift starting or ending in a
// repeated hour covers the whole repetition); overlapping shifts, including
// an overnight shift spilling into the next day's, count once. When start is inside a window the count begins at start;
// otherwise it begins at the next opening. When d is used up exactly at a
// closing time, that closing instant is returned.
//
// d <= 0 returns start. With no shifts and no holidays the result is
// start.Add(d). If d of business time cannot be found within about three
// years of start (see businessHorizonDays), the walk stops and the result is
// start.Add(d), a safe fallback that never loops forever.
func (c Calendar) AddBusiness(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	if len(c.Hours.Shifts) == 0 && len(c.Holidays) == 0 {
		return start.Add(d)
	}
	w := c.windows(start)
	left := d
	for {
		ws, we, ok := w.next()
		if !ok {
			return start.Add(d)
		}
		if !we.After(start) {
			continue
		}
		if ws.Before(start) {
			ws = start
		}
		avail := we.Sub(ws)
		if left <= avail {
			return ws.Add(left).In(start.Location())
		}
		left -= avail
	}
}

// BusinessBetween returns how much business time (as AddBusiness counts it)
// lies in [a, b); 0 if b <= a. With no shifts and no holidays it is b.Sub(a).
// Only about three years after a are examined (see businessHorizonDays);
// business time beyond that is not counted.
func (c Calendar) BusinessBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if len(c.Hours.Shifts) == 0 && len(c.Holidays) == 0 {
		return b.Sub(a)
	}
	var total time.Duration
	w := c.windows(a)
	for {
		ws, we, ok := w.next()
		if !ok || !ws.Before(b) {
			return total
		}
		if ws.Before(a) {
			ws = a
		}
		if we.After(b) {
			we = b
		}
		if we.After(ws) {
			total += we.Sub(ws)
		}
	}
}

// window is one span of business time, [start, end).
type window struct{ start, end time.Time }

// windowWalk yields the business windows of a Calendar in increasing order,
// merged so that none overlap or touch, day by day from the day before the
// walk's start (whose overnight shifts may spill into it) for at most
// businessHorizonDays days.
type windowWalk struct {
	cal    Calendar
	shifts []Shift
	loc    *time.Location
	day    time.Time // next calendar day to expand, as UTC midnight
	left   int       // days left to expand
	queue  []window  // expanded, unmerged windows, sorted by start
	cur    window    // the merged window being grown
	have   bool      // cur is valid
}

// allDay is the shift a Calendar without shifts uses: every day, all day.
var allDay = []Shift{{Days: [7]bool{true, true, true, true, true, true, true}, Start: 0, End: 24 * time.Hour}}

func (c Calendar) windows(from time.Time) *windowWalk {
	loc := c.Hours.Location
	if loc == nil {
		loc = time.UTC
	}
	shifts := c.Hours.Shifts
	if len(shifts) == 0 {
		shifts = allDay
	}
	y, m, d := from.In(loc).Date()
	return &windowWalk{
		cal:    c,
		shifts: shifts,
		loc:    loc,
		day:    time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC),
		left:   businessHorizonDays + 1,
	}
}

// next returns the next merged window, or ok == false past the horizon.
func (w *windowWalk) next() (start, end time.Time, ok bool) {
	for {
		if len(w.queue) == 0 {
			if w.left == 0 {
				if w.have {
					w.have = false
					return w.cur.start, w.cur.end, true
				}
				return time.Time{}, time.Time{}, false
			}
			w.expand()
			continue
		}
		// Windows of one day all start on that day, so the queue, refilled
		// one day at a time, stays in start order across days.
		win := w.queue[0]
		w.queue = w.queue[1:]
		switch {
		case !w.have:
			w.cur, w.have = win, true
		case !win.start.After(w.cur.end):
			if win.start.Before(w.cur.start) { // only after odd DST normalization
				w.cur.start = win.start
			}
			if win.end.After(w.cur.end) {
				w.cur.end = win.end
			}
		default:
			out := w.cur
			w.cur = win
			return out.start, out.end, true
		}
	}
}

// expand appends the windows of the shifts starting on w.day to the queue,
// sorted by start, and moves on to the next day.
func (w *windowWalk) expand() {
	day := w.day
	w.day = day.AddDate(0, 0, 1)
	w.left--
	y, m, d := day.Date()
	if w.cal.Holidays[day.Format(holidayLayout)] {
		return
	}
	wd := day.Weekday()
	base := len(w.queue)
	for _, s := range w.shifts {
		if !s.Days[wd] {
			continue
		}
		endDay := d
		if s.End <= s.Start {
			endDay++ // overnight: ends on the next day's wall clock
		}
		win := window{start: wallClock(y, m, d, s.Start, w.loc, false), end: wallClock(y, m, endDay, s.End, w.loc, true)}
		if win.end.After(win.start) { // a DST gap can swallow a short shift
			w.queue = append(w.queue, win)
		}
	}
	slices.SortFunc(w.queue[base:], func(a, b window) int { return a.start.Compare(b.start) })
}

// wallClock returns the instant at clock time tod (0 to 24h; 24h is the next
// midnight) on day y-m-d in loc. It works from wall-clock fields, not from
// durations added to midnight, so 09:00 is 09:00 local even on a DST change
// day. Where the clock time does not name exactly one instant, the result is
// the moment of the change when the time falls in a DST gap, and, when it is
// repeated because clocks went back, its first occurrence (last == false) or
// its last one (last == true). Windows open at the first and close at the
// last, so they hold every instant Hours.Contains accepts; they count the
// whole repeated stretch only when a shift starts or ends inside it.
//
// time.Date alone is not enough: it resolves gaps and repeats differently
// from zone to zone.
func wallClock(y int, m time.Month, d int, tod time.Duration, loc *time.Location, last bool) time.Time {
	// The wall clock read as if it were UTC; Date normalizes 24:00.
	wall := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Add(tod)
	near := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(),
		wall.Second(), wall.Nanosecond(), loc)
	zoneStart, zoneEnd := near.ZoneBounds()
	// The zone in effect at near and its neighbours hold every offset the
	// wall time can be read with.
	probes := [3]time.Time{near, zoneStart, zoneEnd}
	if !zoneStart.IsZero() {
		probes[1] = zoneStart.Add(-1)
	}
	var found time.Time
	for _, p := range probes {
		if p.IsZero() {
			continue
		}
		_, off := p.Zone()
		c := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if _, cOff := c.Zone(); cOff != off {
			continue // the wall time does not exist at this offset
		}
		if found.IsZero() || (last && c.After(found)) || (!last && c.Before(found)) {
			found = c
		}
	}
	if !found.IsZero() {
		return found
	}
	// A DST gap: the clock jumps over wall at one of the zone's bounds.
	for _, tr := range [2]time.Time{zoneStart, zoneEnd} {
		if !tr.IsZero() && !readAsUTC(tr.Add(-1)).After(wall) && !readAsUTC(tr).Before(wall) {
			return tr
		}
	}
	return near // unreachable with real zone data
}

// readAsUTC is t's wall clock in its own Location, read as a UTC instant.
func readAsUTC(t time.Time) time.Time {
	_, off := t.Zone()
	return t.Add(time.Duration(off) * time.Second).UTC()
}
