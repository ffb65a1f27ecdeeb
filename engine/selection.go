package engine

import (
	"maps"
	"slices"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/version"
)

// needsSelection reports whether the run must choose its Consistent node
// images before any member starts.
func (rs *runState) needsSelection() bool {
	return rs.sel == fleet.NodeImageConsistent &&
		rs.upgrade != fleet.UpgradeControlPlaneOnly &&
		rs.status().NodeImageSelection == nil
}

// selected returns the recorded Consistent choice by image family.
func (rs *runState) selected() map[string]string {
	out := map[string]string{}
	if s := rs.status().NodeImageSelection; s != nil {
		for _, v := range s.SelectedNodeImageVersions {
			out[version.ImageFamily(v.Version)] = v.Version
		}
	}
	return out
}

// consistentImages picks, for each image family used by the clusters' node
// pools, the newest image every one of those clusters' regions offers: the
// oldest of the regions' newest images, since a region that has a release
// also has the ones before it. Families are returned in name order.
func consistentImages(clusters []*cluster.Cluster) []fleet.NodeImageVersion {
	common := map[string]version.NodeImage{}
	for _, c := range clusters {
		for _, p := range c.NodePools {
			latest, err := version.ParseNodeImage(p.LatestNodeImageVersion)
			if err != nil {
				continue
			}
			if cur, ok := common[latest.Family]; !ok || latest.Compare(cur) < 0 {
				common[latest.Family] = latest
			}
		}
	}
	out := make([]fleet.NodeImageVersion, 0, len(common))
	for _, fam := range slices.Sorted(maps.Keys(common)) {
		out = append(out, fleet.NodeImageVersion{Version: common[fam].String()})
	}
	return out
}
