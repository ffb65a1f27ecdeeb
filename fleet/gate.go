package fleet

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"time"
)

// TypeGate is the ARM type of a gate.
const TypeGate = "Microsoft.ContainerService/fleets/gates"

// GateType says how a gate is completed.
type GateType string

// Gate types.
const (
	// GateApproval is completed by setting its state to Completed.
	GateApproval GateType = "Approval"
	// GateScheduledStart completes itself at the next moment matching its
	// day, time and UTC offset.
	GateScheduledStart GateType = "ScheduledStart"
)

// Timing places a gate before or after what it guards.
type Timing string

// Gate timings.
const (
	Before Timing = "Before"
	After  Timing = "After"
)

// GateConfiguration places a gate in a strategy, before or after a stage
// or a group.
type GateConfiguration struct {
	DisplayName string   `json:"displayName,omitempty"`
	Type        GateType `json:"type"`
	// ScheduledStartConfiguration is when a ScheduledStart gate opens.
	ScheduledStartConfiguration *ScheduledStart `json:"scheduledStartConfiguration,omitempty"`
}

// ScheduledStart is a weekly moment: a day, a local time and the UTC
// offset the time is in.
type ScheduledStart struct {
	StartDay  string `json:"startDay"`
	StartTime string `json:"startTime"`
	UTCOffset string `json:"utcOffset"`
}

// Gate is a checkpoint of an update run that must be completed before
// the run moves past it. Runs create gates; callers complete approval
// gates with a PATCH of their state.
type Gate struct {
	ID         string         `json:"id,omitempty"`
	Name       string         `json:"name,omitempty"`
	Type       string         `json:"type,omitempty"`
	ETag       string         `json:"eTag,omitempty"`
	SystemData *SystemData    `json:"systemData,omitempty"`
	Properties GateProperties `json:"properties"`
}

// GateProperties are a gate's properties.
type GateProperties struct {
	ProvisioningState        string          `json:"provisioningState,omitempty"`
	DisplayName              string          `json:"displayName,omitempty"`
	GateType                 GateType        `json:"gateType"`
	ScheduledStartProperties *ScheduledStart `json:"scheduledStartProperties,omitempty"`
	Target                   GateTarget      `json:"target"`
	State                    State           `json:"state"`
	// ScheduledTime is when a ScheduledStart gate completes itself. Not
	// part of Azure's API.
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
}

// GateTarget is the run, and the place in it, that a gate holds.
type GateTarget struct {
	ID                  string                   `json:"id"`
	UpdateRunProperties *UpdateRunGateTargetInfo `json:"updateRunProperties,omitempty"`
}

// UpdateRunGateTargetInfo places a gate in its run.
type UpdateRunGateTargetInfo struct {
	Name   string `json:"name"`
	Stage  string `json:"stage,omitempty"`
	Group  string `json:"group,omitempty"`
	Timing Timing `json:"timing"`
}

// GateStatus is a gate as its run shows it: Fleet's UpdateRunGateStatus.
// Its state is NotStarted until the run reaches it, then Pending until it
// is Completed or Skipped.
type GateStatus struct {
	DisplayName string       `json:"displayName,omitempty"`
	GateID      string       `json:"gateId,omitempty"`
	Status      UpdateStatus `json:"status"`
	// ScheduledTime is when a reached ScheduledStart gate completes
	// itself. Not part of Azure's API.
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
}

// GateName is the name of the gate a run creates at one place: a GUID
// derived from the run, the place and the attempt, so that creating it
// again (after a crash) names the same gate.
func GateName(runID, stage, group string, timing Timing, index, attempt int) string {
	h := sha1.Sum([]byte(strings.ToLower(fmt.Sprintf("%s|%s|%s|%s|%d|%d", runID, stage, group, timing, index, attempt))))
	h[6] = (h[6] & 0x0f) | 0x50 // version 5
	h[8] = (h[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// newGateStatuses are the NotStarted statuses of a place's gates.
func newGateStatuses(cfg []GateConfiguration) []GateStatus {
	if len(cfg) == 0 {
		return nil
	}
	out := make([]GateStatus, len(cfg))
	for i, g := range cfg {
		out[i] = GateStatus{DisplayName: g.DisplayName, Status: UpdateStatus{State: NotStarted}}
	}
	return out
}

// validateGates checks the gates of one place in a strategy.
func validateGates(field string, gates []GateConfiguration) error {
	for i, g := range gates {
		gf := fmt.Sprintf("%s[%d]", field, i)
		if n := len([]rune(g.DisplayName)); n > 100 {
			return Invalid(gf+".displayName", "a gate's display name is at most 100 characters; this one has %d", n)
		}
		switch g.Type {
		case GateApproval:
			if g.ScheduledStartConfiguration != nil {
				return Invalid(gf+".scheduledStartConfiguration", "only a ScheduledStart gate takes a scheduled start; remove it or use type ScheduledStart")
			}
		case GateScheduledStart:
			if g.ScheduledStartConfiguration == nil {
				return Invalid(gf+".scheduledStartConfiguration", "a ScheduledStart gate needs a scheduledStartConfiguration with startDay, startTime and utcOffset")
			}
			if _, err := NextScheduledStart(gf+".scheduledStartConfiguration", *g.ScheduledStartConfiguration, time.Time{}); err != nil {
				return err
			}
		case "":
			return Invalid(gf+".type", "a gate type is required: Approval or ScheduledStart")
		default:
			return Invalid(gf+".type", "%q is not a gate type: use Approval or ScheduledStart", g.Type)
		}
	}
	return nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// NextScheduledStart is the first moment at or after now that falls on
// the schedule's day at its local time in its UTC offset. field names the
// schedule in errors.
func NextScheduledStart(field string, s ScheduledStart, now time.Time) (time.Time, error) {
	day, ok := weekdays[strings.ToLower(s.StartDay)]
	if !ok {
		return time.Time{}, Invalid(field+".startDay", "%q is not a day of the week: use Monday to Sunday", s.StartDay)
	}
	var hh, mm int
	if len(s.StartTime) != 5 || s.StartTime[2] != ':' {
		return time.Time{}, Invalid(field+".startTime", "%q is not a time of day: use HH:mm in 24-hour form, such as \"09:30\"", s.StartTime)
	}
	if _, err := fmt.Sscanf(s.StartTime, "%02d:%02d", &hh, &mm); err != nil || hh > 23 || mm > 59 {
		return time.Time{}, Invalid(field+".startTime", "%q is not a time of day: use HH:mm in 24-hour form, such as \"09:30\"", s.StartTime)
	}
	o := s.UTCOffset
	var oh, om int
	if len(o) != 6 || (o[0] != '+' && o[0] != '-') || o[3] != ':' {
		return time.Time{}, Invalid(field+".utcOffset", "%q is not a UTC offset: use +HH:mm or -HH:mm, from -14:00 to +14:00", o)
	}
	if _, err := fmt.Sscanf(o[1:], "%02d:%02d", &oh, &om); err != nil || om > 59 || oh*60+om > 14*60 {
		return time.Time{}, Invalid(field+".utcOffset", "%q is not a UTC offset: use +HH:mm or -HH:mm, from -14:00 to +14:00", o)
	}
	offset := (oh*60 + om) * 60
	if o[0] == '-' {
		offset = -offset
	}
	zone := time.FixedZone(o, offset)
	local := now.In(zone)
	at := time.Date(local.Year(), local.Month(), local.Day(), hh, mm, 0, 0, zone)
	at = at.AddDate(0, 0, (int(day)-int(at.Weekday())+7)%7)
	if at.Before(local) {
		at = at.AddDate(0, 0, 7)
	}
	return at.UTC(), nil
}
