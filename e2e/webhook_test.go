package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/webhook"
)

// receiver is a webhook endpoint that checks signatures and counts the
// deliveries of each event.
type receiver struct {
	secret string
	mu     sync.Mutex
	got    map[string]int
	bad    []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify(rc.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
		rc.mu.Lock()
		rc.bad = append(rc.bad, err.Error())
		rc.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev struct{ ID string }
	json.Unmarshal(body, &ev)
	rc.mu.Lock()
	rc.got[ev.ID]++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

type event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Subject string `json:"subject"`
	Data    struct {
		PreviousState string `json:"previousState"`
		State         string `json:"state"`
	} `json:"data"`
}

// TestWebhooksGetEveryEventOnceThroughKills runs a run on the real
// binaries with a webhook subscription, killing the server with SIGKILL
// at random moments. The receiver must get every event the server lists
// for the run (deduplicated by id, at least once each and nothing else),
// and the events must tell each node's story in order: each transition
// starts from the state the one before it ended in.
func TestWebhooksGetEveryEventOnceThroughKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for several seconds")
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	t.Logf("random seed %d", seed)
	ctx := context.Background()
	rc := &receiver{secret: "e2e-webhook-secret-0123456789", got: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	data := t.TempDir()
	hooks := filepath.Join(data, "webhooks.yaml")
	if err := os.WriteFile(hooks, []byte("webhooks:\n- name: e2e\n  url: "+hook.URL+"\n  secret: "+rc.secret+"\n  fleets: [gamma]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	simAddr, srvAddr, serve := simulatedPair(t, data, "--recheck-interval", "1s", "--webhooks", hooks)
	srv := serve()

	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(srvAddr))
	if err != nil {
		t.Fatal(err)
	}
	p, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", "gamma", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	wait(t, p, err)
	for i := range 6 {
		name := fmt.Sprintf("w%02d", i)
		p1, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location:   to.Ptr("eastus"),
			Tags:       map[string]*string{"sim-upgrade-seconds": to.Ptr(fmt.Sprintf("%.2f", 0.1+rng.Float64()*0.3))},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
		}, nil)
		wait(t, p1, err)
		p2, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", "gamma", name, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{
			ClusterResourceID: to.Ptr("/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name),
			Group:             to.Ptr([]string{"one", "two"}[i%2]),
		}}, nil)
		wait(t, p2, err)
	}
	p3, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", "gamma", "r", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{
			{Name: to.Ptr("first"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("one")}}, AfterStageWaitInSeconds: to.Ptr[int32](1)},
			{Name: to.Ptr("second"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("two")}}},
		}},
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")}},
	}}, nil)
	wait(t, p3, err)
	p4, err := fc.NewUpdateRunsClient().BeginStart(ctx, "rg", "gamma", "r", nil)
	wait(t, p4, err)

	kills := 0
	for kills < 5 && runState(t, fc, "gamma", "r") != fleetsdk.UpdateStateCompleted {
		time.Sleep(time.Duration(50+rng.IntN(500)) * time.Millisecond)
		srv.kill()
		kills++
		srv = serve()
	}
	t.Logf("killed the server %d times", kills)
	deadline := time.Now().Add(60 * time.Second)
	for runState(t, fc, "gamma", "r") != fleetsdk.UpdateStateCompleted {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not complete\n%s", srv.out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The run's events are recorded a moment after it completes.
	var evs []event
	for {
		evs = listEvents(t, srvAddr)
		if len(evs) > 0 && evs[len(evs)-1].Type == "dev.caravan.updaterun.completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run's events do not end with its completion: %+v", evs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every delivery is made.
	for {
		var page webhook.DeliveryPage
		get(t, "http://"+srvAddr+webhook.DeliveriesPath+"?state=Pending", &page)
		rc.mu.Lock()
		missing := 0
		for _, e := range evs {
			if rc.got[e.ID] == 0 {
				missing++
			}
		}
		rc.mu.Unlock()
		if len(page.Value) == 0 && missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events not delivered; deliveries still pending: %+v", missing, page.Value)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var failed webhook.DeliveryPage
	if get(t, "http://"+srvAddr+webhook.DeliveriesPath+"?state=Failed", &failed); len(failed.Value) > 0 {
		t.Fatalf("deliveries failed: %+v", failed.Value)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Errorf("deliveries with bad signatures: %v", rc.bad)
	}
	listed := map[string]bool{}
	repeats := 0
	for _, e := range evs {
		if listed[e.ID] {
			t.Errorf("event %s listed twice", e.ID)
		}
		listed[e.ID] = true
		if rc.got[e.ID] == 0 {
			t.Errorf("event %s (%s %s) never reached the webhook", e.ID, e.Type, e.Subject)
		}
		repeats += rc.got[e.ID] - 1
	}
	for id := range rc.got {
		if !listed[id] {
			t.Errorf("the webhook got event %s, which the server does not list", id)
		}
	}
	t.Logf("%d events, %d delivered again after a kill", len(evs), repeats)
	// 1 run, 2 stages, 2 groups, 6 members each go through at least two
	// states; the wait too.
	if len(evs) < 2*(1+2+2+6+1) {
		t.Fatalf("only %d events", len(evs))
	}
	if evs[0].Type != "dev.caravan.updaterun.created" || evs[len(evs)-1].Type != "dev.caravan.updaterun.completed" {
		t.Errorf("events run from %s to %s; want created to completed", evs[0].Type, evs[len(evs)-1].Type)
	}
	last := map[string]string{}
	for i, e := range evs {
		prev, seen := last[e.Subject]
		if !seen {
			prev = "NotStarted"
		}
		if e.Type == "dev.caravan.updaterun.created" {
			last[e.Subject] = "NotStarted"
			continue
		}
		if e.Data.PreviousState != prev {
			t.Errorf("event %d (%s %q) goes from %s, but the one before it left %s", i, e.Type, e.Subject, e.Data.PreviousState, prev)
		}
		last[e.Subject] = e.Data.State
	}
	for subject, state := range last {
		if state != "Completed" {
			t.Errorf("the events leave %q %s, not Completed", subject, state)
		}
	}
}

func get(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// listEvents reads every event of run r of fleet gamma.
func listEvents(t *testing.T, srvAddr string) []event {
	t.Helper()
	var evs []event
	link := "http://" + srvAddr + "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/gamma/updateRuns/r/events?api-version=2025-04-01-preview"
	for link != "" {
		var page struct {
			Value    []event
			NextLink string
		}
		get(t, link, &page)
		evs = append(evs, page.Value...)
		link = page.NextLink
	}
	return evs
}
