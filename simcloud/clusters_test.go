package simcloud

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

func TestCreateGetAndDefaults(t *testing.T) {
	h := newHarness(t, Options{Speed: 1000})
	mc := h.create("rg1", "alpha", clusterBody("East US", "1.31", nil))
	props := mc.Properties
	if got := *props.ProvisioningState; got != StateSucceeded {
		t.Fatalf("provisioningState = %s, want Succeeded", got)
	}
	if got := *props.KubernetesVersion; got != "1.31.8" {
		t.Fatalf("1.31 resolved to %s, want the newest 1.31 patch 1.31.8", got)
	}
	if *mc.Location != "eastus" {
		t.Fatalf("location = %s, want eastus", *mc.Location)
	}
	wantID := "/subscriptions/" + testSub + "/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/alpha"
	if *mc.ID != wantID {
		t.Fatalf("id = %s, want %s", *mc.ID, wantID)
	}
	pool := props.AgentPoolProfiles[0]
	if *pool.OrchestratorVersion != "1.31.8" || *pool.NodeImageVersion != "AKSUbuntu-2204gen2containerd-202505.14.0" {
		t.Fatalf("pool = %s %s, want 1.31.8 on eastus's newest Ubuntu image", *pool.OrchestratorVersion, *pool.NodeImageVersion)
	}
	// Names are case-insensitive, as in ARM.
	got := h.get("RG1", "ALPHA")
	if *got.Name != "alpha" {
		t.Fatalf("get by other case returned %s", *got.Name)
	}
	ops := h.cloud.Operations(OperationFilter{Cluster: "alpha", Kind: KindCreateCluster})
	if len(ops) != 1 || ops[0].Result != ResultSucceeded || ops[0].Target != "1.31.8" {
		t.Fatalf("create operations = %+v", ops)
	}
}

func TestCreatedClusterPoolsSettle(t *testing.T) {
	h := newHarness(t, Options{Speed: 1000})
	h.create("rg1", "alpha", clusterBody("eastus", "1.31", map[string]string{TagUpgradeSeconds: "0.01"}))
	got := h.get("rg1", "alpha")
	for _, p := range got.Properties.AgentPoolProfiles {
		if *p.ProvisioningState != StateSucceeded {
			t.Fatalf("pool %s is %s after its cluster was created, want Succeeded", *p.Name, *p.ProvisioningState)
		}
	}
	if pool := h.getPool("rg1", "alpha", *got.Properties.AgentPoolProfiles[0].Name); *pool.Properties.ProvisioningState != StateSucceeded {
		t.Fatalf("agent pool resource is %s, want Succeeded", *pool.Properties.ProvisioningState)
	}
}

func TestCreateWithoutVersionTakesRegionDefault(t *testing.T) {
	h := newHarness(t, Options{Speed: 1000})
	mc := h.create("rg1", "alpha", clusterBody("westeurope", "", nil))
	if got := *mc.Properties.KubernetesVersion; got != "1.32.6" {
		t.Fatalf("default version = %s, want the newest patch of the second-newest minor (1.32.6)", got)
	}
}

func TestGetMissingCluster(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := h.clusters.Get(ctx(t), "rg1", "nope", nil)
	wantResponseError(t, err, http.StatusNotFound, CodeResourceNotFound)
}

func TestListPaging(t *testing.T) {
	h := newHarness(t, Options{PageSize: 2})
	for i := range 5 {
		if _, err := h.cloud.CreateCluster(ClusterSpec{Subscription: testSub, Name: fmt.Sprintf("c%d", i), ResourceGroup: []string{"rg-a", "rg-b"}[i%2], Region: "eastus"}); err != nil {
			t.Fatal(err)
		}
	}
	// A cluster in another subscription is not listed.
	if _, err := h.cloud.CreateCluster(ClusterSpec{Name: "other", ResourceGroup: "rg-a", Region: "eastus"}); err != nil {
		t.Fatal(err)
	}
	var names []string
	pages := 0
	pager := h.clusters.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("error listing: %v", err)
		}
		pages++
		for _, c := range page.Value {
			names = append(names, *c.Name)
		}
	}
	// Pages are ordered by resource group, then name.
	if strings.Join(names, ",") != "c0,c2,c4,c1,c3" || pages != 3 {
		t.Fatalf("listed %v in %d pages, want c0,c2,c4 (rg-a) then c1,c3 (rg-b) in 3 pages", names, pages)
	}
	names = nil
	rgPager := h.clusters.NewListByResourceGroupPager("RG-A", nil)
	for rgPager.More() {
		page, err := rgPager.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("error listing by group: %v", err)
		}
		for _, c := range page.Value {
			names = append(names, *c.Name)
		}
	}
	if strings.Join(names, ",") != "c0,c2,c4" {
		t.Fatalf("listed %v in rg-a, want c0,c2,c4", names)
	}
}

func TestDeleteCluster(t *testing.T) {
	h := newHarness(t, Options{})
	h.create("rg1", "doomed", clusterBody("eastus", "1.30", map[string]string{TagUpgradeSeconds: "0.02"}))
	p, err := h.clusters.BeginDelete(ctx(t), "rg1", "doomed", nil)
	if err != nil {
		t.Fatalf("error starting delete: %v", err)
	}
	if _, err := p.PollUntilDone(ctx(t), fastPoll); err != nil {
		t.Fatalf("error deleting: %v", err)
	}
	_, err = h.clusters.Get(ctx(t), "rg1", "doomed", nil)
	wantResponseError(t, err, http.StatusNotFound, CodeResourceNotFound)
	ops := h.cloud.Operations(OperationFilter{Cluster: "doomed", Kind: KindDeleteCluster})
	if len(ops) != 1 || ops[0].Result != ResultSucceeded {
		t.Fatalf("delete operations = %+v", ops)
	}
	// Deleting what is gone succeeds.
	p, err = h.clusters.BeginDelete(ctx(t), "rg1", "doomed", nil)
	if err != nil {
		t.Fatalf("error deleting again: %v", err)
	}
	if _, err := p.PollUntilDone(ctx(t), fastPoll); err != nil {
		t.Fatalf("error deleting again: %v", err)
	}
}

func TestUpdateTagsWithoutUpgrade(t *testing.T) {
	h := newHarness(t, Options{Speed: 1000})
	mc := h.create("rg1", "alpha", clusterBody("eastus", "1.30.5", nil))
	mc.Tags = map[string]*string{"team": to.Ptr("blue")}
	p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Done() {
		t.Fatal("a tags-only update should be finished in its first response")
	}
	res, err := p.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Tags["team"] != "blue" || *res.Properties.KubernetesVersion != "1.30.5" {
		t.Fatalf("after update: tags %v version %s", res.Tags, *res.Properties.KubernetesVersion)
	}
	if n := len(h.cloud.Operations(OperationFilter{Cluster: "alpha", Kind: KindUpgradeControlPlane})); n != 0 {
		t.Fatalf("tags update recorded %d control plane upgrades", n)
	}
	up, err := h.clusters.BeginUpdateTags(ctx(t), "rg1", "alpha", armcontainerservice.TagsObject{Tags: map[string]*string{"team": to.Ptr("red")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tres, err := up.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *tres.Tags["team"] != "red" {
		t.Fatalf("after UpdateTags: %v", tres.Tags)
	}
}

func TestUnknownRegion(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := h.clusters.ListKubernetesVersions(ctx(t), "marsnorth", nil)
	wantResponseError(t, err, http.StatusBadRequest, CodeLocationNotAvailable)
	_, err = h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", clusterBody("marsnorth", "1.30", nil), nil)
	wantResponseError(t, err, http.StatusBadRequest, CodeLocationNotAvailable)
}

func TestListKubernetesVersions(t *testing.T) {
	h := newHarness(t, Options{})
	res, err := h.clusters.ListKubernetesVersions(ctx(t), "southeastasia", nil)
	if err != nil {
		t.Fatal(err)
	}
	var minors []string
	for _, v := range res.Values {
		minors = append(minors, *v.Version)
		if *v.Version == "1.33" {
			if _, ok := v.PatchVersions["1.33.2"]; ok {
				t.Fatal("southeastasia should not offer 1.33.2 yet")
			}
		}
		if *v.Version == "1.30" {
			ups := v.PatchVersions["1.30.9"].Upgrades
			var got []string
			for _, u := range ups {
				got = append(got, *u)
			}
			if strings.Join(got, ",") != "1.30.11,1.31.2,1.31.4,1.31.6,1.31.8" {
				t.Fatalf("upgrades of 1.30.9 = %v", got)
			}
		}
	}
	if strings.Join(minors, ",") != "1.29,1.30,1.31,1.32,1.33" {
		t.Fatalf("minors = %v", minors)
	}
}

func TestMissingAPIVersion(t *testing.T) {
	h := newHarness(t, Options{})
	resp, body := h.raw(http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters", "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", resp.StatusCode)
	}
	if code, _ := armErrorBody(t, body); code != CodeMissingAPIVersion {
		t.Fatalf("code = %s", code)
	}
	// Any api-version value is accepted.
	resp, _ = h.raw(http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters?api-version=2019-01-01", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status with an old api-version = %d", resp.StatusCode)
	}
}

func TestBadBodiesAreARMErrors(t *testing.T) {
	h := newHarness(t, Options{})
	path := "/subscriptions/" + testSub + "/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/x?api-version=2025-02-01"
	for _, tc := range []struct {
		body, code string
	}{
		{"{not json", CodeInvalidRequestContent},
		{"", CodeInvalidRequestContent},
		{`{"properties":{"agentPoolProfiles":[{"name":"system"}]}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":{}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":{"kubernetesVersion":"1.30.1","agentPoolProfiles":[{"name":"system"}]}}`, CodeVersionNotSupported},
		{`{"location":"eastus","properties":{"kubernetesVersion":"banana","agentPoolProfiles":[{"name":"system"}]}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":{"agentPoolProfiles":[{"name":"Bad_Name"}]}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":{"agentPoolProfiles":[{"name":"win","osType":"Windows","osSKU":"Ubuntu"}]}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":{"agentPoolProfiles":[{"name":"user","mode":"User"}]}}`, CodeInvalidParameter},
		{`{"location":"eastus","tags":{"sim-upgrade-seconds":"soon"},"properties":{"agentPoolProfiles":[{"name":"system"}]}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":{"agentPoolProfiles":[null]}}`, CodeInvalidParameter},
		{`{"location":"eastus","properties":"big"}`, CodeInvalidRequestContent},
		{`{"location":"eastus","properties":{"agentPoolProfiles":[{"name":"system","count":"three"}]}}`, CodeInvalidRequestContent},
	} {
		resp, body := h.raw(http.MethodPut, path, tc.body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", tc.body, resp.StatusCode, body)
			continue
		}
		if code, _ := armErrorBody(t, body); code != tc.code {
			t.Errorf("%s: code %s, want %s", tc.body, code, tc.code)
		}
	}
	if n := len(h.cloud.Operations(OperationFilter{})); n != 0 {
		t.Fatalf("rejected requests recorded %d operations", n)
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	h := newHarness(t, Options{})
	resp, body := h.raw(http.MethodGet, "/nothing/here", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	armErrorBody(t, body)
	resp, body = h.raw(http.MethodPost, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters?api-version=1", "{}")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	armErrorBody(t, body)
}
