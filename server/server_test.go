package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
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

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/version"
)

const (
	sub = "00000000-0000-0000-0000-0000000000aa"
	rg  = "rg-e2e"
)

type bearer string

func (b bearer) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(b), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func armOptions(url string) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: azcloud.Configuration{Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
			azcloud.ResourceManager: {Endpoint: url, Audience: url},
		}},
		InsecureAllowCredentialWithHTTP: true,
	}}
}

func startServer(t *testing.T, dir string) *server.Server {
	t.Helper()
	s, err := server.Start(context.Background(), server.Config{
		Addr:            "127.0.0.1:0",
		DataDir:         dir,
		Token:           "secret",
		Simulate:        true,
		RecheckInterval: time.Second,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var poll = &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

// TestEndToEndThroughAzureSDKs drives caravan as automated checks do: the
// simulated managed clusters through armcontainerservice, the fleet
// through armcontainerservicefleet, both against caravan's endpoint with a
// bearer token; the engine upgrades the clusters through the AKS provider
// and the simulated cloud records what it did.
func TestEndToEndThroughAzureSDKs(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	defer s.Shutdown()
	ctx := context.Background()
	opts := armOptions(s.URL)
	mc, err := aks.NewManagedClustersClient(sub, bearer("secret"), opts)
	if err != nil {
		t.Fatal(err)
	}
	clusters := map[string]string{"c-east-1": "eastus", "c-east-2": "eastus", "c-eu": "westeurope", "c-sea": "southeastasia"}
	for name, region := range clusters {
		pools := []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](2), VMSize: to.Ptr("Standard_D4s_v5"), OSType: to.Ptr(aks.OSTypeLinux), Mode: to.Ptr(aks.AgentPoolModeSystem)}}
		if name == "c-eu" {
			pools = append(pools, &aks.ManagedClusterAgentPoolProfile{Name: to.Ptr("azl"), Count: to.Ptr[int32](1), VMSize: to.Ptr("Standard_D4s_v5"), OSType: to.Ptr(aks.OSTypeLinux), OSSKU: to.Ptr(aks.OSSKUAzureLinux), Mode: to.Ptr(aks.AgentPoolModeUser)})
		}
		p, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location: to.Ptr(region),
			Tags:     map[string]*string{"sim-upgrade-seconds": to.Ptr("0.05")},
			Properties: &aks.ManagedClusterProperties{
				KubernetesVersion: to.Ptr("1.30.9"),
				DNSPrefix:         to.Ptr(name),
				AgentPoolProfiles: pools,
			},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.PollUntilDone(ctx, poll); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]string{}
	for name := range clusters {
		got, err := mc.Get(ctx, "rg-clusters", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got.Properties.AgentPoolProfiles {
			before[name+"/"+*p.Name] = *p.NodeImageVersion
		}
	}
	fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), opts)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, rg, "fleet", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	for name := range clusters {
		group := "prod"
		if name == "c-east-1" {
			group = "canary"
		}
		id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
		mp, err := fc.NewFleetMembersClient().BeginCreate(ctx, rg, "fleet", name, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(id), Group: to.Ptr(group)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mp.PollUntilDone(ctx, poll); err != nil {
			t.Fatal(err)
		}
	}
	runs := fc.NewUpdateRunsClient()
	rp, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet", "to-1-31", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{
			{Name: to.Ptr("canary"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("canary")}}, AfterStageWaitInSeconds: to.Ptr[int32](1)},
			{Name: to.Ptr("prod"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("prod")}}},
		}},
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{
			Upgrade:            &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull), KubernetesVersion: to.Ptr("1.31")},
			NodeImageSelection: &fleetsdk.NodeImageSelection{Type: to.Ptr(fleetsdk.NodeImageSelectionTypeConsistent)},
		},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	sp, err := runs.BeginStart(ctx, rg, "fleet", "to-1-31", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	run := waitRun(t, runs, "to-1-31")
	if *run.Properties.Status.Status.State != fleetsdk.UpdateStateCompleted {
		b, _ := json.MarshalIndent(run.Properties.Status, "", " ")
		t.Fatalf("run ended %s:\n%s", *run.Properties.Status.Status.State, b)
	}
	// Consistent: southeastasia lags, so its newest Ubuntu image is the
	// newest common one; Azure Linux is used only in westeurope.
	selected := map[string]bool{}
	for _, v := range run.Properties.Status.NodeImageSelection.SelectedNodeImageVersions {
		selected[*v.Version] = true
	}
	ubuntu := "AKSUbuntu-2204gen2containerd-202503.18.0"
	if !selected[ubuntu] || !selected["AKSAzureLinux-V3gen2-202504.16.0"] || len(selected) != 2 {
		t.Fatalf("selected %v", selected)
	}
	// Every pool ends at the chosen image, or keeps a newer one it had:
	// node images never go backwards.
	for name := range clusters {
		got, err := mc.Get(ctx, "rg-clusters", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if *got.Properties.KubernetesVersion != "1.31.8" {
			t.Errorf("%s control plane at %s, want 1.31.8", name, *got.Properties.KubernetesVersion)
		}
		for _, p := range got.Properties.AgentPoolProfiles {
			want := before[name+"/"+*p.Name]
			for img := range selected {
				if version.ImageFamily(img) == version.ImageFamily(want) && version.CompareNodeImages(img, want) > 0 {
					want = img
				}
			}
			if *p.CurrentOrchestratorVersion != "1.31.8" || *p.NodeImageVersion != want {
				t.Errorf("%s pool %s at %s with %s, want 1.31.8 with %s", name, *p.Name, *p.CurrentOrchestratorVersion, *p.NodeImageVersion, want)
			}
		}
	}
	if img := poolImage(t, mc, "c-sea"); img != ubuntu {
		t.Errorf("c-sea, in the lagging region, has %s, want the chosen %s", img, ubuntu)
	}
	// The simulated cloud's record: each control plane and pool upgraded
	// exactly once, and every operation succeeded.
	ops := simulatorOperations(t, s.URL, "")
	count := map[string]int{}
	for _, op := range ops {
		if op.Kind == "CreateCluster" || op.Kind == "CreateAgentPool" {
			continue
		}
		if op.Result != "Succeeded" {
			t.Errorf("operation %+v did not succeed", op)
		}
		count[op.Kind+" "+op.Cluster[strings.LastIndex(op.Cluster, "/")+1:]+"/"+op.AgentPool]++
	}
	for key, n := range count {
		if n != 1 {
			t.Errorf("%s happened %d times", key, n)
		}
	}
	if len(count) != 4+5 {
		t.Errorf("upgrades recorded: %v; want 4 control planes and 5 pools", count)
	}
	// Without a token: 401 in ARM's shape.
	resp, err := http.Get(s.URL + "/subscriptions/" + sub + "/providers/Microsoft.ContainerService/fleets?api-version=2024-04-01")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(body), "AuthenticationFailed") {
		t.Fatalf("no token: %d %s", resp.StatusCode, body)
	}
	// Restart on the same data: everything is still there.
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, dir)
	defer s2.Shutdown()
	fc2, _ := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(s2.URL))
	again, err := fc2.NewUpdateRunsClient().Get(ctx, rg, "fleet", "to-1-31", nil)
	if err != nil || *again.Properties.Status.Status.State != fleetsdk.UpdateStateCompleted {
		t.Fatalf("after restart: %v", err)
	}
}

// TestFailingClusterFailsTheRunWithTheCloudsReason checks the failure
// path end to end: a cluster tagged to fail makes its member, group,
// stage and run Failed with the simulated cloud's error.
func TestFailingClusterFailsTheRunWithTheCloudsReason(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.Shutdown()
	ctx := context.Background()
	opts := armOptions(s.URL)
	mc, _ := aks.NewManagedClustersClient(sub, bearer("secret"), opts)
	p, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", "doomed", aks.ManagedCluster{
		Location: to.Ptr("eastus"),
		Tags:     map[string]*string{"sim-upgrade-seconds": to.Ptr("0.05"), "sim-fail-upgrade": to.Ptr("true")},
		Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{
			{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	fc, _ := fleetsdk.NewClientFactory(sub, bearer("secret"), opts)
	fp, _ := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, rg, "fleet", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	fp.PollUntilDone(ctx, poll)
	mp, err := fc.NewFleetMembersClient().BeginCreate(ctx, rg, "fleet", "doomed", fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr("/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/doomed")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mp.PollUntilDone(ctx, poll)
	runs := fc.NewUpdateRunsClient()
	rp, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet", "r", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{
		Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.2")},
	}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rp.PollUntilDone(ctx, poll)
	st, err := runs.BeginStart(ctx, rg, "fleet", "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	st.PollUntilDone(ctx, poll)
	run := waitRun(t, runs, "r")
	status := run.Properties.Status
	m := status.Stages[0].Groups[0].Members[0]
	if *status.Status.State != fleetsdk.UpdateStateFailed || *status.Stages[0].Status.State != fleetsdk.UpdateStateFailed || *m.Status.State != fleetsdk.UpdateStateFailed {
		t.Fatalf("run %s, stage %s, member %s", *status.Status.State, *status.Stages[0].Status.State, *m.Status.State)
	}
	if m.Status.Error == nil || !strings.Contains(*m.Status.Error.Message, "sim-fail-upgrade") {
		t.Fatalf("member error %+v", m.Status.Error)
	}
}

func waitRun(t *testing.T, runs *fleetsdk.UpdateRunsClient, name string) fleetsdk.UpdateRun {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := runs.Get(context.Background(), rg, "fleet", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch *got.Properties.Status.Status.State {
		case fleetsdk.UpdateStateCompleted, fleetsdk.UpdateStateFailed, fleetsdk.UpdateStateStopped:
			return got.UpdateRun
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(got.Properties.Status, "", " ")
			t.Fatalf("run %s still %s:\n%s", name, *got.Properties.Status.Status.State, b)
		}
		<-tick.C
	}
}

func poolImage(t *testing.T, mc *aks.ManagedClustersClient, name string) string {
	got, err := mc.Get(context.Background(), "rg-clusters", name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return *got.Properties.AgentPoolProfiles[0].NodeImageVersion
}

type simOp struct {
	Cluster   string `json:"cluster"`
	AgentPool string `json:"agentPool"`
	Kind      string `json:"kind"`
	Target    string `json:"target"`
	Result    string `json:"result"`
}

func simulatorOperations(t *testing.T, url, cluster string) []simOp {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/simulator/operations?cluster="+cluster, nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ops []simOp
	if err := json.NewDecoder(resp.Body).Decode(&ops); err != nil {
		t.Fatal(err)
	}
	return ops
}

func TestStartRefusesBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	for name, cfg := range map[string]server.Config{
		"not postgres": {DataDir: dir, DB: "mysql://x", Token: "t", Addr: "127.0.0.1:0"},
		"half TLS":     {DataDir: dir, TLSCert: "cert.pem", Token: "t", Addr: "127.0.0.1:0"},
		"bad seed":     {DataDir: dir, Simulate: true, SimSeed: filepath.Join(dir, "missing.yaml"), Token: "t", Addr: "127.0.0.1:0"},
	} {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if s, err := server.Start(context.Background(), cfg); err == nil {
			s.Shutdown()
			t.Errorf("%s: started", name)
		}
	}
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o600)
	_ = fmt.Sprint()
}

// TestMembersShowWhereUpgradesLeftTheirClusters checks that member
// responses follow the engine: after a run, the listed members carry the
// version their clusters were upgraded to.
func TestMembersShowWhereUpgradesLeftTheirClusters(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.Shutdown()
	ctx := context.Background()
	id, err := s.Cloud.CreateCluster(simcloud.ClusterSpec{Subscription: sub, Name: "one", ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.30.9", Tags: map[string]string{"sim-upgrade-seconds": "0.05"}})
	if err != nil {
		t.Fatal(err)
	}
	fc, _ := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(s.URL))
	fp, _ := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, rg, "fleet", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	fp.PollUntilDone(ctx, poll)
	mp, err := fc.NewFleetMembersClient().BeginCreate(ctx, rg, "fleet", "one", fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(id)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mp.PollUntilDone(ctx, poll)
	runs := fc.NewUpdateRunsClient()
	rp, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet", "r", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{
		Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")},
	}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rp.PollUntilDone(ctx, poll)
	st, _ := runs.BeginStart(ctx, rg, "fleet", "r", nil)
	st.PollUntilDone(ctx, poll)
	if run := waitRun(t, runs, "r"); *run.Properties.Status.Status.State != fleetsdk.UpdateStateCompleted {
		t.Fatalf("run %s", *run.Properties.Status.Status.State)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		req, _ := http.NewRequest("GET", s.URL+"/subscriptions/"+sub+"/resourceGroups/"+rg+"/providers/Microsoft.ContainerService/fleets/fleet/members?api-version=2025-04-01-preview", nil)
		req.Header.Set("Authorization", "Bearer secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Value []struct {
				Properties struct {
					Cluster struct{ KubernetesVersion string } `json:"cluster"`
				} `json:"properties"`
			} `json:"value"`
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if len(page.Value) == 1 && page.Value[0].Properties.Cluster.KubernetesVersion == "1.31.8" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members list %+v, want the cluster at 1.31.8", page.Value)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
