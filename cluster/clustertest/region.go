package clustertest

import (
	"slices"
	"testing"

	"github.com/caravan-dev/caravan/version"
)

// picks are the versions and images the checks use, chosen from a Region.
type picks struct {
	// from is the oldest patch of minor N, next the newest patch of N+1,
	// skip the newest patch of N+2.
	from, next, skip string
	// famA and famB are two image families; old, mid and latest are the
	// oldest, second newest and newest image of each.
	famA, famB          string
	oldA, midA, latestA string
	oldB, midB, latestB string
	// latestByFamily is the newest image of every family offered.
	latestByFamily map[string]string
}

// choose picks from r, failing the test when r offers too little.
func choose(t *testing.T, r Region) picks {
	t.Helper()
	byMinor := map[string][]version.Kubernetes{}
	for _, s := range r.Versions {
		v, err := version.ParseKubernetes(s)
		if err != nil || !v.HasPatch() {
			t.Fatalf("region %s offers %q, which is not an exact Kubernetes version", r.Name, s)
		}
		byMinor[v.MinorString()] = append(byMinor[v.MinorString()], v)
	}
	var minors []version.Kubernetes
	for m := range byMinor {
		minors = append(minors, version.MustKubernetes(m))
		slices.SortFunc(byMinor[m], version.Kubernetes.Compare)
	}
	slices.SortFunc(minors, version.Kubernetes.Compare)
	var p picks
	for i := 0; i+2 < len(minors); i++ {
		n, n1, n2 := minors[i], minors[i+1], minors[i+2]
		if n.MinorsBetween(n1) == 1 && n1.MinorsBetween(n2) == 1 {
			p.from = byMinor[n.MinorString()][0].String()
			nexts := byMinor[n1.MinorString()]
			p.next = nexts[len(nexts)-1].String()
			skips := byMinor[n2.MinorString()]
			p.skip = skips[len(skips)-1].String()
			break
		}
	}
	if p.from == "" {
		t.Fatalf("region %s offers %v: the suite needs three consecutive minor versions", r.Name, r.Versions)
	}
	var fams []string
	for f, imgs := range r.Images {
		if len(imgs) >= 3 {
			fams = append(fams, f)
		}
	}
	slices.Sort(fams)
	if len(fams) < 2 {
		t.Fatalf("region %s offers images %v: the suite needs two families with three releases each", r.Name, r.Images)
	}
	p.latestByFamily = map[string]string{}
	for f, imgs := range r.Images {
		sorted := slices.Clone(imgs)
		slices.SortFunc(sorted, version.CompareNodeImages)
		p.latestByFamily[f] = sorted[len(sorted)-1]
	}
	pick := func(f string) (old, mid, latest string) {
		imgs := slices.Clone(r.Images[f])
		slices.SortFunc(imgs, version.CompareNodeImages)
		return imgs[0], imgs[len(imgs)-2], imgs[len(imgs)-1]
	}
	p.famA, p.famB = fams[0], fams[1]
	p.oldA, p.midA, p.latestA = pick(p.famA)
	p.oldB, p.midB, p.latestB = pick(p.famB)
	return p
}
