package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/version"
)

type verdictKind int

const (
	verdictBegin verdictKind = iota
	verdictSkip
	verdictPending
)

// verdict is what to do with a member once its cluster has been observed.
type verdict struct {
	kind    verdictKind
	message string
	target  fleet.MemberTarget
	// observed is the cluster, for a member skipped as at the target.
	observed *fleet.ObservedCluster
	// until, for a member held Pending, is when to look again; zero for
	// the run's usual interval.
	until time.Time
}

// decide is the check before a member's upgrade: skip a cluster already at
// the target (or, under Consistent, one with a pool of a family the run
// chose no image for), hold one whose target its region does not offer
// (or that is busy) or whose maintenance window is closed, and otherwise
// say what to upgrade it to. It is pure: the time is rs.now.
func (rs *runState) decide(c *cluster.Cluster) verdict {
	if c.Busy {
		return verdict{kind: verdictPending, message: fmt.Sprintf("cluster is busy with another operation (provisioning state %s); will check again", orUnknown(c.ProvisioningState))}
	}
	var t fleet.MemberTarget
	var kube version.Kubernetes
	if rs.upgrade != fleet.UpgradeNodeImageOnly {
		v, ok := rs.resolveVersion(c)
		if !ok {
			return verdict{kind: verdictPending, message: fmt.Sprintf("no Kubernetes %s version is offered in region %s; will check again", rs.want, orUnknown(c.Region))}
		}
		kube = v
		t.KubernetesVersion = v.String()
	}
	images := map[string]string{} // family → target image, for pools that have one
	if rs.upgrade != fleet.UpgradeControlPlaneOnly {
		switch rs.sel {
		case fleet.NodeImageLatest:
			t.LatestNodeImages = true
			for _, p := range c.NodePools {
				if p.LatestNodeImageVersion != "" {
					images[p.ImageFamily()] = p.LatestNodeImageVersion
				}
			}
		default:
			chosen := rs.custom
			if rs.sel == fleet.NodeImageConsistent {
				chosen = rs.selected()
				if p, ok := poolWithoutChoice(c, chosen); ok {
					return verdict{kind: verdictSkip, observed: observe(c, nil), message: fmt.Sprintf(
						"node pool %s uses node image family %s, for which this run selected no image (it chose %s when it started); the member is skipped: add no pools of a new family during a Consistent run, or start a new run",
						p.Name, orUnknown(p.ImageFamily()), choiceList(chosen))}
				}
			}
			for _, p := range c.NodePools {
				if img, ok := chosen[p.ImageFamily()]; ok {
					images[p.ImageFamily()] = img
				}
			}
		}
		if len(images) > 0 {
			t.NodeImageVersions = maps.Clone(images)
		}
		for _, p := range c.NodePools {
			if img, ok := images[p.ImageFamily()]; ok && newerImage(p.NodeImageVersion, img) {
				if t.KeptNodeImages == nil {
					t.KeptNodeImages = map[string]string{}
				}
				t.KeptNodeImages[p.Name] = p.NodeImageVersion
			}
		}
	}
	if msg, done := rs.atTarget(c, kube, images, t.LatestNodeImages); done {
		return verdict{kind: verdictSkip, message: msg + keptNote(t.KeptNodeImages), target: t, observed: observe(c, t.KeptNodeImages)}
	}
	if t.KubernetesVersion != "" && c.KubernetesVersion != t.KubernetesVersion && !c.OffersVersion(t.KubernetesVersion) {
		return verdict{kind: verdictPending, message: fmt.Sprintf("Kubernetes %s is not offered in region %s yet; will check again", t.KubernetesVersion, orUnknown(c.Region)), target: t}
	}
	if !t.LatestNodeImages {
		for _, fam := range slices.Sorted(maps.Keys(images)) {
			img := images[fam]
			if !c.OffersImage(img) && !rs.poolsAlreadyAt(c, fam, img) {
				return verdict{kind: verdictPending, message: fmt.Sprintf("node image %s is not offered in region %s yet; will check again", img, orUnknown(c.Region)), target: t}
			}
		}
	}
	if msg, until, ok := windowHold(c, cluster.UpgradeType(rs.upgrade), rs.now); !ok {
		return verdict{kind: verdictPending, message: msg, target: t, until: until}
	}
	return verdict{kind: verdictBegin, message: rs.describeUpgrade(t, behind(c, images)) + keptNote(t.KeptNodeImages), target: t}
}

// poolWithoutChoice returns a pool whose image family has no entry in a
// Consistent choice.
func poolWithoutChoice(c *cluster.Cluster, chosen map[string]string) (cluster.NodePool, bool) {
	for _, p := range sortedPools(c.NodePools) {
		if _, ok := chosen[p.ImageFamily()]; !ok {
			return p, true
		}
	}
	return cluster.NodePool{}, false
}

func choiceList(chosen map[string]string) string {
	if len(chosen) == 0 {
		return "no images"
	}
	var out []string
	for _, fam := range slices.Sorted(maps.Keys(chosen)) {
		out = append(out, chosen[fam])
	}
	return strings.Join(out, ", ")
}

// keptNote names the pools that keep an image newer than the target, for
// a member's message.
func keptNote(kept map[string]string) string {
	if len(kept) == 0 {
		return ""
	}
	var list []string
	for _, pool := range slices.Sorted(maps.Keys(kept)) {
		list = append(list, fmt.Sprintf("%s keeps %s", pool, kept[pool]))
	}
	noun := "node pool"
	if len(list) > 1 {
		noun = "node pools"
	}
	return fmt.Sprintf("; %s %s, newer than the run's image (node images never move backwards)", noun, strings.Join(list, ", "))
}

// newerImage reports whether a pool at cur is on a newer image of the
// same family than want.
func newerImage(cur, want string) bool {
	f := version.ImageFamily(cur)
	return f != "" && f == version.ImageFamily(want) && version.CompareNodeImages(cur, want) > 0
}

// observe records what a provider read of a cluster; kept names the pools
// that kept an image newer than the run's.
func observe(c *cluster.Cluster, kept map[string]string) *fleet.ObservedCluster {
	o := &fleet.ObservedCluster{KubernetesVersion: c.KubernetesVersion}
	for _, p := range sortedPools(c.NodePools) {
		_, k := kept[p.Name]
		o.NodePools = append(o.NodePools, fleet.ObservedPool{
			Name:              p.Name,
			KubernetesVersion: p.KubernetesVersion,
			NodeImageVersion:  p.NodeImageVersion,
			KeptNewerImage:    k && kept[p.Name] == p.NodeImageVersion,
		})
	}
	return o
}

func sortedPools(pools []cluster.NodePool) []cluster.NodePool {
	out := slices.Clone(pools)
	slices.SortFunc(out, func(a, b cluster.NodePool) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// behind returns the target images some pool still has to move to.
func behind(c *cluster.Cluster, images map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range c.NodePools {
		if img, ok := images[p.ImageFamily()]; ok && imageBehind(p.NodeImageVersion, img) {
			out[p.ImageFamily()] = img
		}
	}
	return out
}

// resolveVersion turns the run's version into this cluster's target: the
// exact version, or the newest patch of the minor that the cluster's
// region offers (or that the cluster already runs, if newer).
func (rs *runState) resolveVersion(c *cluster.Cluster) (version.Kubernetes, bool) {
	if rs.want.HasPatch() {
		return rs.want, true
	}
	offered := c.AvailableVersions
	if c.KubernetesVersion != "" {
		offered = append(slices.Clone(offered), c.KubernetesVersion)
	}
	return version.Resolve(rs.want, offered)
}

// atTarget reports whether the cluster already is where the run would
// take it, with the message a Skipped member shows.
func (rs *runState) atTarget(c *cluster.Cluster, kube version.Kubernetes, images map[string]string, latest bool) (string, bool) {
	imagesDone := func() bool {
		for _, p := range c.NodePools {
			img, ok := images[p.ImageFamily()]
			if latest && p.LatestNodeImageVersion == "" {
				return false // the newest image is unknown: let the upgrade decide
			}
			if ok && imageBehind(p.NodeImageVersion, img) {
				return false
			}
		}
		return true
	}
	switch rs.upgrade {
	case fleet.UpgradeControlPlaneOnly:
		if c.KubernetesVersion == kube.String() {
			return fmt.Sprintf("control plane is already at Kubernetes %s", kube), true
		}
	case fleet.UpgradeFull:
		if c.KubernetesVersion != kube.String() {
			return "", false
		}
		for _, p := range c.NodePools {
			if p.KubernetesVersion != kube.String() {
				return "", false
			}
		}
		if imagesDone() {
			return fmt.Sprintf("already at Kubernetes %s with the target node images", kube), true
		}
	case fleet.UpgradeNodeImageOnly:
		if len(images) == 0 && !latest {
			return "no node pool uses an image family this run targets", true
		}
		if imagesDone() {
			return "node images are already at the target", true
		}
	}
	return "", false
}

func (rs *runState) poolsAlreadyAt(c *cluster.Cluster, family, img string) bool {
	for _, p := range c.NodePools {
		if p.ImageFamily() == family && imageBehind(p.NodeImageVersion, img) {
			return false
		}
	}
	return true
}

// imageBehind reports whether a pool at image cur is behind the target
// want. Node images never go backwards: a newer image of the same family
// counts as at the target.
func imageBehind(cur, want string) bool {
	if cur == want {
		return false
	}
	if f := version.ImageFamily(cur); f != "" && f == version.ImageFamily(want) {
		return version.CompareNodeImages(cur, want) < 0
	}
	return true
}

// describeUpgrade is a Running member's message. moving holds the images
// some pool moves to; pools already on the target or a newer image keep
// theirs.
func (rs *runState) describeUpgrade(t fleet.MemberTarget, moving map[string]string) string {
	images := "the newest node images of its region"
	if !t.LatestNodeImages {
		var list []string
		for _, fam := range slices.Sorted(maps.Keys(moving)) {
			list = append(list, moving[fam])
		}
		images = "node images " + strings.Join(list, ", ")
		if len(list) == 0 {
			images = "its node images, which are already at or past the target"
		}
	}
	switch rs.upgrade {
	case fleet.UpgradeControlPlaneOnly:
		return fmt.Sprintf("upgrading the control plane to Kubernetes %s", t.KubernetesVersion)
	case fleet.UpgradeNodeImageOnly:
		return "upgrading to " + images
	}
	return fmt.Sprintf("upgrading to Kubernetes %s with %s", t.KubernetesVersion, images)
}

// operation builds the provider operation for a member's current attempt.
func (rs *runState) operation(m *fleet.MemberStatus, resume bool) cluster.Operation {
	op := cluster.Operation{
		ID:        m.OperationID,
		ClusterID: m.ClusterResourceID,
		Type:      cluster.UpgradeType(rs.upgrade),
		Resume:    resume,
	}
	if t := m.Target; t != nil {
		op.KubernetesVersion = t.KubernetesVersion
		op.NodeImages = cluster.ImageTarget{Latest: t.LatestNodeImages}
		if !t.LatestNodeImages {
			op.NodeImages.Versions = maps.Clone(t.NodeImageVersions)
		}
	}
	return op
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
