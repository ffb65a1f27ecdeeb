package version_test

import (
	"testing"

	"github.com/caravan-dev/caravan/version"
)

func TestResolvePicksTheNewestPatchOfTheMinor(t *testing.T) {
	offered := []string{"1.29.9", "1.30.4", "1.30.10", "1.30.6", "1.31.1", "garbage"}
	for _, tc := range []struct {
		want, got string
		ok        bool
	}{
		{"1.30", "1.30.10", true},
		{"1.30.6", "1.30.6", true},
		{"1.30.7", "", false},
		{"1.32", "", false},
		{"1.31", "1.31.1", true},
	} {
		v, ok := version.Resolve(version.MustKubernetes(tc.want), offered)
		if ok != tc.ok || (ok && v.String() != tc.got) {
			t.Errorf("Resolve(%s) = %v, %v; want %s, %v", tc.want, v, ok, tc.got, tc.ok)
		}
	}
}

func TestKubernetesOrderAndMinors(t *testing.T) {
	a, b := version.MustKubernetes("1.30.10"), version.MustKubernetes("1.30.9")
	if a.Compare(b) <= 0 {
		t.Fatal("1.30.10 must sort after 1.30.9")
	}
	if d := version.MustKubernetes("1.29.9").MinorsBetween(version.MustKubernetes("1.31.0")); d != 2 {
		t.Fatalf("minors between 1.29 and 1.31: %d", d)
	}
	for _, bad := range []string{"", "1", "1.x", "1.2.3.4", "01.2", "1.-2"} {
		if _, err := version.ParseKubernetes(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestNodeImageFamilyAndOrder(t *testing.T) {
	a, err := version.ParseNodeImage("AKSWindows-2022-containerd-20348.2849.241109")
	if err != nil || a.Family != "AKSWindows-2022-containerd" || a.Release != "20348.2849.241109" {
		t.Fatalf("parsed %+v, %v", a, err)
	}
	if version.CompareNodeImages("AKSUbuntu-2204gen2containerd-202410.15.0", "AKSUbuntu-2204gen2containerd-202409.30.0") <= 0 {
		t.Fatal("202410.15.0 must be newer than 202409.30.0")
	}
	if version.ImageFamily("nodash") != "" {
		t.Fatal("a version without a family has no family")
	}
}
