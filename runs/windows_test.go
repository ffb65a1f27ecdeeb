package runs

import (
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/maintenance"
)

func TestApplyWindows(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	daily := func(start string) maintenance.Window {
		return maintenance.Window{Schedule: maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}}, DurationHours: 4, StartTime: start}
	}
	mk := func(name string, windows map[string]maintenance.Window) Observation {
		c := clusterAt(name, "eastus", "1.31.2", pool("system", "1.31.2", img("202505.14.0")))
		c.MaintenanceWindows = windows
		return Observation{Cluster: c}
	}
	obs := Observations{
		fleet.ClusterKey(id("closed")): mk("closed", map[string]maintenance.Window{maintenance.AutoUpgradeSchedule: daily("15:00")}),
		fleet.ClusterKey(id("open")):   mk("open", map[string]maintenance.Window{maintenance.AutoUpgradeSchedule: daily("08:00")}),
		fleet.ClusterKey(id("nodeos")): mk("nodeos", map[string]maintenance.Window{maintenance.NodeOSUpgradeSchedule: daily("15:00")}),
		fleet.ClusterKey(id("none")):   mk("none", nil),
	}
	run := runOf(fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.32.6"}}, "closed", "nodeos", "none", "open")
	p := Build(run, obs)
	ApplyWindows(&p, obs, now)
	got := map[string]MemberPlan{}
	for _, m := range p.Members {
		got[m.Name] = m
	}
	if m := got["closed"]; m.Action != Pending || !strings.Contains(m.Reason, "wait for it to open at 2026-01-05T15:00:00Z") ||
		m.MaintenanceWindow != "aksManagedAutoUpgradeSchedule closed; opens 2026-01-05T15:00:00Z (until 2026-01-05T19:00:00Z)" {
		t.Errorf("closed: %+v", m)
	}
	if m := got["open"]; m.Action != Upgrade || m.MaintenanceWindow != "aksManagedAutoUpgradeSchedule open until 2026-01-05T12:00:00Z" {
		t.Errorf("open: %+v", m)
	}
	for _, n := range []string{"nodeos", "none"} {
		if m := got[n]; m.Action != Upgrade || m.MaintenanceWindow != "" {
			t.Errorf("%s (no window for a control plane upgrade): %+v", n, m)
		}
	}
}
