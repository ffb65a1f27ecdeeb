package runs

import (
	"maps"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/version"
)

// CheckOffered refuses a run whose Kubernetes version no region of its
// members' clusters offers: such a run would leave every member Pending
// for good. It judges only from the clusters that were read with their
// region's catalog; with none, it says nothing. The error names what the regions do offer.
func CheckOffered(u fleet.ManagedClusterUpdate, obs Observations) error {
	if u.Upgrade.Type == fleet.UpgradeNodeImageOnly || u.Upgrade.KubernetesVersion == "" {
		return nil
	}
	want, err := version.ParseKubernetes(u.Upgrade.KubernetesVersion)
	if err != nil {
		return nil // validation has said so already
	}
	offered := map[string]bool{}
	regions := map[string]bool{}
	for _, o := range obs {
		c := o.Cluster
		if c == nil || len(c.AvailableVersions) == 0 {
			// A cluster whose region's catalog could not be read says
			// nothing of what is offered.
			continue
		}
		regions[c.Region] = true
		for _, v := range append(slices.Clone(c.AvailableVersions), c.KubernetesVersion) {
			kv, err := version.ParseKubernetes(v)
			if err != nil {
				continue
			}
			if kv.Matches(want) {
				return nil
			}
			offered[v] = true
		}
	}
	if len(regions) == 0 {
		return nil
	}
	vs := slices.Collect(maps.Keys(offered))
	version.SortKubernetes(vs)
	return fleet.Invalid("properties.managedClusterUpdate.upgrade.kubernetesVersion",
		"Kubernetes %s is not offered in any region of the fleet's members (%s); offered there: %s. Choose one of those (a minor such as %s takes each cluster's newest patch of it)",
		want, strings.Join(slices.Sorted(maps.Keys(regions)), ", "), orNone(vs), minorOf(vs))
}

func orNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}

func minorOf(vs []string) string {
	if len(vs) == 0 {
		return "1.30"
	}
	v, err := version.ParseKubernetes(vs[len(vs)-1])
	if err != nil {
		return "1.30"
	}
	return v.MinorString()
}
