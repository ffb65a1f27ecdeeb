package simcloud

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// seedTwoPools creates a cluster at cp with pools "system" and "user" at
// poolVersion on older node images.
func seedTwoPools(t *testing.T, cl *Cloud, name, region, cp, poolVersion string, tags map[string]string) {
	t.Helper()
	_, err := cl.CreateCluster(ClusterSpec{
		Subscription: testSub, Name: name, ResourceGroup: "rg1", Region: region, KubernetesVersion: cp, Tags: tags,
		Pools: []PoolSpec{
			{Name: "system", Count: 3, Mode: "System", KubernetesVersion: poolVersion},
			{Name: "user", Count: 2, Mode: "User", KubernetesVersion: poolVersion},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeControlPlaneOnly(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "60"})

	// Read, change the version, write back: pools keep their versions, so
	// only the control plane moves.
	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
	p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	if err != nil {
		t.Fatalf("error starting upgrade: %v", err)
	}
	mid := h.get("rg1", "alpha")
	if *mid.Properties.ProvisioningState != StateUpgrading || *mid.Properties.KubernetesVersion != "1.31.2" || *mid.Properties.CurrentKubernetesVersion != "1.30.5" {
		t.Fatalf("during upgrade: state %s version %s current %s", *mid.Properties.ProvisioningState, *mid.Properties.KubernetesVersion, *mid.Properties.CurrentKubernetesVersion)
	}
	if pollOnce(t, p) {
		t.Fatal("upgrade done before its time")
	}
	clock.Advance(60 * time.Second)
	if !pollOnce(t, p) {
		t.Fatal("upgrade not done when its time came")
	}
	res, err := p.Result(ctx(t))
	if err != nil {
		t.Fatalf("upgrade failed: %v", err)
	}
	if *res.Properties.CurrentKubernetesVersion != "1.31.2" || *res.Properties.ProvisioningState != StateSucceeded {
		t.Fatalf("after upgrade: current %s state %s", *res.Properties.CurrentKubernetesVersion, *res.Properties.ProvisioningState)
	}
	for _, pool := range res.Properties.AgentPoolProfiles {
		if *pool.CurrentOrchestratorVersion != "1.30.5" {
			t.Fatalf("pool %s moved to %s; a control-plane-only upgrade must leave pools alone", *pool.Name, *pool.CurrentOrchestratorVersion)
		}
	}
	ops := h.cloud.Operations(OperationFilter{Cluster: "alpha"})
	if len(ops) != 1 || ops[0].Kind != KindUpgradeControlPlane || ops[0].Target != "1.31.2" || ops[0].Result != ResultSucceeded {
		t.Fatalf("operations = %+v", ops)
	}
	if !ops[0].End.Equal(ops[0].Start.Add(60 * time.Second)) {
		t.Fatalf("operation ran %s to %s, want exactly 60s", ops[0].Start, ops[0].End)
	}
}

func TestUpgradeControlPlaneWithPools(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	seedTwoPools(t, h.cloud, "alpha", "westeurope", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "10"})

	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.31")
	for _, pool := range mc.Properties.AgentPoolProfiles {
		if *pool.Name == "system" {
			pool.OrchestratorVersion = to.Ptr("1.31")
		}
	}
	p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	if err != nil {
		t.Fatalf("error starting upgrade: %v", err)
	}
	// Parts run in order: the control plane first (5s), then the pool.
	clock.Advance(5 * time.Second)
	mid := h.get("rg1", "alpha")
	if *mid.Properties.CurrentKubernetesVersion != "1.31.8" {
		t.Fatalf("control plane at %s after its part ended", *mid.Properties.CurrentKubernetesVersion)
	}
	sys := h.getPool("rg1", "alpha", "system")
	if *sys.Properties.CurrentOrchestratorVersion != "1.30.5" || *sys.Properties.ProvisioningState != StateUpgrading {
		t.Fatalf("system pool at %s (%s) before its part ended", *sys.Properties.CurrentOrchestratorVersion, *sys.Properties.ProvisioningState)
	}
	clock.Advance(5 * time.Second)
	if !pollOnce(t, p) {
		t.Fatal("upgrade not done")
	}
	if _, err := p.Result(ctx(t)); err != nil {
		t.Fatal(err)
	}
	sys = h.getPool("rg1", "alpha", "system")
	user := h.getPool("rg1", "alpha", "user")
	latest := "AKSUbuntu-2204gen2containerd-202504.16.0" // westeurope lags eastus by one release
	if *sys.Properties.CurrentOrchestratorVersion != "1.31.8" || *sys.Properties.NodeImageVersion != latest {
		t.Fatalf("system pool: %s on %s", *sys.Properties.CurrentOrchestratorVersion, *sys.Properties.NodeImageVersion)
	}
	if *user.Properties.CurrentOrchestratorVersion != "1.30.5" || *user.Properties.NodeImageVersion == latest {
		t.Fatalf("user pool moved: %s on %s", *user.Properties.CurrentOrchestratorVersion, *user.Properties.NodeImageVersion)
	}
	ops := h.cloud.Operations(OperationFilter{Cluster: "alpha"})
	if len(ops) != 2 || ops[0].Kind != KindUpgradeControlPlane || ops[1].Kind != KindUpgradeAgentPool || ops[1].AgentPool != "system" ||
		ops[1].NodeImageVersion != latest || ops[0].OperationID != ops[1].OperationID {
		t.Fatalf("operations = %+v", ops)
	}
}

func TestUpgradeAgentPool(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.31.8", "1.30.11", tagsInstant())

	// No nodeImageVersion: the image moves to the region's newest.
	p, err := h.pools.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", "system", armcontainerservice.AgentPool{
		Properties: &armcontainerservice.ManagedClusterAgentPoolProfileProperties{OrchestratorVersion: to.Ptr("1.31.8")},
	}, nil)
	if err != nil {
		t.Fatalf("error starting pool upgrade: %v", err)
	}
	res, err := p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Properties.CurrentOrchestratorVersion != "1.31.8" || *res.Properties.NodeImageVersion != "AKSUbuntu-2204gen2containerd-202505.14.0" {
		t.Fatalf("system pool: %s on %s", *res.Properties.CurrentOrchestratorVersion, *res.Properties.NodeImageVersion)
	}

	// With nodeImageVersion: pinned to exactly that image.
	pinned := "AKSUbuntu-2204gen2containerd-202504.16.0"
	p, err = h.pools.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", "user", armcontainerservice.AgentPool{
		Properties: &armcontainerservice.ManagedClusterAgentPoolProfileProperties{OrchestratorVersion: to.Ptr("1.31"), NodeImageVersion: to.Ptr(pinned)},
	}, nil)
	if err != nil {
		t.Fatalf("error starting pinned upgrade: %v", err)
	}
	res, err = p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Properties.CurrentOrchestratorVersion != "1.31.8" || *res.Properties.NodeImageVersion != pinned {
		t.Fatalf("user pool: %s on %s, want 1.31.8 on %s", *res.Properties.CurrentOrchestratorVersion, *res.Properties.NodeImageVersion, pinned)
	}

	// Only nodeImageVersion changed: an image upgrade.
	res.Properties.NodeImageVersion = to.Ptr("AKSUbuntu-2204gen2containerd-202505.14.0")
	p, err = h.pools.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", "user", res.AgentPool, nil)
	if err != nil {
		t.Fatalf("error starting image upgrade: %v", err)
	}
	if _, err := p.PollUntilDone(ctx(t), fastPoll); err != nil {
		t.Fatal(err)
	}
	ops := h.cloud.Operations(OperationFilter{Cluster: "alpha"})
	var kinds []string
	for _, op := range ops {
		kinds = append(kinds, string(op.Kind)+":"+op.AgentPool+":"+op.Target)
	}
	want := "UpgradeAgentPool:system:1.31.8,UpgradeAgentPool:user:1.31.8,UpgradeNodeImage:user:AKSUbuntu-2204gen2containerd-202505.14.0"
	if strings.Join(kinds, ",") != want {
		t.Fatalf("operations = %v, want %s", kinds, want)
	}
	if n := len(h.cloud.Operations(OperationFilter{Cluster: "alpha", Kind: KindUpgradeControlPlane})); n != 0 {
		t.Fatalf("pool upgrades touched the control plane %d times", n)
	}
}

func TestCreateAgentPool(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.31.8", "1.31.8", tagsInstant())
	p, err := h.pools.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", "win", armcontainerservice.AgentPool{
		Properties: &armcontainerservice.ManagedClusterAgentPoolProfileProperties{OSType: to.Ptr(armcontainerservice.OSTypeWindows), Count: to.Ptr[int32](1)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Properties.OrchestratorVersion != "1.31.8" || *res.Properties.NodeImageVersion != "AKSWindows-2022-containerd-20348.3561.250513" || *res.Properties.Mode != "User" {
		t.Fatalf("new pool: %s %s %s", *res.Properties.OrchestratorVersion, *res.Properties.NodeImageVersion, *res.Properties.Mode)
	}
	pager := h.pools.NewListPager("rg1", "alpha", nil)
	page, err := pager.NextPage(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Value) != 3 {
		t.Fatalf("listed %d pools, want 3", len(page.Value))
	}
	ops := h.cloud.Operations(OperationFilter{Kind: KindCreateAgentPool})
	if len(ops) != 1 || ops[0].AgentPool != "win" {
		t.Fatalf("operations = %+v", ops)
	}
}

func TestUpgradeNodeImageVersion(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "southeastasia", "1.31.8", "1.31.8", tagsInstant())
	seedTwoPools(t, h.cloud, "beta", "eastus", "1.31.8", "1.31.8", map[string]string{TagUpgradeSeconds: "0.05"})

	// Zero duration: still an operation to follow, done at the first poll.
	p, err := h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Done() {
		t.Fatal("an instant image upgrade was done in its first response; it should be an operation to poll, as on Azure")
	}
	res, err := p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if got := *res.Properties.NodeImageVersion; got != "AKSUbuntu-2204gen2containerd-202503.18.0" {
		t.Fatalf("southeastasia image = %s, want its newest 202503.18.0", got)
	}

	prof, err := h.pools.GetUpgradeProfile(ctx(t), "rg1", "beta", "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	latest := *prof.Properties.LatestNodeImageVersion
	if latest != "AKSUbuntu-2204gen2containerd-202505.14.0" {
		t.Fatalf("eastus latest = %s", latest)
	}
	before := h.polls.Load()
	start := time.Now()
	p, err = h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "beta", "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Properties.NodeImageVersion != latest || *res.Properties.ProvisioningState != StateSucceeded {
		t.Fatalf("after image upgrade: %s %s", *res.Properties.NodeImageVersion, *res.Properties.ProvisioningState)
	}
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Fatalf("a 50ms operation finished in %s", elapsed)
	}
	if n := h.polls.Load() - before; n != 1 {
		t.Fatalf("poller polled %d times, want once: retry-after-ms should wake it when the operation ends", n)
	}
}

func TestConflictWhileOperationRuns(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "3600"})
	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
	if _, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil); err != nil {
		t.Fatal(err)
	}
	mc.Properties.KubernetesVersion = to.Ptr("1.31.4")
	_, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	re := wantResponseError(t, err, http.StatusConflict, CodeOperationNotAllowed)
	if !strings.Contains(re.Error(), "UpgradeControlPlane") {
		t.Fatalf("409 does not say what runs: %v", re)
	}
	_, err = h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "user", nil)
	wantResponseError(t, err, http.StatusConflict, CodeOperationNotAllowed)
	_, err = h.pools.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", "user", armcontainerservice.AgentPool{
		Properties: &armcontainerservice.ManagedClusterAgentPoolProfileProperties{OrchestratorVersion: to.Ptr("1.30.7")},
	}, nil)
	wantResponseError(t, err, http.StatusConflict, CodeOperationNotAllowed)
	_, err = h.clusters.BeginDelete(ctx(t), "rg1", "alpha", nil)
	wantResponseError(t, err, http.StatusConflict, CodeOperationNotAllowed)
	if n := len(h.cloud.Operations(OperationFilter{Cluster: "alpha"})); n != 1 {
		t.Fatalf("%d operations recorded, want only the first", n)
	}
}

func TestPollerWakesWhenClusterUpgradeEnds(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "0.1"})
	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.30.7")
	start := time.Now()
	p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A slow default frequency: only retry-after-ms can make this quick.
	res, err := p.PollUntilDone(ctx(t), &runtime.PollUntilDoneOptions{Frequency: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("a 100ms upgrade took %s to poll to its end", elapsed)
	}
	if n := h.polls.Load(); n != 1 {
		t.Fatalf("polled %d times, want once", n)
	}
	if *res.Properties.CurrentKubernetesVersion != "1.30.7" {
		t.Fatalf("result: %s", *res.Properties.CurrentKubernetesVersion)
	}
}

func TestDeleteAgentPool(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", tagsInstant())
	p, err := h.pools.BeginDelete(ctx(t), "rg1", "alpha", "user", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx(t), fastPoll); err != nil {
		t.Fatal(err)
	}
	_, err = h.pools.Get(ctx(t), "rg1", "alpha", "user", nil)
	wantResponseError(t, err, http.StatusNotFound, CodeResourceNotFound)
	_, err = h.pools.BeginDelete(ctx(t), "rg1", "alpha", "system", nil)
	wantResponseError(t, err, http.StatusBadRequest, CodeOperationNotAllowed)
}

func TestRejectedClusterPutChangesNothing(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", tagsInstant())
	mc := h.get("rg1", "alpha")
	for _, pool := range mc.Properties.AgentPoolProfiles {
		pool.Count = to.Ptr[int32](7)
		pool.Mode = to.Ptr(armcontainerservice.AgentPoolModeUser)
	}
	_, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	wantResponseError(t, err, http.StatusBadRequest, CodeInvalidParameter)
	for _, pool := range h.get("rg1", "alpha").Properties.AgentPoolProfiles {
		if *pool.Count == 7 {
			t.Fatalf("rejected PUT changed pool %s's count", *pool.Name)
		}
	}
}

func TestOperationsFinishWithoutTimers(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "120"})
	if _, err := h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "user", nil); err != nil {
		t.Fatal(err)
	}
	h.cloud.Close()
	h.cloud.Close()
	clock.Advance(2 * time.Minute)
	pool := h.getPool("rg1", "alpha", "user")
	if *pool.Properties.ProvisioningState != StateSucceeded || *pool.Properties.NodeImageVersion != "AKSUbuntu-2204gen2containerd-202505.14.0" {
		t.Fatalf("after its time, with timers stopped: %s %s", *pool.Properties.ProvisioningState, *pool.Properties.NodeImageVersion)
	}
}
