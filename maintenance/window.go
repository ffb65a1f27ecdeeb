package maintenance

import "time"

// The names AKS gives the two planned-maintenance configurations that
// govern upgrades.
const (
	// AutoUpgradeSchedule governs Kubernetes upgrades: caravan applies it
	// to Full and ControlPlaneOnly upgrades.
	AutoUpgradeSchedule = "aksManagedAutoUpgradeSchedule"
	// NodeOSUpgradeSchedule governs node image upgrades: caravan applies
	// it to NodeImageOnly upgrades.
	NodeOSUpgradeSchedule = "aksManagedNodeOSUpgradeSchedule"
)

// Window is a maintenanceWindow of the maintenanceConfigurations API, in
// its JSON shape.
type Window struct {
	Schedule Schedule `json:"schedule"`
	// DurationHours is how long each opening lasts, 4 to 24.
	DurationHours int `json:"durationHours"`
	// StartTime is the local time of day, HH:MM, at which it opens.
	StartTime string `json:"startTime"`
	// UTCOffset is the offset of the local time, such as +05:30 or
	// -08:00; empty means +00:00.
	UTCOffset string `json:"utcOffset,omitempty"`
	// StartDate, YYYY-MM-DD, is the first local date the window can open
	// on and the date its intervals count from.
	StartDate string `json:"startDate,omitempty"`
	// NotAllowedDates are local date spans on which it never opens.
	NotAllowedDates []DateSpan `json:"notAllowedDates,omitempty"`
}

// Schedule says on which days the window opens; exactly one member is set.
type Schedule struct {
	Daily           *Daily           `json:"daily,omitempty"`
	Weekly          *Weekly          `json:"weekly,omitempty"`
	AbsoluteMonthly *AbsoluteMonthly `json:"absoluteMonthly,omitempty"`
	RelativeMonthly *RelativeMonthly `json:"relativeMonthly,omitempty"`
}

// Daily opens every IntervalDays days.
type Daily struct {
	IntervalDays int `json:"intervalDays"`
}

// Weekly opens on DayOfWeek every IntervalWeeks weeks.
type Weekly struct {
	IntervalWeeks int    `json:"intervalWeeks"`
	DayOfWeek     string `json:"dayOfWeek"`
}

// AbsoluteMonthly opens on DayOfMonth every IntervalMonths months; in a
// month shorter than DayOfMonth it opens on the month's last day.
type AbsoluteMonthly struct {
	IntervalMonths int `json:"intervalMonths"`
	DayOfMonth     int `json:"dayOfMonth"`
}

// RelativeMonthly opens on the WeekIndex'th DayOfWeek of the month (First,
// Second, Third, Fourth or Last) every IntervalMonths months.
type RelativeMonthly struct {
	IntervalMonths int    `json:"intervalMonths"`
	WeekIndex      string `json:"weekIndex"`
	DayOfWeek      string `json:"dayOfWeek"`
}

// DateSpan is an inclusive span of local dates, YYYY-MM-DD.
type DateSpan struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Span is one opening of a window, in absolute time: open from Start
// until, not including, End.
type Span struct {
	Start time.Time
	End   time.Time
}

// Contains reports whether t falls inside the span.
func (s Span) Contains(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }
