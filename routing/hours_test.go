package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/routing"
)

func days(ds ...time.Weekday) [7]bool {
	var out [7]bool
	for _, d := range ds {
		out[d] = true
	}
	return out
}

func clock(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

var (
	weekdays = days(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	allDays  = days(0, 1, 2, 3, 4, 5, 6)
)

func TestParseShift(t *testing.T) {
	tests := []struct {
		in     string
		want   routing.Shift
		string string // canonical form from String()
	}{
		{"mon-fri 08:00-17:00", routing.Shift{Days: weekdays, Start: clock(8, 0), End: clock(17, 0)}, "mon-fri 08:00-17:00"},
		{"sat 10:00-14:00", routing.Shift{Days: days(time.Saturday), Start: clock(10, 0), End: clock(14, 0)}, "sat 10:00-14:00"},
		{"mon,wed,fri 22:00-06:00", routing.Shift{Days: days(1, 3, 5), Start: clock(22, 0), End: clock(6, 0)}, "mon,wed,fri 22:00-06:00"},
		{"daily 00:00-24:00", routing.Shift{Days: allDays, Start: 0, End: clock(24, 0)}, "daily 00:00-24:00"},
		{"sun-sat 09:30-10:45", routing.Shift{Days: allDays, Start: clock(9, 30), End: clock(10, 45)}, "daily 09:30-10:45"},
		{"fri-mon 18:00-02:00", routing.Shift{Days: days(5, 6, 0, 1), Start: clock(18, 0), End: clock(2, 0)}, "fri-mon 18:00-02:00"},
		{"Mon-FRI 08:00-17:00", routing.Shift{Days: weekdays, Start: clock(8, 0), End: clock(17, 0)}, "mon-fri 08:00-17:00"},
		{"DAILY  07:00-07:00", routing.Shift{Days: allDays, Start: clock(7, 0), End: clock(7, 0)}, "daily 07:00-07:00"},
		{"sun,sat 12:00-13:00", routing.Shift{Days: days(0, 6), Start: clock(12, 0), End: clock(13, 0)}, "sat-sun 12:00-13:00"},
		{"mon,tue,thu-sat,mon 01:00-02:00", routing.Shift{Days: days(1, 2, 4, 5, 6), Start: clock(1, 0), End: clock(2, 0)}, "mon-tue,thu-sat 01:00-02:00"},
		{"wed-wed 01:00-02:00", routing.Shift{Days: days(3), Start: clock(1, 0), End: clock(2, 0)}, "wed 01:00-02:00"},
		{"thu-tue 01:00-02:00", routing.Shift{Days: days(4, 5, 6, 0, 1, 2), Start: clock(1, 0), End: clock(2, 0)}, "thu-tue 01:00-02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := routing.ParseShift(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got, "ParseShift(%q)", tt.in)
			require.Equal(t, tt.string, got.String())
			again, err := routing.ParseShift(got.String())
			require.NoError(t, err)
			require.Equal(t, got, again, "round trip of %q", got.String())
		})
	}
}

func TestZeroShiftString(t *testing.T) {
	require.Equal(t, "none 00:00-00:00", routing.Shift{}.String())
}

func TestParseShiftErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `want "DAYS HH:MM-HH:MM"`},
		{"mon-fri", `want "DAYS HH:MM-HH:MM"`},
		{"mon-fri 08:00-17:00 UTC", `want "DAYS HH:MM-HH:MM"`},
		{"monday 08:00-17:00", `unknown day "monday"`},
		{"mon-fry 08:00-17:00", `unknown day "fry"`},
		{"mon,,fri 08:00-17:00", "empty day"},
		{"mon- 08:00-17:00", "empty day"},
		{"mon 08:00", `time range "08:00": want HH:MM-HH:MM`},
		{"mon 0800-1700", `start time "0800": want HH:MM`},
		{"mon 8:00-17:00", `start time "8:00": want HH:MM`},
		{"mon 08:00-17:60", `end time "17:60": out of range`},
		{"mon 25:00-26:00", `start time "25:00": out of range`},
		{"mon 08:00-24:01", `end time "24:01": out of range`},
		{"mon 24:00-08:00", "cannot start at the end of the day"},
		{"mon 08:00-17:00-18:00", `end time "17:00-18:00"`},
		{"mon +8:00-17:00", `start time "+8:00"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := routing.ParseShift(tt.in)
			require.Error(t, err, "ParseShift(%q)", tt.in)
			require.Contains(t, err.Error(), tt.want)
			require.Contains(t, err.Error(), "shift "+`"`+tt.in+`"`, "error names the input")
		})
	}
}

func FuzzParseShift(f *testing.F) {
	for _, s := range []string{"mon-fri 08:00-17:00", "sat 10:00-14:00", "mon,wed,fri 22:00-06:00", "daily 00:00-24:00", "fri-mon 00:00-00:00", "x 99:99-00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		shift, err := routing.ParseShift(s)
		if err != nil {
			return
		}
		again, err := routing.ParseShift(shift.String())
		require.NoError(t, err, "ParseShift(%q).String() = %q does not parse", s, shift.String())
		require.Equal(t, shift, again, "round trip of %q via %q", s, shift.String())
		require.Less(t, shift.Start, 24*time.Hour)
		require.LessOrEqual(t, shift.End, 24*time.Hour)
	})
}

func TestHoursContains(t *testing.T) {
	tests := []struct {
		name   string
		tz     string
		shifts []string
		at     string
		want   bool
	}{
		{"no shifts is always", "", nil, "2026-03-14T03:00:00Z", true},
		{"nil location is UTC", "", []string{"mon-fri 09:00-17:00"}, "2026-03-10T09:00:00Z", true},
		{"end is exclusive", "", []string{"mon-fri 09:00-17:00"}, "2026-03-10T17:00:00Z", false},
		{"before start", "", []string{"mon-fri 09:00-17:00"}, "2026-03-10T08:59:59Z", false},
		{"weekend", "", []string{"mon-fri 09:00-17:00"}, "2026-03-14T12:00:00Z", false},
		{"24:00 end covers the last second", "", []string{"daily 00:00-24:00"}, "2026-03-10T23:59:59Z", true},
		{"second shift matches", "", []string{"mon-fri 09:00-17:00", "sat 10:00-14:00"}, "2026-03-14T12:00:00Z", true},
		{"zone offset applied", "Asia/Tokyo", []string{"mon 09:00-10:00"}, "2026-03-09T00:30:00Z", true},

		// Overnight shifts belong to the day they start on.
		{"overnight start day", "", []string{"fri 22:00-06:00"}, "2026-03-13T23:00:00Z", true},
		{"overnight next morning", "", []string{"fri 22:00-06:00"}, "2026-03-14T03:00:00Z", true},
		{"overnight not the morning of its own day", "", []string{"fri 22:00-06:00"}, "2026-03-13T03:00:00Z", false},
		{"overnight end exclusive", "", []string{"fri 22:00-06:00"}, "2026-03-14T06:00:00Z", false},
		{"overnight not the next evening", "", []string{"fri 22:00-06:00"}, "2026-03-14T22:30:00Z", false},
		{"overnight saturday wraps to sunday", "", []string{"sat 22:00-06:00"}, "2026-03-15T05:00:00Z", true},
		{"equal start and end is a full day from start", "", []string{"mon 08:00-08:00"}, "2026-03-10T07:59:00Z", true},
		{"equal start and end ends at start next day", "", []string{"mon 08:00-08:00"}, "2026-03-10T08:00:00Z", false},

		// US spring change: 2026-03-08, EST (UTC-5) to EDT (UTC-4).
		{"NY 09:30 EDT after spring change", "America/New_York", []string{"mon-fri 09:00-17:00"}, "2026-03-09T13:30:00Z", true},
		{"NY same UTC a week earlier is 08:30 EST", "America/New_York", []string{"mon-fri 09:00-17:00"}, "2026-03-02T13:30:00Z", false},
		{"NY 16:30 EST", "America/New_York", []string{"mon-fri 09:00-17:00"}, "2026-03-02T21:30:00Z", true},
		{"NY same UTC after change is 17:30 EDT", "America/New_York", []string{"mon-fri 09:00-17:00"}, "2026-03-09T21:30:00Z", false},
		{"NY overnight across the change, 05:30 EDT", "America/New_York", []string{"sat 22:00-06:00"}, "2026-03-08T09:30:00Z", true},
		{"NY overnight across the change, 06:30 EDT", "America/New_York", []string{"sat 22:00-06:00"}, "2026-03-08T10:30:00Z", false},

		// UK autumn change: 2026-10-25, BST (UTC+1) to GMT (UTC+0).
		{"London 09:30 BST before autumn change", "Europe/London", []string{"mon-fri 09:00-17:00"}, "2026-10-23T08:30:00Z", true},
		{"London same UTC after change is 08:30 GMT", "Europe/London", []string{"mon-fri 09:00-17:00"}, "2026-10-26T08:30:00Z", false},
		{"London 17:30 BST", "Europe/London", []string{"mon-fri 09:00-17:00"}, "2026-10-23T16:30:00Z", false},
		{"London 16:30 GMT", "Europe/London", []string{"mon-fri 09:00-17:00"}, "2026-10-26T16:30:00Z", true},
		{"London repeated hour, first 01:30 BST", "Europe/London", []string{"sun 01:00-02:00"}, "2026-10-25T00:30:00Z", true},
		{"London repeated hour, second 01:30 GMT", "Europe/London", []string{"sun 01:00-02:00"}, "2026-10-25T01:30:00Z", true},
		{"London after repeated hour, 02:00 GMT", "Europe/London", []string{"sun 01:00-02:00"}, "2026-10-25T02:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHours(t, yamlHours{TZ: tt.tz, Shifts: tt.shifts})
			at := mustTime(t, tt.at)
			require.Equal(t, tt.want, h.Contains(at), "Hours{%s %v}.Contains(%s)", tt.tz, tt.shifts, at)
		})
	}
}

func TestOnCallAt(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	rota := routing.OnCall{Rota: []string{"a", "b", "c"}, Start: start, Shift: 24 * time.Hour}
	tests := []struct {
		name string
		oc   routing.OnCall
		at   time.Time
		want string
		ok   bool
	}{
		{"empty rota", routing.OnCall{}, start, "", false},
		{"at start", rota, start, "a", true},
		{"end of first shift", rota, start.Add(24*time.Hour - time.Nanosecond), "a", true},
		{"second shift", rota, start.Add(24 * time.Hour), "b", true},
		{"wraps", rota, start.Add(3*24*time.Hour + time.Hour), "a", true},
		{"just before start", rota, start.Add(-time.Nanosecond), "c", true},
		{"long before start", rota, start.Add(-4 * 24 * time.Hour), "c", true},
		{"far future beyond Duration range", rota, start.AddDate(400, 0, 0), []string{"a", "b", "c"}[146097%3], true},
		{"zero start", routing.OnCall{Rota: []string{"a", "b"}, Shift: 24 * time.Hour}, time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), "b", true},
		{"no shift length does not turn", routing.OnCall{Rota: []string{"x", "y"}, Start: start}, start.Add(1000 * time.Hour), "x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.oc.At(tt.at)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got, "OnCall.At(%v)", tt.at)
		})
	}
}
