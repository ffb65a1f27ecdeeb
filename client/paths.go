package client

import (
	"net/url"

	"github.com/caravan-dev/caravan/fleet"
)

// Collections under a fleet, as they appear in ARM paths.
const (
	collMembers    = "members"
	collStrategies = "updateStrategies"
	collRuns       = "updateRuns"
)

func fleetPath(r fleet.FleetRef) string {
	return "/subscriptions/" + url.PathEscape(r.Subscription) +
		"/resourceGroups/" + url.PathEscape(r.ResourceGroup) +
		"/providers/Microsoft.ContainerService/fleets/" + url.PathEscape(r.Fleet)
}

func childPath(r fleet.FleetRef, coll, name string) string {
	return fleetPath(r) + "/" + coll + "/" + url.PathEscape(name)
}
