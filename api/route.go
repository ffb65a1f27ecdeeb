package api

import (
	"net/http"
	"strings"
)

// Collections under a fleet.
const (
	collMembers    = "members"
	collStrategies = "updateStrategies"
	collRuns       = "updateRuns"
)

// route is a parsed request path.
type route struct {
	sub, rg string
	// bySubscription: the subscription-wide fleet list.
	bySubscription bool
	fleet          string
	coll           string // "", or one of the coll constants
	name           string
	action         string // start, stop, skip, events, listCredentials
}

// parseRoute matches ARM's fleet paths, case-insensitively for the fixed
// segments:
//
//	/subscriptions/{s}/providers/Microsoft.ContainerService/fleets
//	/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/fleets[/{f}[/listCredentials]]
//	.../fleets/{f}/{members|updateStrategies|updateRuns}[/{name}[/{start|stop|skip|events}]]
func parseRoute(path string) (route, bool) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	var r route
	if len(seg) < 2 || !strings.EqualFold(seg[0], "subscriptions") || seg[1] == "" {
		return r, false
	}
	r.sub = seg[1]
	rest := seg[2:]
	if len(rest) >= 2 && strings.EqualFold(rest[0], "resourceGroups") && rest[1] != "" {
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
		return r, r.fleet != ""
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
		return r, r.name != ""
	case len(rest) == 1 && r.coll == collRuns:
		for _, a := range []string{"start", "stop", "skip", "events"} {
			if strings.EqualFold(rest[0], a) {
				r.action = a
				return r, r.name != ""
			}
		}
	}
	return r, false
}

// Owns reports whether a request is for caravan's Fleet API, so a server
// can host the simulated cloud's paths beside it on one endpoint.
func Owns(req *http.Request) bool {
	_, ok := parseRoute(req.URL.Path)
	if ok {
		return true
	}
	p := strings.ToLower(req.URL.Path)
	return strings.Contains(p, "/providers/microsoft.containerservice/fleets") ||
		strings.HasPrefix(p, "/providers/microsoft.containerservice/operations")
}

// rgID is the resource group's id as the request spelled it.
func (r route) rgID() string { return "/subscriptions/" + r.sub + "/resourceGroups/" + r.rg }

// fleetID is the fleet's id.
func (r route) fleetID() string {
	return r.rgID() + "/providers/Microsoft.ContainerService/fleets/" + r.fleet
}

// childID is the id of the named resource in the fleet.
func (r route) childID() string { return r.fleetID() + "/" + r.coll + "/" + r.name }
