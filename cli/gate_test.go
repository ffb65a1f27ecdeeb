package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestGateApproveMovesARunOn creates a run with a before-stage gate on a
// real server, finds the gate with gate list, sees it in updaterun show,
// approves it and waits for the run to complete.
func TestGateApproveMovesARunOn(t *testing.T) {
	ts := startServer(t)
	fast := map[string]string{"sim-upgrade-seconds": "0.2"}
	ts.fleetWithMembers(map[string]string{"eu-1": "canary"}, fast)
	stages := writeFile(t, "stages.json", `{"stages":[{"name":"canary","beforeGates":[{"displayName":"change board","type":"Approval"}],"groups":[{"name":"canary"}]}]}`)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "Full", "--kubernetes-version", "1.32", "--stages", stages).ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	var list result
	for i := 0; i < 500; i++ {
		list = ts.run("gate", "list", "-g", "rg", "-f", "f1", "--state", "Pending").ok(t)
		if strings.Contains(list.stdout, "Pending") {
			break
		}
	}
	name := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindString(list.stdout)
	for _, want := range []string{"NAME", "Pending", "Approval", "r1", "before stage canary", "change board"} {
		if !strings.Contains(list.stdout, want) || name == "" {
			t.Fatalf("gate list lacks %q:\n%s", want, list.stdout)
		}
	}
	show := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	for _, want := range []string{"Update run r1 in fleet f1: Pending", "├─ gate change board (before)", "waiting for approval: caravan gate approve -n " + name} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, show.stdout)
		}
	}
	if r := ts.run("gate", "list", "-g", "rg", "-f", "f1", "--state", "Open"); r.code == 0 || !strings.Contains(r.stderr, `--state: "Open" is not a gate state`) {
		t.Errorf("a bad --state: %d %s", r.code, r.stderr)
	}
	approve := ts.run("gate", "approve", "-g", "rg", "-f", "f1", "-n", name).ok(t)
	if !strings.Contains(approve.stdout, "Completed") {
		t.Errorf("approve said:\n%s", approve.stdout)
	}
	ts.run("gate", "approve", "-g", "rg", "-f", "f1", "-n", name).ok(t)
	ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	gs := ts.run("gate", "show", "-g", "rg", "-f", "f1", "-n", name).ok(t)
	if !strings.Contains(gs.stdout, "Completed") || !strings.Contains(gs.stdout, "before stage canary") {
		t.Errorf("gate show:\n%s", gs.stdout)
	}
	// Deleting the run deletes the gates it created.
	ts.run("updaterun", "delete", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	if r := ts.run("gate", "show", "-g", "rg", "-f", "f1", "-n", name); r.code == 0 {
		t.Errorf("the gate of a deleted run is still there:\n%s", r.stdout)
	}
}
