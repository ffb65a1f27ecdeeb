package simcloud

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
)

// TestClusterReadsShowAnOperationUnderWayUntilItEnds: a client may follow
// an operation by reading the managed cluster, as ARM allows. From the
// answer to the write until the operation's last part ends, every GET of
// the cluster shows it under way (the cluster Upgrading, and each pool the
// operation works on too), even between parts that have ended; the first
// GET after the end shows it Succeeded, at target, with a new eTag, and
// the operation status agrees. Nothing before the end shows a terminal
// state, so a terminal read is the end.
func TestClusterReadsShowAnOperationUnderWayUntilItEnds(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "10"})
	mc := h.get("rg1", "alpha")
	before := *mc.ETag
	mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
	for _, pool := range mc.Properties.AgentPoolProfiles {
		pool.OrchestratorVersion = to.Ptr("1.31.2")
	}
	var first *http.Response
	if _, err := h.clusters.BeginCreateOrUpdate(runtime.WithCaptureResponse(ctx(t), &first), "rg1", "alpha", mc, nil); err != nil {
		t.Fatal(err)
	}
	status := strings.TrimPrefix(first.Header.Get("Azure-AsyncOperation"), h.srv.URL)
	// Parts: the control plane, then each pool, 10 s in all. At 4 s the
	// control plane's part has ended, at 9 s the first pool's too.
	elapsed := time.Duration(0)
	for _, at := range []time.Duration{0, 4 * time.Second, 9 * time.Second} {
		clock.Advance(at - elapsed)
		elapsed = at
		got := h.get("rg1", "alpha")
		if s := *got.Properties.ProvisioningState; s != StateUpgrading {
			t.Fatalf("at %v the cluster shows %s, want %s until the operation ends", at, s, StateUpgrading)
		}
		if cur := *got.Properties.CurrentKubernetesVersion; at > 0 && cur != "1.31.2" {
			t.Fatalf("at %v the control plane is at %s; its part should have ended", at, cur)
		}
		busy := 0
		for _, p := range got.Properties.AgentPoolProfiles {
			if *p.ProvisioningState != StateSucceeded {
				busy++
			}
		}
		if busy == 0 {
			t.Fatalf("at %v no pool shows the operation under way", at)
		}
	}
	clock.Advance(time.Second)
	got := h.get("rg1", "alpha")
	if s := *got.Properties.ProvisioningState; s != StateSucceeded || *got.Properties.CurrentKubernetesVersion != "1.31.2" {
		t.Fatalf("after the end the cluster shows %s at %s, want Succeeded at 1.31.2", s, *got.Properties.CurrentKubernetesVersion)
	}
	for _, p := range got.Properties.AgentPoolProfiles {
		if *p.ProvisioningState != StateSucceeded || *p.CurrentOrchestratorVersion != "1.31.2" {
			t.Errorf("after the end pool %s shows %s at %s", *p.Name, *p.ProvisioningState, *p.CurrentOrchestratorVersion)
		}
	}
	if *got.ETag == before {
		t.Errorf("the eTag is %s as before the upgrade", before)
	}
	if _, body := h.raw(http.MethodGet, status, ""); !strings.Contains(string(body), `"status":"Succeeded"`) {
		t.Errorf("the operation status says %s after the cluster showed the end", body)
	}
}

// TestNodeImageUpgradeShowsOnTheClusterRead: a node image upgrade of a
// pool shows on a GET of the managed cluster too, the pool
// UpgradingNodeImageVersion, until it ends.
func TestNodeImageUpgradeShowsOnTheClusterRead(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "10"})
	if _, err := h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "user", nil); err != nil {
		t.Fatal(err)
	}
	mid := h.get("rg1", "alpha")
	for _, p := range mid.Properties.AgentPoolProfiles {
		if want := map[string]string{"user": StateUpgradingNodeImageVersion, "system": StateSucceeded}[*p.Name]; *p.ProvisioningState != want {
			t.Errorf("during the node image upgrade pool %s shows %s, want %s", *p.Name, *p.ProvisioningState, want)
		}
	}
	clock.Advance(time.Minute)
	end := h.get("rg1", "alpha")
	if s := *end.Properties.ProvisioningState; s != StateSucceeded {
		t.Errorf("after the node image upgrade the cluster shows %s", s)
	}
	for _, p := range end.Properties.AgentPoolProfiles {
		if *p.ProvisioningState != StateSucceeded {
			t.Errorf("after the node image upgrade pool %s shows %s", *p.Name, *p.ProvisioningState)
		}
	}
}
