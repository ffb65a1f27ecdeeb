package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"
)

// Every resource accepts its own GET body back, changed, through Azure's
// Go SDK: the read-only fields it carries (systemData timestamps, status,
// eTag, provisioningState) are ignored, as ARM ignores them.
func TestSDKGetModifyPut(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "prod"})

	fleets := ts.clients.NewFleetsClient()
	f, err := fleets.Get(ctx, rg, "fleet-1", nil)
	if err != nil || f.SystemData == nil || f.SystemData.CreatedAt == nil {
		t.Fatalf("get fleet: %+v, %v", f, err)
	}
	f.Tags = map[string]*string{"team": to.Ptr("platform")}
	fp, err := fleets.BeginCreateOrUpdate(ctx, rg, "fleet-1", f.Fleet, &fleetsdk.FleetsClientBeginCreateOrUpdateOptions{IfMatch: f.ETag})
	if err != nil {
		t.Fatalf("put fleet back: %v", err)
	}
	if got, err := fp.PollUntilDone(ctx, nil); err != nil || *got.Tags["team"] != "platform" || !got.SystemData.CreatedAt.Equal(*f.SystemData.CreatedAt) {
		t.Fatalf("fleet after put: %+v, %v", got, err)
	}

	members := ts.clients.NewFleetMembersClient()
	m, err := members.Get(ctx, rg, "fleet-1", "b", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Properties.Group = to.Ptr("canary")
	mp, err := members.BeginCreate(ctx, rg, "fleet-1", "b", m.FleetMember, &fleetsdk.FleetMembersClientBeginCreateOptions{IfMatch: m.ETag})
	if err != nil {
		t.Fatalf("put member back: %v", err)
	}
	if got, err := mp.PollUntilDone(ctx, nil); err != nil || *got.Properties.Group != "canary" {
		t.Fatalf("member after put: %+v, %v", got, err)
	}
	m.Properties.Group = to.Ptr("prod")
	if mp, err = members.BeginCreate(ctx, rg, "fleet-1", "b", m.FleetMember, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := mp.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}

	strategies := ts.clients.NewFleetUpdateStrategiesClient()
	sp, err := strategies.BeginCreateOrUpdate(ctx, rg, "fleet-1", "safe", fleetsdk.FleetUpdateStrategy{Properties: &fleetsdk.FleetUpdateStrategyProperties{
		Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{{Name: to.Ptr("canary"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("canary")}}}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s, err := strategies.Get(ctx, rg, "fleet-1", "safe", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Properties.Strategy.Stages = append(s.Properties.Strategy.Stages, &fleetsdk.UpdateStage{Name: to.Ptr("prod"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("prod")}}})
	if sp, err = strategies.BeginCreateOrUpdate(ctx, rg, "fleet-1", "safe", s.FleetUpdateStrategy, &fleetsdk.FleetUpdateStrategiesClientBeginCreateOrUpdateOptions{IfMatch: s.ETag}); err != nil {
		t.Fatalf("put strategy back: %v", err)
	}
	if got, err := sp.PollUntilDone(ctx, nil); err != nil || len(got.Properties.Strategy.Stages) != 2 {
		t.Fatalf("strategy after put: %+v, %v", got, err)
	}

	runs := ts.clients.NewUpdateRunsClient()
	rp, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "run-1", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		UpdateStrategyID: s.ID,
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{
			Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.2")},
		},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	run, err := runs.Get(ctx, rg, "fleet-1", "run-1", nil)
	if err != nil || run.Properties.Status == nil {
		t.Fatalf("get run: %+v, %v", run, err)
	}
	run.Properties.ManagedClusterUpdate.Upgrade.Type = to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull)
	if rp, err = runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "run-1", run.UpdateRun, &fleetsdk.UpdateRunsClientBeginCreateOrUpdateOptions{IfMatch: run.ETag}); err != nil {
		t.Fatalf("put NotStarted run back: %v", err)
	}
	changed, err := rp.PollUntilDone(ctx, nil)
	if err != nil || *changed.Properties.ManagedClusterUpdate.Upgrade.Type != fleetsdk.ManagedClusterUpgradeTypeFull {
		t.Fatalf("run after put: %+v, %v", changed, err)
	}

	// Started: the same body again is a 200 with the run as it is; a
	// changed one is a 409.
	start, err := runs.BeginStart(ctx, rg, "fleet-1", "run-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ts.waitInFlight(1)
	running, err := runs.Get(ctx, rg, "fleet-1", "run-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "run-1", running.UpdateRun, nil)
	if err != nil {
		t.Fatalf("unchanged put of a running run: %v", err)
	}
	same, err := again.PollUntilDone(ctx, nil)
	if err != nil || *same.ETag != *running.ETag || *same.Properties.Status.Status.State != fleetsdk.UpdateStateRunning {
		t.Fatalf("unchanged put answered %+v, %v", same, err)
	}
	running.Properties.ManagedClusterUpdate.Upgrade.KubernetesVersion = to.Ptr("1.31")
	_, err = runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "run-1", running.UpdateRun, nil)
	wantStatus(t, err, http.StatusConflict, "Conflict")
	ts.finish(2)
	ts.waitRun("run-1", fleetsdk.UpdateStateCompleted)
}

// The raw body of a GET, caravan's own fields included, goes back as it
// is; unknown properties are still refused.
func TestRawGetBodyGoesBack(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	v := "?api-version=2024-04-01"
	if st, _, msg, _ := ts.do("PUT", f+"/updateRuns/r"+v, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"NodeImageOnly"}}}}`); st != 201 {
		t.Fatalf("create run: %d %s", st, msg)
	}
	for _, path := range []string{f, f + "/members/a", f + "/updateRuns/r"} {
		body := ts.get(path + v)
		if !strings.Contains(body, `"createdAt":"`) {
			t.Fatalf("%s has no timestamp to send back: %s", path, body)
		}
		if st, code, msg, _ := ts.do("PUT", path+v, body); st != 200 {
			t.Fatalf("PUT %s with its own GET body: %d %s %s", path, st, code, msg)
		}
	}
	st, code, msg, _ := ts.do("PUT", f+"/members/a"+v, `{"properties":{"clusterResourceId":"`+clusterID("a")+`","grup":"x"}}`)
	if st != 400 || code != "InvalidRequestContent" || !strings.Contains(msg, "properties.grup: unknown property") {
		t.Fatalf("unknown property: %d %s %s", st, code, msg)
	}
	st, _, msg, _ = ts.do("PUT", f+"/updateRuns/r"+v, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"NodeImageOnly"}}},"systemData":{"createdAt":"yesterday"}}`)
	if st != 200 {
		t.Fatalf("read-only systemData with anything in it is ignored: %d %s", st, msg)
	}
}

func (ts *testServer) get(path string) string {
	ts.t.Helper()
	resp, err := http.Get(ts.url + path)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		ts.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	return string(data)
}
