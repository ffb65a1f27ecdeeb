package maintenance

import "time"

// horizon bounds how far ahead a window's next opening is looked for.
const horizon = 3 * 366

// Next returns the opening of the window that contains now, or else the
// next one to begin after now. ok is false when the window is invalid or
// does not open within about three years.
//
// An opening starts on each local date the schedule picks, at StartTime in
// the window's UTC offset, and lasts DurationHours. Intervals (every N
// days, weeks or months) count from StartDate; with no StartDate, from
// 1970-01-01 (daily), 1970-01-05, a Monday (weekly), or January 1970
// (monthly). Weekly intervals count from the first DayOfWeek on or after
// that date. An opening that starts on a not-allowed date
// does not happen; one that runs into a not-allowed date ends at that
// date's local midnight.
func (w Window) Next(now time.Time) (Span, bool) {
	p, err := w.parse()
	if err != nil {
		return Span{}, false
	}
	local := now.In(p.loc)
	// An opening that began up to a day before today may still be open.
	first := dateOf(local.Date()) - 1
	for d := first; d <= first+horizon; d++ {
		if !p.opensOn(d) {
			continue
		}
		s, ok := p.span(d)
		if ok && now.Before(s.End) {
			return s, true
		}
	}
	return Span{}, false
}

// Open reports whether the window is open at now.
func (w Window) Open(now time.Time) bool {
	s, ok := w.Next(now)
	return ok && s.Contains(now)
}

// span is the opening that starts on local date d, cut short by a
// not-allowed date; ok is false when d itself is not allowed.
func (p *parsed) span(d date) (Span, bool) {
	y, m, day := d.time().Date()
	start := time.Date(y, m, day, p.hour, p.minute, 0, 0, p.loc)
	end := start.Add(time.Duration(p.w.DurationHours) * time.Hour)
	for _, b := range p.blocked {
		if d >= b.from && d <= b.to {
			return Span{}, false
		}
		by, bm, bd := b.from.time().Date()
		if cut := time.Date(by, bm, bd, 0, 0, 0, 0, p.loc); cut.After(start) && cut.Before(end) {
			end = cut
		}
	}
	return Span{Start: start.UTC(), End: end.UTC()}, true
}

// opensOn reports whether the schedule picks local date d.
func (p *parsed) opensOn(d date) bool {
	if p.w.StartDate != "" && d < p.start {
		return false
	}
	t := d.time()
	s := p.w.Schedule
	switch {
	case s.Daily != nil:
		return mod(int(d-p.start), p.interval) == 0
	case s.Weekly != nil:
		if t.Weekday() != p.dow {
			return false
		}
		anchor := p.start
		if p.w.StartDate == "" {
			anchor = 4 // 1970-01-05, a Monday
		}
		// Count weeks from the first such weekday on or after the anchor.
		first := anchor + date(mod(int(p.dow)-int(anchor.time().Weekday()), 7))
		return mod(floorDiv(int(d-first), 7), p.interval) == 0
	case s.AbsoluteMonthly != nil:
		if !p.monthDue(t) {
			return false
		}
		want := min(s.AbsoluteMonthly.DayOfMonth, daysIn(t.Year(), t.Month()))
		return t.Day() == want
	default:
		if !p.monthDue(t) || t.Weekday() != p.dow {
			return false
		}
		if p.weekIdx == 5 {
			return t.Day()+7 > daysIn(t.Year(), t.Month())
		}
		return (t.Day()-1)/7+1 == p.weekIdx
	}
}

// monthDue reports whether t's month is one the monthly interval picks.
func (p *parsed) monthDue(t time.Time) bool {
	months := func(x time.Time) int { return x.Year()*12 + int(x.Month()) - 1 }
	anchor := 1970 * 12
	if p.w.StartDate != "" {
		anchor = months(p.start.time())
	}
	return mod(months(t)-anchor, p.interval) == 0
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func mod(a, n int) int { return ((a % n) + n) % n }

func floorDiv(a, n int) int {
	q := a / n
	if (a%n != 0) && ((a < 0) != (n < 0)) {
		q--
	}
	return q
}
