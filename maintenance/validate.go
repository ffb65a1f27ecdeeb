package maintenance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parsed is a validated window, ready to compute with.
type parsed struct {
	w        Window
	loc      *time.Location
	hour     int
	minute   int
	start    date // zero when StartDate is empty
	dow      time.Weekday
	interval int
	weekIdx  int // 1-4, or 5 for Last
	blocked  []dateRange
}

type dateRange struct{ from, to date }

// date is a local calendar date as days since 1970-01-01.
type date int

func dateOf(y int, m time.Month, d int) date {
	return date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d date) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func parseDate(field, s string) (date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a date: write it as YYYY-MM-DD", field, s)
	}
	return dateOf(t.Date()), nil
}

var weekdays = map[string]time.Weekday{
	"Sunday": time.Sunday, "Monday": time.Monday, "Tuesday": time.Tuesday, "Wednesday": time.Wednesday,
	"Thursday": time.Thursday, "Friday": time.Friday, "Saturday": time.Saturday,
}

var weekIndexes = map[string]int{"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": 5}

// ParseOffset reads a UTC offset such as +05:30 or -08:00; empty is UTC.
func ParseOffset(s string) (*time.Location, error) {
	if s == "" {
		return time.UTC, nil
	}
	bad := fmt.Errorf("utcOffset %q is not an offset: write it as +HH:MM or -HH:MM, such as +05:30", s)
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return nil, bad
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[4:6])
	if err1 != nil || err2 != nil || h > 14 || m > 59 {
		return nil, bad
	}
	secs := h*3600 + m*60
	if s[0] == '-' {
		secs = -secs
	}
	return time.FixedZone(s, secs), nil
}

// Validate checks a window, naming the field that is wrong.
func (w Window) Validate() error {
	_, err := w.parse()
	return err
}

func (w Window) parse() (*parsed, error) {
	p := &parsed{w: w}
	var err error
	if p.loc, err = ParseOffset(w.UTCOffset); err != nil {
		return nil, fmt.Errorf("maintenanceWindow.%w", err)
	}
	if w.DurationHours < 4 || w.DurationHours > 24 {
		return nil, fmt.Errorf("maintenanceWindow.durationHours %d is out of range: give 4 to 24 hours", w.DurationHours)
	}
	hm, err := time.Parse("15:04", w.StartTime)
	if err != nil || len(w.StartTime) != 5 {
		return nil, fmt.Errorf("maintenanceWindow.startTime %q is not a time of day: write it as HH:MM, such as 02:00", w.StartTime)
	}
	p.hour, p.minute = hm.Hour(), hm.Minute()
	if w.StartDate != "" {
		if p.start, err = parseDate("maintenanceWindow.startDate", w.StartDate); err != nil {
			return nil, err
		}
	}
	for i, s := range w.NotAllowedDates {
		from, err := parseDate(fmt.Sprintf("maintenanceWindow.notAllowedDates[%d].start", i), s.Start)
		if err != nil {
			return nil, err
		}
		to, err := parseDate(fmt.Sprintf("maintenanceWindow.notAllowedDates[%d].end", i), s.End)
		if err != nil {
			return nil, err
		}
		if to < from {
			return nil, fmt.Errorf("maintenanceWindow.notAllowedDates[%d] ends (%s) before it starts (%s)", i, s.End, s.Start)
		}
		p.blocked = append(p.blocked, dateRange{from, to})
	}
	return p, p.parseSchedule()
}

func (p *parsed) parseSchedule() error {
	s := p.w.Schedule
	set := 0
	for _, b := range []bool{s.Daily != nil, s.Weekly != nil, s.AbsoluteMonthly != nil, s.RelativeMonthly != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("maintenanceWindow.schedule must hold exactly one of daily, weekly, absoluteMonthly and relativeMonthly; it holds %d", set)
	}
	interval := func(field string, n int) error {
		if n < 1 {
			return fmt.Errorf("maintenanceWindow.schedule.%s %d must be at least 1", field, n)
		}
		p.interval = n
		return nil
	}
	weekday := func(field, s string) error {
		d, ok := weekdays[s]
		if !ok {
			return fmt.Errorf("maintenanceWindow.schedule.%s %q is not a day of the week: give Monday, Tuesday, ... or Sunday", field, s)
		}
		p.dow = d
		return nil
	}
	switch {
	case s.Daily != nil:
		return interval("daily.intervalDays", s.Daily.IntervalDays)
	case s.Weekly != nil:
		if err := interval("weekly.intervalWeeks", s.Weekly.IntervalWeeks); err != nil {
			return err
		}
		return weekday("weekly.dayOfWeek", s.Weekly.DayOfWeek)
	case s.AbsoluteMonthly != nil:
		if err := interval("absoluteMonthly.intervalMonths", s.AbsoluteMonthly.IntervalMonths); err != nil {
			return err
		}
		if d := s.AbsoluteMonthly.DayOfMonth; d < 1 || d > 31 {
			return fmt.Errorf("maintenanceWindow.schedule.absoluteMonthly.dayOfMonth %d is out of range: give 1 to 31", d)
		}
		return nil
	default:
		r := s.RelativeMonthly
		if err := interval("relativeMonthly.intervalMonths", r.IntervalMonths); err != nil {
			return err
		}
		idx, ok := weekIndexes[r.WeekIndex]
		if !ok {
			return fmt.Errorf("maintenanceWindow.schedule.relativeMonthly.weekIndex %q is not one of %s", r.WeekIndex, strings.Join([]string{"First", "Second", "Third", "Fourth", "Last"}, ", "))
		}
		p.weekIdx = idx
		return weekday("relativeMonthly.dayOfWeek", r.DayOfWeek)
	}
}
