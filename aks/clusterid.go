package aks

import (
	"net/url"
	"strings"

	"github.com/caravan-dev/caravan/cluster"
)

// clusterID is a parsed managed cluster ARM id.
type clusterID struct {
	raw           string
	subscription  string
	resourceGroup string
	name          string
}

// key identifies the cluster regardless of letter case, as ARM does.
func (id clusterID) key() string { return strings.ToLower(id.raw) }

// path is the managed cluster's ARM path, as the SDK's clients build it.
func (id clusterID) path() string {
	return "/subscriptions/" + url.PathEscape(id.subscription) +
		"/resourceGroups/" + url.PathEscape(id.resourceGroup) +
		"/providers/Microsoft.ContainerService/managedClusters/" + url.PathEscape(id.name)
}

// parseClusterID parses /subscriptions/{sub}/resourceGroups/{rg}/providers/
// Microsoft.ContainerService/managedClusters/{name}. Segment keys compare
// without regard to case, as ARM compares them.
func parseClusterID(s string) (clusterID, error) {
	parts := strings.Split(strings.Trim(s, "/"), "/")
	ok := strings.HasPrefix(s, "/") && len(parts) == 8 &&
		strings.EqualFold(parts[0], "subscriptions") &&
		strings.EqualFold(parts[2], "resourceGroups") &&
		strings.EqualFold(parts[4], "providers") &&
		strings.EqualFold(parts[5], "Microsoft.ContainerService") &&
		strings.EqualFold(parts[6], "managedClusters")
	if ok {
		for _, i := range []int{1, 3, 7} {
			if parts[i] == "" || strings.TrimSpace(parts[i]) != parts[i] {
				ok = false
			}
		}
	}
	if !ok {
		return clusterID{}, cluster.Errorf(cluster.Rejected, "InvalidResourceId",
			"%q is not an AKS cluster id: want /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}", s)
	}
	return clusterID{raw: strings.TrimRight(s, "/"), subscription: parts[1], resourceGroup: parts[3], name: parts[7]}, nil
}
