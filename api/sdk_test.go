package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

const (
	sub = "00000000-0000-0000-0000-000000000001"
	rg  = "rg-fleet"
)

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "secret", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// testServer is the API on a loopback port, backed by a memory store, the
// real engine and a fake cloud whose upgrades end when the test says so.
type testServer struct {
	t       *testing.T
	url     string
	cloud   *fake.Provider
	store   store.Store
	eng     *engine.Engine
	clients *fleetsdk.ClientFactory
	mu      sync.Mutex
	changed chan struct{}
}

func newTestServer(t *testing.T) *testServer {
	return newTestServerOn(t, memory.New())
}

func newTestServerOn(t *testing.T, st store.Store) *testServer {
	ts := &testServer{t: t, cloud: fake.New(), store: st, changed: make(chan struct{}, 1)}
	ts.cloud.SetRegion("eastus", fake.Region{Versions: []string{"1.30.4", "1.31.2"}, Images: map[string]string{"AKSUbuntu-2204gen2containerd": "AKSUbuntu-2204gen2containerd-202411.12.0"}})
	eng, err := engine.New(engine.Config{Store: ts.store, Provider: ts.cloud, Persisted: func(store.Record) {
		select {
		case ts.changed <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts.eng = eng
	// An upgrade begins after the engine writes the run: wake the waits
	// below on both.
	began := ts.cloud.NotifyBegin(16)
	go func() {
		for range began {
			select {
			case ts.changed <- struct{}{}:
			default:
			}
		}
	}()
	a := api.New(api.Config{Store: ts.store, Runs: eng, Clusters: ts.cloud, PageSize: 2, Principal: func(*http.Request) string { return "tester" }})
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); eng.Close() })
	ts.url = srv.URL
	ts.clients, err = fleetsdk.NewClientFactory(sub, staticToken{}, &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: azcloud.Configuration{Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
			azcloud.ResourceManager: {Endpoint: srv.URL, Audience: srv.URL},
		}},
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           policy.RetryOptions{MaxRetries: -1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func clusterID(name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
}

func (ts *testServer) addCluster(name, version string) {
	ts.cloud.AddCluster(cluster.Cluster{ID: clusterID(name), Name: name, Region: "eastus", KubernetesVersion: version, ProvisioningState: "Succeeded",
		NodePools: []cluster.NodePool{{Name: "system", KubernetesVersion: version, NodeImageVersion: "AKSUbuntu-2204gen2containerd-202409.01.0", Count: 3}}})
}

// waitRun waits, on the engine's write notifications, until the run is in
// the given state.
func (ts *testServer) waitRun(name string, want fleetsdk.UpdateState) *fleetsdk.UpdateRun {
	ts.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got, err := ts.clients.NewUpdateRunsClient().Get(context.Background(), rg, "fleet-1", name, nil)
		if err != nil {
			ts.t.Fatal(err)
		}
		if *got.Properties.Status.Status.State == want {
			return &got.UpdateRun
		}
		select {
		case <-ts.changed:
		case <-deadline:
			ts.t.Fatalf("run %s is %s, want %s", name, *got.Properties.Status.Status.State, want)
		}
	}
}

// finishAll ends every upgrade in flight, as each begins, until the cloud
// is idle and the run has settled.
// waitInFlight waits until n upgrades are in flight.
func (ts *testServer) waitInFlight(n int) {
	ts.t.Helper()
	deadline := time.After(10 * time.Second)
	for len(ts.cloud.InFlight()) < n {
		select {
		case <-ts.changed:
		case <-deadline:
			ts.t.Fatalf("%d upgrades in flight, want %d", len(ts.cloud.InFlight()), n)
		}
	}
}

func (ts *testServer) finish(n int) {
	ts.t.Helper()
	deadline := time.After(10 * time.Second)
	for done := 0; done < n; {
		for _, id := range ts.cloud.InFlight() {
			if ts.cloud.Finish(id, nil) {
				done++
			}
		}
		if done < n {
			select {
			case <-ts.changed:
			case <-deadline:
				ts.t.Fatalf("finished %d upgrades of %d", done, n)
			}
		}
	}
}

func wantStatus(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an HTTP %d error", err, status)
	}
	if re.StatusCode != status || (code != "" && re.ErrorCode != code) {
		t.Fatalf("got HTTP %d %s, want %d %s: %v", re.StatusCode, re.ErrorCode, status, code, err)
	}
}

func TestSDKFleetsCreateGetListUpdateDelete(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	fleets := ts.clients.NewFleetsClient()
	for i := 1; i <= 5; i++ {
		p, err := fleets.BeginCreateOrUpdate(ctx, rg, fmt.Sprintf("fleet-%d", i), fleetsdk.Fleet{Location: to.Ptr("eastus"), Tags: map[string]*string{"env": to.Ptr("test")}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if *res.Name != fmt.Sprintf("fleet-%d", i) || *res.Properties.ProvisioningState != fleetsdk.FleetProvisioningStateSucceeded || res.ETag == nil || *res.SystemData.CreatedBy != "tester" {
			t.Fatalf("created %+v", res.Fleet)
		}
	}
	got, err := fleets.Get(ctx, rg, "fleet-3", nil)
	if err != nil || *got.Location != "eastus" || *got.Tags["env"] != "test" || *got.Type != "Microsoft.ContainerService/fleets" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	wantID := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-3"
	if *got.ID != wantID {
		t.Fatalf("id %s, want %s", *got.ID, wantID)
	}
	// Pages of two, followed through nextLink by the SDK's pager.
	for _, pager := range []*runtime.Pager[fleetsdk.FleetsClientListByResourceGroupResponse]{fleets.NewListByResourceGroupPager(rg, nil)} {
		n, pages := 0, 0
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			n += len(page.Value)
		}
		if n != 5 || pages != 3 {
			t.Fatalf("listed %d fleets in %d pages, want 5 in 3", n, pages)
		}
	}
	subPager := fleets.NewListBySubscriptionPager(nil)
	n := 0
	for subPager.More() {
		page, err := subPager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 5 {
		t.Fatalf("subscription lists %d fleets", n)
	}
	up, err := fleets.BeginUpdate(ctx, rg, "fleet-3", fleetsdk.FleetPatch{Tags: map[string]*string{"env": to.Ptr("prod")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	patched, err := up.PollUntilDone(ctx, nil)
	if err != nil || *patched.Tags["env"] != "prod" || *patched.ETag == *got.ETag {
		t.Fatalf("patched %+v, %v", patched, err)
	}
	// ETags: a stale If-Match is refused; If-None-Match * refuses to overwrite.
	_, err = fleets.BeginCreateOrUpdate(ctx, rg, "fleet-3", fleetsdk.Fleet{Location: to.Ptr("eastus")}, &fleetsdk.FleetsClientBeginCreateOrUpdateOptions{IfMatch: got.ETag})
	wantStatus(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	_, err = fleets.BeginCreateOrUpdate(ctx, rg, "fleet-3", fleetsdk.Fleet{Location: to.Ptr("eastus")}, &fleetsdk.FleetsClientBeginCreateOrUpdateOptions{IfNoneMatch: to.Ptr("*")})
	wantStatus(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	p, err := fleets.BeginCreateOrUpdate(ctx, rg, "fleet-3", fleetsdk.Fleet{Location: to.Ptr("eastus")}, &fleetsdk.FleetsClientBeginCreateOrUpdateOptions{IfMatch: patched.ETag})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	del, err := fleets.BeginDelete(ctx, rg, "fleet-3", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err = fleets.Get(ctx, rg, "fleet-3", nil)
	wantStatus(t, err, http.StatusNotFound, "ResourceNotFound")
	_, err = ts.clients.NewFleetsClient().ListCredentials(ctx, rg, "fleet-1", nil)
	wantStatus(t, err, http.StatusBadRequest, "NoHubCluster")
}

func (ts *testServer) fleetWithMembers(members map[string]string) {
	ts.t.Helper()
	ctx := context.Background()
	p, err := ts.clients.NewFleetsClient().BeginCreateOrUpdate(ctx, rg, "fleet-1", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, nil); err != nil {
		ts.t.Fatal(err)
	}
	for name, group := range members {
		ts.addCluster(name, "1.30.4")
		mp, err := ts.clients.NewFleetMembersClient().BeginCreate(ctx, rg, "fleet-1", name, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(clusterID(name)), Group: to.Ptr(group)}}, nil)
		if err != nil {
			ts.t.Fatal(err)
		}
		if _, err := mp.PollUntilDone(ctx, nil); err != nil {
			ts.t.Fatal(err)
		}
	}
}

func TestSDKMembers(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "prod", "c": "prod"})
	members := ts.clients.NewFleetMembersClient()
	m, err := members.Get(ctx, rg, "fleet-1", "b", nil)
	if err != nil || *m.Properties.Group != "prod" || *m.Properties.ClusterResourceID != clusterID("b") || *m.Properties.ProvisioningState != fleetsdk.FleetMemberProvisioningStateSucceeded {
		t.Fatalf("member %+v, %v", m, err)
	}
	pager := members.NewListByFleetPager(rg, "fleet-1", nil)
	var names []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			names = append(names, *v.Name)
		}
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("members %v", names)
	}
	up, err := members.BeginUpdate(ctx, rg, "fleet-1", "c", fleetsdk.FleetMemberUpdate{Properties: &fleetsdk.FleetMemberUpdateProperties{Group: to.Ptr("canary")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := up.PollUntilDone(ctx, nil); err != nil || *res.Properties.Group != "canary" {
		t.Fatalf("updated %+v, %v", res, err)
	}
	// A cluster that does not exist is a 400 that names it.
	_, err = members.BeginCreate(ctx, rg, "fleet-1", "ghost", fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(clusterID("ghost"))}}, nil)
	wantStatus(t, err, http.StatusBadRequest, "InvalidArgument")
	if !strings.Contains(err.Error(), "ghost does not exist") {
		t.Fatalf("message: %v", err)
	}
	_, err = members.BeginCreate(ctx, rg, "fleet-1", "bad", fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr("/not/a/cluster")}}, nil)
	wantStatus(t, err, http.StatusBadRequest, "InvalidArgument")
	_, err = members.BeginCreate(ctx, rg, "no-fleet", "x", fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(clusterID("a"))}}, nil)
	wantStatus(t, err, http.StatusNotFound, "ParentResourceNotFound")
	del, err := members.BeginDelete(ctx, rg, "fleet-1", "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err = members.Get(ctx, rg, "fleet-1", "a", nil)
	wantStatus(t, err, http.StatusNotFound, "ResourceNotFound")
}

func TestSDKStrategiesAndRunLifecycle(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "prod", "c": "prod"})
	strategies := ts.clients.NewFleetUpdateStrategiesClient()
	sp, err := strategies.BeginCreateOrUpdate(ctx, rg, "fleet-1", "safe", fleetsdk.FleetUpdateStrategy{Properties: &fleetsdk.FleetUpdateStrategyProperties{
		Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{
			{Name: to.Ptr("canary"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("canary")}}, AfterStageWaitInSeconds: to.Ptr[int32](0)},
			{Name: to.Ptr("prod"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("prod")}}},
		}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	strategy, err := sp.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := ts.clients.NewUpdateRunsClient()
	rp, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "run-1", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		UpdateStrategyID: strategy.ID,
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{
			Upgrade:            &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull), KubernetesVersion: to.Ptr("1.31.2")},
			NodeImageSelection: &fleetsdk.NodeImageSelection{Type: to.Ptr(fleetsdk.NodeImageSelectionTypeLatest)},
		},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := rp.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := run.Properties.Status
	if *st.Status.State != fleetsdk.UpdateStateNotStarted || len(st.Stages) != 2 || len(st.Stages[1].Groups[0].Members) != 2 || len(run.Properties.Strategy.Stages) != 2 {
		t.Fatalf("created run %+v", run.Properties)
	}
	// A later change to the strategy does not reach the run.
	if _, err := strategies.BeginDelete(ctx, rg, "fleet-1", "safe", nil); err != nil {
		t.Fatal(err)
	}
	// Start with a stale ETag is refused; with the current one it starts.
	_, err = runs.BeginStart(ctx, rg, "fleet-1", "run-1", &fleetsdk.UpdateRunsClientBeginStartOptions{IfMatch: to.Ptr("stale")})
	wantStatus(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	start, err := runs.BeginStart(ctx, rg, "fleet-1", "run-1", &fleetsdk.UpdateRunsClientBeginStartOptions{IfMatch: run.ETag})
	if err != nil {
		t.Fatal(err)
	}
	started, err := start.PollUntilDone(ctx, nil)
	if err != nil || *started.Properties.Status.Status.State != fleetsdk.UpdateStateRunning {
		t.Fatalf("started %+v, %v", started, err)
	}
	ts.waitInFlight(1)
	// Running: no delete, no change, no skip of the member upgrading.
	_, err = runs.BeginDelete(ctx, rg, "fleet-1", "run-1", nil)
	wantStatus(t, err, http.StatusConflict, "Conflict")
	_, err = runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "run-1", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeNodeImageOnly)}}}}, nil)
	wantStatus(t, err, http.StatusConflict, "Conflict")
	_, err = runs.BeginSkip(ctx, rg, "fleet-1", "run-1", fleetsdk.SkipProperties{Targets: []*fleetsdk.SkipTarget{{Type: to.Ptr(fleetsdk.TargetTypeMember), Name: to.Ptr("a")}}}, nil)
	wantStatus(t, err, http.StatusConflict, "Conflict")
	_, err = ts.clients.NewFleetMembersClient().BeginDelete(ctx, rg, "fleet-1", "b", nil)
	wantStatus(t, err, http.StatusConflict, "Conflict")
	_, err = runs.BeginSkip(ctx, rg, "fleet-1", "run-1", fleetsdk.SkipProperties{Targets: []*fleetsdk.SkipTarget{{Type: to.Ptr(fleetsdk.TargetTypeGroup), Name: to.Ptr("nope")}}}, nil)
	wantStatus(t, err, http.StatusBadRequest, "InvalidArgument")
	// Skip member c, stop, start again, and let the rest finish.
	sk, err := runs.BeginSkip(ctx, rg, "fleet-1", "run-1", fleetsdk.SkipProperties{Targets: []*fleetsdk.SkipTarget{{Type: to.Ptr(fleetsdk.TargetTypeMember), Name: to.Ptr("c")}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	stop, err := runs.BeginStop(ctx, rg, "fleet-1", "run-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stop.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ts.finish(1)
	ts.waitRun("run-1", fleetsdk.UpdateStateStopped)
	restart, err := runs.BeginStart(ctx, rg, "fleet-1", "run-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restart.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ts.finish(1)
	done := ts.waitRun("run-1", fleetsdk.UpdateStateCompleted)
	members := done.Properties.Status.Stages[1].Groups[0].Members
	if *members[0].Status.State != fleetsdk.UpdateStateCompleted || *members[1].Status.State != fleetsdk.UpdateStateSkipped || members[0].OperationID == nil {
		t.Fatalf("prod members %+v %+v", *members[0].Status.State, *members[1].Status.State)
	}
	pager := runs.NewListByFleetPager(rg, "fleet-1", nil)
	page, err := pager.NextPage(ctx)
	if err != nil || len(page.Value) != 1 {
		t.Fatalf("runs list %v, %v", page.Value, err)
	}
	del, err := runs.BeginDelete(ctx, rg, "fleet-1", "run-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSDKRunValidationErrors(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.fleetWithMembers(map[string]string{"a": "canary"})
	runs := ts.clients.NewUpdateRunsClient()
	full := &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull), KubernetesVersion: to.Ptr("1.31")}}
	for _, tc := range []struct {
		name string
		run  fleetsdk.UpdateRun
		text string
	}{
		{"group twice", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: full, Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{
			{Name: to.Ptr("one"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("canary")}}},
			{Name: to.Ptr("two"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("canary")}}},
		}}}}, `properties.strategy.stages[1].groups[0].name: group "canary" is already in stage "one"`},
		{"empty group", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: full, Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{
			{Name: to.Ptr("one"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("nobody")}}},
		}}}}, `group "nobody" has no members`},
		{"no version", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull)}}}}, "needs a Kubernetes version"},
		{"missing strategy", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: full, UpdateStrategyID: to.Ptr("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1/updateStrategies/nope")}}, "update strategy nope does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "bad", tc.run, nil)
			wantStatus(t, err, http.StatusBadRequest, "")
			if !strings.Contains(strings.ReplaceAll(err.Error(), `\"`, `"`), tc.text) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.text)
			}
		})
	}
}
