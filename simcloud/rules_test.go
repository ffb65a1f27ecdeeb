package simcloud

import (
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

func TestUpgradeRules(t *testing.T) {
	h := newHarness(t, Options{})
	instant := tagsInstant()
	seed := func(name, region, cp string, pools ...PoolSpec) {
		t.Helper()
		if _, err := h.cloud.CreateCluster(ClusterSpec{Subscription: testSub, Name: name, ResourceGroup: "rg1", Region: region, KubernetesVersion: cp, Tags: instant, Pools: pools}); err != nil {
			t.Fatal(err)
		}
	}
	seed("at131", "eastus", "1.31.4")
	seed("at129", "eastus", "1.29.15")
	seed("sea", "southeastasia", "1.32.6")
	seed("lagging", "eastus", "1.32.6", PoolSpec{Name: "system", Mode: "System", KubernetesVersion: "1.32.6"}, PoolSpec{Name: "old", KubernetesVersion: "1.29.15"})
	seed("mixed", "eastus", "1.31.8", PoolSpec{Name: "system", Mode: "System", KubernetesVersion: "1.29.15"}, PoolSpec{Name: "az", OSSKU: "AzureLinux"})

	upgradeCluster := func(name, v string) error {
		mc := h.get("rg1", name)
		mc.Properties.KubernetesVersion = to.Ptr(v)
		_, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", name, mc, nil)
		return err
	}
	upgradePool := func(name, pool, v, img string) error {
		props := &armcontainerservice.ManagedClusterAgentPoolProfileProperties{}
		if v != "" {
			props.OrchestratorVersion = to.Ptr(v)
		}
		if img != "" {
			props.NodeImageVersion = to.Ptr(img)
		}
		_, err := h.pools.BeginCreateOrUpdate(ctx(t), "rg1", name, pool, armcontainerservice.AgentPool{Properties: props}, nil)
		return err
	}
	for _, tc := range []struct {
		name     string
		err      error
		code     string
		mentions string
	}{
		{"control plane downgrade", upgradeCluster("at131", "1.31.2"), CodeInvalidParameter, "Downgrading"},
		{"control plane skips a minor", upgradeCluster("at129", "1.31.8"), CodeInvalidParameter, "one minor version at a time"},
		{"version not in region", upgradeCluster("sea", "1.33.2"), CodeVersionNotSupported, "southeastasia"},
		{"version that exists nowhere", upgradeCluster("at131", "1.31.5"), CodeVersionNotSupported, "1.31.5"},
		{"pool would trail by four minors", upgradeCluster("lagging", "1.33.1"), CodeInvalidParameter, "more than 3 minor versions"},
		{"pool above control plane", upgradePool("at131", "nodepool1", "1.32.0", ""), CodeInvalidParameter, "newer than its control plane"},
		{"pool downgrade", upgradePool("at131", "nodepool1", "1.31.2", ""), CodeInvalidParameter, "Downgrading"},
		{"pool skips a minor", upgradePool("mixed", "system", "1.31.8", ""), CodeInvalidParameter, "one minor version at a time"},
		{"image not yet in region", upgradePool("sea", "nodepool1", "", "AKSUbuntu-2204gen2containerd-202505.14.0"), CodeNodeImageNotSupported, "202503.18.0"},
		{"image not in catalog", upgradePool("at131", "nodepool1", "", "AKSUbuntu-2204gen2containerd-202412.01.0"), CodeNodeImageNotSupported, "not available"},
		{"image of another family", upgradePool("mixed", "az", "", "AKSUbuntu-2204gen2containerd-202505.14.0"), CodeInvalidParameter, "AKSAzureLinux-V3gen2"},
		{"image downgrade", upgradePool("at131", "nodepool1", "", "AKSUbuntu-2204gen2containerd-202501.12.0"), CodeInvalidParameter, "Downgrading the node image"},
		{"unparseable image", upgradePool("at131", "nodepool1", "", "ubuntu-latest"), CodeInvalidParameter, "nodeImageVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := wantResponseError(t, tc.err, http.StatusBadRequest, tc.code)
			if !strings.Contains(re.Error(), tc.mentions) {
				t.Fatalf("error does not mention %q: %v", tc.mentions, re)
			}
		})
	}
	if ops := h.cloud.Operations(OperationFilter{}); len(ops) != 0 {
		t.Fatalf("rejected requests recorded operations: %+v", ops)
	}
	if got := *h.get("rg1", "at131").Properties.ProvisioningState; got != StateSucceeded {
		t.Fatalf("a rejected request changed the state to %s", got)
	}

	// What the rules allow: a minor version alone means the region's
	// newest patch (1.33.1 in southeastasia), and a pool three minors
	// behind may catch up one minor at a time.
	if err := upgradeCluster("sea", "1.33"); err != nil {
		t.Fatalf("1.33 in southeastasia: %v", err)
	}
	if got := *h.get("rg1", "sea").Properties.CurrentKubernetesVersion; got != "1.33.1" {
		t.Fatalf("1.33 resolved to %s in southeastasia, want 1.33.1", got)
	}
	if err := upgradePool("lagging", "old", "1.30", ""); err != nil {
		t.Fatalf("catching up one minor: %v", err)
	}
}

func TestFailUpgradeTag(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "flaky", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "0.05", TagFailUpgrade: "true"})
	mc := h.get("rg1", "flaky")
	mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
	for _, p := range mc.Properties.AgentPoolProfiles {
		p.OrchestratorVersion = to.Ptr("1.31.2")
	}
	p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "flaky", mc, nil)
	if err != nil {
		t.Fatalf("a failing upgrade must still be accepted: %v", err)
	}
	_, err = p.PollUntilDone(ctx(t), fastPoll)
	re := wantResponseError(t, err, http.StatusOK, CodeSimulatedUpgradeFailure)
	if !strings.Contains(re.Error(), TagFailUpgrade) {
		t.Fatalf("failure does not name the tag: %v", re)
	}
	got := h.get("rg1", "flaky")
	if *got.Properties.ProvisioningState != StateFailed || *got.Properties.KubernetesVersion != "1.30.5" || *got.Properties.CurrentKubernetesVersion != "1.30.5" {
		t.Fatalf("after failure: %s %s %s", *got.Properties.ProvisioningState, *got.Properties.KubernetesVersion, *got.Properties.CurrentKubernetesVersion)
	}
	for _, pool := range got.Properties.AgentPoolProfiles {
		if *pool.OrchestratorVersion != "1.30.5" || *pool.CurrentOrchestratorVersion != "1.30.5" || *pool.ProvisioningState != StateFailed {
			t.Fatalf("pool %s after failure: %s %s %s", *pool.Name, *pool.OrchestratorVersion, *pool.CurrentOrchestratorVersion, *pool.ProvisioningState)
		}
	}
	ops := h.cloud.Operations(OperationFilter{Cluster: "flaky"})
	if len(ops) != 3 {
		t.Fatalf("operations = %+v", ops)
	}
	for _, op := range ops {
		if op.Result != ResultFailed || op.Error == nil || op.Error.Code != CodeSimulatedUpgradeFailure || op.End.IsZero() {
			t.Fatalf("operation %+v should have failed with the simulated failure", op)
		}
	}

	// Retrying from Failed is allowed; without the tag it succeeds.
	got.Tags = map[string]*string{TagUpgradeSeconds: to.Ptr("0")}
	got.Properties.KubernetesVersion = to.Ptr("1.31.2")
	p, err = h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "flaky", got, nil)
	if err != nil {
		t.Fatalf("retry from Failed refused: %v", err)
	}
	res, err := p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatalf("retry failed: %v", err)
	}
	if *res.Properties.CurrentKubernetesVersion != "1.31.2" || *res.Properties.ProvisioningState != StateSucceeded {
		t.Fatalf("after retry: %s %s", *res.Properties.CurrentKubernetesVersion, *res.Properties.ProvisioningState)
	}
}

func TestFailUpgradeTagSparesNonUpgrades(t *testing.T) {
	h := newHarness(t, Options{})
	mc := h.create("rg1", "flaky", clusterBody("eastus", "1.31", map[string]string{TagUpgradeSeconds: "0", TagFailUpgrade: "true"}))
	if *mc.Properties.ProvisioningState != StateSucceeded {
		t.Fatalf("create of a sim-fail-upgrade cluster ended %s", *mc.Properties.ProvisioningState)
	}
}
