package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"
)

const sub = "00000000-0000-0000-0000-0000000000c1"

type bearer string

func (b bearer) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(b), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func armOptions(addr string) *arm.ClientOptions {
	url := "http://" + addr
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud:                           azcloud.Configuration{Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{azcloud.ResourceManager: {Endpoint: url, Audience: url}}},
		InsecureAllowCredentialWithHTTP: true,
		// The server is killed on purpose: retry what a dead server
		// refused.
		Retry: policy.RetryOptions{MaxRetries: 10, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: time.Second},
	}}
}

var fast = &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

func wait[T any](t *testing.T, p *runtime.Poller[T], err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.PollUntilDone(context.Background(), fast)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestKillNineDuringRunsLosesNothing runs the real binaries: `caravan
// simulate` in one process and `caravan serve --arm-endpoint` in another.
// While two runs upgrade twelve clusters, the server is killed with
// SIGKILL at random moments and restarted on the same data each time.
// Nothing may be lost, every run must resume and complete, and the
// simulated cloud's record must show no control plane or node pool
// upgraded twice.
func TestKillNineDuringRunsLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for tens of seconds")
	}
	t.Parallel()
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	t.Logf("random seed %d", seed)
	ctx := context.Background()
	data := t.TempDir()
	simAddr, srvAddr, serve := simulatedPair(t, data, "--recheck-interval", "1s")
	srv := serve()

	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("c%02d", i)
		names = append(names, name)
		pools := []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}
		if i%3 == 0 {
			pools = append(pools, &aks.ManagedClusterAgentPoolProfile{Name: to.Ptr("user"), Count: to.Ptr[int32](2), Mode: to.Ptr(aks.AgentPoolModeUser), OSSKU: to.Ptr(aks.OSSKUAzureLinux)})
		}
		seconds := fmt.Sprintf("%.2f", 0.15+rng.Float64()*0.35)
		p1, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location:   to.Ptr([]string{"eastus", "westeurope", "southeastasia"}[i%3]),
			Tags:       map[string]*string{"sim-upgrade-seconds": to.Ptr(seconds)},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: pools},
		}, nil)
		wait(t, p1, err)
	}
	fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(srvAddr))
	if err != nil {
		t.Fatal(err)
	}
	type plan struct {
		fleet, run string
		members    []string
		update     fleetsdk.ManagedClusterUpdate
	}
	plans := []plan{
		{"alpha", "full", names[:8], fleetsdk.ManagedClusterUpdate{
			Upgrade:            &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull), KubernetesVersion: to.Ptr("1.31")},
			NodeImageSelection: &fleetsdk.NodeImageSelection{Type: to.Ptr(fleetsdk.NodeImageSelectionTypeConsistent)},
		}},
		{"beta", "images", names[8:], fleetsdk.ManagedClusterUpdate{
			Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")},
		}},
	}
	for _, p := range plans {
		p2, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", p.fleet, fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
		wait(t, p2, err)
		for i, m := range p.members {
			id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + m
			p3, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", p.fleet, m, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{
				ClusterResourceID: to.Ptr(id), Group: to.Ptr([]string{"one", "two", "two"}[i%3]),
			}}, nil)
			wait(t, p3, err)
		}
		p4, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", p.fleet, p.run, fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
			Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{
				{Name: to.Ptr("first"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("one")}}, AfterStageWaitInSeconds: to.Ptr[int32](1)},
				{Name: to.Ptr("second"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("two")}}},
			}},
			ManagedClusterUpdate: &p.update,
		}}, nil)
		wait(t, p4, err)
		p5, err := fc.NewUpdateRunsClient().BeginStart(ctx, "rg", p.fleet, p.run, nil)
		wait(t, p5, err)
	}

	// Kill the server at random moments while the runs go on.
	kills := 0
	for done := false; !done && kills < 12; {
		time.Sleep(time.Duration(50+rng.IntN(700)) * time.Millisecond)
		srv.kill()
		kills++
		srv = serve()
		done = true
		for _, p := range plans {
			state := runState(t, fc, p.fleet, p.run)
			done = done && state == fleetsdk.UpdateStateCompleted
		}
	}
	t.Logf("killed the server %d times", kills)
	deadline := time.Now().Add(90 * time.Second)
	for _, p := range plans {
		for {
			state := runState(t, fc, p.fleet, p.run)
			if state == fleetsdk.UpdateStateCompleted {
				break
			}
			if state == fleetsdk.UpdateStateFailed || time.Now().After(deadline) {
				run, _ := fc.NewUpdateRunsClient().Get(ctx, "rg", p.fleet, p.run, nil)
				b, _ := json.MarshalIndent(run.Properties.Status, "", " ")
				t.Fatalf("run %s is %s\n%s\nserver output:\n%s", p.run, state, b, srv.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Nothing lost.
	for _, p := range plans {
		pager := fc.NewFleetMembersClient().NewListByFleetPager("rg", p.fleet, nil)
		n := 0
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.Value)
		}
		if n != len(p.members) {
			t.Errorf("fleet %s has %d members, want %d", p.fleet, n, len(p.members))
		}
		run, err := fc.NewUpdateRunsClient().Get(ctx, "rg", p.fleet, p.run, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range run.Properties.Status.Stages {
			for _, g := range st.Groups {
				for _, m := range g.Members {
					if s := *m.Status.State; s != fleetsdk.UpdateStateCompleted && s != fleetsdk.UpdateStateSkipped {
						t.Errorf("run %s member %s is %s", p.run, *m.Name, s)
					}
				}
			}
		}
	}
	// Nothing done twice, and every cluster at its target.
	ops := simOperationRecords(t, simAddr)
	count := map[string]int{}
	for _, op := range ops {
		if strings.HasPrefix(op.Kind, "Upgrade") {
			count[op.Kind+" "+op.Cluster[strings.LastIndex(op.Cluster, "/")+1:]+" "+op.AgentPool]++
		}
	}
	for key, n := range count {
		if n > 1 {
			t.Errorf("%s happened %d times", key, n)
		}
	}
	for _, name := range names {
		got, err := mc.Get(ctx, "rg-clusters", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v := *got.Properties.CurrentKubernetesVersion; v != "1.31.8" {
			t.Errorf("cluster %s is at %s, want 1.31.8", name, v)
		}
	}
}

func runState(t *testing.T, fc *fleetsdk.ClientFactory, fleet, run string) fleetsdk.UpdateState {
	t.Helper()
	got, err := fc.NewUpdateRunsClient().Get(context.Background(), "rg", fleet, run, nil)
	if err != nil {
		t.Fatal(err)
	}
	return *got.Properties.Status.Status.State
}
