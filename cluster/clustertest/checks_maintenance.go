package clustertest

import (
	"reflect"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/maintenance"
)

// describeWindows checks that Describe reports a cluster's planned
// maintenance windows as the cloud holds them, and that each upgrade type
// picks its own.
func describeWindows(t *testing.T, e Env, p picks) {
	spec := twoPools("windows", p.from, p.oldA, p.midB)
	spec.MaintenanceWindows = map[string]maintenance.Window{
		maintenance.AutoUpgradeSchedule: {
			Schedule:        maintenance.Schedule{Weekly: &maintenance.Weekly{IntervalWeeks: 2, DayOfWeek: "Saturday"}},
			DurationHours:   6,
			StartTime:       "01:30",
			UTCOffset:       "+05:30",
			StartDate:       "2026-01-03",
			NotAllowedDates: []maintenance.DateSpan{{Start: "2026-12-24", End: "2027-01-02"}},
		},
		maintenance.NodeOSUpgradeSchedule: {
			Schedule:      maintenance.Schedule{RelativeMonthly: &maintenance.RelativeMonthly{IntervalMonths: 1, WeekIndex: "Last", DayOfWeek: "Sunday"}},
			DurationHours: 4,
			StartTime:     "22:00",
			UTCOffset:     "-08:00",
		},
	}
	id := e.Cloud.CreateCluster(t, spec)
	c := describe(t, e, id)
	for name, want := range spec.MaintenanceWindows {
		got, ok := c.MaintenanceWindows[name]
		if !ok {
			t.Errorf("MaintenanceWindows has no %s; got %+v", name, c.MaintenanceWindows)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("window %s = %+v, want %+v", name, got, want)
		}
	}
	if len(c.MaintenanceWindows) != len(spec.MaintenanceWindows) {
		t.Errorf("got %d windows, want %d", len(c.MaintenanceWindows), len(spec.MaintenanceWindows))
	}
	if w, ok := c.Window(cluster.NodeImageOnly); !ok || w.Schedule.RelativeMonthly == nil {
		t.Errorf("Window(NodeImageOnly) = %+v, %v; want the node OS schedule", w, ok)
	}
	if w, ok := c.Window(cluster.ControlPlaneOnly); !ok || w.Schedule.Weekly == nil {
		t.Errorf("Window(ControlPlaneOnly) = %+v, %v; want the auto-upgrade schedule", w, ok)
	}
}
