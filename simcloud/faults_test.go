package simcloud

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
)

func TestFaultsAreTransientAndChangeNothing(t *testing.T) {
	h := newHarness(t, Options{FaultRate: 0.4, Seed: 7, Speed: 1000})

	// The SDK's retries carry every request through.
	h.create("rg1", "alpha", clusterBody("eastus", "1.30.5", tagsInstant()))
	for _, v := range []string{"1.30.7", "1.30.9", "1.31.2"} {
		mc := h.get("rg1", "alpha")
		mc.Properties.KubernetesVersion = to.Ptr(v)
		p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
		if err != nil {
			t.Fatalf("upgrade to %s: %v", v, err)
		}
		if _, err := p.PollUntilDone(ctx(t), fastPoll); err != nil {
			t.Fatalf("upgrade to %s: %v", v, err)
		}
	}
	h.mu.Lock()
	faults := h.statuses[http.StatusTooManyRequests] + h.statuses[http.StatusInternalServerError] + h.statuses[http.StatusServiceUnavailable]
	h.mu.Unlock()
	if faults == 0 {
		t.Fatal("no faults injected at rate 0.4")
	}
	// A faulted PUT was retried, never applied twice.
	ops := h.cloud.Operations(OperationFilter{Cluster: "alpha", Kind: KindUpgradeControlPlane})
	if len(ops) != 3 {
		t.Fatalf("%d control plane upgrades recorded, want 3: %+v", len(ops), ops)
	}

	// Faults are ARM errors that say when to retry, and /simulator/ is
	// never faulted.
	sawFault := false
	for range 40 {
		resp, body := h.raw(http.MethodGet, "/subscriptions/"+testSub+"/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/alpha?api-version=2025-02-01", "")
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable:
			sawFault = true
			armErrorBody(t, body)
			if ms, err := strconv.Atoi(resp.Header.Get("retry-after-ms")); err != nil || ms < 1 {
				t.Fatalf("fault without retry-after-ms: %v", resp.Header)
			}
			if resp.Header.Get("Retry-After") == "" {
				t.Fatalf("fault without Retry-After: %v", resp.Header)
			}
		default:
			t.Fatalf("unexpected status %d: %s", resp.StatusCode, body)
		}
		if resp, _ := h.raw(http.MethodGet, "/simulator/catalog", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("/simulator/catalog answered %d", resp.StatusCode)
		}
	}
	if !sawFault {
		t.Fatal("40 raw requests at rate 0.4 saw no fault")
	}
}

func TestFaultsAreRepeatable(t *testing.T) {
	run := func() []int {
		h := newHarness(t, Options{FaultRate: 0.3, Seed: 42})
		var codes []int
		for range 30 {
			resp, _ := h.raw(http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters?api-version=1", "")
			codes = append(codes, resp.StatusCode)
		}
		return codes
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different faults: %v vs %v", a, b)
		}
	}
}

func TestFaultStreakIsCapped(t *testing.T) {
	h := newHarness(t, Options{FaultRate: 1, Seed: 1})
	path := "/subscriptions/" + testSub + "/providers/Microsoft.ContainerService/managedClusters?api-version=1"
	var codes []int
	for range 6 {
		resp, _ := h.raw(http.MethodGet, path, "")
		codes = append(codes, resp.StatusCode)
	}
	// At most two faults in a row for one request, then an answer.
	if codes[2] != http.StatusOK || codes[5] != http.StatusOK || codes[0] == http.StatusOK || codes[1] == http.StatusOK {
		t.Fatalf("codes = %v, want fault, fault, 200, repeating", codes)
	}
}
