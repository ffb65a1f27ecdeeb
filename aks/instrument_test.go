package aks

import "testing"

func TestOperationOfNamesTheResourceTypeAndAction(t *testing.T) {
	base := "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c"
	for _, tc := range []struct{ method, path, want string }{
		{"GET", base, "GET managedClusters"},
		{"PUT", base + "/agentPools/p", "PUT agentPools"},
		{"POST", base + "/agentPools/p/upgradeNodeImageVersion", "POST agentPools/upgradeNodeImageVersion"},
		{"GET", base + "/upgradeProfiles/default", "GET upgradeProfiles"},
		{"GET", "/subscriptions/s/providers/Microsoft.ContainerService/locations/eastus/operations/abc", "GET operations"},
		{"GET", "/subscriptions/s/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions", "GET kubernetesVersions"},
		{"GET", "/healthz", "GET other"},
	} {
		if got := operationOf(tc.method, tc.path); got != tc.want {
			t.Errorf("operationOf(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
