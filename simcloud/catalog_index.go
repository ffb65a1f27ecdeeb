package simcloud

import (
	"slices"

	"github.com/caravan-dev/caravan/version"
)

// catalogIndex is an immutable, query-ready form of a Catalog. The Cloud
// swaps in a new index when something is published, so readers never lock.
type catalogIndex struct {
	source  Catalog
	regions map[string]*regionIndex
	// known holds every node image version published anywhere: an image
	// is "in the catalog" when it is here.
	known map[string]bool
}

type regionIndex struct {
	name     string
	versions []version.Kubernetes // exact, oldest first
	offered  map[string]bool      // exact version strings
	// images are a family's releases published in the region, oldest first.
	images map[string][]version.NodeImage
}

func newCatalogIndex(c Catalog) *catalogIndex {
	idx := &catalogIndex{source: c.clone(), regions: map[string]*regionIndex{}, known: map[string]bool{}}
	for _, r := range c.Regions {
		name := normalizeRegion(r.Name)
		if name == "" || idx.regions[name] != nil {
			continue
		}
		ri := &regionIndex{name: name, offered: map[string]bool{}, images: map[string][]version.NodeImage{}}
		for _, s := range r.KubernetesVersions {
			v, err := parseExactKubernetes(s)
			if err != nil || ri.offered[v.String()] {
				continue
			}
			ri.offered[v.String()] = true
			ri.versions = append(ri.versions, v)
		}
		slices.SortFunc(ri.versions, version.Kubernetes.Compare)
		for _, s := range r.NodeImages {
			img, err := version.ParseNodeImage(s)
			if err != nil {
				continue
			}
			if slices.ContainsFunc(ri.images[img.Family], func(o version.NodeImage) bool { return o.Compare(img) == 0 }) {
				continue
			}
			ri.images[img.Family] = append(ri.images[img.Family], img)
			idx.known[img.String()] = true
		}
		for f := range ri.images {
			slices.SortFunc(ri.images[f], version.NodeImage.Compare)
		}
		idx.regions[name] = ri
	}
	return idx
}

// region returns the region's index, or nil when the catalog has no such
// region.
func (c *catalogIndex) region(name string) *regionIndex {
	return c.regions[normalizeRegion(name)]
}

// regionNames lists the catalog's regions in catalog order.
func (c *catalogIndex) regionNames() []string {
	var out []string
	for _, r := range c.source.Regions {
		if n := normalizeRegion(r.Name); c.regions[n] != nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// versionStrings lists the region's exact versions, oldest first.
func (r *regionIndex) versionStrings() []string {
	out := make([]string, len(r.versions))
	for i, v := range r.versions {
		out[i] = v.String()
	}
	return out
}

// resolve picks the version a request means: itself when it names a patch,
// else the newest offered patch of its minor. With limit set, a minor-only
// request picks the newest patch not above limit (used for node pools,
// which may not pass their control plane). It reports false when the
// region offers nothing that fits.
func (r *regionIndex) resolve(req version.Kubernetes, limit *version.Kubernetes) (version.Kubernetes, bool) {
	if req.HasPatch() {
		return req, r.offered[req.String()]
	}
	var best version.Kubernetes
	found := false
	for _, v := range r.versions {
		if !v.SameMinor(req) || (limit != nil && v.Compare(*limit) > 0) {
			continue
		}
		best, found = v, true
	}
	return best, found
}

// defaultVersion is what a cluster created without a version gets: the
// newest patch of the second-newest minor, as AKS defaults to N-1.
func (r *regionIndex) defaultVersion() (version.Kubernetes, bool) {
	if len(r.versions) == 0 {
		return version.Kubernetes{}, false
	}
	newest := r.versions[len(r.versions)-1]
	var best version.Kubernetes
	found := false
	for _, v := range r.versions {
		if v.Minor < newest.Minor && newest.Major == v.Major {
			best, found = v, true
		}
	}
	if !found {
		return newest, true
	}
	return best, true
}

// latestImage returns the region's newest release of a family.
func (r *regionIndex) latestImage(family string) (version.NodeImage, bool) {
	imgs := r.images[family]
	if len(imgs) == 0 {
		return version.NodeImage{}, false
	}
	return imgs[len(imgs)-1], true
}

// previousImage returns the release before the region's newest of a
// family, or the newest when the region has only one.
func (r *regionIndex) previousImage(family string) (version.NodeImage, bool) {
	imgs := r.images[family]
	switch len(imgs) {
	case 0:
		return version.NodeImage{}, false
	case 1:
		return imgs[0], true
	}
	return imgs[len(imgs)-2], true
}

// offersImage reports whether the region offers img: it is in the catalog
// and not newer than the region's newest release of its family.
func (c *catalogIndex) offersImage(r *regionIndex, img version.NodeImage) bool {
	latest, ok := r.latestImage(img.Family)
	return ok && c.known[img.String()] && img.Compare(latest) <= 0
}
