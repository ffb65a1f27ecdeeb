package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

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

// deriveSpread records, for a Consistent or Custom run that moves node
// images, the images its finished members' pools were observed on, and a
// note that says whether they ended consistent and names the pools that
// kept a newer image than the run's. It is a function of the members'
// observations.
func (rs *runState) deriveSpread() {
	if rs.upgrade == fleet.UpgradeControlPlaneOnly || rs.sel == fleet.NodeImageLatest {
		return
	}
	count := map[string]int{}
	var kept []string
	rs.each(func(_ mkey, m *fleet.MemberStatus) {
		if m.Observed == nil || !m.Status.State.Finished() {
			return
		}
		for _, p := range m.Observed.NodePools {
			count[p.NodeImageVersion]++
			if p.KeptNewerImage {
				kept = append(kept, fmt.Sprintf("%s/%s keeps %s", m.Name, p.Name, p.NodeImageVersion))
			}
		}
	})
	if len(count) == 0 {
		return
	}
	sel := rs.status().NodeImageSelection
	if sel == nil {
		if rs.sel == fleet.NodeImageConsistent {
			return // nothing chosen yet
		}
		sel = &fleet.NodeImageSelectionStatus{}
	}
	spread := make([]fleet.ImageCount, 0, len(count))
	pools := 0
	families := map[string]bool{}
	for _, img := range slices.Sorted(maps.Keys(count)) {
		spread = append(spread, fleet.ImageCount{Version: img, NodePools: count[img]})
		pools += count[img]
		families[version.ImageFamily(img)] = true
	}
	var msg string
	switch {
	case len(kept) > 0:
		const show = 10
		list := kept
		more := ""
		if len(list) > show {
			more = fmt.Sprintf(" and %d more", len(list)-show)
			list = list[:show]
		}
		msg = fmt.Sprintf("node pools of the finished members are on %d images, not one per family: %d kept a newer image than the run's, since node images never move backwards (%s%s)",
			len(spread), len(kept), strings.Join(list, ", "), more)
	case len(spread) > len(families):
		msg = fmt.Sprintf("node pools of the finished members are on %d images of %d families: pools of families the run does not pin, or members skipped, keep theirs", len(spread), len(families))
	default:
		msg = fmt.Sprintf("the %d node pools of the finished members are on one image per family", pools)
	}
	if slices.Equal(sel.ResultingNodeImageVersions, spread) && sel.Message == msg && rs.status().NodeImageSelection != nil {
		return
	}
	sel.ResultingNodeImageVersions = spread
	sel.Message = msg
	rs.status().NodeImageSelection = sel
	rs.dirty = true
}
