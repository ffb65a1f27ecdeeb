package clustertest

import (
	"context"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
)

func describeCluster(t *testing.T, e Env, p picks) {
	spec := twoPools("describe", p.from, p.oldA, p.midB)
	id := e.Cloud.CreateCluster(t, spec)
	c := describe(t, e, id)
	r := e.Cloud.Region()

	if !sameID(c.ID, id) {
		t.Errorf("ID = %q, want %q", c.ID, id)
	}
	if c.Name != spec.Name {
		t.Errorf("Name = %q, want %q", c.Name, spec.Name)
	}
	if !strings.EqualFold(strings.ReplaceAll(c.Region, " ", ""), strings.ReplaceAll(r.Name, " ", "")) {
		t.Errorf("Region = %q, want %q", c.Region, r.Name)
	}
	if c.KubernetesVersion != p.from {
		t.Errorf("KubernetesVersion = %q, want %q", c.KubernetesVersion, p.from)
	}
	if c.Busy {
		t.Errorf("Busy = true for an idle cluster (provisioning state %q)", c.ProvisioningState)
	}
	if !sameSet(c.AvailableVersions, r.Versions) {
		t.Errorf("AvailableVersions = %v, want the region's %v", c.AvailableVersions, r.Versions)
	}
	if len(c.NodePools) != len(spec.Pools) {
		t.Fatalf("got %d node pools, want %d: %+v", len(c.NodePools), len(spec.Pools), c.NodePools)
	}
	for _, ps := range spec.Pools {
		got := pool(t, c, ps.Name)
		fam := got.ImageFamily()
		if got.KubernetesVersion != p.from || got.NodeImageVersion != ps.NodeImageVersion {
			t.Errorf("pool %s: version %s image %s, want %s and %s", ps.Name, got.KubernetesVersion, got.NodeImageVersion, p.from, ps.NodeImageVersion)
		}
		if got.LatestNodeImageVersion != p.latestByFamily[fam] {
			t.Errorf("pool %s: LatestNodeImageVersion = %q, want the region's newest %s image %q", ps.Name, got.LatestNodeImageVersion, fam, p.latestByFamily[fam])
		}
		if got.Mode != ps.Mode || got.Count != ps.Count {
			t.Errorf("pool %s: mode %q count %d, want %q and %d", ps.Name, got.Mode, got.Count, ps.Mode, ps.Count)
		}
		if got.OSType != "Linux" && got.OSType != "Windows" {
			t.Errorf("pool %s: OSType = %q, want Linux or Windows", ps.Name, got.OSType)
		}
	}
	if len(c.MaintenanceWindows) != 0 {
		t.Errorf("MaintenanceWindows = %+v for a cluster that has none", c.MaintenanceWindows)
	}
	if !c.OffersVersion(p.next) || c.OffersVersion("1.0.0") {
		t.Errorf("OffersVersion disagrees with AvailableVersions %v", c.AvailableVersions)
	}
	if !c.OffersImage(p.latestA) || !c.OffersImage(p.midB) {
		t.Errorf("OffersImage(%s or %s) = false, want true", p.latestA, p.midB)
	}
}

func describeMissing(t *testing.T, e Env, _ picks) {
	_, err := e.Provider.Describe(context.Background(), e.Cloud.MissingClusterID())
	wantReason(t, err, cluster.NotFound)
}

func malformedID(t *testing.T, e Env, p picks) {
	for _, id := range []string{"", "not-an-id", "/subscriptions/", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"} {
		if _, err := e.Provider.Describe(context.Background(), id); err == nil {
			t.Errorf("Describe(%q) succeeded, want an error", id)
		} else {
			wantReason(t, err, cluster.Rejected, cluster.NotFound)
		}
		_, err := begin(t, e, cluster.Operation{ID: opID("malformed"), ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: p.next})
		if err == nil {
			t.Errorf("Upgrade of cluster %q began, want an error", id)
			continue
		}
		wantReason(t, err, cluster.Rejected, cluster.NotFound)
	}
}
