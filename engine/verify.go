package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// verification is what the cluster showed after its upgrade ended.
type verification struct {
	observed *fleet.ObservedCluster
	// code and problem are set when the cluster is not at the target.
	code, problem string
	// message is a Completed member's message.
	message string
}

// verifyMember checks a cluster, read after its upgrade reported success,
// against the member's target: the control plane at the version (Full,
// ControlPlaneOnly), every pool at the version (Full), and every pool of
// a targeted family at its image, or at the newer image it kept (Full,
// NodeImageOnly; with Latest images, at the newest image its region
// offered when the upgrade began, or newer). It is pure.
func (rs *runState) verifyMember(t *fleet.MemberTarget, c *cluster.Cluster) verification {
	if t == nil {
		t = &fleet.MemberTarget{}
	}
	v := verification{observed: observe(c, t.KeptNodeImages)}
	bad := func(code, format string, args ...any) verification {
		v.code, v.problem = code, fmt.Sprintf(format, args...)
		return v
	}
	if rs.upgrade != fleet.UpgradeNodeImageOnly && !sameKubernetes(c.KubernetesVersion, t.KubernetesVersion) {
		return bad("ControlPlaneNotAtTarget", "the control plane shows Kubernetes %s, not the target %s", orUnknown(c.KubernetesVersion), t.KubernetesVersion)
	}
	if rs.upgrade == fleet.UpgradeControlPlaneOnly {
		v.message = fmt.Sprintf("upgraded the control plane to Kubernetes %s", c.KubernetesVersion)
		return v
	}
	pools := sortedPools(c.NodePools)
	if rs.upgrade == fleet.UpgradeFull {
		for _, p := range pools {
			if !sameKubernetes(p.KubernetesVersion, t.KubernetesVersion) {
				return bad("NodePoolNotAtTarget", "node pool %s shows Kubernetes %s, not the target %s", p.Name, orUnknown(p.KubernetesVersion), t.KubernetesVersion)
			}
		}
	}
	for _, p := range pools {
		want, ok := t.NodeImageVersions[p.ImageFamily()]
		switch {
		case t.LatestNodeImages && !ok:
			// A family the region showed no newest image for when the
			// upgrade began: the pool must be on its region's newest now.
			want = p.LatestNodeImageVersion
			if want == "" || !imageBehind(p.NodeImageVersion, want) {
				continue
			}
		case !ok:
			continue // a family the run does not pin: left alone
		case t.LatestNodeImages:
			if !imageBehind(p.NodeImageVersion, want) {
				continue
			}
		case p.NodeImageVersion == want:
			continue
		case t.KeptNodeImages[p.Name] != "" && p.NodeImageVersion == t.KeptNodeImages[p.Name]:
			continue
		}
		return bad("NodeImageNotAtTarget", "node pool %s shows node image %s, not the target %s", p.Name, orUnknown(p.NodeImageVersion), want)
	}
	v.message = completedMessage(rs.upgrade, c.KubernetesVersion, v.observed)
	return v
}

// completedMessage says what a verified cluster shows: its version and
// each pool's image, naming the pools that kept a newer one.
func completedMessage(u fleet.UpgradeType, kube string, o *fleet.ObservedCluster) string {
	byImage := map[string][]string{}
	kept := map[string]string{}
	for _, p := range o.NodePools {
		if p.KeptNewerImage {
			kept[p.Name] = p.NodeImageVersion
			continue
		}
		byImage[p.NodeImageVersion] = append(byImage[p.NodeImageVersion], p.Name)
	}
	var parts []string
	for _, img := range slices.Sorted(maps.Keys(byImage)) {
		noun := "node pool"
		if len(byImage[img]) > 1 {
			noun = "node pools"
		}
		parts = append(parts, fmt.Sprintf("%s %s on %s", noun, strings.Join(byImage[img], ", "), orUnknown(img)))
	}
	msg := "upgraded node images: " + strings.Join(parts, "; ")
	if u == fleet.UpgradeFull {
		msg = fmt.Sprintf("upgraded to Kubernetes %s; %s", kube, strings.Join(parts, "; "))
	}
	if len(parts) == 0 {
		msg = strings.TrimSuffix(strings.TrimSuffix(msg, " "), ";")
		msg = strings.TrimSuffix(msg, ":")
	}
	return msg + keptNote(kept)
}

func sameKubernetes(a, b string) bool {
	if a == b {
		return true
	}
	return strings.TrimPrefix(a, "v") == strings.TrimPrefix(b, "v")
}
