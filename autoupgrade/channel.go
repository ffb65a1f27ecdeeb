package autoupgrade

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/version"
)

// Member is one member as a channel sees it: its cluster, read with what
// the cluster's region offers now (GA Kubernetes versions, and the newest
// node image of each of its pools' families). Cluster is nil when the
// cluster could not be read.
type Member struct {
	Name    string
	Cluster *cluster.Cluster
}

// Skip is a member a channel's run leaves alone, and why.
type Skip struct {
	Member string
	Reason string
}

// Choice is what a channel takes from the catalogs as they stand: the
// update of the run to create, the release it stands for, and the
// members the run skips.
type Choice struct {
	Update fleet.ManagedClusterUpdate
	// Versions are the versions the run targets: one Kubernetes version,
	// or the node images, for the profile's lastTriggerUpgradeVersions.
	Versions []string
	// Release names what the catalogs offer for the channel, such as
	// "Rapid 1.33.2": a new one is a new release to trigger on.
	Release string
	Skipped []Skip
}

// ErrNothingOffered is returned when no member's region could be read or
// no region offers what the channel needs.
var ErrNothingOffered = errors.New("no member's region offers a release this channel takes")

// Choose decides what a profile's channel takes from its members'
// catalogs. Stable is the newest patch of the minor before the newest one
// offered (N-1), Rapid the newest patch of the newest minor (N),
// TargetKubernetesVersion the newest patch of the given minor, NodeImage
// the newest node images with no Kubernetes change. Only versions the
// catalogs list are taken (the provider lists GA versions). A Kubernetes
// run moves no cluster across more than one minor: members more than one
// minor behind the target, already past it, or on a minor their region
// no longer supports are skipped with a reason.
func Choose(p fleet.AutoUpgradeProfileProperties, members []Member) (Choice, error) {
	sorted := slices.Clone(members)
	slices.SortFunc(sorted, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	var ch Choice
	sel := fleet.NodeImageLatest
	if p.NodeImageSelection != nil && p.NodeImageSelection.Type != "" {
		sel = p.NodeImageSelection.Type
	}
	ch.Update.NodeImageSelection = &fleet.NodeImageSelection{Type: sel}
	if p.Channel == fleet.ChannelNodeImage {
		return chooseImages(ch, sorted)
	}
	var offered []version.Kubernetes
	seen := map[version.Kubernetes]bool{}
	lts := p.Channel == fleet.ChannelTargetKubernetesVersion && p.LongTermSupport
	for _, m := range sorted {
		if m.Cluster == nil {
			continue
		}
		for _, s := range m.Cluster.AvailableVersions {
			if !lts && slices.Contains(m.Cluster.LongTermSupportOnly, s) {
				// Offered only under long-term support, which the
				// profile did not ask for.
				continue
			}
			v, err := version.ParseKubernetes(s)
			if err == nil && v.HasPatch() && !seen[v] {
				seen[v] = true
				offered = append(offered, v)
			}
		}
	}
	if len(offered) == 0 {
		return ch, ErrNothingOffered
	}
	slices.SortFunc(offered, func(a, b version.Kubernetes) int { return a.Compare(b) })
	minors := []version.Kubernetes{}
	for _, v := range offered {
		m := version.Kubernetes{Major: v.Major, Minor: v.Minor, Patch: -1}
		if len(minors) == 0 || minors[len(minors)-1] != m {
			minors = append(minors, m)
		}
	}
	var minor version.Kubernetes
	switch p.Channel {
	case fleet.ChannelRapid:
		minor = minors[len(minors)-1]
	case fleet.ChannelStable:
		if len(minors) < 2 {
			return ch, fmt.Errorf("the Stable channel takes the minor before the newest, but the members' regions offer only %s", minors[0])
		}
		minor = minors[len(minors)-2]
	case fleet.ChannelTargetKubernetesVersion:
		v, err := version.ParseKubernetes(p.TargetKubernetesVersion)
		if err != nil {
			return ch, fmt.Errorf("target %q: %w", p.TargetKubernetesVersion, err)
		}
		minor = version.Kubernetes{Major: v.Major, Minor: v.Minor, Patch: -1}
	default:
		return ch, fmt.Errorf("unknown channel %q", p.Channel)
	}
	var target version.Kubernetes
	found := false
	for _, v := range offered {
		if v.SameMinor(minor) {
			target, found = v, true
		}
	}
	if !found {
		return ch, fmt.Errorf("no member's region offers Kubernetes %s; offered: %s", minor, minorList(minors))
	}
	ch.Update.Upgrade = fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: target.String()}
	ch.Versions = []string{target.String()}
	ch.Release = fmt.Sprintf("%s %s", p.Channel, target)
	for _, m := range sorted {
		if reason := skipReason(m, target); reason != "" {
			ch.Skipped = append(ch.Skipped, Skip{Member: m.Name, Reason: reason})
		}
	}
	return ch, nil
}

// skipReason says why a Kubernetes run leaves a member alone, or "".
func skipReason(m Member, target version.Kubernetes) string {
	c := m.Cluster
	if c == nil {
		return ""
	}
	cur, err := version.ParseKubernetes(c.KubernetesVersion)
	if err != nil {
		return ""
	}
	switch n := cur.MinorsBetween(target); {
	case n < 0:
		return fmt.Sprintf("runs Kubernetes %s, newer than the channel's %s; auto-upgrade never downgrades", cur, target)
	case n > 1:
		return fmt.Sprintf("runs Kubernetes %s, %d minors behind the channel's %s; auto-upgrade moves a cluster one minor at a time, so upgrade it to %d.%d first", cur, n, target, target.Major, target.Minor-1)
	}
	if len(c.AvailableVersions) > 0 {
		supported := false
		for _, s := range c.AvailableVersions {
			if v, err := version.ParseKubernetes(s); err == nil && v.SameMinor(cur) {
				supported = true
			}
		}
		if !supported {
			return fmt.Sprintf("runs Kubernetes %s, whose minor region %s no longer supports; upgrade it by hand into the support window", cur, c.Region)
		}
	}
	return ""
}

func chooseImages(ch Choice, members []Member) (Choice, error) {
	// The newest image of each family any member's region offers: a
	// read that straddles a publication still names one release.
	latest := map[string]string{}
	for _, m := range members {
		if m.Cluster == nil {
			continue
		}
		for family, img := range m.Cluster.LatestImages() {
			if cur, ok := latest[family]; !ok || version.CompareNodeImages(img, cur) > 0 {
				latest[family] = img
			}
		}
	}
	if len(latest) == 0 {
		return ch, ErrNothingOffered
	}
	imgs := slices.Sorted(maps.Values(latest))
	ch.Update.Upgrade = fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}
	ch.Versions = imgs
	ch.Release = "NodeImage " + strings.Join(imgs, ",")
	return ch, nil
}

// Newer reports whether a release is news beside the one a profile last
// acted on: a newer Kubernetes target, or a newer image of some family
// (or a family not seen before). A release that is merely different, as
// when a member's region could not be read for a moment, is not news;
// nor is one of another channel's making, which only a changed profile
// has, and whose release is then taken as seen.
func Newer(release, observed string) bool {
	rc, rv, _ := strings.Cut(release, " ")
	oc, ov, _ := strings.Cut(observed, " ")
	if observed == "" || rc != oc {
		return false
	}
	if rc == string(fleet.ChannelNodeImage) {
		seen := map[string]string{}
		for _, img := range strings.Split(ov, ",") {
			seen[version.ImageFamily(img)] = img
		}
		for _, img := range strings.Split(rv, ",") {
			old, ok := seen[version.ImageFamily(img)]
			if !ok || version.CompareNodeImages(img, old) > 0 {
				return true
			}
		}
		return false
	}
	r, err1 := version.ParseKubernetes(rv)
	o, err2 := version.ParseKubernetes(ov)
	if err1 != nil || err2 != nil {
		return rv != ov
	}
	return r.Compare(o) > 0
}

// Merge is what a profile has seen after acting on release: for node
// images, the newest of each family from both; otherwise the release.
func Merge(release, observed string) string {
	rc, rv, _ := strings.Cut(release, " ")
	oc, ov, _ := strings.Cut(observed, " ")
	if rc != string(fleet.ChannelNodeImage) || oc != rc || ov == "" {
		return release
	}
	newest := map[string]string{}
	for _, img := range append(strings.Split(ov, ","), strings.Split(rv, ",")...) {
		f := version.ImageFamily(img)
		if cur, ok := newest[f]; !ok || version.CompareNodeImages(img, cur) > 0 {
			newest[f] = img
		}
	}
	return rc + " " + strings.Join(slices.Sorted(maps.Values(newest)), ",")
}

func minorList(ms []version.Kubernetes) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return strings.Join(out, ", ")
}
