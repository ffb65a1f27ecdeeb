package api

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

// The version table names only served versions and placed models, and
// every span runs forwards.
func TestVersionTableIsWellFormed(t *testing.T) {
	for _, f := range fieldVersions {
		since, ok := versionOf(f.Since)
		if !ok {
			t.Errorf("%s.%s: since %s is not a served api-version", f.Model, f.Field, f.Since)
		}
		if f.Until != "" {
			until, ok := versionOf(f.Until)
			if !ok || until < since {
				t.Errorf("%s.%s: until %s is not a served api-version at or after %s", f.Model, f.Field, f.Until, f.Since)
			}
		}
		if len(modelPaths[f.Model]) == 0 {
			t.Errorf("%s.%s: model %s has no place in modelPaths", f.Model, f.Field, f.Model)
		}
	}
}

// Every first version of a route is a served api-version.
func TestRouteVersionsAreServed(t *testing.T) {
	for k, v := range routeSince {
		if _, ok := versionOf(v); !ok {
			t.Errorf("route %s: %s is not a served api-version", k, v)
		}
	}
}

// Every route is in ARM's operations list, or is caravan's own.
func TestEveryRouteIsInTheOperationsList(t *testing.T) {
	own := map[kind]bool{kindRunPlan: true, kindRunEvents: true}
	for _, op := range operations {
		if _, ok := armAction[op.kind]; !ok && !own[op.kind] {
			t.Errorf("%s %s has no entry in armAction: add the ARM resource type it acts on", op.method, paths[op.kind])
		}
	}
}

// The version helpers: which version brings a field a version lacks.
func TestVersionsFor(t *testing.T) {
	v := mustVersion("2024-04-01")
	if later, _ := versionsFor("UpdateStage", "maxConcurrency", "", v); later != "2026-02-01-preview" {
		t.Errorf("maxConcurrency after 2024-04-01 comes with %q", later)
	}
	if !defines("UpdateStage", "name", "", v) {
		t.Error("a field the table does not list must be in every version")
	}
	if defines("FleetProperties", "status", "", v) || !defines("FleetProperties", "status", "", mustVersion("2025-03-01")) {
		t.Error("fleet status is defined from 2025-03-01 on")
	}
}

// BenchmarkShapeRun measures shaping a run of 100 members for an older
// api-version, which reads the JSON, drops fields and writes it again:
// go test ./api -run '^$' -bench ShapeRun -benchmem
func BenchmarkShapeRun(b *testing.B) {
	var members []fleet.Member
	for i := range 100 {
		members = append(members, fleet.Member{Name: fmt.Sprintf("m%03d", i), Properties: fleet.MemberProperties{
			ClusterResourceID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/" + fmt.Sprint(i),
			Group:             []string{"canary", "prod"}[min(i, 1)]}})
	}
	strategy := &fleet.RunStrategy{Stages: []fleet.Stage{
		{Name: "one", MaxConcurrency: "10%", Groups: []fleet.Group{{Name: "canary"}}},
		{Name: "two", Groups: []fleet.Group{{Name: "prod", MaxConcurrency: "25%"}}},
	}}
	status, err := fleet.NewRunStatus(strategy, members)
	if err != nil {
		b.Fatal(err)
	}
	run := fleet.UpdateRun{ID: "/x", Name: "r", Type: fleet.TypeUpdateRun, Properties: fleet.UpdateRunProperties{Strategy: strategy, Status: status}}
	body, err := json.Marshal(run)
	if err != nil {
		b.Fatal(err)
	}
	v := mustVersion("2024-04-01")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		shapeBody(body, v)
	}
}
