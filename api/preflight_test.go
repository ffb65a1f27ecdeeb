package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/runs"
)

// A run to a version no region offers is refused at creation, naming what
// is offered; a run whose members cannot all reach the target is refused
// at start, naming them, until they are skipped.
func TestPreflight(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "prod"})
	ts.addCluster("old", "1.29.9")
	f := fleetPath(rg, "fleet-1")
	if st, _, msg, _ := ts.do("PUT", f+"/members/old"+v1, `{"properties":{"clusterResourceId":"`+clusterID("old")+`","group":"prod"}}`); st != 201 {
		t.Fatalf("member old: %d %s", st, msg)
	}
	st, code, msg, _ := ts.do("PUT", f+"/updateRuns/r"+v1, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.32.99"}}}}`)
	if st != http.StatusBadRequest || !strings.Contains(msg, "Kubernetes 1.32.99 is not offered in any region of the fleet's members (eastus); offered there: 1.29.9, 1.30.4, 1.31.2") {
		t.Fatalf("unoffered version: %d %s %s", st, code, msg)
	}
	if st, _, msg, _ := ts.do("PUT", f+"/updateRuns/r"+v1, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"ControlPlaneOnly","kubernetesVersion":"1.31.2"}}}}`); st != 201 {
		t.Fatalf("create: %d %s", st, msg)
	}

	// A plan shows maintenance windows, so it describes each member; the
	// preflights of creating and starting decide from versions and pools
	// alone, so they glance (no maintenance configurations read), and the
	// start below, which the plan's reads would refuse, is refused only
	// after reading every member afresh.
	describes, glances := ts.cloud.Describes(), ts.cloud.Glances()
	var plan runs.Plan
	if err := json.Unmarshal([]byte(ts.get(f+"/updateRuns/r/plan"+v1)), &plan); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, m := range plan.Members {
		lines = append(lines, m.Name+":"+string(m.Action)+":"+m.From+"→"+m.To)
	}
	if got := strings.Join(lines, " "); got != "a:Upgrade:1.30.4→1.31.2 b:Upgrade:1.30.4→1.31.2 old:Blocked:1.29.9→1.31.2" {
		t.Fatalf("plan %s", got)
	}

	if d, g := ts.cloud.Describes()-describes, ts.cloud.Glances()-glances; d != 3 || g != 0 {
		t.Errorf("a plan of 3 members described %d and glanced at %d clusters, want 3 and 0", d, g)
	}
	describes, glances = ts.cloud.Describes(), ts.cloud.Glances()
	st, code, msg, _ = ts.do("POST", f+"/updateRuns/r/start"+v1, "")
	if d, g := ts.cloud.Describes()-describes, ts.cloud.Glances()-glances; d != 0 || g != 3 {
		t.Errorf("the preflight of a start over 3 members described %d and glanced at %d clusters, want 0 and 3", d, g)
	}
	if st != http.StatusConflict || code != "MembersCannotReachTarget" || !strings.Contains(msg, "1 member cannot reach its target: old (stage default, group default): control plane 1.29.9 → 1.31.2 would skip minor version 1.30") ||
		!strings.Contains(msg, "--targets Member:old") {
		t.Fatalf("start with a blocked member: %d %s %s", st, code, msg)
	}
	if len(ts.cloud.InFlight()) != 0 {
		t.Fatal("a refused start began an upgrade")
	}
	if st, _, msg, _ := ts.do("POST", f+"/updateRuns/r/skip"+v1, `{"targets":[{"type":"Member","name":"old"}]}`); st != 200 {
		t.Fatalf("skip: %d %s", st, msg)
	}
	// The members left were all read moments ago: the start passes on
	// those reads without reading them again.
	glances = ts.cloud.Glances()
	if st, _, msg, _ := ts.do("POST", f+"/updateRuns/r/start"+v1, ""); st != 200 {
		t.Fatalf("start after skipping: %d %s", st, msg)
	}
	if g := ts.cloud.Glances() - glances; g != 0 {
		t.Errorf("a start whose members were read moments ago glanced at %d clusters, want 0", g)
	}
	ts.finish(2)
	ts.waitRun("r", "Completed")
}

// A preflight passes on recent reads, but refuses only on fresh ones: a
// member that was behind when last read, and has caught up since, does not
// hold the start back.
func TestPreflightRefusesOnlyOnFreshReads(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "prod"})
	ts.addCluster("old", "1.29.9")
	f := fleetPath(rg, "fleet-1")
	if st, _, msg, _ := ts.do("PUT", f+"/members/old"+v1, `{"properties":{"clusterResourceId":"`+clusterID("old")+`","group":"prod"}}`); st != 201 {
		t.Fatalf("member old: %d %s", st, msg)
	}
	if st, _, msg, _ := ts.do("PUT", f+"/updateRuns/r"+v1, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"ControlPlaneOnly","kubernetesVersion":"1.31.2"}}}}`); st != 201 {
		t.Fatalf("create: %d %s", st, msg)
	}
	// Read as 1.29.9 (two minors behind) moments ago; upgraded since.
	ts.addCluster("old", "1.30.4")
	glances := ts.cloud.Glances()
	if st, code, msg, _ := ts.do("POST", f+"/updateRuns/r/start"+v1, ""); st != 200 {
		t.Fatalf("start after the member caught up: %d %s %s; want it started on a fresh read", st, code, msg)
	}
	if g := ts.cloud.Glances() - glances; g != 2 {
		t.Errorf("the start glanced at %d clusters, want 2: the recent reads refused, so every member was read again", g)
	}
}
