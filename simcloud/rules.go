package simcloud

import (
	"strings"

	"github.com/caravan-dev/caravan/version"
)

// maxPoolLag is how many minor versions a node pool may trail its control
// plane by.
const maxPoolLag = 3

// The version rules, as AKS applies them. Each returns nil or the 400 the
// request gets.

// resolveVersion turns a requested Kubernetes version into the exact
// version the region offers: a patch as given, a minor as its newest
// offered patch (not above limit, when set). target names the field for
// the error.
func resolveVersion(ri *regionIndex, requested, target string, limit *version.Kubernetes) (version.Kubernetes, *armError) {
	req, err := version.ParseKubernetes(requested)
	if err != nil {
		return req, invalidParameter(target, "The value of %s is invalid: %v.", target, err)
	}
	v, ok := ri.resolve(req, limit)
	if !ok {
		e := badRequest(CodeVersionNotSupported,
			"Version %s is not supported in region %s. Supported versions there: %s. Use ListKubernetesVersions (az aks get-versions) to see what the region offers.",
			req, ri.name, strings.Join(ri.versionStrings(), ", "))
		e.Target = target
		return v, e
	}
	return v, nil
}

// availableUpgrades lists the region's versions reachable from v in one
// step: newer patches of its minor and every patch of the next minor.
func availableUpgrades(ri *regionIndex, v version.Kubernetes) []string {
	var out []string
	for _, o := range ri.versions {
		if o.Compare(v) > 0 && v.MinorsBetween(o) <= 1 {
			out = append(out, o.String())
		}
	}
	return out
}

// checkControlPlaneUpgrade applies the control plane rules: no downgrade,
// no skipped minor version.
func checkControlPlaneUpgrade(ri *regionIndex, clusterName string, from, to version.Kubernetes) *armError {
	switch {
	case to.Compare(from) < 0:
		return invalidParameter("properties.kubernetesVersion",
			"Downgrading managed cluster %q from Kubernetes %s to %s is not allowed. Available upgrades: [%s].",
			clusterName, from, to, strings.Join(availableUpgrades(ri, from), " "))
	case from.MinorsBetween(to) > 1:
		return invalidParameter("properties.kubernetesVersion",
			"Upgrading managed cluster %q from Kubernetes %s to %s is not allowed: minor versions cannot be skipped; upgrade one minor version at a time. Available upgrades: [%s].",
			clusterName, from, to, strings.Join(availableUpgrades(ri, from), " "))
	}
	return nil
}

// checkPoolUpgrade applies the node pool rules to an upgrade from from to
// to under a control plane at cp: no downgrade, no skipped minor version,
// not above the control plane, not more than three minors below it.
func checkPoolUpgrade(ri *regionIndex, poolName, target string, from, to, cp version.Kubernetes) *armError {
	switch {
	case to.Compare(from) < 0:
		return invalidParameter(target,
			"Downgrading node pool %q from Kubernetes %s to %s is not allowed.", poolName, from, to)
	case from.MinorsBetween(to) > 1:
		return invalidParameter(target,
			"Upgrading node pool %q from Kubernetes %s to %s is not allowed: minor versions cannot be skipped; upgrade one minor version at a time. Available upgrades: [%s].",
			poolName, from, to, strings.Join(availableUpgrades(ri, from), " "))
	}
	return checkPoolVersion(poolName, target, to, cp)
}

// checkPoolVersion checks a pool version against its control plane.
func checkPoolVersion(poolName, target string, v, cp version.Kubernetes) *armError {
	switch {
	case v.Compare(cp) > 0:
		return invalidParameter(target,
			"Node pool %q cannot run Kubernetes %s, which is newer than its control plane (%s); upgrade the control plane first.", poolName, v, cp)
	case v.MinorsBetween(cp) > maxPoolLag:
		return invalidParameter(target,
			"Node pool %q cannot run Kubernetes %s: node pools may trail the control plane (%s) by at most %d minor versions.", poolName, v, cp, maxPoolLag)
	}
	return nil
}

// checkPoolLag rejects a control plane upgrade to cp that would leave a
// pool, staying at v, too far behind.
func checkPoolLag(clusterName, poolName string, v, cp version.Kubernetes) *armError {
	if v.MinorsBetween(cp) > maxPoolLag {
		return invalidParameter("properties.kubernetesVersion",
			"Upgrading managed cluster %q to Kubernetes %s would leave node pool %q at %s, more than %d minor versions behind; upgrade the node pool first.",
			clusterName, cp, poolName, v, maxPoolLag)
	}
	return nil
}

// checkImage checks that the region offers img for a pool of family.
func checkImage(cat *catalogIndex, ri *regionIndex, poolName, family, img, target string) (version.NodeImage, *armError) {
	n, err := version.ParseNodeImage(img)
	if err != nil {
		return n, invalidParameter(target, "The value of %s is invalid: %v.", target, err)
	}
	if n.Family != family {
		return n, invalidParameter(target,
			"Node pool %q runs %s images; %s is a %s image.", poolName, family, img, n.Family)
	}
	if !cat.offersImage(ri, n) {
		latest, _ := ri.latestImage(family)
		e := badRequest(CodeNodeImageNotSupported,
			"Node image %s is not available in region %s; the newest %s image there is %s.", img, ri.name, family, latest)
		e.Target = target
		return n, e
	}
	return n, nil
}

// checkImageUpgrade rejects moving a pool to an older image than it runs.
func checkImageUpgrade(poolName, target string, from string, to version.NodeImage) *armError {
	cur, err := version.ParseNodeImage(from)
	if err == nil && cur.Family == to.Family && to.Compare(cur) < 0 {
		return invalidParameter(target,
			"Downgrading the node image of node pool %q from %s to %s is not allowed.", poolName, from, to)
	}
	return nil
}

// stored parses a version the simulator stored itself (always exact).
func stored(s string) version.Kubernetes {
	v, _ := version.ParseKubernetes(s)
	return v
}
