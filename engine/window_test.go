package engine_test

import (
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/maintenance"
)

// t0 is Monday 2026-01-05 09:00 UTC.
func dailyWindow(start string, hours int) *maintenance.Window {
	return &maintenance.Window{Schedule: maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}}, DurationHours: hours, StartTime: start}
}

func TestMemberWaitsForItsWindowWhileGroupMatesUpgrade(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		e.member("c", "g", "eastus", "1.30.4")
		e.cloud.SetWindow(clusterID("a"), maintenance.AutoUpgradeSchedule, dailyWindow("15:00", 4))
		// A node OS window does not govern a Full upgrade.
		e.cloud.SetWindow(clusterID("b"), maintenance.NodeOSUpgradeSchedule, dailyWindow("23:00", 4))
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.wantState(id, "a", fleet.Pending)
		want := "outside its maintenance window aksManagedAutoUpgradeSchedule; waiting for it to open at 2026-01-05T15:00:00Z (until 2026-01-05T19:00:00Z)"
		if m := e.memberStatus(id, "a").Message; m != want {
			t.Fatalf("a's message %q, want %q", m, want)
		}
		e.wantUpgrading("b")
		e.finish("b", nil)
		e.wantUpgrading("c")
		e.finish("c", nil)
		e.wantUpgrading()
		// Only a member waiting is left: the run reads Pending.
		e.wantRun(id, fleet.Pending)
		// Re-checked at the opening, not before.
		e.advance(5*time.Hour + 59*time.Minute)
		e.wantUpgrading()
		e.wantState(id, "a", fleet.Pending)
		e.advance(time.Minute)
		e.wantUpgrading("a")
		// The window closing does not interrupt an upgrade under way.
		e.advance(5 * time.Hour)
		e.wantState(id, "a", fleet.Running)
		e.finish("a", nil)
		e.wantRun(id, fleet.Completed)
	})
}

func TestNodeImageOnlyFollowsTheNodeOSWindow(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.cloud.SetWindow(clusterID("a"), maintenance.AutoUpgradeSchedule, dailyWindow("08:00", 4)) // open, but not this run's
		e.cloud.SetWindow(clusterID("a"), maintenance.NodeOSUpgradeSchedule, dailyWindow("10:00", 4))
		id := e.createRun("r", stages("s:g"), fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}})
		e.start(id)
		e.wantState(id, "a", fleet.Pending)
		e.advance(time.Hour)
		e.wantUpgrading("a")
	})
}

// TestGroupTakesMembersInFleetsWindowOrder: once the windows are known,
// a group takes the member whose window is open, then the one whose
// window opens within four hours, then one with no window; a closed one
// last.
func TestGroupTakesMembersInFleetsWindowOrder(t *testing.T) {
	test(t, func(e *env) {
		for _, n := range []string{"a", "b", "c", "d"} {
			e.member(n, "g", "eastus", "1.30.4")
			e.cloud.SetBusy(clusterID(n), true)
		}
		e.cloud.SetWindow(clusterID("a"), maintenance.AutoUpgradeSchedule, dailyWindow("20:00", 4)) // closed, opens in 11h
		// b has none.
		e.cloud.SetWindow(clusterID("c"), maintenance.AutoUpgradeSchedule, dailyWindow("08:00", 4)) // open
		e.cloud.SetWindow(clusterID("d"), maintenance.AutoUpgradeSchedule, dailyWindow("11:00", 4)) // opens in 2h
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		// Every cluster was read and found busy; the windows are known now.
		for _, n := range []string{"a", "b", "c", "d"} {
			e.wantState(id, n, fleet.Pending)
			e.cloud.SetBusy(clusterID(n), false)
		}
		e.advance(time.Minute)
		e.wantUpgrading("c")
		e.finish("c", nil)
		// d comes before b, and waits for its window; the group moves on.
		e.wantState(id, "d", fleet.Pending)
		if m := e.memberStatus(id, "d").Message; m != "outside its maintenance window aksManagedAutoUpgradeSchedule; waiting for it to open at 2026-01-05T11:00:00Z (until 2026-01-05T15:00:00Z)" {
			t.Fatalf("d's message %q", m)
		}
		e.wantUpgrading("b")
		e.finish("b", nil)
		e.wantState(id, "a", fleet.Pending)
		e.wantUpgrading()
		e.advance(2 * time.Hour)
		e.wantUpgrading("d")
	})
}

// TestConsistentRunOrdersByWindowFromItsFirstTurn: a Consistent run reads
// every cluster when it starts, so the group's first turn already goes
// to the member whose window is open.
func TestConsistentRunOrdersByWindowFromItsFirstTurn(t *testing.T) {
	test(t, func(e *env) {
		for _, n := range []string{"a", "b", "c"} {
			e.member(n, "g", "eastus", "1.30.4")
		}
		e.cloud.SetWindow(clusterID("a"), maintenance.AutoUpgradeSchedule, dailyWindow("20:00", 4))
		e.cloud.SetWindow(clusterID("c"), maintenance.AutoUpgradeSchedule, dailyWindow("08:00", 4))
		u := full("1.31.2")
		u.NodeImageSelection = &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent}
		id := e.createRun("r", stages("s:g"), u)
		e.start(id)
		e.wantUpgrading("c")
		e.wantState(id, "a", fleet.NotStarted)
		e.finish("c", nil)
		e.wantUpgrading("b")
		e.finish("b", nil)
		e.wantState(id, "a", fleet.Pending)
	})
}
