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
func ParseClusterID(id string) (ClusterRef, error) {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) != 8 ||
		!strings.EqualFold(parts[0], "subscriptions") ||
		!strings.EqualFold(parts[2], "resourceGroups") ||
		!strings.EqualFold(parts[4], "providers") ||
		!strings.EqualFold(parts[5], "Microsoft.ContainerService") ||
		!strings.EqualFold(parts[6], "managedClusters") ||
		parts[1] == "" || parts[3] == "" || parts[7] == "" {
		return ClusterRef{}, fmt.Errorf("%q is not a managed cluster id: want /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}", id)
	}
	return ClusterRef{Subscription: parts[1], ResourceGroup: parts[3], Name: parts[7]}, nil
}
