package aks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/simcloud/faultproxy"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

const (
	oldImage     = "202502.09.0"
	pinnedImage  = "202504.16.0"
	newestImage  = "202505.14.0"
	lostClusters = 10
)

// TestLostAnswersBeginNothingTwice drives real update runs through the
// engine and the AKS provider to a simulated cloud behind a proxy that
// loses the answers to 30% of writes after the cloud applied them and
// delivers another 20% twice. The cloud's own record must show every
// control plane and node pool upgraded exactly once, its reads every
// cluster at target, and every member Completed by the run (not Skipped
// as if it had been at target already).
func TestLostAnswersBeginNothingTwice(t *testing.T) {
	ubuntu := func(rel string) string { return simcloud.FamilyUbuntu2204 + "-" + rel }
	azl := func(rel string) string { return simcloud.FamilyAzureLinux3 + "-" + rel }
	pinned := &fleet.NodeImageSelection{Type: fleet.NodeImageCustom, CustomNodeImageVersions: []fleet.NodeImageVersion{
		{Version: ubuntu(pinnedImage)}, {Version: azl(pinnedImage)},
	}}
	for i, tc := range []struct {
		name   string
		update fleet.ManagedClusterUpdate
		// per cluster: how many upgrades of each kind the cloud must
		// record (per pool for pool kinds), and where it must end.
		controlPlane, poolUpgrades, imageUpgrades int
		version, image                            string
	}{
		{name: "NodeImageOnly/Latest",
			update:        fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}},
			imageUpgrades: 1, version: "1.30.9", image: newestImage},
		{name: "NodeImageOnly/Custom",
			update:        fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}, NodeImageSelection: pinned},
			imageUpgrades: 1, version: "1.30.9", image: pinnedImage},
		{name: "NodeImageOnly/Consistent",
			update:        fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}, NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent}},
			imageUpgrades: 1, version: "1.30.9", image: newestImage},
		{name: "Full/Custom",
			update:       fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.31.4"}, NodeImageSelection: pinned},
			controlPlane: 1, poolUpgrades: 1, version: "1.31.4", image: pinnedImage},
		{name: "Full/Latest",
			update:       fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.31.4"}},
			controlPlane: 1, poolUpgrades: 1, version: "1.31.4", image: newestImage},
		{name: "ControlPlaneOnly",
			update:       fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.31.4"}},
			controlPlane: 1, version: "1.31.4", image: oldImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newLossy(t, faultproxy.Options{Seed: uint64(20261130 + i), DropRate: 0.3, DuplicateRate: 0.2}, lostClusters, "0.15")
			run := h.run(t, tc.update)

			// The cloud's record: every upgrade exactly once, and nothing
			// else written.
			upgraded, planes, repeats := 0, 0, 0
			for _, id := range h.clusters {
				counts := map[string]int{}
				for _, op := range h.sim.cloud.Operations(simcloud.OperationFilter{Cluster: id}) {
					if op.Kind == simcloud.KindCreateCluster {
						continue
					}
					counts[string(op.Kind)+" "+op.AgentPool]++
					if op.Result != simcloud.ResultSucceeded {
						t.Errorf("cluster %s: %s of pool %q ended %s", id, op.Kind, op.AgentPool, op.Result)
					}
				}
				want := map[string]int{}
				if tc.controlPlane > 0 {
					want[string(simcloud.KindUpgradeControlPlane)+" "] = tc.controlPlane
				}
				for _, pool := range []string{"system", "user"} {
					if tc.poolUpgrades > 0 {
						want[string(simcloud.KindUpgradeAgentPool)+" "+pool] = tc.poolUpgrades
					}
					if tc.imageUpgrades > 0 {
						want[string(simcloud.KindUpgradeNodeImage)+" "+pool] = tc.imageUpgrades
					}
				}
				for k, n := range counts {
					if n > want[k] {
						repeats += n - want[k]
					}
					switch {
					case strings.HasPrefix(k, string(simcloud.KindUpgradeControlPlane)):
						planes += min(n, want[k])
					case strings.HasPrefix(k, string(simcloud.KindUpgradeAgentPool)), strings.HasPrefix(k, string(simcloud.KindUpgradeNodeImage)):
						upgraded += min(n, want[k])
					}
				}
				for k, n := range want {
					if counts[k] != n {
						t.Errorf("cluster %s: the cloud recorded %d × %q, want %d (all: %v)", id, counts[k], k, n, counts)
					}
				}
				for k := range counts {
					if _, ok := want[k]; !ok {
						t.Errorf("cluster %s: the cloud recorded %d × %q, which the run did not ask for", id, counts[k], k)
					}
				}
				poolVersion := tc.version
				if tc.update.Upgrade.Type == fleet.UpgradeControlPlaneOnly {
					poolVersion = "1.30.9"
				}
				h.wantAt(t, id, tc.version, poolVersion, tc.image)
			}

			// Every member upgraded by this run.
			if got := run.Properties.Status.Status.State; got != fleet.Completed {
				t.Errorf("run is %s, want Completed (error %+v)", got, run.Properties.Status.Status.Error)
			}
			for _, st := range run.Properties.Status.Stages {
				for _, g := range st.Groups {
					for _, m := range g.Members {
						if m.Status.State != fleet.Completed || !strings.HasPrefix(m.Message, "upgraded") {
							t.Errorf("member %s is %s with message %q, want Completed and upgraded by this run", m.Name, m.Status.State, m.Message)
						}
					}
				}
			}
			if h.proxy.Dropped() == 0 || h.proxy.Duplicated() == 0 {
				t.Errorf("the proxy dropped %d answers and duplicated %d writes; the test means nothing unless it does both", h.proxy.Dropped(), h.proxy.Duplicated())
			}
			t.Logf("%s: %d clusters, %d control planes and %d pools upgraded once each, %d repeats; %d writes, %d answers lost, %d writes delivered twice",
				tc.name, len(h.clusters), planes, upgraded, repeats, h.proxy.Writes(), h.proxy.Dropped(), h.proxy.Duplicated())
		})
	}
}

// lossy is an engine and an AKS provider talking to a simulated cloud
// through a fault proxy.
type lossy struct {
	sim      *simEnv
	proxy    *faultproxy.Proxy
	front    string // the proxy's URL: the provider's endpoint
	store    store.Store
	eng      *engine.Engine
	fleet    fleet.FleetRef
	members  []fleet.Member
	clusters []string
	written  chan struct{}
}

func newLossy(t *testing.T, faults faultproxy.Options, clusters int, upgradeSeconds string, wrap ...func(http.Handler) http.Handler) *lossy {
	t.Helper()
	h := &lossy{
		sim:     newSim(t, simcloud.Options{Seed: int64(faults.Seed)}, wrap...),
		store:   memory.New(),
		fleet:   fleet.FleetRef{Subscription: simcloud.DefaultSubscription, ResourceGroup: "rg-fleet", Fleet: "lossy"},
		written: make(chan struct{}, 1),
	}
	var err error
	h.proxy, err = faultproxy.New(h.sim.srv.URL, faults)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(h.proxy)
	t.Cleanup(front.Close)
	p, err := aks.New(aks.Config{
		Endpoint:   front.URL,
		Credential: aks.StaticToken(simToken),
		// The SDK's backoff outlasts the cloud's operations, so a write
		// retried blindly would find its first copy finished and begin
		// the operation again.
		Retry: aks.Retry{Delay: 400 * time.Millisecond, MaxDelay: time.Second},
		Poll:  aks.Poll{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	h.front = front.URL
	// Members and runs live in a stored fleet.
	frec, err := store.NewRecord(store.Fleets, h.fleet.ID(), "/subscriptions/"+h.fleet.Subscription+"/resourceGroups/"+h.fleet.ResourceGroup, "f1", "", fleet.Fleet{ID: h.fleet.ID(), Name: h.fleet.Fleet, Type: fleet.TypeFleet, Location: simRegion})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.Put(context.Background(), frec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for i := range clusters {
		name := fmt.Sprintf("lossy-%02d", i)
		id, err := h.sim.cloud.CreateCluster(simcloud.ClusterSpec{
			Name: name, ResourceGroup: simGroup, Region: simRegion, KubernetesVersion: "1.30.9",
			// Long enough that a second copy of a write finds the first
			// one's operation still running, as it would in Azure.
			Tags: map[string]string{simcloud.TagUpgradeSeconds: upgradeSeconds},
			Pools: []simcloud.PoolSpec{
				{Name: "system", Mode: "System", OSSKU: simcloud.OSSKUUbuntu, NodeImageVersion: simcloud.FamilyUbuntu2204 + "-" + oldImage},
				{Name: "user", Mode: "User", OSSKU: simcloud.OSSKUAzureLinux, NodeImageVersion: simcloud.FamilyAzureLinux3 + "-" + oldImage},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		h.clusters = append(h.clusters, id)
		m := fleet.Member{ID: h.fleet.Child("members", name), Name: name, Type: fleet.TypeMember,
			Properties: fleet.MemberProperties{ClusterResourceID: id}}
		rec, err := store.NewRecord(store.Members, m.ID, h.fleet.ID(), "m1", "", m)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.Put(context.Background(), rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		h.members = append(h.members, m)
	}
	h.eng, err = engine.New(engine.Config{
		Store: h.store, Provider: p, RecheckInterval: 50 * time.Millisecond,
		Persisted: func(store.Record) {
			select {
			case h.written <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.eng.Close)
	return h
}

// run creates a run of every member in one group, starts it and waits
// until it ends.
func (h *lossy) run(t *testing.T, update fleet.ManagedClusterUpdate) *fleet.UpdateRun {
	t.Helper()
	id := h.start(t, update)
	return h.waitRun(t, id, "end", func(r *fleet.UpdateRun) bool {
		s := r.Properties.Status.Status.State
		return s.Finished() || s == fleet.Failed || s == fleet.Stopped
	})
}

// start creates a run of every member in one group and starts it.
func (h *lossy) start(t *testing.T, update fleet.ManagedClusterUpdate) string {
	t.Helper()
	if err := fleet.ValidateUpdate("properties.managedClusterUpdate", update); err != nil {
		t.Fatal(err)
	}
	status, err := fleet.NewRunStatus(nil, h.members)
	if err != nil {
		t.Fatal(err)
	}
	run := fleet.UpdateRun{ID: h.fleet.Child("updateRuns", "r1"), Name: "r1", Type: fleet.TypeUpdateRun,
		Properties: fleet.UpdateRunProperties{ProvisioningState: fleet.ProvisioningSucceeded, ManagedClusterUpdate: update, Status: status}}
	run.ETag = "r1"
	rec, err := store.NewRecord(store.Runs, run.ID, h.fleet.ID(), "r1", string(fleet.NotStarted), run)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.store.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.StartRun(ctx, run.ID, ""); err != nil {
		t.Fatalf("starting the run: %v", err)
	}
	return run.ID
}

// waitRun waits, on each write of the run, until done says the stored run
// is as wanted, for at most a minute.
func (h *lossy) waitRun(t *testing.T, id, what string, done func(*fleet.UpdateRun) bool) *fleet.UpdateRun {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for {
		got, _, err := store.Load[fleet.UpdateRun](context.Background(), h.store, store.Runs, id)
		if err != nil {
			t.Fatal(err)
		}
		if done(got) {
			return got
		}
		select {
		case <-h.written:
		case <-deadline.C:
			b, _ := json.MarshalIndent(got.Properties.Status, "", "  ")
			t.Fatalf("waiting for the run to %s: not within 60s:\n%s", what, b)
		}
	}
}

// wantAt reads the cluster from the cloud itself (not through the proxy)
// and checks its control plane, pool versions and images.
func (h *lossy) wantAt(t *testing.T, id, version, poolVersion, image string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.sim.srv.URL+id+"?api-version=2025-02-01", nil)
	req.Header.Set("Authorization", "Bearer "+simToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var mc struct {
		Properties struct {
			ProvisioningState        string `json:"provisioningState"`
			CurrentKubernetesVersion string `json:"currentKubernetesVersion"`
			AgentPoolProfiles        []struct {
				Name                       string `json:"name"`
				CurrentOrchestratorVersion string `json:"currentOrchestratorVersion"`
				NodeImageVersion           string `json:"nodeImageVersion"`
			} `json:"agentPoolProfiles"`
		} `json:"properties"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&mc); err != nil {
		t.Fatal(err)
	}
	p := mc.Properties
	if p.ProvisioningState != "Succeeded" || p.CurrentKubernetesVersion != version {
		t.Errorf("cluster %s is %s at %s, want Succeeded at %s", id, p.ProvisioningState, p.CurrentKubernetesVersion, version)
	}
	for _, ap := range p.AgentPoolProfiles {
		if ap.CurrentOrchestratorVersion != poolVersion {
			t.Errorf("pool %s of %s is at %s, want %s", ap.Name, id, ap.CurrentOrchestratorVersion, poolVersion)
		}
		if !strings.HasSuffix(ap.NodeImageVersion, "-"+image) {
			t.Errorf("pool %s of %s has image %s, want release %s", ap.Name, id, ap.NodeImageVersion, image)
		}
	}
}

// TestUnreachableCloudShowsOnMembersAndRun: while the cloud cannot be
// reached, the member whose upgrade is in flight and the run's message say
// so, naming the endpoint; once it answers again, both clear and the
// member completes.
func TestUnreachableCloudShowsOnMembersAndRun(t *testing.T) {
	// The cloud becomes unreachable right after it accepted the upgrade.
	var h *lossy
	var once sync.Once
	h = newLossy(t, faultproxy.Options{Seed: 7}, 1, "1", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.Method == http.MethodPost && strings.HasSuffix(strings.ToLower(r.URL.Path), "/upgradenodeimageversion") {
				once.Do(func() { h.proxy.SetDown(true) })
			}
		})
	})
	id := h.start(t, fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}})
	member := func(r *fleet.UpdateRun) fleet.MemberStatus { return r.Properties.Status.Stages[0].Groups[0].Members[0] }
	want := "cannot reach the cloud at " + h.front
	run := h.waitRun(t, id, "say the cloud cannot be reached", func(r *fleet.UpdateRun) bool {
		return strings.Contains(member(r).Message, want) && strings.Contains(r.Properties.Status.Message, want)
	})
	m := member(run)
	if m.Status.State != fleet.Running || !strings.HasSuffix(m.Message, "; retrying") {
		t.Errorf("member is %s with message %q, want Running, saying it retries", m.Status.State, m.Message)
	}
	if msg := run.Properties.Status.Message; !strings.HasPrefix(msg, "1 member held up ("+m.Name+"): ") {
		t.Errorf("run message %q, want it to name the member held up", msg)
	}

	h.proxy.SetDown(false)
	run = h.waitRun(t, id, "end", func(r *fleet.UpdateRun) bool { return r.Properties.Status.Status.State == fleet.Completed })
	if m := member(run); m.Status.State != fleet.Completed || !strings.HasPrefix(m.Message, "upgraded node images") || run.Properties.Status.Message != "" {
		t.Errorf("after the cloud came back: member %s %q, run message %q; want Completed, upgraded, no run message", m.Status.State, m.Message, run.Properties.Status.Message)
	}
}
