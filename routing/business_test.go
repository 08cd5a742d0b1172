package routing_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/routing"
)

// bizZone loads a time zone or fails the test.
func bizZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// bizHours builds Hours from ParseShift strings.
func bizHours(t *testing.T, loc *time.Location, shifts ...string) routing.Hours {
	t.Helper()
	h := routing.Hours{Location: loc}
	for _, s := range shifts {
		sh, err := routing.ParseShift(s)
		require.NoError(t, err)
		h.Shifts = append(h.Shifts, sh)
	}
	return h
}

// bizAt parses "2006-01-02 15:04" as wall-clock time in loc.
func bizAt(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return tm
}

// bizInstant parses an RFC 3339 instant.
func bizInstant(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return tm
}

func TestAddBusinessDesignExample(t *testing.T) {
	ny := bizZone(t, "America/New_York")
	h := bizHours(t, ny, "mon-fri 08:00-18:00")
	start := bizAt(t, ny, "2026-03-06 17:55") // Friday, EST (-05:00)
	require.Equal(t, "2026-03-06T17:55:00-05:00", start.Format(time.RFC3339))

	due := h.AddBusiness(start, time.Hour)
	// Monday after the 2026-03-08 spring-forward: 08:55 on the wall clock, EDT.
	require.Equal(t, "2026-03-09 08:55 EDT", due.Format("2006-01-02 15:04 MST"))
	require.True(t, due.Equal(bizInstant(t, "2026-03-09T12:55:00Z")), "got %s", due.UTC())
	require.Equal(t, ny, due.Location())
	require.Equal(t, time.Hour, h.BusinessBetween(start, due))
}

func TestAddBusiness(t *testing.T) {
	ny := bizZone(t, "America/New_York")
	london := bizZone(t, "Europe/London")
	weekdays := bizHours(t, ny, "mon-fri 08:00-18:00")
	overnight := bizHours(t, time.UTC, "fri 22:00-06:00")
	londonDays := bizHours(t, london, "mon-fri 09:00-17:00")
	londonNights := bizHours(t, london, "sat 22:00-06:00")
	holidayMon := map[string]bool{"2026-03-09": true}

	cases := []struct {
		name  string
		cal   routing.Calendar
		start time.Time
		d     time.Duration
		want  string // wall clock in the hours' zone
		utc   string // the exact instant, RFC 3339 in UTC; "" to skip
	}{
		{"design example", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-06 17:55"), time.Hour,
			"2026-03-09 08:55 EDT", "2026-03-09T12:55:00Z"},
		{"inside window counts from start", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 09:10"), 2 * time.Hour,
			"2026-03-10 11:10 EDT", "2026-03-10T15:10:00Z"},
		{"saturday start waits for monday", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-07 10:00"), 2 * time.Hour,
			"2026-03-09 10:00 EDT", "2026-03-09T14:00:00Z"},
		{"sunday on the DST change", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-08 01:30"), 30 * time.Minute,
			"2026-03-09 08:30 EDT", "2026-03-09T12:30:00Z"},
		{"before opening", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 06:00"), 30 * time.Minute,
			"2026-03-10 08:30 EDT", ""},
		{"after closing", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 19:00"), 30 * time.Minute,
			"2026-03-11 08:30 EDT", ""},
		{"ten hours is one full day", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 09:00"), 10 * time.Hour,
			"2026-03-11 09:00 EDT", ""},
		{"ending exactly at closing", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-09 08:00"), 10 * time.Hour,
			"2026-03-09 18:00 EDT", ""},
		{"multi day over a weekend", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-12 13:00"), 24 * time.Hour,
			"2026-03-16 17:00 EDT", ""},
		{"zero duration", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-07 10:00"), 0,
			"2026-03-07 10:00 EST", ""},
		{"negative duration", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-07 10:00"), -time.Hour,
			"2026-03-07 10:00 EST", ""},
		{"overnight inside", routing.Calendar{Hours: overnight}, bizAt(t, time.UTC, "2026-03-06 23:00"), 3 * time.Hour,
			"2026-03-07 02:00 UTC", ""},
		{"overnight spill from the day before", routing.Calendar{Hours: overnight}, bizAt(t, time.UTC, "2026-03-07 05:00"), 2 * time.Hour,
			"2026-03-13 23:00 UTC", ""},
		{"overnight not on the morning it starts", routing.Calendar{Hours: overnight}, bizAt(t, time.UTC, "2026-03-06 03:00"), time.Hour,
			"2026-03-06 23:00 UTC", ""},
		{"24x7", routing.Calendar{Hours: routing.Hours{Location: ny}}, bizAt(t, ny, "2026-03-07 23:00"), 5 * time.Hour,
			"2026-03-08 05:00 EDT", "2026-03-08T09:00:00Z"},
		{"holiday monday", routing.Calendar{Hours: weekdays, Holidays: holidayMon}, bizAt(t, ny, "2026-03-06 17:55"), time.Hour,
			"2026-03-10 08:55 EDT", "2026-03-10T12:55:00Z"},
		{"holiday on 24x7 closes midnight to midnight", routing.Calendar{Hours: routing.Hours{Location: ny}, Holidays: holidayMon},
			bizAt(t, ny, "2026-03-08 23:00"), 2 * time.Hour, "2026-03-10 01:00 EDT", ""},
		{"holiday on the morning after an overnight shift", routing.Calendar{Hours: overnight, Holidays: map[string]bool{"2026-03-07": true}},
			bizAt(t, time.UTC, "2026-03-06 23:00"), 3 * time.Hour, "2026-03-07 02:00 UTC", ""},
		{"holiday on the evening an overnight shift starts", routing.Calendar{Hours: overnight, Holidays: map[string]bool{"2026-03-06": true}},
			bizAt(t, time.UTC, "2026-03-06 23:00"), 3 * time.Hour, "2026-03-14 01:00 UTC", ""},
		{"london autumn change", routing.Calendar{Hours: londonDays}, bizAt(t, london, "2026-10-23 16:30"), time.Hour,
			"2026-10-26 09:30 GMT", "2026-10-26T09:30:00Z"},
		{"london overnight across the autumn change", routing.Calendar{Hours: londonNights}, bizAt(t, london, "2026-10-24 22:00"), 9 * time.Hour,
			"2026-10-25 06:00 GMT", "2026-10-25T06:00:00Z"},
		{"london overnight, repeated hour counted once each", routing.Calendar{Hours: londonNights}, bizAt(t, london, "2026-10-24 22:00"), 4 * time.Hour,
			"2026-10-25 01:00 GMT", "2026-10-25T01:00:00Z"},
		{"new york overnight across the spring change", routing.Calendar{Hours: bizHours(t, ny, "sat 22:00-06:00")},
			bizAt(t, ny, "2026-03-07 22:00"), 7 * time.Hour, "2026-03-08 06:00 EDT", "2026-03-08T10:00:00Z"},
		{"overlapping shifts count once", routing.Calendar{Hours: bizHours(t, ny, "mon-fri 08:00-12:00", "mon-fri 10:00-18:00", "mon 09:00-11:00")},
			bizAt(t, ny, "2026-03-09 08:00"), 11 * time.Hour, "2026-03-10 09:00 EDT", ""},
		{"overnight spill overlapping the next day's shift", routing.Calendar{Hours: bizHours(t, time.UTC, "daily 20:00-04:00", "daily 02:00-10:00")},
			bizAt(t, time.UTC, "2026-03-09 03:00"), 8 * time.Hour, "2026-03-09 21:00 UTC", ""},
		{"shift ending at 24:00", routing.Calendar{Hours: bizHours(t, ny, "sat 20:00-24:00", "sun 00:00-02:00")},
			bizAt(t, ny, "2026-03-07 23:00"), 2 * time.Hour, "2026-03-08 01:00 EST", ""},
		{"shift opening in the spring gap opens at the change", routing.Calendar{Hours: bizHours(t, ny, "sun 02:30-04:00")},
			bizAt(t, ny, "2026-03-08 00:00"), 30 * time.Minute, "2026-03-08 03:30 EDT", "2026-03-08T07:30:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.AddBusiness(tc.start, tc.d)
			loc := tc.cal.Hours.Location
			if loc == nil {
				loc = time.UTC
			}
			require.Equal(t, tc.want, got.In(loc).Format("2006-01-02 15:04 MST"))
			require.Equal(t, tc.start.Location(), got.Location(), "result is in start's location")
			if tc.utc != "" {
				require.True(t, got.Equal(bizInstant(t, tc.utc)), "got %s, want %s", got.UTC(), tc.utc)
			}
			if tc.d > 0 {
				require.Equal(t, tc.d, tc.cal.BusinessBetween(tc.start, got))
			}
			if len(tc.cal.Holidays) == 0 {
				require.True(t, got.Equal(tc.cal.Hours.AddBusiness(tc.start, tc.d)), "Hours delegates to Calendar")
			}
		})
	}
}

func TestAddBusinessResultLocation(t *testing.T) {
	ny := bizZone(t, "America/New_York")
	h := bizHours(t, ny, "mon-fri 08:00-18:00")
	start := bizAt(t, ny, "2026-03-06 17:55").UTC()
	got := h.AddBusiness(start, time.Hour)
	require.Equal(t, time.UTC, got.Location())
	require.Equal(t, "2026-03-09T12:55:00Z", got.Format(time.RFC3339))
}

func TestBusinessBetween(t *testing.T) {
	ny := bizZone(t, "America/New_York")
	london := bizZone(t, "Europe/London")
	weekdays := bizHours(t, ny, "mon-fri 08:00-18:00")
	cases := []struct {
		name string
		cal  routing.Calendar
		a, b time.Time
		want time.Duration
	}{
		{"b before a", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 12:00"), bizAt(t, ny, "2026-03-10 10:00"), 0},
		{"b equals a", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 12:00"), bizAt(t, ny, "2026-03-10 12:00"), 0},
		{"within a day", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-10 10:00"), bizAt(t, ny, "2026-03-10 12:30"), 150 * time.Minute},
		{"over the DST weekend", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-06 17:00"), bizAt(t, ny, "2026-03-09 09:00"), 2 * time.Hour},
		{"a full week", routing.Calendar{Hours: weekdays}, bizAt(t, ny, "2026-03-02 00:00"), bizAt(t, ny, "2026-03-09 00:00"), 50 * time.Hour},
		{"a full week with a holiday", routing.Calendar{Hours: weekdays, Holidays: map[string]bool{"2026-03-04": true}},
			bizAt(t, ny, "2026-03-02 00:00"), bizAt(t, ny, "2026-03-09 00:00"), 40 * time.Hour},
		{"24x7 across the DST change is real time", routing.Calendar{Hours: routing.Hours{Location: ny}},
			bizAt(t, ny, "2026-03-08 00:00"), bizAt(t, ny, "2026-03-09 00:00"), 23 * time.Hour},
		{"daily 00:00-24:00 across the autumn change", routing.Calendar{Hours: bizHours(t, london, "daily 00:00-24:00")},
			bizAt(t, london, "2026-10-25 00:00"), bizAt(t, london, "2026-10-26 00:00"), 25 * time.Hour},
		{"overnight across the autumn change", routing.Calendar{Hours: bizHours(t, london, "sat 22:00-06:00")},
			bizAt(t, london, "2026-10-24 00:00"), bizAt(t, london, "2026-10-26 00:00"), 9 * time.Hour},
		{"shift in the repeated hour counts both occurrences", routing.Calendar{Hours: bizHours(t, ny, "sun 01:00-02:00")},
			bizAt(t, ny, "2026-11-01 00:00"), bizAt(t, ny, "2026-11-02 00:00"), 2 * time.Hour},
		{"london shift in the repeated hour counts both occurrences", routing.Calendar{Hours: bizHours(t, london, "sun 01:00-02:00")},
			bizAt(t, london, "2026-10-25 00:00"), bizAt(t, london, "2026-10-26 00:00"), 2 * time.Hour},
		{"london shift opening in the spring gap", routing.Calendar{Hours: bizHours(t, london, "sun 01:30-03:00")},
			bizAt(t, london, "2026-03-29 00:00"), bizAt(t, london, "2026-03-30 00:00"), time.Hour},
		{"shift swallowed by the spring gap", routing.Calendar{Hours: bizHours(t, ny, "sun 02:00-02:30")},
			bizAt(t, ny, "2026-03-08 00:00"), bizAt(t, ny, "2026-03-09 00:00"), 0},
		{"overlaps merge", routing.Calendar{Hours: bizHours(t, time.UTC, "daily 20:00-04:00", "daily 02:00-10:00")},
			bizAt(t, time.UTC, "2026-03-09 00:00"), bizAt(t, time.UTC, "2026-03-16 00:00"), 7 * 14 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.cal.BusinessBetween(tc.a, tc.b))
			if len(tc.cal.Holidays) == 0 {
				require.Equal(t, tc.want, tc.cal.Hours.BusinessBetween(tc.a, tc.b))
			}
		})
	}
}

func TestAddBusinessNoBusinessTimeFallsBack(t *testing.T) {
	never := routing.Hours{Shifts: []routing.Shift{{Start: 8 * time.Hour, End: 18 * time.Hour}}} // on no day
	start := bizAt(t, time.UTC, "2026-03-09 08:00")
	require.True(t, start.Add(time.Hour).Equal(never.AddBusiness(start, time.Hour)))
	require.Zero(t, never.BusinessBetween(start, start.AddDate(10, 0, 0)))

	// More business time than the horizon holds also falls back.
	weekdays := bizHours(t, time.UTC, "mon-fri 08:00-18:00")
	huge := 10 * 365 * 24 * time.Hour
	require.True(t, start.Add(huge).Equal(weekdays.AddBusiness(start, huge)))
}

// bizRandomHours returns a schedule of one to three random shifts, some
// overnight, some overlapping, in a zone with DST changes. Shift bounds avoid
// 01:00-02:59, where clock changes make a wall time name zero or two instants.
func bizRandomHours(r *rand.Rand, loc *time.Location) routing.Hours {
	h := routing.Hours{Location: loc}
	clocks := func() time.Duration {
		hour := []int{0, 3, 4, 6, 8, 9, 12, 13, 17, 18, 20, 22, 23}[r.IntN(13)]
		return time.Duration(hour)*time.Hour + time.Duration(r.IntN(4)*15)*time.Minute
	}
	for range 1 + r.IntN(3) {
		var s routing.Shift
		for !bizAny(s.Days) {
			for d := range s.Days {
				s.Days[d] = r.IntN(2) == 0
			}
		}
		s.Start = clocks()
		s.End = clocks()
		if r.IntN(8) == 0 {
			s.End = 24 * time.Hour
		}
		h.Shifts = append(h.Shifts, s)
	}
	return h
}

// bizWeekly is the business time in the week from s; at least a minute.
func bizWeekly(h routing.Hours, s time.Time) time.Duration {
	return max(time.Minute, h.BusinessBetween(s, s.AddDate(0, 0, 7)))
}

func bizAny(days [7]bool) bool {
	for _, d := range days {
		if d {
			return true
		}
	}
	return false
}

// bizRandomStart is a random instant in 2026 (both DST changes inside),
// to the second.
func bizRandomStart(r *rand.Rand) time.Time {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(r.IntN(365*24*3600)) * time.Second)
}

func TestBusinessBetweenInvertsAddBusiness(t *testing.T) {
	r := rand.New(rand.NewPCG(20260306, 1))
	zones := []*time.Location{bizZone(t, "America/New_York"), bizZone(t, "Europe/London"), time.UTC}
	fixed := []routing.Hours{bizHours(t, zones[0], "mon-fri 08:00-18:00"), {Location: zones[1]}}
	for i := range 500 {
		h := bizRandomHours(r, zones[r.IntN(len(zones))])
		if i < len(fixed) {
			h = fixed[i]
		}
		cal := routing.Calendar{Hours: h}
		if r.IntN(4) == 0 {
			s := bizRandomStart(r).In(h.Location)
			cal.Holidays = map[string]bool{s.Format("2006-01-02"): true, s.AddDate(0, 0, 1).Format("2006-01-02"): true}
		}
		s := bizRandomStart(r)
		// Up to a week, or a month of the schedule's business time when it is
		// sparse, so the walk never reaches its horizon.
		limit := min(7*24*time.Hour, 4*bizWeekly(cal.Hours, s))
		d := time.Duration(1 + r.Int64N(int64(limit)))
		got := cal.AddBusiness(s, d)
		require.Equal(t, d, cal.BusinessBetween(s, got), "case %d: %v from %s, d=%s -> %s", i, h.Shifts, s, d, got)
	}
}

func TestAddBusinessMonotonic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	zones := []*time.Location{bizZone(t, "America/New_York"), bizZone(t, "Europe/London")}
	for i := range 400 {
		h := bizRandomHours(r, zones[r.IntN(len(zones))])
		s := bizRandomStart(r)
		weekly := bizWeekly(h, s)
		d1 := time.Duration(r.Int64N(int64(4 * weekly)))
		d2 := d1 + time.Duration(1+r.Int64N(int64(weekly)))
		t1, t2 := h.AddBusiness(s, d1), h.AddBusiness(s, d2)
		require.True(t, t2.After(t1), "case %d: %v from %s: d1=%s -> %s, d2=%s -> %s", i, h.Shifts, s, d1, t1, d2, t2)
		require.False(t, t1.Before(s), "never before start")
		require.Equal(t, d2-d1, h.BusinessBetween(t1, t2), "case %d", i)
	}
}

// TestBusinessAgreesWithContains checks, quarter-hour by quarter-hour around
// random instants, that business time is exactly the time Hours.Contains
// accepts, DST change days included. Shift bounds and clock changes fall on
// quarter hours, so each quarter is wholly in or wholly out.
func TestBusinessAgreesWithContains(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	zones := []*time.Location{bizZone(t, "America/New_York"), bizZone(t, "Europe/London")}
	changes := []time.Time{
		time.Date(2026, 3, 8, 0, 0, 0, 0, zones[0]), time.Date(2026, 11, 1, 0, 0, 0, 0, zones[0]),
		time.Date(2026, 3, 29, 0, 0, 0, 0, zones[1]), time.Date(2026, 10, 25, 0, 0, 0, 0, zones[1]),
	}
	const quarter = 15 * time.Minute
	for i := range 300 {
		h := bizRandomHours(r, zones[r.IntN(len(zones))])
		from := bizRandomStart(r).Truncate(quarter)
		if i%2 == 0 { // half the cases walk through a clock change
			from = changes[r.IntN(len(changes))].Add(-time.Duration(r.IntN(36*4)) * quarter)
		}
		for q := range 48 * 4 {
			at := from.Add(time.Duration(q) * quarter)
			want := time.Duration(0)
			if h.Contains(at) {
				want = quarter
			}
			require.Equal(t, h.Contains(at), h.Contains(at.Add(quarter-time.Nanosecond)), "quarter not uniform")
			require.Equal(t, want, h.BusinessBetween(at, at.Add(quarter)),
				"case %d: %s at %s (%s)", i, fmt.Sprint(h.Shifts), at.In(h.Location), at.UTC())
		}
	}
}

func BenchmarkAddBusiness(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(b, err)
	sh, err := routing.ParseShift("mon-fri 08:00-18:00")
	require.NoError(b, err)
	h := routing.Hours{Location: ny, Shifts: []routing.Shift{sh}}
	start := time.Date(2026, 3, 6, 17, 55, 0, 0, ny)
	for b.Loop() {
		h.AddBusiness(start, 40*time.Hour)
	}
}
