package runs

import (
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

const fam = "AKSUbuntu-2204gen2containerd"

func img(release string) string { return fam + "-" + release }

func clusterAt(name, region, cp string, pools ...cluster.NodePool) *cluster.Cluster {
	latest := map[string]string{"eastus": img("202505.14.0"), "westeurope": img("202504.16.0")}[region]
	for i := range pools {
		pools[i].LatestNodeImageVersion = latest
	}
	return &cluster.Cluster{ID: id(name), Name: name, Region: region, KubernetesVersion: cp, NodePools: pools,
		AvailableVersions: map[string][]string{
			"eastus":     {"1.29.9", "1.30.4", "1.30.7", "1.31.2", "1.32.6"},
			"westeurope": {"1.29.9", "1.30.4", "1.31.2"},
		}[region]}
}

func pool(name, v, image string) cluster.NodePool {
	return cluster.NodePool{Name: name, KubernetesVersion: v, NodeImageVersion: image}
}

func id(name string) string {
	return "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/" + name
}

func runOf(u fleet.ManagedClusterUpdate, members ...string) *fleet.UpdateRun {
	g := fleet.GroupStatus{Name: "default"}
	for _, m := range members {
		g.Members = append(g.Members, fleet.MemberStatus{Name: m, ClusterResourceID: id(m), Status: fleet.UpdateStatus{State: fleet.NotStarted}})
	}
	return &fleet.UpdateRun{Name: "r1", Properties: fleet.UpdateRunProperties{ManagedClusterUpdate: u, Status: &fleet.RunStatus{
		Status: fleet.UpdateStatus{State: fleet.NotStarted},
		Stages: []fleet.StageStatus{{Name: "default", Groups: []fleet.GroupStatus{g}}},
	}}}
}

func full(v string, sel fleet.NodeImageSelectionType) fleet.ManagedClusterUpdate {
	return fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: v}, NodeImageSelection: &fleet.NodeImageSelection{Type: sel}}
}

func observe(cs ...*cluster.Cluster) Observations {
	obs := Observations{}
	for _, c := range cs {
		obs[fleet.ClusterKey(c.ID)] = Observation{Cluster: c}
	}
	return obs
}

func TestPlanSaysWhatHappensToEachMember(t *testing.T) {
	old := img("202409.01.0")
	for _, tc := range []struct {
		name    string
		update  fleet.ManagedClusterUpdate
		cluster *cluster.Cluster
		action  Action
		to      string
		reason  string
		toImage string
	}{
		{"upgrade, newest patch of the minor in the region", full("1.30", fleet.NodeImageLatest), clusterAt("m", "eastus", "1.29.9", pool("p", "1.29.9", old)), Upgrade, "1.30.7", "", img("202505.14.0")},
		{"minor in another region resolves there", full("1.30", fleet.NodeImageLatest), clusterAt("m", "westeurope", "1.29.9", pool("p", "1.29.9", old)), Upgrade, "1.30.4", "", img("202504.16.0")},
		{"already at target", full("1.30.4", fleet.NodeImageLatest), clusterAt("m", "westeurope", "1.30.4", pool("p", "1.30.4", img("202504.16.0"))), Skip, "1.30.4", "already at the target", ""},
		{"not offered in the region", full("1.32.6", fleet.NodeImageLatest), clusterAt("m", "westeurope", "1.31.2", pool("p", "1.31.2", old)), Pending, "1.32.6", "not offered in region westeurope", ""},
		{"minor not offered at all", full("1.33", fleet.NodeImageLatest), clusterAt("m", "eastus", "1.32.6", pool("p", "1.32.6", old)), Pending, "", "no Kubernetes 1.33 version is offered in region eastus", ""},
		{"minor skipped", full("1.32.6", fleet.NodeImageLatest), clusterAt("m", "eastus", "1.30.4", pool("p", "1.30.4", old)), Blocked, "1.32.6", "would skip minor version 1.31; upgrade it to 1.31 first", ""},
		{"downgrade", full("1.30.4", fleet.NodeImageLatest), clusterAt("m", "eastus", "1.31.2", pool("p", "1.31.2", old)), Blocked, "1.30.4", "a downgrade is not allowed", ""},
		{"pool skips a minor", full("1.31.2", fleet.NodeImageLatest), clusterAt("m", "eastus", "1.30.4", pool("p", "1.29.9", old)), Blocked, "1.31.2", "node pool p at 1.29.9 cannot move to 1.31.2 in one step", ""},
		{"control plane only leaves a pool too far behind", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.32.6"}},
			clusterAt("m", "eastus", "1.31.2", pool("p", "1.28.9", old)), Blocked, "1.32.6", "more than 3 minor versions behind", ""},
		{"custom image newer than the pool", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}, NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageCustom, CustomNodeImageVersions: []fleet.NodeImageVersion{{Version: img("202504.16.0")}}}},
			clusterAt("m", "eastus", "1.30.4", pool("p", "1.30.4", old)), Upgrade, "", "", img("202504.16.0")},
		{"custom image not offered yet", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}, NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageCustom, CustomNodeImageVersions: []fleet.NodeImageVersion{{Version: img("202505.14.0")}}}},
			clusterAt("m", "westeurope", "1.30.4", pool("p", "1.30.4", old)), Pending, "", "node image " + img("202505.14.0") + " is not offered in region westeurope", ""},
		{"pool newer than the custom image keeps its own", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}, NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageCustom, CustomNodeImageVersions: []fleet.NodeImageVersion{{Version: img("202410.01.0")}}}},
			clusterAt("m", "eastus", "1.30.4", pool("p", "1.30.4", img("202505.14.0"))), Skip, "", "already at the target", img("202505.14.0")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Build(runOf(tc.update, "m"), observe(tc.cluster))
			if len(p.Members) != 1 {
				t.Fatalf("plan has %d members", len(p.Members))
			}
			m := p.Members[0]
			if m.Action != tc.action || m.To != tc.to || !strings.Contains(m.Reason, tc.reason) {
				t.Fatalf("got %s to %q (%s), want %s to %q (%s)", m.Action, m.To, m.Reason, tc.action, tc.to, tc.reason)
			}
			if tc.toImage != "" && (len(m.Pools) != 1 || m.Pools[0].ToImage != tc.toImage) {
				t.Fatalf("pools %+v, want image %s", m.Pools, tc.toImage)
			}
			if got := len(p.Blocked()); (got == 1) != (tc.action == Blocked) {
				t.Fatalf("Blocked() has %d members for a %s member", got, m.Action)
			}
		})
	}
}

func TestPlanForecastsTheConsistentChoiceAndKeepsNewerImages(t *testing.T) {
	east := clusterAt("a", "eastus", "1.30.4", pool("p", "1.30.4", img("202505.14.0")))
	west := clusterAt("b", "westeurope", "1.30.4", pool("p", "1.30.4", img("202409.01.0")))
	p := Build(runOf(full("1.31.2", fleet.NodeImageConsistent), "a", "b"), observe(east, west))
	if !p.NodeImagesChosenAtStart || len(p.NodeImageVersions) != 1 || p.NodeImageVersions[0] != img("202504.16.0") {
		t.Fatalf("forecast %v (chosen at start %v), want the newest image both regions offer", p.NodeImageVersions, p.NodeImagesChosenAtStart)
	}
	a, b := p.Members[0], p.Members[1]
	if a.Pools[0].ToImage != img("202505.14.0") || !strings.Contains(a.Pools[0].Note, "keeps its newer image") {
		t.Fatalf("eastus pool %+v, want it to keep its newer image", a.Pools[0])
	}
	if b.Pools[0].ToImage != img("202504.16.0") || b.Action != Upgrade {
		t.Fatalf("westeurope member %+v", b)
	}
}

func TestPlanOfMembersDoneMissingOrUnreadable(t *testing.T) {
	run := runOf(full("1.31.2", fleet.NodeImageLatest), "done", "gone", "dark")
	run.Properties.Status.Stages[0].Groups[0].Members[0].Status.State = fleet.Completed
	obs := Observations{
		fleet.ClusterKey(id("gone")): {Err: cluster.Errorf(cluster.NotFound, "ResourceNotFound", "not there")},
		fleet.ClusterKey(id("dark")): {Err: cluster.Errorf(cluster.Transient, "", "timeout")},
	}
	p := Build(run, obs)
	got := []Action{p.Members[0].Action, p.Members[1].Action, p.Members[2].Action}
	if got[0] != Done || got[1] != Blocked || got[2] != Unknown {
		t.Fatalf("actions %v, want Done, Blocked, Unknown", got)
	}
	if !strings.Contains(p.Members[1].Reason, "skip the member") {
		t.Fatalf("a missing cluster's reason says nothing to do: %s", p.Members[1].Reason)
	}
}

func TestCheckOfferedNamesWhatIsOffered(t *testing.T) {
	obs := observe(clusterAt("a", "eastus", "1.30.4"), clusterAt("b", "westeurope", "1.30.4"))
	for _, ok := range []string{"1.32.6", "1.31", "1.29.9"} {
		if err := CheckOffered(full(ok, fleet.NodeImageLatest), obs); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	err := CheckOffered(full("1.32.99", fleet.NodeImageLatest), obs)
	if fleet.KindOf(err) != fleet.KindInvalid || !strings.Contains(err.Error(), "offered there: 1.29.9, 1.30.4, 1.30.7, 1.31.2, 1.32.6") || !strings.Contains(err.Error(), "eastus, westeurope") {
		t.Fatalf("1.32.99: %v", err)
	}
	noCatalog := clusterAt("c", "eastus", "1.30.4")
	noCatalog.AvailableVersions = nil
	if err := CheckOffered(full("1.32.99", fleet.NodeImageLatest), observe(noCatalog)); err != nil {
		t.Fatalf("without a catalog, nothing is judged: %v", err)
	}
	if err := CheckOffered(full("1.32.99", fleet.NodeImageLatest), Observations{}); err != nil {
		t.Fatalf("with nothing read, nothing is judged: %v", err)
	}
}
