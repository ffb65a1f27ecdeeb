package fleet

import "testing"

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
