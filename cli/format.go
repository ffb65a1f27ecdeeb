package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/runview"
)

// fmtDuration shows a duration as a person reads it: 0.4s, 12s, 2m05s,
// 1h02m.
func fmtDuration(d time.Duration) string { return runview.FormatDuration(d) }

// fmtSeconds shows a whole number of seconds, such as an after-stage
// wait: 30s, 1m30s, 1h, 2h15m.
func fmtSeconds(s int) string {
	if s <= 0 {
		return "0s"
	}
	var b strings.Builder
	if h := s / 3600; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := s % 3600 / 60; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec := s % 60; sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// fmtClock shows the time of day of t, or "" for nil.
func fmtClock(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format("15:04:05")
}

// fmtLabels shows a map as k=v pairs in key order.
func fmtLabels(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// span is the time from start to end, or to now while end is nil.
func span(start, end *time.Time, now time.Time) (time.Duration, bool) {
	if start == nil || start.IsZero() {
		return 0, false
	}
	if end == nil || end.IsZero() {
		return now.Sub(*start), true
	}
	return end.Sub(*start), true
}
