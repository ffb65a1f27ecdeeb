package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/store/postgres/pgtest"
)

// TestTwoServersShareClustersOneRunAtATime runs the real binaries: a
// throwaway PostgreSQL, `caravan simulate` and two `caravan serve --db`
// replicas. Two update runs of one fleet, started through different
// replicas (so each is driven by its own), want every cluster of the
// fleet at the same moment: one moves the control planes, the other the
// node images. The simulated cloud's record of what it did must show both
// upgrades on every cluster and no two operations on one cluster
// overlapping in time. The simulated cloud, as AKS, also refuses an
// operation on a cluster busy with another; so the runs must be seen
// waiting for each other, and never finding a cluster busy or having an
// upgrade refused.
func TestTwoServersShareClustersOneRunAtATime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for several seconds")
	}
	dsn := pgtest.Start(t)
	ctx := context.Background()
	simAddr := freeAddr(t)
	start(t, simAddr, []string{"CARAVAN_TOKEN=sim-secret"}, "simulate", "--addr", simAddr)
	var addrs []string
	for range 2 {
		addr := freeAddr(t)
		start(t, addr, []string{"CARAVAN_TOKEN=secret", "CARAVAN_ARM_TOKEN=sim-secret"},
			"serve", "--addr", addr, "--data", t.TempDir(), "--db", dsn, "--arm-endpoint", "http://"+simAddr, "--recheck-interval", "1s")
		addrs = append(addrs, addr)
	}
	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range 4 {
		name := fmt.Sprintf("shared%d", i)
		names = append(names, name)
		p, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location: to.Ptr("eastus"),
			Tags:     map[string]*string{"sim-upgrade-seconds": to.Ptr("1")},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{
				{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)},
			}},
		}, nil)
		wait(t, p, err)
	}
	// A node image newer than the clusters', for the node image run.
	if code, out := bearerDo(t, "sim-secret", "POST", "http://"+simAddr+"/simulator/publish", `{"nodeImages":["AKSUbuntu-2204gen2containerd-202712.01.0"]}`); code != http.StatusOK {
		t.Fatalf("publish a node image: %d %s", code, out)
	}

	clients := make([]*fleetsdk.ClientFactory, len(addrs))
	for i, addr := range addrs {
		if clients[i], err = fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(addr)); err != nil {
			t.Fatal(err)
		}
	}
	fc := clients[0]
	p, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", "shared", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	wait(t, p, err)
	// One group per member in one stage: each run wants every cluster
	// at once.
	var groups []*fleetsdk.UpdateGroup
	for _, m := range names {
		id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + m
		p, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", "shared", m, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{
			ClusterResourceID: to.Ptr(id), Group: to.Ptr("g-" + m),
		}}, nil)
		wait(t, p, err)
		groups = append(groups, &fleetsdk.UpdateGroup{Name: to.Ptr("g-" + m)})
	}
	runs := map[string]*fleetsdk.ManagedClusterUpgradeSpec{
		"controlplanes": {Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")},
		"nodeimages":    {Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeNodeImageOnly)},
	}
	for name, upgrade := range runs {
		p, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", "shared", name, fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
			Strategy:             &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{{Name: to.Ptr("all"), Groups: groups}}},
			ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: upgrade},
		}}, nil)
		wait(t, p, err)
	}
	// Started together, each through its own replica.
	for i, name := range []string{"controlplanes", "nodeimages"} {
		p, err := clients[i].NewUpdateRunsClient().BeginStart(ctx, "rg", "shared", name, nil)
		wait(t, p, err)
	}
	for i, addr := range addrs {
		if n := driving(t, addr); n != 1 {
			t.Fatalf("replica %d drives %d runs, want the one started through it", i, n)
		}
	}

	// Until both complete, note the members seen waiting for the other
	// run: the runs did contend for the clusters.
	waited := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		done := 0
		for _, name := range []string{"controlplanes", "nodeimages"} {
			run, err := fc.NewUpdateRunsClient().Get(ctx, "rg", "shared", name, nil)
			if err != nil {
				t.Fatal(err)
			}
			st := run.Properties.Status
			switch *st.Status.State {
			case fleetsdk.UpdateStateCompleted:
				done++
			case fleetsdk.UpdateStateFailed, fleetsdk.UpdateStateStopped:
				b, _ := json.MarshalIndent(st, "", " ")
				t.Fatalf("run %s is %s\n%s", name, *st.Status.State, b)
			}
			for _, stage := range st.Stages {
				for _, g := range stage.Groups {
					for _, m := range g.Members {
						if m.Message == nil {
							continue
						}
						if strings.Contains(*m.Message, "waiting for update run") {
							waited[name+"/"+*m.Name] = true
						}
						// The cloud found busy with the other run's upgrade:
						// the run was not held back from the cluster.
						if strings.Contains(*m.Message, "busy") || strings.Contains(*m.Message, "did not begin") {
							t.Errorf("run %s, member %s: %s", name, *m.Name, *m.Message)
						}
					}
				}
			}
		}
		if done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the two runs did not complete within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(waited) == 0 {
		t.Fatal("no member was seen waiting for the other run: the runs did not contend for a cluster")
	}
	t.Logf("members seen waiting for the other run: %d", len(waited))

	// The simulated cloud's record: per cluster, both upgrades, one
	// operation at a time (the parts of one request share its id and
	// run one after another).
	byCluster := map[string][]simOpRecord{}
	for _, op := range simOperationRecords(t, simAddr) {
		if strings.HasPrefix(op.Kind, "Upgrade") {
			c := strings.ToLower(op.Cluster[strings.LastIndex(op.Cluster, "/")+1:])
			byCluster[c] = append(byCluster[c], op)
		}
	}
	for _, name := range names {
		ops := byCluster[name]
		kinds := map[string]int{}
		for _, op := range ops {
			kinds[op.Kind]++
			if op.End.IsZero() || op.Result != "Succeeded" {
				t.Errorf("cluster %s: %s %s ended %s at %v", name, op.Kind, op.OperationID, op.Result, op.End)
			}
		}
		if kinds["UpgradeControlPlane"] != 1 || kinds["UpgradeNodeImage"] != 1 {
			t.Errorf("cluster %s had upgrades %v, want one of the control plane and one of the node image", name, kinds)
		}
		slices.SortFunc(ops, func(a, b simOpRecord) int { return a.Start.Compare(b.Start) })
		for i := 1; i < len(ops); i++ {
			for _, prev := range ops[:i] {
				if prev.OperationID != ops[i].OperationID && ops[i].Start.Before(prev.End) {
					t.Errorf("cluster %s: %s (%s, %s–%s) overlaps %s (%s, %s–%s)", name,
						ops[i].Kind, ops[i].OperationID, ops[i].Start.Format(time.StampMilli), ops[i].End.Format(time.StampMilli),
						prev.Kind, prev.OperationID, prev.Start.Format(time.StampMilli), prev.End.Format(time.StampMilli))
				}
			}
		}
	}
}
