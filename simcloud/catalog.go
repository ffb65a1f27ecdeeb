package simcloud

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/version"
)

// Catalog is what the simulated cloud offers, region by region: exact
// Kubernetes versions and node image versions. Regions publish node images
// at their own pace, so one region may lag another by a release or more.
type Catalog struct {
	Regions []RegionCatalog `json:"regions"`
}

// RegionCatalog is one region's offer.
type RegionCatalog struct {
	// Name is the region's ARM name, such as "eastus".
	Name string `json:"name"`
	// KubernetesVersions are exact versions ("1.31.4") the region offers.
	KubernetesVersions []string `json:"kubernetesVersions"`
	// NodeImages are full node image versions published in the region,
	// such as "AKSUbuntu-2204gen2containerd-202505.14.0".
	NodeImages []string `json:"nodeImages"`
}

// Validate reports every entry of the catalog that does not parse, and
// duplicate regions. New ignores such entries.
func (c *Catalog) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range c.Regions {
		name := normalizeRegion(r.Name)
		if name == "" {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("regions[%d].name", i), Message: "is empty; want a region name such as eastus"})
		} else if seen[name] {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("regions[%d].name", i), Message: fmt.Sprintf("region %q appears twice", r.Name)})
		}
		seen[name] = true
		for j, v := range r.KubernetesVersions {
			if _, err := parseExactKubernetes(v); err != nil {
				errs = append(errs, &FieldError{Field: fmt.Sprintf("regions[%d].kubernetesVersions[%d]", i, j), Message: err.Error()})
			}
		}
		for j, img := range r.NodeImages {
			if _, err := version.ParseNodeImage(img); err != nil {
				errs = append(errs, &FieldError{Field: fmt.Sprintf("regions[%d].nodeImages[%d]", i, j), Message: err.Error()})
			}
		}
	}
	return errors.Join(errs...)
}

// clone returns a deep copy, so callers never share slices with the Cloud.
func (c Catalog) clone() Catalog {
	out := Catalog{Regions: make([]RegionCatalog, len(c.Regions))}
	for i, r := range c.Regions {
		out.Regions[i] = RegionCatalog{
			Name:               r.Name,
			KubernetesVersions: slices.Clone(r.KubernetesVersions),
			NodeImages:         slices.Clone(r.NodeImages),
		}
	}
	return out
}

// parseExactKubernetes parses a Kubernetes version that must name a patch.
func parseExactKubernetes(s string) (version.Kubernetes, error) {
	v, err := version.ParseKubernetes(s)
	if err != nil {
		return v, err
	}
	if !v.HasPatch() {
		return v, fmt.Errorf("%q names a minor release; want an exact version such as %s.0", s, v.MinorString())
	}
	return v, nil
}

// normalizeRegion turns "East US" or "EastUS" into ARM's "eastus".
func normalizeRegion(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}
