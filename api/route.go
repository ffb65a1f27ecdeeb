package api

import (
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/auth"
)

// Collections under a fleet.
const (
	collMembers    = "members"
	collStrategies = "updateStrategies"
	collRuns       = "updateRuns"
	collProfiles   = "autoUpgradeProfiles"
	collGates      = "gates"
)

// route is a parsed request path.
type route struct {
	sub, rg string
	// bySubscription: the subscription-wide fleet list.
	bySubscription bool
	fleet          string
	coll           string // "", or one of the coll constants
	name           string
	action         string // start, stop, skip, plan, events, listCredentials
	// providerOperations: ARM's operations list of the provider.
	providerOperations bool
}

// parseRoute matches ARM's fleet paths, case-insensitively for the fixed
// segments:
//
//	/subscriptions/{s}/providers/Microsoft.ContainerService/fleets
//	/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/fleets[/{f}[/listCredentials]]
//	.../fleets/{f}/{members|updateStrategies|updateRuns|gates}[/{name}[/{start|stop|skip|plan|events}]]
//	/providers/Microsoft.ContainerService/operations
//	.../fleets/{f}/autoUpgradeProfiles[/{name}[/generateUpdateRun]]
//
// The path must be canonical (see CheckPath): it is split on every slash
// as it is, so an empty segment never matches.
func parseRoute(path string) (route, bool) {
	if !strings.HasPrefix(path, "/") {
		return route{}, false
	}
	seg := strings.Split(path[1:], "/")
	for _, s := range seg {
		if s == "" {
			return route{}, false
		}
	}
	if len(seg) == 3 && strings.EqualFold(seg[0], "providers") && strings.EqualFold(seg[1], "Microsoft.ContainerService") && strings.EqualFold(seg[2], "operations") {
		return route{providerOperations: true}, true
	}
	var r route
	if len(seg) < 2 || !strings.EqualFold(seg[0], "subscriptions") {
		return r, false
	}
	r.sub = seg[1]
	rest := seg[2:]
	if len(rest) >= 2 && strings.EqualFold(rest[0], "resourceGroups") {
		r.rg = rest[1]
		rest = rest[2:]
	}
	if len(rest) < 3 || !strings.EqualFold(rest[0], "providers") || !strings.EqualFold(rest[1], "Microsoft.ContainerService") || !strings.EqualFold(rest[2], "fleets") {
		return r, false
	}
	rest = rest[3:]
	if r.rg == "" {
		r.bySubscription = true
		return r, len(rest) == 0
	}
	if len(rest) == 0 {
		return r, true
	}
	r.fleet = rest[0]
	rest = rest[1:]
	if len(rest) == 0 {
		return r, true
	}
	if len(rest) == 1 && strings.EqualFold(rest[0], "listCredentials") {
		r.action = "listCredentials"
		return r, true
	}
	switch {
	case strings.EqualFold(rest[0], collMembers):
		r.coll = collMembers
	case strings.EqualFold(rest[0], collStrategies):
		r.coll = collStrategies
	case strings.EqualFold(rest[0], collRuns):
		r.coll = collRuns
	case strings.EqualFold(rest[0], collProfiles):
		r.coll = collProfiles
	case strings.EqualFold(rest[0], collGates):
		r.coll = collGates
	default:
		return r, false
	}
	rest = rest[1:]
	if len(rest) == 0 {
		return r, true
	}
	r.name = rest[0]
	rest = rest[1:]
	switch {
	case len(rest) == 0:
		return r, true
	case len(rest) == 1 && r.coll == collRuns:
		for _, a := range []string{"start", "stop", "skip", "plan", "events"} {
			if strings.EqualFold(rest[0], a) {
				r.action = a
				return r, true
			}
		}
	case len(rest) == 1 && r.coll == collProfiles && strings.EqualFold(rest[0], actionGenerate):
		r.action = actionGenerate
		return r, true
	}
	return r, false
}

// kind is the sort of resource a route addresses.
func (r route) kind() kind {
	switch {
	case r.providerOperations:
		return kindProviderOperations
	case r.bySubscription:
		return kindFleetsInSubscription
	case r.fleet == "":
		return kindFleetsInGroup
	case r.action == "listCredentials":
		return kindFleetCredentials
	case r.coll == "":
		return kindFleet
	case r.name == "":
		return map[string]kind{collMembers: kindMembers, collStrategies: kindStrategies, collRuns: kindRuns, collProfiles: kindProfiles, collGates: kindGates}[r.coll]
	case r.action == "plan":
		return kindRunPlan
	case r.action == "events":
		return kindRunEvents
	case r.action == actionGenerate:
		return kindProfileGenerate
	case r.action != "":
		return kindRunAction
	}
	return map[string]kind{collMembers: kindMember, collStrategies: kindStrategy, collRuns: kindRun, collProfiles: kindProfile, collGates: kindGate}[r.coll]
}

// Route is a request matched against the Fleet API's route table: the
// resource its path names, and the operation its method performs there
// (none when the method is not allowed, or the path names nothing).
type Route struct {
	rt    route
	found bool
	op    *operation
}

// Match finds a request's route. ok reports whether the path belongs to
// the Fleet API at all: a fleets path, or one under ARM's
// Microsoft.ContainerService/operations. The path should have passed
// CheckPath.
func Match(req *http.Request) (rt Route, ok bool) {
	r, found := parseRoute(req.URL.Path)
	if found {
		return Route{rt: r, found: true, op: lookup(r.kind(), req.Method)}, true
	}
	p := strings.ToLower(req.URL.Path)
	owned := strings.Contains(p, "/providers/microsoft.containerservice/fleets") ||
		strings.HasPrefix(p, "/providers/microsoft.containerservice/operations")
	return Route{}, owned
}

// Role is the role the route's operation needs. A request that performs
// no operation (its path names nothing, or its method is not allowed
// there) changes nothing and needs only to be authenticated: reader.
func (r Route) Role() auth.Role {
	if r.op == nil {
		return auth.Reader
	}
	return r.op.role
}

// Operation names what the request does, such as "delete a fleet", or ""
// when it does nothing.
func (r Route) Operation() string {
	if r.op == nil {
		return ""
	}
	return r.op.what
}

// rgID is the resource group's id as the request spelled it.
func (r route) rgID() string { return "/subscriptions/" + r.sub + "/resourceGroups/" + r.rg }

// fleetID is the fleet's id.
func (r route) fleetID() string {
	return r.rgID() + "/providers/Microsoft.ContainerService/fleets/" + r.fleet
}

// childID is the id of the named resource in the fleet.
func (r route) childID() string { return r.fleetID() + "/" + r.coll + "/" + r.name }
