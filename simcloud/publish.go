package simcloud

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/version"
)

// PublishKubernetesVersions makes exact Kubernetes versions ("1.34.0")
// available in the given regions, or in every region when none is given.
func (cl *Cloud) PublishKubernetesVersions(versions []string, regions ...string) error {
	return cl.publish(versions, nil, regions)
}

// PublishNodeImages publishes node image versions
// ("AKSUbuntu-2204gen2containerd-202506.11.0") to the given regions, or to
// every region when none is given. A region's newest image of a family is
// what node image upgrades there move to.
func (cl *Cloud) PublishNodeImages(images []string, regions ...string) error {
	return cl.publish(nil, images, regions)
}

func (cl *Cloud) publish(versions, images, regions []string) error {
	var errs []error
	for _, v := range versions {
		if _, err := parseExactKubernetes(v); err != nil {
			errs = append(errs, err)
		}
	}
	for _, img := range images {
		if _, err := version.ParseNodeImage(img); err != nil {
			errs = append(errs, err)
		}
	}
	cl.publishMu.Lock()
	defer cl.publishMu.Unlock()
	cur := cl.catalog.Load()
	targets := map[string]bool{}
	for _, r := range regions {
		n := normalizeRegion(r)
		if cur.regions[n] == nil {
			errs = append(errs, fmt.Errorf("%q is not a region of the catalog; want one of %s", r, strings.Join(cur.regionNames(), ", ")))
		}
		targets[n] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("error publishing: %w", errors.Join(errs...))
	}
	next := cur.source.clone()
	for i := range next.Regions {
		r := &next.Regions[i]
		if len(targets) > 0 && !targets[normalizeRegion(r.Name)] {
			continue
		}
		for _, v := range versions {
			if !slices.Contains(r.KubernetesVersions, v) {
				r.KubernetesVersions = append(r.KubernetesVersions, v)
			}
		}
		for _, img := range images {
			if !slices.Contains(r.NodeImages, img) {
				r.NodeImages = append(r.NodeImages, img)
			}
		}
	}
	cl.catalog.Store(newCatalogIndex(next))
	return nil
}
