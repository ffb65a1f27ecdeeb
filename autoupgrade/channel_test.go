package autoupgrade

import (
	"errors"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

var catalog = []string{"1.31.2", "1.31.7", "1.32.1", "1.32.4", "1.33.0", "1.33.2"}

func member(name, k8s string, offered ...string) Member {
	return Member{Name: name, Cluster: &cluster.Cluster{Name: name, Region: "eastus", KubernetesVersion: k8s, AvailableVersions: offered,
		NodePools: []cluster.NodePool{{Name: "system", KubernetesVersion: k8s, NodeImageVersion: "AKSUbuntu-2204gen2containerd-202501.01.0", LatestNodeImageVersion: "AKSUbuntu-2204gen2containerd-202506.11.0"}}}}
}

func TestChooseByChannel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		profile  fleet.AutoUpgradeProfileProperties
		members  []Member
		typ      fleet.UpgradeType
		target   string
		versions string
		skipped  string
		err      string
	}{
		{name: "stable takes the newest patch of N-1", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelStable},
			members: []Member{member("a", "1.31.7", catalog...)}, typ: fleet.UpgradeFull, target: "1.32.4", versions: "1.32.4"},
		{name: "rapid takes the newest patch of N", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelRapid},
			members: []Member{member("a", "1.32.1", catalog...)}, typ: fleet.UpgradeFull, target: "1.33.2", versions: "1.33.2"},
		{name: "target takes the newest patch of its minor", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelTargetKubernetesVersion, TargetKubernetesVersion: "1.31"},
			members: []Member{member("a", "1.31.2", catalog...)}, typ: fleet.UpgradeFull, target: "1.31.7", versions: "1.31.7"},
		{name: "node image takes the newest images only", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelNodeImage},
			members: []Member{member("a", "1.31.2", catalog...)}, typ: fleet.UpgradeNodeImageOnly, target: "", versions: "AKSUbuntu-2204gen2containerd-202506.11.0"},
		{name: "regions' catalogs are joined", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelRapid},
			members: []Member{member("a", "1.32.1", "1.32.1", "1.33.0"), member("b", "1.32.4", "1.32.4", "1.33.1")}, typ: fleet.UpgradeFull, target: "1.33.1", versions: "1.33.1"},
		{name: "a member two minors behind is skipped", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelRapid},
			members: []Member{member("old", "1.31.7", catalog...), member("ok", "1.32.4", catalog...)}, typ: fleet.UpgradeFull, target: "1.33.2", versions: "1.33.2",
			skipped: "old: runs Kubernetes 1.31.7, 2 minors behind the channel's 1.33.2"},
		{name: "a member past the target is skipped", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelStable},
			members: []Member{member("new", "1.33.0", catalog...)}, typ: fleet.UpgradeFull, target: "1.32.4", versions: "1.32.4",
			skipped: "new: runs Kubernetes 1.33.0, newer than the channel's 1.32.4; auto-upgrade never downgrades"},
		{name: "a member outside the support window is skipped", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelTargetKubernetesVersion, TargetKubernetesVersion: "1.31"},
			members: []Member{member("stale", "1.30.9", catalog...)}, typ: fleet.UpgradeFull, target: "1.31.7", versions: "1.31.7",
			skipped: "stale: runs Kubernetes 1.30.9, whose minor region eastus no longer supports"},
		{name: "stable with one minor offered", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelStable},
			members: []Member{member("a", "1.33.0", "1.33.0")}, err: "offer only 1.33"},
		{name: "target minor not offered", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelTargetKubernetesVersion, TargetKubernetesVersion: "1.35"},
			members: []Member{member("a", "1.33.0", catalog...)}, err: "no member's region offers Kubernetes 1.35; offered: 1.31, 1.32, 1.33"},
		{name: "nothing read", profile: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelRapid},
			members: []Member{{Name: "gone"}}, err: ErrNothingOffered.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := Choose(tc.profile, tc.members)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Update.Upgrade.Type != tc.typ || ch.Update.Upgrade.KubernetesVersion != tc.target {
				t.Errorf("upgrade %+v, want %s %q", ch.Update.Upgrade, tc.typ, tc.target)
			}
			if got := strings.Join(ch.Versions, ","); got != tc.versions {
				t.Errorf("versions %q, want %q", got, tc.versions)
			}
			var skips []string
			for _, s := range ch.Skipped {
				skips = append(skips, s.Member+": "+s.Reason)
			}
			if got := strings.Join(skips, "; "); (tc.skipped == "") != (got == "") || !strings.Contains(got, tc.skipped) {
				t.Errorf("skipped %q, want %q", got, tc.skipped)
			}
		})
	}
}

func TestReleaseChangesOnlyWithTheCatalog(t *testing.T) {
	p := fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelRapid}
	a, _ := Choose(p, []Member{member("a", "1.32.1", catalog...)})
	// The member upgraded: the catalog is the same, so is the release.
	b, _ := Choose(p, []Member{member("a", "1.33.2", catalog...)})
	if a.Release != b.Release {
		t.Errorf("release changed with a member's version: %q then %q", a.Release, b.Release)
	}
	c, _ := Choose(p, []Member{member("a", "1.33.2", append(catalog, "1.33.5")...)})
	if c.Release == a.Release || c.Release != "Rapid 1.33.5" {
		t.Errorf("release %q after a patch was published, was %q", c.Release, a.Release)
	}
	n := fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelNodeImage}
	if _, err := Choose(n, []Member{{Name: "x"}}); !errors.Is(err, ErrNothingOffered) {
		t.Errorf("node image channel with nothing read: %v", err)
	}
}

func TestNewer(t *testing.T) {
	const u4, u5, a4 = "AKSUbuntu-2204gen2containerd-202504.16.0", "AKSUbuntu-2204gen2containerd-202505.14.0", "AKSAzureLinux-V3gen2-202504.16.0"
	for _, tc := range []struct {
		release, observed string
		want              bool
	}{
		{"Rapid 1.33.2", "Rapid 1.33.1", true},
		{"Rapid 1.33.1", "Rapid 1.33.2", false}, // a region read for a moment without its newest patch
		{"Rapid 1.33.2", "Rapid 1.33.2", false},
		{"Stable 1.33.0", "Stable 1.32.6", true},
		{"NodeImage " + u5, "NodeImage " + u4, true},
		{"NodeImage " + u4, "NodeImage " + u5, false},
		{"NodeImage " + a4 + "," + u5, "NodeImage " + u5, true}, // a family not seen before
		{"NodeImage " + u5, "NodeImage " + a4 + "," + u5, false},
		{"Rapid 1.33.2", "", false},
		{"Rapid 1.33.2", "Stable 1.32.6", false},
	} {
		if got := Newer(tc.release, tc.observed); got != tc.want {
			t.Errorf("Newer(%q, %q) = %v, want %v", tc.release, tc.observed, got, tc.want)
		}
	}
}

func TestMergeKeepsEveryFamily(t *testing.T) {
	const u5, u6, a4 = "AKSUbuntu-2204gen2containerd-202505.14.0", "AKSUbuntu-2204gen2containerd-202506.01.0", "AKSAzureLinux-V3gen2-202504.16.0"
	// A read that missed the Azure Linux member still leaves its family
	// seen, so the next full read is not news.
	got := Merge("NodeImage "+u6, "NodeImage "+a4+","+u5)
	if want := "NodeImage " + a4 + "," + u6; got != want {
		t.Errorf("Merge = %q, want %q", got, want)
	}
	if Newer("NodeImage "+a4+","+u6, got) {
		t.Error("the full read after a partial one counts as a new release")
	}
	if got := Merge("Rapid 1.33.2", "Rapid 1.33.1"); got != "Rapid 1.33.2" {
		t.Errorf("Merge of Kubernetes releases = %q", got)
	}
}

func TestLongTermSupportMinorsOnlyWhenAsked(t *testing.T) {
	m := member("a", "1.28.9", append([]string{"1.28.9", "1.28.15"}, catalog...)...)
	m.Cluster.LongTermSupportOnly = []string{"1.28.9", "1.28.15"}
	target := fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelTargetKubernetesVersion, TargetKubernetesVersion: "1.28"}
	if _, err := Choose(target, []Member{m}); err == nil || !strings.Contains(err.Error(), "no member's region offers Kubernetes 1.28") {
		t.Errorf("without longTermSupport: %v", err)
	}
	target.LongTermSupport = true
	ch, err := Choose(target, []Member{m})
	if err != nil || ch.Update.Upgrade.KubernetesVersion != "1.28.15" {
		t.Errorf("with longTermSupport: %+v %v", ch.Update.Upgrade, err)
	}
	// Stable ignores them: N-1 is among the community's minors.
	if ch, err := Choose(fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelStable}, []Member{member("b", "1.32.1", catalog...)}); err != nil || ch.Update.Upgrade.KubernetesVersion != "1.32.4" {
		t.Errorf("stable: %+v %v", ch.Update.Upgrade, err)
	}
}
