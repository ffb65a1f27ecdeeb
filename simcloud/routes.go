package simcloud

import (
	"strings"
)

// routeKind is which resource an ARM path addresses.
type routeKind int

const (
	routeNone routeKind = iota
	routeClustersInSubscription
	routeClustersInGroup
	routeCluster
	routeClusterUpgradeProfile
	routeMaintenanceConfigs
	routeMaintenanceConfig
	routePools
	routePool
	routePoolUpgradeProfile
	routePoolUpgradeNodeImage
	routeKubernetesVersions
	routeOperationStatus
	routeOperationResult
	routeSimulator
)

// route is a parsed request path. Fixed segments match in any case, as in
// ARM; names keep the case the caller used.
type route struct {
	kind    routeKind
	sub     string
	rg      string
	cluster string
	pool    string
	region  string
	opID    string
	// config is a maintenance configuration's name.
	config string
	// sim is the rest of a /simulator/ path, such as "operations".
	sim string
}

const providerNamespace = "Microsoft.ContainerService"

// parseRoute recognises the paths the simulator serves. Fleet paths
// (.../providers/Microsoft.ContainerService/fleets/...) and anything else
// come back as routeNone.
func parseRoute(path string) route {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) >= 1 && segs[0] == "simulator" {
		return route{kind: routeSimulator, sim: strings.Join(segs[1:], "/")}
	}
	is := func(i int, s string) bool { return i < len(segs) && strings.EqualFold(segs[i], s) }
	if len(segs) < 5 || !is(0, "subscriptions") || segs[1] == "" {
		return route{}
	}
	r := route{sub: segs[1]}
	switch {
	case is(2, "providers") && is(3, providerNamespace):
		rest := segs[4:]
		switch {
		case len(rest) == 1 && strings.EqualFold(rest[0], "managedClusters"):
			r.kind = routeClustersInSubscription
		case len(rest) == 3 && strings.EqualFold(rest[0], "locations") && strings.EqualFold(rest[2], "kubernetesVersions"):
			r.kind, r.region = routeKubernetesVersions, rest[1]
		case len(rest) == 4 && strings.EqualFold(rest[0], "locations") && strings.EqualFold(rest[2], "operations"):
			r.kind, r.region, r.opID = routeOperationStatus, rest[1], rest[3]
		case len(rest) == 4 && strings.EqualFold(rest[0], "locations") && strings.EqualFold(rest[2], "operationresults"):
			r.kind, r.region, r.opID = routeOperationResult, rest[1], rest[3]
		}
		return r
	case is(2, "resourceGroups") && len(segs) >= 7 && is(4, "providers") && is(5, providerNamespace) && is(6, "managedClusters"):
		r.rg = segs[3]
		rest := segs[7:]
		if r.rg == "" {
			return route{}
		}
		switch {
		case len(rest) == 0:
			r.kind = routeClustersInGroup
			return r
		case rest[0] == "":
			return route{}
		}
		r.cluster = rest[0]
		rest = rest[1:]
		switch {
		case len(rest) == 0:
			r.kind = routeCluster
		case len(rest) == 2 && strings.EqualFold(rest[0], "upgradeProfiles") && strings.EqualFold(rest[1], "default"):
			r.kind = routeClusterUpgradeProfile
		case len(rest) == 1 && strings.EqualFold(rest[0], "maintenanceConfigurations"):
			r.kind = routeMaintenanceConfigs
		case len(rest) == 2 && strings.EqualFold(rest[0], "maintenanceConfigurations") && rest[1] != "":
			r.kind, r.config = routeMaintenanceConfig, rest[1]
		case len(rest) == 1 && strings.EqualFold(rest[0], "agentPools"):
			r.kind = routePools
		case len(rest) >= 2 && strings.EqualFold(rest[0], "agentPools") && rest[1] != "":
			r.pool = rest[1]
			rest = rest[2:]
			switch {
			case len(rest) == 0:
				r.kind = routePool
			case len(rest) == 1 && strings.EqualFold(rest[0], "upgradeNodeImageVersion"):
				r.kind = routePoolUpgradeNodeImage
			case len(rest) == 2 && strings.EqualFold(rest[0], "upgradeProfiles") && strings.EqualFold(rest[1], "default"):
				r.kind = routePoolUpgradeProfile
			}
		}
		return r
	}
	return route{}
}
