package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// TestKillNineAroundAutoUpgradeTriggers runs the real binaries, `caravan
// simulate` and `caravan serve --arm-endpoint`, with an enabled NodeImage
// auto-upgrade profile. Release after release is published on the
// simulated cloud, and the server is killed with SIGKILL at a random
// moment around each trigger and restarted on the same data. Every
// release must end with exactly one run of the profile, started and
// completed, and the cloud must show no pool moved to one image twice.
func TestKillNineAroundAutoUpgradeTriggers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for several seconds")
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 14))
	t.Logf("random seed %d", seed)
	ctx := context.Background()
	data := t.TempDir()
	simAddr, srvAddr, serve := simulatedPair(t, data, "--recheck-interval", "200ms", "--auto-upgrade-interval", "100ms")
	srv := serve()

	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	fleetPath := "/subscriptions/" + sub + "/resourceGroups/rg-auto/providers/Microsoft.ContainerService/fleets/auto"
	do := func(method, path, body string) (int, string) {
		t.Helper()
		return bearerDo(t, "secret", method, "http://"+srvAddr+path+"?api-version=2025-03-01", body)
	}
	if code, out := do("PUT", fleetPath, `{"location":"eastus"}`); code >= 300 {
		t.Fatalf("PUT fleet: %d %s", code, out)
	}
	for i := range 3 {
		name := fmt.Sprintf("auto-%d", i)
		p, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location: to.Ptr("eastus"),
			Tags:     map[string]*string{"sim-upgrade-seconds": to.Ptr("0.1")},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.32.6"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{
				{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
		}, nil)
		wait(t, p, err)
		id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
		if code, out := do("PUT", fleetPath+"/members/"+name, `{"properties":{"clusterResourceId":"`+id+`"}}`); code >= 300 {
			t.Fatalf("PUT member: %d %s", code, out)
		}
	}
	if code, out := do("PUT", fleetPath+"/autoUpgradeProfiles/nightly", `{"properties":{"channel":"NodeImage"}}`); code >= 300 {
		t.Fatalf("PUT profile: %d %s", code, out)
	}

	type autoRun struct {
		Name       string `json:"name"`
		Properties struct {
			AutoUpgradeProfileID string `json:"autoUpgradeProfileId"`
			Status               struct {
				Status struct {
					State string `json:"state"`
				} `json:"status"`
			} `json:"status"`
		} `json:"properties"`
	}
	runs := func() []autoRun {
		code, out := do("GET", fleetPath+"/updateRuns", "")
		if code != http.StatusOK {
			t.Fatalf("list runs: %d %s", code, out)
		}
		var page struct{ Value []autoRun }
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatal(err)
		}
		return page.Value
	}
	const releases = 6
	for r := range releases {
		image := fmt.Sprintf("AKSUbuntu-2204gen2containerd-2026%02d.01.0", r+1)
		if code, out := bearerDo(t, "sim-secret", "POST", "http://"+simAddr+"/simulator/publish", `{"nodeImages":["`+image+`"]}`); code != http.StatusOK {
			t.Fatalf("publish %s: %d %s", image, code, out)
		}
		// Kill the server somewhere around the trigger: before it looks,
		// while it creates or starts the run, or after.
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		srv.kill()
		srv = serve()
		deadline := time.Now().Add(60 * time.Second)
		for {
			rs := runs()
			if len(rs) > r+1 {
				t.Fatalf("release %d of %d: %d runs exist: %+v", r+1, releases, len(rs), rs)
			}
			if len(rs) == r+1 && allCompleted(rs, func(x autoRun) string { return x.Properties.Status.Status.State }) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("release %s: runs %+v after a minute\nserver output:\n%s", image, rs, srv.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
		_, out := do("GET", fleetPath+"/autoUpgradeProfiles/nightly", "")
		if !strings.Contains(out, `"lastTriggerStatus":"Succeeded"`) || !strings.Contains(out, image) {
			t.Fatalf("release %s: profile %s", image, out)
		}
	}
	for _, x := range runs() {
		if !strings.HasSuffix(strings.ToLower(x.Properties.AutoUpgradeProfileID), "/autoupgradeprofiles/nightly") {
			t.Errorf("run %s names profile %q", x.Name, x.Properties.AutoUpgradeProfileID)
		}
	}
	// The cloud's record: one node image upgrade of each pool per
	// release, and nothing else upgraded.
	count := map[string]int{}
	for _, op := range simOperationRecords(t, simAddr) {
		if strings.HasPrefix(op.Kind, "Upgrade") {
			count[op.Kind+" "+op.Cluster+" "+op.AgentPool]++
		}
	}
	if len(count) != 3 {
		t.Errorf("upgrades in the cloud's record: %v, want a node image upgrade of each of the 3 pools", count)
	}
	for key, n := range count {
		if !strings.HasPrefix(key, "UpgradeNodeImage ") || n != releases {
			t.Errorf("%s happened %d times, want %d (once per release)", key, n, releases)
		}
	}
}

func allCompleted[T any](xs []T, state func(T) string) bool {
	for _, x := range xs {
		if state(x) != "Completed" {
			return false
		}
	}
	return true
}

// bearerDo sends one request with a bearer token.
func bearerDo(t *testing.T, token, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 10 * time.Second}
	for attempt := 0; ; attempt++ {
		resp, err := client.Do(req)
		if err != nil {
			// The server may be starting again after a kill.
			if attempt < 50 {
				time.Sleep(100 * time.Millisecond)
				req.Body = io.NopCloser(strings.NewReader(body))
				continue
			}
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(out)
	}
}
