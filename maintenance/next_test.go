package maintenance

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func weekly(n int, day string) Schedule {
	return Schedule{Weekly: &Weekly{IntervalWeeks: n, DayOfWeek: day}}
}
func daily(n int) Schedule { return Schedule{Daily: &Daily{IntervalDays: n}} }
func absolute(n, day int) Schedule {
	return Schedule{AbsoluteMonthly: &AbsoluteMonthly{IntervalMonths: n, DayOfMonth: day}}
}
func relative(n int, idx, day string) Schedule {
	return Schedule{RelativeMonthly: &RelativeMonthly{IntervalMonths: n, WeekIndex: idx, DayOfWeek: day}}
}

// 2026-11-30 is a Monday.
func TestNext(t *testing.T) {
	cases := []struct {
		name       string
		w          Window
		now        string
		start, end string
		open       bool
	}{
		{"weekly closed", Window{Schedule: weekly(1, "Sunday"), DurationHours: 4, StartTime: "02:00"},
			"2026-11-30T10:00:00Z", "2026-12-06T02:00:00Z", "2026-12-06T06:00:00Z", false},
		{"weekly open at its first instant", Window{Schedule: weekly(1, "Sunday"), DurationHours: 4, StartTime: "02:00"},
			"2026-12-06T02:00:00Z", "2026-12-06T02:00:00Z", "2026-12-06T06:00:00Z", true},
		{"weekly closed at its end", Window{Schedule: weekly(1, "Sunday"), DurationHours: 4, StartTime: "02:00"},
			"2026-12-06T06:00:00Z", "2026-12-13T02:00:00Z", "2026-12-13T06:00:00Z", false},
		{"positive offset opens the day before in UTC", Window{Schedule: weekly(1, "Sunday"), DurationHours: 4, StartTime: "01:00", UTCOffset: "+05:30"},
			"2026-12-05T20:00:00Z", "2026-12-05T19:30:00Z", "2026-12-05T23:30:00Z", true},
		{"negative offset spans UTC midnight", Window{Schedule: daily(1), DurationHours: 8, StartTime: "22:00", UTCOffset: "-08:00"},
			"2026-12-01T07:00:00Z", "2026-12-01T06:00:00Z", "2026-12-01T14:00:00Z", true},
		{"opening from yesterday still open", Window{Schedule: daily(1), DurationHours: 6, StartTime: "22:00"},
			"2026-12-01T01:00:00Z", "2026-11-30T22:00:00Z", "2026-12-01T04:00:00Z", true},
		{"every two weeks from the start date", Window{Schedule: weekly(2, "Monday"), DurationHours: 4, StartTime: "00:00", StartDate: "2026-11-30"},
			"2026-12-01T00:00:00Z", "2026-12-14T00:00:00Z", "2026-12-14T04:00:00Z", false},
		{"every two weeks, start date mid-week", Window{Schedule: weekly(2, "Monday"), DurationHours: 4, StartTime: "00:00", StartDate: "2026-12-02"},
			"2026-12-01T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-07T04:00:00Z", false},
		{"every three days", Window{Schedule: daily(3), DurationHours: 4, StartTime: "03:00", StartDate: "2026-11-29"},
			"2026-11-30T00:00:00Z", "2026-12-02T03:00:00Z", "2026-12-02T07:00:00Z", false},
		{"start date in the future", Window{Schedule: daily(1), DurationHours: 4, StartTime: "03:00", StartDate: "2027-01-01"},
			"2026-11-30T00:00:00Z", "2027-01-01T03:00:00Z", "2027-01-01T07:00:00Z", false},
		{"day 31 in February falls on its last day", Window{Schedule: absolute(1, 31), DurationHours: 4, StartTime: "00:00"},
			"2027-02-01T00:00:00Z", "2027-02-28T00:00:00Z", "2027-02-28T04:00:00Z", false},
		{"day 31 in a leap February", Window{Schedule: absolute(1, 31), DurationHours: 4, StartTime: "00:00"},
			"2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z", "2028-02-29T04:00:00Z", false},
		{"day 31 in a 30-day month", Window{Schedule: absolute(1, 31), DurationHours: 4, StartTime: "00:00"},
			"2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z", "2026-11-30T04:00:00Z", false},
		{"every three months", Window{Schedule: absolute(3, 15), DurationHours: 4, StartTime: "00:00", StartDate: "2026-11-01"},
			"2026-11-20T00:00:00Z", "2027-02-15T00:00:00Z", "2027-02-15T04:00:00Z", false},
		{"first Friday", Window{Schedule: relative(1, "First", "Friday"), DurationHours: 4, StartTime: "00:00"},
			"2026-11-30T00:00:00Z", "2026-12-04T00:00:00Z", "2026-12-04T04:00:00Z", false},
		{"second Tuesday", Window{Schedule: relative(1, "Second", "Tuesday"), DurationHours: 4, StartTime: "00:00"},
			"2026-11-30T00:00:00Z", "2026-12-08T00:00:00Z", "2026-12-08T04:00:00Z", false},
		{"last Friday", Window{Schedule: relative(1, "Last", "Friday"), DurationHours: 4, StartTime: "00:00"},
			"2026-12-01T00:00:00Z", "2026-12-25T00:00:00Z", "2026-12-25T04:00:00Z", false},
		{"last Monday is a month end", Window{Schedule: relative(1, "Last", "Monday"), DurationHours: 4, StartTime: "00:00"},
			"2026-11-29T00:00:00Z", "2026-11-30T00:00:00Z", "2026-11-30T04:00:00Z", false},
		{"fourth Sunday every two months", Window{Schedule: relative(2, "Fourth", "Sunday"), DurationHours: 4, StartTime: "00:00", StartDate: "2026-10-01"},
			"2026-11-01T00:00:00Z", "2026-12-27T00:00:00Z", "2026-12-27T04:00:00Z", false},
		{"not-allowed date skips an opening", Window{Schedule: weekly(1, "Sunday"), DurationHours: 4, StartTime: "02:00",
			NotAllowedDates: []DateSpan{{Start: "2026-12-05", End: "2026-12-06"}}},
			"2026-11-30T10:00:00Z", "2026-12-13T02:00:00Z", "2026-12-13T06:00:00Z", false},
		{"not-allowed dates are local", Window{Schedule: daily(1), DurationHours: 4, StartTime: "01:00", UTCOffset: "+10:00",
			NotAllowedDates: []DateSpan{{Start: "2026-12-01", End: "2026-12-01"}}},
			"2026-11-30T12:00:00Z", "2026-12-01T15:00:00Z", "2026-12-01T19:00:00Z", false},
		{"not-allowed date cuts an opening short", Window{Schedule: daily(1), DurationHours: 8, StartTime: "22:00",
			NotAllowedDates: []DateSpan{{Start: "2026-12-02", End: "2026-12-02"}}},
			"2026-12-01T23:00:00Z", "2026-12-01T22:00:00Z", "2026-12-02T00:00:00Z", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.w.Validate(); err != nil {
				t.Fatal(err)
			}
			now := at(c.now)
			s, ok := c.w.Next(now)
			if !ok {
				t.Fatal("no opening found")
			}
			if !s.Start.Equal(at(c.start)) || !s.End.Equal(at(c.end)) {
				t.Fatalf("opening %s – %s, want %s – %s", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), c.start, c.end)
			}
			if got := c.w.Open(now); got != c.open {
				t.Fatalf("open %v, want %v", got, c.open)
			}
		})
	}
}

func TestNextNeverOpens(t *testing.T) {
	w := Window{Schedule: daily(1), DurationHours: 4, StartTime: "00:00",
		NotAllowedDates: []DateSpan{{Start: "2026-01-01", End: "2099-12-31"}}}
	if s, ok := w.Next(at("2026-11-30T00:00:00Z")); ok {
		t.Fatalf("found an opening %v in a window blocked for decades", s)
	}
}

// TestNextProperty checks, over many moments, that the opening returned
// ends after now, is as long as the window or shorter only when cut, and
// that no earlier opening contains now when the one returned does not.
func TestNextProperty(t *testing.T) {
	windows := []Window{
		{Schedule: weekly(3, "Wednesday"), DurationHours: 5, StartTime: "23:30", UTCOffset: "-03:30", StartDate: "2026-01-07"},
		{Schedule: relative(1, "Last", "Sunday"), DurationHours: 24, StartTime: "12:00", UTCOffset: "+13:00"},
		{Schedule: absolute(2, 29), DurationHours: 4, StartTime: "06:15"},
	}
	for wi, w := range windows {
		now := at("2026-01-01T00:00:00Z")
		for i := 0; i < 2000; i++ {
			now = now.Add(97 * time.Minute)
			s, ok := w.Next(now)
			if !ok {
				t.Fatalf("window %d: no opening after %v", wi, now)
			}
			if !now.Before(s.End) || s.End.Sub(s.Start) != time.Duration(w.DurationHours)*time.Hour {
				t.Fatalf("window %d at %v: opening %v – %v", wi, now, s.Start, s.End)
			}
			if !s.Contains(now) {
				// The instant before the opening is closed, and so is now.
				if w.Open(s.Start.Add(-time.Second)) && s.Start.Sub(now) > time.Second {
					t.Fatalf("window %d: open just before %v", wi, s.Start)
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := Window{Schedule: weekly(1, "Sunday"), DurationHours: 4, StartTime: "02:00"}
	cases := []struct {
		field string
		edit  func(*Window)
	}{
		{"durationHours", func(w *Window) { w.DurationHours = 2 }},
		{"startTime", func(w *Window) { w.StartTime = "2am" }},
		{"utcOffset", func(w *Window) { w.UTCOffset = "5:30" }},
		{"startDate", func(w *Window) { w.StartDate = "01/02/2026" }},
		{"notAllowedDates[0]", func(w *Window) { w.NotAllowedDates = []DateSpan{{Start: "2026-02-01", End: "2026-01-01"}} }},
		{"schedule must hold exactly one", func(w *Window) { w.Schedule.Daily = &Daily{IntervalDays: 1} }},
		{"dayOfWeek", func(w *Window) { w.Schedule.Weekly.DayOfWeek = "Funday" }},
		{"intervalWeeks", func(w *Window) { w.Schedule.Weekly.IntervalWeeks = 0 }},
		{"weekIndex", func(w *Window) { w.Schedule = relative(1, "Fifth", "Monday") }},
		{"dayOfMonth", func(w *Window) { w.Schedule = absolute(1, 32) }},
	}
	for _, c := range cases {
		w := good
		w.Schedule = weekly(1, "Sunday")
		c.edit(&w)
		err := w.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %v, want one naming it", c.field, err)
		}
	}
}
