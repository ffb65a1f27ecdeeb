package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/maintenance"
)

func TestWindowHoldAndRank(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) // a Monday
	daily := func(start string) *maintenance.Window {
		return &maintenance.Window{Schedule: maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}}, DurationHours: 4, StartTime: start}
	}
	cases := []struct {
		name   string
		w      *maintenance.Window
		ok     bool
		until  time.Time
		msg    string
		rank   windowRank
		upType cluster.UpgradeType
	}{
		{"no window", nil, true, time.Time{}, "", windowNone, cluster.Full},
		{"open", daily("07:00"), true, time.Time{}, "", windowOpen, cluster.Full},
		{"opens at its start", daily("09:00"), true, time.Time{}, "", windowOpen, cluster.ControlPlaneOnly},
		{"just closed", daily("05:00"), false, now.Add(20 * time.Hour), "open at 2026-01-06T05:00:00Z", windowClosed, cluster.Full},
		{"opens within four hours", daily("12:59"), false, now.Add(3*time.Hour + 59*time.Minute), "open at 2026-01-05T12:59:00Z", windowSoon, cluster.Full},
		{"opens in exactly four hours", daily("13:00"), false, now.Add(4 * time.Hour), "", windowSoon, cluster.Full},
		{"opens later", daily("13:01"), false, now.Add(4*time.Hour + time.Minute), "", windowClosed, cluster.Full},
		{"offset moves it", &maintenance.Window{Schedule: maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}}, DurationHours: 4, StartTime: "10:00", UTCOffset: "+02:00"}, true, time.Time{}, "", windowOpen, cluster.Full},
		{"never opens", &maintenance.Window{Schedule: maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}}, DurationHours: 4, StartTime: "10:00",
			NotAllowedDates: []maintenance.DateSpan{{Start: "2026-01-01", End: "2099-01-01"}}}, false, time.Time{}, "does not open in the next three years", windowClosed, cluster.Full},
		{"unreadable", &maintenance.Window{DurationHours: 1, StartTime: "10:00"}, false, time.Time{}, "cannot be read", windowClosed, cluster.Full},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := &cluster.Cluster{}
			if c.w != nil {
				name := maintenance.AutoUpgradeSchedule
				if c.upType == cluster.NodeImageOnly {
					name = maintenance.NodeOSUpgradeSchedule
				}
				cl.MaintenanceWindows = map[string]maintenance.Window{name: *c.w}
			}
			msg, until, ok := windowHold(cl, c.upType, now)
			if ok != c.ok || !until.Equal(c.until) || !strings.Contains(msg, c.msg) {
				t.Fatalf("windowHold = %q, %v, %v; want ok %v until %v and a message with %q", msg, until, ok, c.ok, c.until, c.msg)
			}
			if ok && msg != "" {
				t.Fatalf("an open window gave a message %q", msg)
			}
			if got := rankWindow(c.w, now); got != c.rank {
				t.Fatalf("rank %d, want %d", got, c.rank)
			}
		})
	}
}
