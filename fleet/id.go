package fleet

import (
	"fmt"
	"strings"
)

// FleetRef names a fleet.
type FleetRef struct {
	Subscription  string
	ResourceGroup string
	Fleet         string
}

// ID is the fleet's ARM resource id.
func (f FleetRef) ID() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/fleets/%s", f.Subscription, f.ResourceGroup, f.Fleet)
}

// Child is the ARM id of a resource under the fleet, such as
// Child("updateRuns", "run-1").
func (f FleetRef) Child(collection, name string) string {
	return f.ID() + "/" + collection + "/" + name
}

// ParseFleetChildID splits the id of a resource under a fleet
// (.../fleets/{fleet}/{collection}/{name}) into the fleet and the child's
// collection and name. Matching is case-insensitive, as ARM ids are.
func ParseFleetChildID(id string) (f FleetRef, collection, name string, err error) {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) != 10 ||
		!strings.EqualFold(parts[0], "subscriptions") ||
		!strings.EqualFold(parts[2], "resourceGroups") ||
		!strings.EqualFold(parts[4], "providers") ||
		!strings.EqualFold(parts[5], "Microsoft.ContainerService") ||
		!strings.EqualFold(parts[6], "fleets") {
		return FleetRef{}, "", "", fmt.Errorf("%q is not the id of a resource in a fleet: want /subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.ContainerService/fleets/{fleet}/{collection}/{name}", id)
	}
	for _, p := range []string{parts[1], parts[3], parts[7], parts[9]} {
		if p == "" {
			return FleetRef{}, "", "", fmt.Errorf("%q has an empty segment", id)
		}
	}
	return FleetRef{Subscription: parts[1], ResourceGroup: parts[3], Fleet: parts[7]}, parts[8], parts[9], nil
}

// ClusterRef names a managed cluster.
type ClusterRef struct {
	Subscription  string
	ResourceGroup string
	Name          string
}

// ParseClusterID parses the ARM id of a managed cluster:
// /subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}.
// Empty segments (doubled, leading or trailing slashes) are ignored, as
// CanonicalClusterID ignores them.
func ParseClusterID(id string) (ClusterRef, error) {
	c, err := CanonicalClusterID(id)
	if err != nil {
		return ClusterRef{}, err
	}
	parts := strings.Split(c, "/")
	return ClusterRef{Subscription: parts[2], ResourceGroup: parts[4], Name: parts[8]}, nil
}

// clusterSegments are the fixed segments of a managed cluster id, in the
// case ARM writes them, with the positions of the variable ones empty.
var clusterSegments = [8]string{"subscriptions", "", "resourceGroups", "", "providers", "Microsoft.ContainerService", "managedClusters", ""}

// CanonicalClusterID returns the one spelling of a managed cluster id that
// caravan stores and compares: empty segments dropped (a leading "//", a
// doubled or trailing slash), the fixed segments in ARM's case and the
// subscription in lower case. Resource group and cluster names keep the
// case they were given; compare ids with ClusterKey, which ignores it, as
// ARM does.
func CanonicalClusterID(id string) (string, error) {
	var parts []string
	for _, p := range strings.Split(strings.TrimSpace(id), "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	bad := func() error {
		return fmt.Errorf("%q is not a managed cluster id: want /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}", id)
	}
	if len(parts) != len(clusterSegments) {
		return "", bad()
	}
	for i, want := range clusterSegments {
		if want != "" {
			if !strings.EqualFold(parts[i], want) {
				return "", bad()
			}
			parts[i] = want
		}
	}
	parts[1] = strings.ToLower(parts[1])
	return "/" + strings.Join(parts, "/"), nil
}

// ClusterKey is the form of a cluster id that two spellings of one cluster
// share: its canonical spelling in lower case. An id that does not parse
// is only lower-cased.
func ClusterKey(id string) string {
	// An id without stray slashes or spaces is its canonical spelling
	// but for case, or no cluster id at all: either way its key is its
	// lower case.
	if id != "" && id[0] == '/' && id[len(id)-1] != '/' && !strings.Contains(id, "//") && strings.TrimSpace(id) == id {
		return strings.ToLower(id)
	}
	if c, err := CanonicalClusterID(id); err == nil {
		id = c
	}
	return strings.ToLower(id)
}
