package fleet

import (
	"strings"
	"testing"
)

func TestCanonicalClusterIDOneSpellingPerCluster(t *testing.T) {
	const want = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/RG-x/providers/Microsoft.ContainerService/managedClusters/c05"
	for _, in := range []string{
		want,
		want + "/",
		"/" + want,
		"//subscriptions/00000000-0000-0000-0000-00000000000A//resourceGroups/RG-x/providers/microsoft.containerservice/MANAGEDCLUSTERS/c05//",
		"subscriptions/00000000-0000-0000-0000-00000000000a/resourcegroups/RG-x/providers/Microsoft.ContainerService/managedClusters/c05",
		" " + want + " ",
	} {
		got, err := CanonicalClusterID(in)
		if err != nil || got != want {
			t.Errorf("CanonicalClusterID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if ClusterKey(want) != ClusterKey("/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-X/providers/Microsoft.ContainerService/managedClusters/C05/") {
		t.Error("two spellings of one cluster have different keys")
	}
	for _, bad := range []string{"", "/", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters", "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c/agentPools/p"} {
		if got, err := CanonicalClusterID(bad); err == nil {
			t.Errorf("CanonicalClusterID(%q) = %q, want an error", bad, got)
		}
	}
}

// ClusterKey's shortcut for an id without stray slashes or spaces gives
// what the canonical spelling in lower case gives.
func TestClusterKeyShortcut(t *testing.T) {
	slow := func(id string) string {
		if c, err := CanonicalClusterID(id); err == nil {
			id = c
		}
		return strings.ToLower(id)
	}
	for _, id := range []string{
		"/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/C1",
		"/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/microsoft.containerservice/MANAGEDCLUSTERS/c1",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1/",
		"//subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1",
		" /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f",
		"/subscriptions/s/resourceGroups/rg",
		"not an id",
		"/",
		"",
	} {
		if got, want := ClusterKey(id), slow(id); got != want {
			t.Errorf("ClusterKey(%q) = %q, want %q", id, got, want)
		}
	}
}
