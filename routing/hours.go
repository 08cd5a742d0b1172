package routing

import (
	"fmt"
	"strings"
	"time"
)

// dayNames are the three-letter day names, indexed by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseShift parses one weekly window: a day list, a space, and a time range,
// as in "mon-fri 08:00-17:00", "sat 10:00-14:00", "mon,wed,fri 22:00-06:00"
// or "daily 00:00-24:00". Days are three-letter names (any case), single or
// as ranges; a range may wrap the week ("fri-mon"), and "daily" is every day.
// Times are HH:MM; the end may be 24:00. An end not after the start makes an
// overnight window that belongs to the day it starts on.
func ParseShift(s string) (Shift, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return Shift{}, fmt.Errorf("shift %q: want \"DAYS HH:MM-HH:MM\", e.g. \"mon-fri 08:00-17:00\"", s)
	}
	days, err := parseDays(fields[0])
	if err != nil {
		return Shift{}, fmt.Errorf("shift %q: %w", s, err)
	}
	start, end, err := parseTimeRange(fields[1])
	if err != nil {
		return Shift{}, fmt.Errorf("shift %q: %w", s, err)
	}
	return Shift{Days: days, Start: start, End: end}, nil
}

// parseDays reads "daily", "mon", "mon-fri", "fri-mon" or a comma list of those.
func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	if strings.EqualFold(s, "daily") {
		for i := range days {
			days[i] = true
		}
		return days, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(item, "-")
		first, err := parseDay(from)
		if err != nil {
			return days, err
		}
		last := first
		if isRange {
			if last, err = parseDay(to); err != nil {
				return days, err
			}
		}
		// Walk forward from first to last, wrapping past Saturday.
		for d := first; ; d = (d + 1) % 7 {
			days[d] = true
			if d == last {
				break
			}
		}
	}
	return days, nil
}

func parseDay(s string) (time.Weekday, error) {
	if s == "" {
		return 0, fmt.Errorf("empty day in day list")
	}
	for i, name := range dayNames {
		if strings.EqualFold(s, name) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("unknown day %q (want sun, mon, tue, wed, thu, fri, sat or daily)", s)
}

// parseTimeRange reads "HH:MM-HH:MM"; only the end may be 24:00.
func parseTimeRange(s string) (start, end time.Duration, err error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("time range %q: want HH:MM-HH:MM", s)
	}
	if start, err = parseClock(from); err != nil {
		return 0, 0, fmt.Errorf("start %w", err)
	}
	if start == 24*time.Hour {
		return 0, 0, fmt.Errorf("start time 24:00: a shift cannot start at the end of the day; use 00:00")
	}
	if end, err = parseClock(to); err != nil {
		return 0, 0, fmt.Errorf("end %w", err)
	}
	return start, end, nil
}

// parseClock reads a strict "HH:MM" between 00:00 and 24:00.
func parseClock(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time %q: out of range 00:00-24:00", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String returns the shift in the form ParseShift reads, with days written
// as runs ("mon-fri", "sat-mon") or "daily"; ParseShift(s.String()) == s for
// every shift ParseShift returns.
func (s Shift) String() string {
	return formatDays(s.Days) + " " + formatClock(s.Start) + "-" + formatClock(s.End)
}

// formatDays writes runs of consecutive days, starting the week on Monday
// because that is how people write working weeks.
func formatDays(days [7]bool) string {
	var runs []string
	all := true
	for d := range 7 {
		all = all && days[d]
	}
	if all {
		return "daily"
	}
	for i := range 7 {
		d := (i + 1) % 7 // mon, tue, ..., sat, sun
		if !days[d] || days[(d+6)%7] {
			continue // not set, or inside a run that started earlier
		}
		last := d
		for days[(last+1)%7] {
			last = (last + 1) % 7
		}
		run := dayNames[d]
		if last != d {
			run += "-" + dayNames[last]
		}
		runs = append(runs, run)
	}
	if len(runs) == 0 {
		return "none" // the zero Shift; ParseShift never returns it
	}
	return strings.Join(runs, ",")
}

func formatClock(d time.Duration) string {
	m := int(d / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// Contains reports whether t falls in one of the shifts, read on the wall
// clock of h.Location (UTC when nil), so a 09:00 shift starts at 09:00 local
// time on both sides of a DST change. With no shifts, Contains is always true.
// An overnight shift belongs to the day it starts: "fri 22:00-06:00" covers
// Saturday 03:00 but not Friday 03:00.
func (h Hours) Contains(t time.Time) bool {
	if len(h.Shifts) == 0 {
		return true
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	day := lt.Weekday()
	yesterday := (day + 6) % 7
	tod := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	for _, s := range h.Shifts {
		overnight := s.End <= s.Start
		switch {
		case s.Days[day] && tod >= s.Start && (overnight || tod < s.End):
			return true
		case overnight && s.Days[yesterday] && tod < s.End:
			return true
		}
	}
	return false
}
