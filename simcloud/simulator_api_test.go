package simcloud

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
)

func TestOperationsEndpoint(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "30"})
	seedTwoPools(t, h.cloud, "beta", "eastus", "1.30.5", "1.30.5", tagsInstant())
	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
	mc.Properties.AgentPoolProfiles[0].OrchestratorVersion = to.Ptr("1.31.2")
	if _, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "beta", "user", nil); err != nil {
		t.Fatal(err)
	}
	id := strings.ToUpper("/subscriptions/" + testSub + "/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/alpha")
	get := func(query string) []map[string]any {
		t.Helper()
		resp, body := h.raw(http.MethodGet, "/simulator/operations"+query, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var out []map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("not a JSON list: %s", body)
		}
		return out
	}
	ops := get("?cluster=" + id)
	if len(ops) != 2 {
		t.Fatalf("operations of alpha: %v", ops)
	}
	cp, pool := ops[0], ops[1]
	if cp["kind"] != "UpgradeControlPlane" || cp["target"] != "1.31.2" || cp["result"] != "Running" || cp["cluster"] == nil {
		t.Fatalf("control plane record: %v", cp)
	}
	if _, ok := cp["agentPool"]; ok {
		t.Fatalf("control plane record names a pool: %v", cp)
	}
	if _, ok := cp["end"]; ok {
		t.Fatalf("running record has an end: %v", cp)
	}
	if pool["agentPool"] != "system" || pool["kind"] != "UpgradeAgentPool" {
		t.Fatalf("pool record: %v", pool)
	}
	if _, err := time.Parse(time.RFC3339Nano, cp["start"].(string)); err != nil {
		t.Fatalf("start is not RFC3339Nano: %v", cp["start"])
	}

	clock.Advance(31 * time.Second)
	ops = get("?cluster=alpha&kind=UpgradeAgentPool")
	if len(ops) != 1 || ops[0]["result"] != "Succeeded" || ops[0]["end"] == nil {
		t.Fatalf("finished pool record: %v", ops)
	}
	if ops := get("?kind=UpgradeNodeImage"); len(ops) != 1 || ops[0]["cluster"] != "/subscriptions/"+testSub+"/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/beta" {
		t.Fatalf("image records: %v", ops)
	}
	if ops := get("?cluster=nobody"); len(ops) != 0 {
		t.Fatalf("unknown cluster matched: %v", ops)
	}
}

func TestCatalogAndPublishEndpoints(t *testing.T) {
	h := newHarness(t, Options{})
	resp, body := h.raw(http.MethodGet, "/simulator/catalog", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var cat catalogView
	if err := json.Unmarshal(body, &cat); err != nil {
		t.Fatal(err)
	}
	latest := map[string]string{}
	for _, r := range cat.Regions {
		latest[r.Name] = r.LatestNodeImages[FamilyUbuntu2204]
	}
	if latest["eastus"] <= latest["westeurope"] || latest["westeurope"] <= latest["southeastasia"] {
		t.Fatalf("regions should lag eastus > westeurope > southeastasia: %v", latest)
	}

	resp, body = h.raw(http.MethodPost, "/simulator/publish", `{"kubernetesVersions":["1.34.0"],"nodeImages":["AKSUbuntu-2204gen2containerd-202506.11.0"],"regions":["westeurope"]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &cat); err != nil {
		t.Fatal(err)
	}
	for _, r := range cat.Regions {
		has := strings.Contains(strings.Join(r.KubernetesVersions, ","), "1.34.0")
		if has != (r.Name == "westeurope") {
			t.Fatalf("region %s has 1.34.0: %v", r.Name, has)
		}
		if r.Name == "westeurope" && r.LatestNodeImages[FamilyUbuntu2204] != "AKSUbuntu-2204gen2containerd-202506.11.0" {
			t.Fatalf("westeurope latest: %v", r.LatestNodeImages)
		}
	}
	for _, bad := range []string{
		`{"kubernetesVersions":["1.34"]}`,
		`{"nodeImages":["nope"]}`,
		`{"kubernetesVersions":["1.34.1"],"regions":["marsnorth"]}`,
	} {
		resp, body := h.raw(http.MethodPost, "/simulator/publish", bad)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: status %d", bad, resp.StatusCode)
		}
		armErrorBody(t, body)
	}
	if resp, _ := h.raw(http.MethodGet, "/simulator/publish", ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET publish: %d", resp.StatusCode)
	}
}

func TestOwns(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "3600"})
	p, err := h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "user", nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := p.ResumeToken()
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token struct {
			AsyncURL string `json:"asyncURL"`
		} `json:"token"`
	}
	if err := json.Unmarshal([]byte(token), &tok); err != nil {
		t.Fatal(err)
	}
	opPath := strings.TrimPrefix(strings.SplitN(tok.Token.AsyncURL, "?", 2)[0], h.srv.URL)
	sub := "/subscriptions/" + testSub
	for path, want := range map[string]bool{
		sub + "/providers/Microsoft.ContainerService/managedClusters":                                                          true,
		sub + "/resourceGroups/rg/providers/microsoft.containerservice/MANAGEDCLUSTERS/c/agentPools/p":                         true,
		sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/agentPools/p/upgradeNodeImageVersion": true,
		sub + "/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions":                                      true,
		opPath: true,
		sub + "/providers/Microsoft.ContainerService/locations/eastus/operations/00000000-0000-0000-0000-000000000001": false,
		sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f":                                       false,
		sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f/updateRuns/r":                          false,
		sub + "/providers/Microsoft.ContainerService/fleets":                                                           false,
		"/simulator/operations": true,
		"/healthz":              false,
	} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if got := h.cloud.Owns(r); got != want {
			t.Errorf("Owns(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	h := newHarness(t, Options{Authorize: func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer test-token"
	}})
	resp, body := h.raw(http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters?api-version=1", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if code, _ := armErrorBody(t, body); code != CodeAuthenticationFailed {
		t.Fatalf("code %s", code)
	}
	if resp, _ := h.raw(http.MethodGet, "/simulator/catalog", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/simulator/ without a token: %d", resp.StatusCode)
	}
	// The SDK client sends the token and gets through.
	if _, err := h.clusters.ListKubernetesVersions(ctx(t), "eastus", nil); err != nil {
		t.Fatal(err)
	}
}
