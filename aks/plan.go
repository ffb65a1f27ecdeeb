package aks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/version"
)

// stepKind is one kind of cloud operation an upgrade is made of.
type stepKind int

const (
	// stepControlPlane: PUT the managed cluster with kubernetesVersion at
	// the target and every pool's orchestratorVersion where it is.
	stepControlPlane stepKind = iota + 1
	// stepClusterUpgrade: PUT the managed cluster with kubernetesVersion
	// and every pool's orchestratorVersion at the target, as az aks
	// upgrade does: the cloud upgrades the control plane, then the pools
	// (to the region's newest node images), in one operation.
	stepClusterUpgrade
	// stepPoolVersion: PUT the agent pool with orchestratorVersion at the
	// target, and nodeImageVersion when the image is pinned.
	stepPoolVersion
	// stepPoolImageLatest: POST the agent pool's upgradeNodeImageVersion.
	stepPoolImageLatest
	// stepPoolImagePinned: PUT the agent pool with only nodeImageVersion
	// changed.
	stepPoolImagePinned
)

// step is the next cloud operation of an upgrade.
type step struct {
	kind    stepKind
	pool    string
	version string // target Kubernetes version of control plane and pool version steps
	image   string // pinned node image, or "" to leave the image to the cloud
}

func (s step) String() string {
	switch s.kind {
	case stepControlPlane:
		return fmt.Sprintf("upgrade of the control plane to %s", s.version)
	case stepClusterUpgrade:
		return fmt.Sprintf("upgrade of the control plane and the node pools to %s", s.version)
	case stepPoolVersion:
		if s.image != "" {
			return fmt.Sprintf("upgrade of node pool %s to %s with node image %s", s.pool, s.version, s.image)
		}
		return fmt.Sprintf("upgrade of node pool %s to %s", s.pool, s.version)
	case stepPoolImageLatest:
		return fmt.Sprintf("node image upgrade of node pool %s to the latest image", s.pool)
	case stepPoolImagePinned:
		return fmt.Sprintf("node image update of node pool %s to %s", s.pool, s.image)
	}
	return "unknown step"
}

// target is where an operation moves a cluster.
type target struct {
	typ     cluster.UpgradeType
	version string // exact Kubernetes version; "" for NodeImageOnly
	images  cluster.ImageTarget
}

// offersNeeded is what the observations between steps read of the
// region's offers: the newest images when pools go to them, else nothing.
// The version was checked against the region's before the first step.
func (t target) offersNeeded() offerUse {
	if t.typ != cluster.ControlPlaneOnly && t.images.Latest {
		return latestImages
	}
	return noOffers
}

// checkOperation rejects operations that cannot mean anything.
func checkOperation(op cluster.Operation) error {
	if op.ID == "" {
		return cluster.Errorf(cluster.Rejected, "InvalidOperation", "operation on cluster %s has no id", op.ClusterID)
	}
	switch op.Type {
	case cluster.Full, cluster.ControlPlaneOnly:
		if _, err := version.ParseKubernetes(op.KubernetesVersion); err != nil {
			return cluster.Errorf(cluster.Rejected, "InvalidKubernetesVersion", "operation %s: %v", op.ID, err)
		}
	case cluster.NodeImageOnly:
	default:
		return cluster.Errorf(cluster.Rejected, "InvalidUpgradeType", "operation %s has upgrade type %q: want Full, ControlPlaneOnly or NodeImageOnly", op.ID, op.Type)
	}
	return nil
}

// resolveTarget fixes the exact version of an operation on an observed
// cluster: a minor-only version means its newest patch the region offers.
func resolveTarget(c *cluster.Cluster, op cluster.Operation) (target, error) {
	t := target{typ: op.Type, images: op.NodeImages}
	if op.Type == cluster.NodeImageOnly {
		return t, nil
	}
	want, err := version.ParseKubernetes(op.KubernetesVersion)
	if err != nil {
		return t, cluster.Errorf(cluster.Rejected, "InvalidKubernetesVersion", "%v", err)
	}
	if !want.HasPatch() {
		exact, ok := version.Resolve(want, c.AvailableVersions)
		if !ok {
			return t, cluster.Errorf(cluster.Unavailable, "VersionNotAvailable", "region %s offers no Kubernetes %s patch for cluster %s; the upgrade waits until it does", c.Region, want, c.Name)
		}
		want = exact
	}
	t.version = want.String()
	return t, nil
}

// onCluster reports whether the step is a PUT of the managed cluster.
func (s step) onCluster() bool {
	return s.kind == stepControlPlane || s.kind == stepClusterUpgrade
}

// nextStep returns the first thing not yet at target: the control plane,
// then each node pool in name order. It reports false when the cluster is
// at target. A Full upgrade to the latest images whose control plane is
// behind moves the control plane and every pool in one step; what that
// leaves behind (a pool added meanwhile, an image the version upgrade did
// not bring to the newest) is then done pool by pool.
func nextStep(c *cluster.Cluster, t target) (step, bool) {
	if t.typ != cluster.NodeImageOnly && !sameVersion(c.KubernetesVersion, t.version) {
		if t.typ == cluster.Full && t.images.Latest {
			return step{kind: stepClusterUpgrade, version: t.version}, true
		}
		return step{kind: stepControlPlane, version: t.version}, true
	}
	if t.typ == cluster.ControlPlaneOnly {
		return step{}, false
	}
	for _, p := range sortedPools(c) {
		img, has := t.images.For(p.ImageFamily(), p.LatestNodeImageVersion)
		pinned := has && !t.images.Latest
		if t.typ == cluster.Full && !sameVersion(p.KubernetesVersion, t.version) {
			s := step{kind: stepPoolVersion, pool: p.Name, version: t.version}
			if pinned {
				// Node images never go backwards: a pool already past
				// the pinned image keeps its own.
				s.image = img
				if !imageBehind(p.NodeImageVersion, img) {
					s.image = p.NodeImageVersion
				}
			}
			return s, true
		}
		if !has || !imageBehind(p.NodeImageVersion, img) {
			continue
		}
		if pinned {
			return step{kind: stepPoolImagePinned, pool: p.Name, image: img}, true
		}
		return step{kind: stepPoolImageLatest, pool: p.Name}, true
	}
	return step{}, false
}

// checkOffers reports Unavailable when a step would need a version or an
// image the cluster's region does not offer. A downgrade or a skipped
// minor is left to the cloud, which rejects it with its own code.
func checkOffers(c *cluster.Cluster, t target) error {
	if t.typ != cluster.NodeImageOnly && !sameVersion(c.KubernetesVersion, t.version) {
		cur, err1 := version.ParseKubernetes(c.KubernetesVersion)
		want, err2 := version.ParseKubernetes(t.version)
		upgrade := err1 == nil && err2 == nil && want.Compare(cur) > 0 && cur.MinorsBetween(want) <= 1
		if upgrade && !c.OffersVersion(t.version) {
			return cluster.Errorf(cluster.Unavailable, "VersionNotAvailable", "region %s does not offer Kubernetes %s to cluster %s yet; the upgrade waits until it does", c.Region, t.version, c.Name)
		}
	}
	if t.typ == cluster.ControlPlaneOnly || t.images.Latest {
		return nil
	}
	latest := c.LatestImages()
	for _, p := range c.NodePools {
		img, has := t.images.For(p.ImageFamily(), "")
		if !has || !imageBehind(p.NodeImageVersion, img) {
			continue
		}
		if _, known := latest[version.ImageFamily(img)]; known && !c.OffersImage(img) {
			return cluster.Errorf(cluster.Unavailable, "NodeImageNotAvailable", "region %s does not offer node image %s to node pool %s of cluster %s yet; the upgrade waits until it does", c.Region, img, p.Name, c.Name)
		}
	}
	return nil
}

// imageBehind reports whether a pool at image cur still has to move to
// want. Node images never go backwards: an image of the same family that
// is as new as want or newer (a region ahead of the one that set a
// Consistent choice, or of the region the Latest image came from) counts
// as arrived.
func imageBehind(cur, want string) bool {
	if cur == want {
		return false
	}
	if f := version.ImageFamily(cur); f != "" && f == version.ImageFamily(want) {
		return version.CompareNodeImages(cur, want) < 0
	}
	return true
}

func sameVersion(a, b string) bool {
	va, err1 := version.ParseKubernetes(a)
	vb, err2 := version.ParseKubernetes(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return va.Compare(vb) == 0
}

func sortedPools(c *cluster.Cluster) []cluster.NodePool {
	out := slices.Clone(c.NodePools)
	slices.SortFunc(out, func(a, b cluster.NodePool) int { return strings.Compare(a.Name, b.Name) })
	return out
}
