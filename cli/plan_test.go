package cli

import (
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/runs"
)

// The plan shows, in run order, each member's move and each pool's
// image, and why members are skipped or blocked; the run does not start
// while one is blocked, and does once it is skipped.
func TestRunPlanTable(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"eu-1": "canary", "eu-2": "prod-eu", "us-1": "prod-us"}, nil)
	old := ts.cluster("old-1", "eastus", "1.30.9", "AKSUbuntu-2204gen2containerd-202502.09.0", nil)
	ts.run("member", "create", "-g", "rg", "-f", "f1", "-n", "old-1", "--cluster-id", old, "--update-group", "prod-us").ok(t)
	ts.run("updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "safe", "--stages", writeFile(t, "stages.json", goodStages)).ok(t)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "to-1-32", "--upgrade-type", "Full",
		"--kubernetes-version", "1.32", "--node-image-selection", "Consistent", "--update-strategy-name", "safe").ok(t)
	plan := ts.run("updaterun", "plan", "-g", "rg", "-f", "f1", "-n", "to-1-32").ok(t)
	start := ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "to-1-32")
	if start.code == 0 || !strings.Contains(start.stderr, "old-1") || !strings.Contains(start.stderr, "would skip minor version 1.31") {
		t.Fatalf("start with a blocked member: exit %d\n%s", start.code, start.stderr)
	}
	golden(t, "run_plan", "$ updaterun plan\n"+plan.stdout+"\n$ updaterun start\n"+start.stderr)
	ts.run("updaterun", "skip", "-g", "rg", "-f", "f1", "-n", "to-1-32", "--targets", "Member:old-1").ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "to-1-32").ok(t)
}

func TestRenderPlanShowsWindows(t *testing.T) {
	p := &runs.Plan{Run: "r", State: "NotStarted", Upgrade: "ControlPlaneOnly", KubernetesVersion: "1.32.6", Members: []runs.MemberPlan{
		{Stage: "s", Group: "g", Name: "held", From: "1.31.2", To: "1.32.6", Action: runs.Pending,
			Reason:            "outside its maintenance window aksManagedAutoUpgradeSchedule; the member will wait for it to open at 2026-01-05T15:00:00Z",
			MaintenanceWindow: "aksManagedAutoUpgradeSchedule closed; opens 2026-01-05T15:00:00Z (until 2026-01-05T19:00:00Z)"},
		{Stage: "s", Group: "g", Name: "open", From: "1.31.2", To: "1.32.6", Action: runs.Upgrade,
			MaintenanceWindow: "aksManagedAutoUpgradeSchedule open until 2026-01-05T12:00:00Z"},
	}}
	var out strings.Builder
	if err := renderPlan(&out, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"held: Pending: outside its maintenance window aksManagedAutoUpgradeSchedule; the member will wait for it to open at 2026-01-05T15:00:00Z",
		"open: Upgrade: maintenance window aksManagedAutoUpgradeSchedule open until 2026-01-05T12:00:00Z",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
}
