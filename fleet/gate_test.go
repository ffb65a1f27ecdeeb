package fleet_test

import (
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

func TestNextScheduledStart(t *testing.T) {
	// Monday 2026-11-30 10:00 UTC.
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		s    fleet.ScheduledStart
		want time.Time
	}{
		{fleet.ScheduledStart{StartDay: "Monday", StartTime: "12:00", UTCOffset: "+00:00"}, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{fleet.ScheduledStart{StartDay: "Monday", StartTime: "10:00", UTCOffset: "+00:00"}, now},
		{fleet.ScheduledStart{StartDay: "Monday", StartTime: "09:59", UTCOffset: "+00:00"}, time.Date(2026, 12, 7, 9, 59, 0, 0, time.UTC)},
		{fleet.ScheduledStart{StartDay: "Wednesday", StartTime: "09:00", UTCOffset: "+02:00"}, time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)},
		// 23:30 on Sunday at -05:00 is 04:30 UTC on Monday: a week on.
		{fleet.ScheduledStart{StartDay: "sunday", StartTime: "23:30", UTCOffset: "-05:00"}, time.Date(2026, 12, 7, 4, 30, 0, 0, time.UTC)},
		// 14:00 on Monday at +14:00 is 00:00 UTC on Monday: already past.
		{fleet.ScheduledStart{StartDay: "Monday", StartTime: "14:00", UTCOffset: "+14:00"}, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := fleet.NextScheduledStart("s", tc.s, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("NextScheduledStart(%+v) = %v, %v; want %v", tc.s, got, err, tc.want)
		}
	}
}

func TestGateNameIsStableAndDistinct(t *testing.T) {
	a := fleet.GateName("/subscriptions/s/x/updateRuns/r", "s1", "", fleet.Before, 0, 1)
	if a != fleet.GateName("/SUBSCRIPTIONS/s/x/updateruns/R", "s1", "", fleet.Before, 0, 1) {
		t.Fatal("the same place names a different gate")
	}
	if len(a) != 36 || a[14] != '5' {
		t.Fatalf("gate name %q is not a version-5 GUID", a)
	}
	for _, b := range []string{
		fleet.GateName("/subscriptions/s/x/updateRuns/r", "s1", "", fleet.After, 0, 1),
		fleet.GateName("/subscriptions/s/x/updateRuns/r", "s1", "g", fleet.Before, 0, 1),
		fleet.GateName("/subscriptions/s/x/updateRuns/r", "s1", "", fleet.Before, 1, 1),
		fleet.GateName("/subscriptions/s/x/updateRuns/r", "s1", "", fleet.Before, 0, 2),
	} {
		if a == b {
			t.Fatalf("two places share gate %s", a)
		}
	}
}
