package simcloud

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

func TestDefaultCatalog(t *testing.T) {
	c := DefaultCatalog()
	if err := c.Validate(); err != nil {
		t.Fatalf("default catalog does not validate: %v", err)
	}
	idx := newCatalogIndex(c)
	for _, region := range []string{"eastus", "westeurope", "southeastasia", "westus2", "northeurope", "japaneast"} {
		ri := idx.region(region)
		if ri == nil {
			t.Fatalf("no region %s", region)
		}
		for _, f := range []string{FamilyUbuntu2204, FamilyAzureLinux3, FamilyWindows2022} {
			if len(ri.images[f]) < 3 {
				t.Errorf("%s has %d %s releases, want at least 3", region, len(ri.images[f]), f)
			}
		}
		minors := map[string]int{}
		for _, v := range ri.versions {
			minors[v.MinorString()]++
		}
		if len(minors) < 4 {
			t.Errorf("%s offers %d minors", region, len(minors))
		}
	}
	east, _ := idx.region("eastus").latestImage(FamilyUbuntu2204)
	west, _ := idx.region("westeurope").latestImage(FamilyUbuntu2204)
	sea, _ := idx.region("southeastasia").latestImage(FamilyUbuntu2204)
	if !(east.Compare(west) > 0 && west.Compare(sea) > 0) {
		t.Fatalf("want eastus %s ahead of westeurope %s ahead of southeastasia %s", east, west, sea)
	}
}

func TestCatalogValidate(t *testing.T) {
	c := Catalog{Regions: []RegionCatalog{
		{Name: "eastus", KubernetesVersions: []string{"1.30.1", "1.30"}, NodeImages: []string{"AKSUbuntu-2204gen2containerd-202501.01.0", "junk"}},
		{Name: "EastUS"},
	}}
	err := c.Validate()
	for _, want := range []string{"regions[0].kubernetesVersions[1]", "regions[0].nodeImages[1]", "regions[1].name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want it to name %s", err, want)
		}
	}
}

func TestCustomCatalog(t *testing.T) {
	h := newHarness(t, Options{Catalog: &Catalog{Regions: []RegionCatalog{{
		Name:               "westus3",
		KubernetesVersions: []string{"1.30.1", "1.31.0"},
		NodeImages:         []string{"AKSUbuntu-2204gen2containerd-202501.01.0"},
	}}}})
	mc := h.create("rg", "c", clusterBody("westus3", "", tagsInstant()))
	if *mc.Properties.KubernetesVersion != "1.30.1" {
		t.Fatalf("default version %s", *mc.Properties.KubernetesVersion)
	}
	if _, err := h.clusters.ListKubernetesVersions(ctx(t), "eastus", nil); err == nil {
		t.Fatal("eastus is not in the custom catalog")
	}
}

func TestPublishThenUpgrade(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "southeastasia", "1.33.1", "1.33.1", tagsInstant())
	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.33.2")
	if _, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil); err == nil {
		t.Fatal("1.33.2 is not in southeastasia yet")
	}
	if err := h.cloud.PublishKubernetesVersions([]string{"1.33.2"}, "SouthEastAsia"); err != nil {
		t.Fatal(err)
	}
	p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
	if err != nil {
		t.Fatalf("after publishing 1.33.2: %v", err)
	}
	if _, err := p.PollUntilDone(ctx(t), fastPoll); err != nil {
		t.Fatal(err)
	}

	img := "AKSUbuntu-2204gen2containerd-202506.11.0"
	if err := h.cloud.PublishNodeImages([]string{img}); err != nil {
		t.Fatal(err)
	}
	prof, err := h.pools.GetUpgradeProfile(ctx(t), "rg1", "alpha", "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *prof.Properties.LatestNodeImageVersion != img {
		t.Fatalf("latest after publishing everywhere: %s", *prof.Properties.LatestNodeImageVersion)
	}
	up, err := h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := up.PollUntilDone(ctx(t), fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Properties.NodeImageVersion != img {
		t.Fatalf("image after upgrade: %s", *res.Properties.NodeImageVersion)
	}
	if err := h.cloud.PublishKubernetesVersions([]string{"1.34"}); err == nil {
		t.Fatal("publishing a minor without a patch should fail")
	}
	if err := h.cloud.PublishNodeImages([]string{img}, "atlantis"); err == nil || !strings.Contains(err.Error(), "atlantis") {
		t.Fatalf("publishing to an unknown region: %v", err)
	}
}

func TestClusterUpgradeProfile(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.31.6", "1.30.11", nil)
	res, err := h.clusters.GetUpgradeProfile(ctx(t), "rg1", "alpha", nil)
	if err != nil {
		t.Fatal(err)
	}
	cp := res.Properties.ControlPlaneProfile
	if *cp.KubernetesVersion != "1.31.6" || versionsOf(cp.Upgrades) != "1.31.8,1.32.0,1.32.2,1.32.4,1.32.6" {
		t.Fatalf("control plane profile: %s %s", *cp.KubernetesVersion, versionsOf(cp.Upgrades))
	}
	if len(res.Properties.AgentPoolProfiles) != 2 || *res.Properties.AgentPoolProfiles[0].KubernetesVersion != "1.30.11" {
		t.Fatalf("pool profiles: %+v", res.Properties.AgentPoolProfiles)
	}
}

func versionsOf(items []*armcontainerservice.ManagedClusterPoolUpgradeProfileUpgradesItem) string {
	var out []string
	for _, i := range items {
		out = append(out, *i.KubernetesVersion)
	}
	return strings.Join(out, ",")
}
