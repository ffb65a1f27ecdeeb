package simcloud

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const seedYAML = `
subscription: 11111111-2222-3333-4444-555555555555
clusters:
  - name: prod-eus-1
    resourceGroup: prod
    region: eastus
    kubernetesVersion: "1.30"
    tags:
      sim-upgrade-seconds: "0"
    pools:
      - name: system
        count: 3
        mode: System
      - name: win
        count: 2
        osType: Windows
        kubernetesVersion: 1.29.15
      - name: azl
        osSKU: AzureLinux
        nodeImageVersion: AKSAzureLinux-V3gen2-202501.12.0
  - name: prod-sea-1
    resourceGroup: prod
    region: southeastasia
`

func TestParseAndCreateSeed(t *testing.T) {
	s, err := ParseSeed([]byte(seedYAML))
	if err != nil {
		t.Fatalf("error parsing seed: %v", err)
	}
	h := newHarness(t, Options{})
	ids, err := h.cloud.CreateClusters(s)
	if err != nil {
		t.Fatalf("error creating seed: %v", err)
	}
	if len(ids) != 2 || !strings.HasSuffix(ids[1], "/managedClusters/prod-sea-1") {
		t.Fatalf("ids = %v", ids)
	}
	mc := h.get("prod", "prod-eus-1")
	if *mc.Properties.KubernetesVersion != "1.30.11" || *mc.Tags[TagUpgradeSeconds] != "0" {
		t.Fatalf("cluster: %s %v", *mc.Properties.KubernetesVersion, mc.Tags)
	}
	want := map[string][2]string{
		"system": {"1.30.11", "AKSUbuntu-2204gen2containerd-202504.16.0"}, // one release behind eastus's newest
		"win":    {"1.29.15", "AKSWindows-2022-containerd-20348.3453.250415"},
		"azl":    {"1.30.11", "AKSAzureLinux-V3gen2-202501.12.0"},
	}
	for _, p := range mc.Properties.AgentPoolProfiles {
		w := want[*p.Name]
		if *p.OrchestratorVersion != w[0] || *p.NodeImageVersion != w[1] {
			t.Errorf("pool %s: %s on %s, want %s on %s", *p.Name, *p.OrchestratorVersion, *p.NodeImageVersion, w[0], w[1])
		}
	}
	sea := h.get("prod", "prod-sea-1")
	pool := sea.Properties.AgentPoolProfiles[0]
	if *pool.Name != "nodepool1" || *pool.Mode != "System" || *pool.Count != 3 || *sea.Properties.KubernetesVersion != "1.32.6" {
		t.Fatalf("defaulted cluster: %s %s %d %s", *pool.Name, *pool.Mode, *pool.Count, *sea.Properties.KubernetesVersion)
	}
	// Seeding again fails whole: the clusters exist.
	if _, err := h.cloud.CreateClusters(s); err == nil || !strings.Contains(err.Error(), "clusters[0].name") {
		t.Fatalf("re-seeding: %v", err)
	}
}

func TestParseSeedJSON(t *testing.T) {
	s, err := ParseSeed([]byte(`{"clusters":[{"name":"c1","resourceGroup":"rg","region":"westus2","pools":[{"name":"p1","count":1}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cl := New(Options{})
	defer cl.Close()
	ids, err := cl.CreateClusters(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ids[0], "/subscriptions/"+DefaultSubscription+"/") {
		t.Fatalf("id %s not in the default subscription", ids[0])
	}
}

func TestSeedErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		seed  string
		field string
	}{
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, osType: Linuks}]}]`, "clusters[0].pools[0].osType"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus}, {name: b, resourceGroup: rg, region: eastus, pools: [{name: ok}, {name: "Bad!"}]}]`, "clusters[1].pools[1].name"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, kubernetesVersion: one}]`, "clusters[0].kubernetesVersion"},
		{`clusters: [{name: a, resourceGroup: rg}]`, "clusters[0].region"},
		{`clusters: [{name: a, region: eastus}]`, "clusters[0].resourceGroup"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus}, {name: A, resourceGroup: RG, region: eastus}]`, "clusters[1].name"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, mode: User}]}]`, "clusters[0].pools"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, osType: Windows, osSKU: Ubuntu}]}]`, "clusters[0].pools[0].osSKU"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, nodeImageVersion: newest}]}]`, "clusters[0].pools[0].nodeImageVersion"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, tags: {sim-upgrade-seconds: "-1"}}]`, "clusters[0].tags.sim-upgrade-seconds"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, count: -2}]}]`, "clusters[0].pools[0].count"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, colour: blue}]`, "colour"},
	} {
		_, err := ParseSeed([]byte(tc.seed))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("seed %s: error %v, want one naming %s", tc.seed, err, tc.field)
		}
	}
	var fe *FieldError
	_, err := ParseSeed([]byte(`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, osType: Linuks}]}]`))
	if !errors.As(err, &fe) || fe.Field != "clusters[0].pools[0].osType" {
		t.Fatalf("error is not a *FieldError for the field: %#v", err)
	}
}

func TestSeedCatalogErrorsNameTheField(t *testing.T) {
	cl := New(Options{})
	defer cl.Close()
	for _, tc := range []struct {
		seed  string
		field string
	}{
		{`clusters: [{name: a, resourceGroup: rg, region: marsnorth}]`, "clusters[0].region"},
		{`clusters: [{name: a, resourceGroup: rg, region: southeastasia, kubernetesVersion: 1.33.2}]`, "clusters[0].kubernetesVersion"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, kubernetesVersion: "1.33", pools: [{name: p, kubernetesVersion: "1.29"}]}]`, "clusters[0].pools[0].kubernetesVersion"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, kubernetesVersion: "1.30", pools: [{name: p, kubernetesVersion: "1.31.2"}]}]`, "clusters[0].pools[0].kubernetesVersion"},
		{`clusters: [{name: ok, resourceGroup: rg, region: eastus}, {name: a, resourceGroup: rg, region: southeastasia, pools: [{name: p, nodeImageVersion: AKSUbuntu-2204gen2containerd-202505.14.0}]}]`, "clusters[1].pools[0].nodeImageVersion"},
		{`clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, osSKU: Windows2019, osType: Windows}]}]`, "clusters[0].pools[0].osSKU"},
	} {
		s, err := ParseSeed([]byte(tc.seed))
		if err != nil {
			t.Fatalf("seed %s should parse: %v", tc.seed, err)
		}
		_, err = cl.CreateClusters(s)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("seed %s: error %v, want one naming %s", tc.seed, err, tc.field)
		}
	}
	if n := len(cl.clusters.all()); n != 0 {
		t.Fatalf("failed seeds created %d clusters", n)
	}
}

func TestLoadSeed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(good, []byte(seedYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSeed(good)
	if err != nil || len(s.Clusters) != 2 {
		t.Fatalf("LoadSeed: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("clusters: [{name: a, resourceGroup: rg, region: eastus, pools: [{name: p, mode: Boss}]}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSeed(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "clusters[0].pools[0].mode") {
		t.Fatalf("LoadSeed of a bad file: %v", err)
	}
	if _, err := LoadSeed(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("LoadSeed of a missing file: %v", err)
	}
}

func TestSeedEndpoint(t *testing.T) {
	h := newHarness(t, Options{})
	resp, body := h.raw(http.MethodPost, "/simulator/seed", seedYAML)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("seed: %d %s", resp.StatusCode, body)
	}
	var out seedResponse
	if err := json.Unmarshal(body, &out); err != nil || out.Created != 2 {
		t.Fatalf("seed response: %s", body)
	}
	resp, body = h.raw(http.MethodPost, "/simulator/clusters", `{"clusters":[{"name":"x","resourceGroup":"rg","region":"eastus","pools":[{"name":"p","osType":"Linuks"}]}]}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad seed: %d", resp.StatusCode)
	}
	if _, msg := armErrorBody(t, body); !strings.Contains(msg, "clusters[0].pools[0].osType") {
		t.Fatalf("bad seed message: %s", msg)
	}
	h.get("prod", "prod-eus-1")
}

func TestCreateClusterErrors(t *testing.T) {
	cl := New(Options{})
	defer cl.Close()
	if _, err := cl.CreateCluster(ClusterSpec{Name: "a", ResourceGroup: "rg", Region: "eastus"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateCluster(ClusterSpec{Name: "A", ResourceGroup: "RG", Region: "eastus"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := cl.CreateCluster(ClusterSpec{Name: "b", ResourceGroup: "rg", Region: "eastus", Pools: []PoolSpec{{Name: "p", KubernetesVersion: "2.0"}}}); err == nil || !strings.Contains(err.Error(), "pools[0].kubernetesVersion") {
		t.Fatalf("bad pool version: %v", err)
	}
}

// TestSeedLatestAndBareReleases: "latest" seeds a pool at its region's
// newest image of its family, as a cluster created through AKS is, and a
// bare release names that release of the pool's family.
func TestSeedLatestAndBareReleases(t *testing.T) {
	s, err := ParseSeed([]byte(`
subscription: 11111111-2222-3333-4444-555555555555
clusters:
  - name: east
    resourceGroup: rg
    region: eastus
    pools:
      - {name: system, nodeImageVersion: latest}
      - {name: azl, osSKU: AzureLinux, nodeImageVersion: "202502.09.0"}
      - {name: win, osType: Windows, nodeImageVersion: latest}
  - name: sea
    resourceGroup: rg
    region: southeastasia
    pools:
      - {name: system, nodeImageVersion: latest}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{})
	if _, err := h.cloud.CreateClusters(s); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"east": {
			"system": "AKSUbuntu-2204gen2containerd-202505.14.0",
			"azl":    "AKSAzureLinux-V3gen2-202502.09.0",
			"win":    "AKSWindows-2022-containerd-20348.3561.250513",
		},
		"sea": {"system": "AKSUbuntu-2204gen2containerd-202503.18.0"},
	}
	for name, pools := range want {
		for _, p := range h.get("rg", name).Properties.AgentPoolProfiles {
			if *p.NodeImageVersion != pools[*p.Name] {
				t.Errorf("%s/%s on %s, want %s", name, *p.Name, *p.NodeImageVersion, pools[*p.Name])
			}
		}
	}
	for _, bad := range []string{"newest", "2025.01"} {
		_, err := ParseSeed([]byte(`{"clusters":[{"name":"a","resourceGroup":"rg","region":"eastus","pools":[{"name":"p","nodeImageVersion":"` + bad + `"}]}]}`))
		if err == nil || !strings.Contains(err.Error(), "clusters[0].pools[0].nodeImageVersion") || !strings.Contains(err.Error(), `"latest"`) {
			t.Errorf("nodeImageVersion %q: %v", bad, err)
		}
	}
}
