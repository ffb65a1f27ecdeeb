package aks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/caravan-dev/caravan/version"
)

// offerCache remembers what regions offer for a short time, so a fleet of
// clusters in one region costs one lookup per TTL. Lookups of one key that
// miss at the same time (a stage beginning many upgrades in one region)
// are made once.
type offerCache[V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]offerEntry[V]
	loading map[string]*offerLoad[V]
}

type offerEntry[V any] struct {
	value   V
	expires time.Time
}

// offerLoad is a lookup in flight; done closes when it ends.
type offerLoad[V any] struct {
	done  chan struct{}
	value V
	ok    bool // the lookup succeeded and its value is the key's
}

func newOfferCache[V any](ttl time.Duration, now func() time.Time) *offerCache[V] {
	return &offerCache[V]{ttl: ttl, now: now, entries: map[string]offerEntry[V]{}, loading: map[string]*offerLoad[V]{}}
}

// getOrLoad returns the key's cached value, or looks it up with load,
// which reports whether its value belongs in the cache under key. A caller
// that misses while another looks the key up waits for that lookup and
// shares its value; if that lookup failed, or its value is not the key's,
// the caller looks up for itself.
func (c *offerCache[V]) getOrLoad(ctx context.Context, key string, load func() (V, bool, error)) (V, error) {
	if v, ok := c.get(key); ok {
		return v, nil
	}
	if c.ttl < 0 {
		v, _, err := load()
		return v, err
	}
	c.mu.Lock()
	if l := c.loading[key]; l != nil {
		c.mu.Unlock()
		select {
		case <-l.done:
			if l.ok {
				return l.value, nil
			}
		case <-ctx.Done():
		}
		v, _, err := load()
		return v, err
	}
	l := &offerLoad[V]{done: make(chan struct{})}
	c.loading[key] = l
	c.mu.Unlock()

	v, cacheable, err := load()
	if err == nil && cacheable {
		c.put(key, v)
		l.value, l.ok = v, true
	}
	c.mu.Lock()
	delete(c.loading, key)
	c.mu.Unlock()
	close(l.done)
	return v, err
}

func (c *offerCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *offerCache[V]) put(key string, v V) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[key] = offerEntry[V]{value: v, expires: now.Add(c.ttl)}
}

// regionKey normalises an ARM location ("East US" and "eastus" are one).
func regionKey(location string) string {
	return strings.ToLower(strings.ReplaceAll(location, " ", ""))
}

// regionVersions returns the exact Kubernetes versions the location
// offers, oldest first.
func (p *Provider) regionVersions(ctx context.Context, cs *clientSet, location string) ([]string, error) {
	return p.versions.getOrLoad(ctx, regionKey(location), func() ([]string, bool, error) {
		resp, err := cs.clusters.ListKubernetesVersions(ctx, location, nil)
		if err != nil {
			return nil, false, asError(err, fmt.Sprintf("error listing the Kubernetes versions of region %s", location))
		}
		var out []string
		seen := map[string]bool{}
		for _, minor := range resp.Values {
			if minor == nil {
				continue
			}
			for patch := range minor.PatchVersions {
				if v, err := version.ParseKubernetes(patch); err == nil && v.HasPatch() && !seen[v.String()] {
					seen[v.String()] = true
					out = append(out, v.String())
				}
			}
		}
		version.SortKubernetes(out)
		return out, true, nil
	})
}

// latestImage returns the newest node image the pool's region offers for
// the pool's image family, from the pool's upgrade profile.
func (p *Provider) latestImage(ctx context.Context, cs *clientSet, id clusterID, location, pool, current string, fresh bool) (string, error) {
	family := version.ImageFamily(current)
	load := func() (string, bool, error) {
		resp, err := cs.pools.GetUpgradeProfile(ctx, id.resourceGroup, id.name, pool, nil)
		if err != nil {
			return "", false, asError(err, fmt.Sprintf("error getting the upgrade profile of node pool %s of cluster %s", pool, id.name))
		}
		latest := ""
		if resp.Properties != nil && resp.Properties.LatestNodeImageVersion != nil {
			latest = *resp.Properties.LatestNodeImageVersion
		}
		f := version.ImageFamily(latest)
		return latest, f != "" && f == family, nil
	}
	if family == "" {
		// A pool whose image is unknown: its newest image says nothing
		// about a family.
		latest, _, err := load()
		return latest, err
	}
	key := regionKey(location) + "|" + family
	if fresh {
		latest, ok, err := load()
		if err == nil && ok {
			p.images.put(key, latest)
		}
		return latest, err
	}
	return p.images.getOrLoad(ctx, key, load)
}

// gaVersions returns the exact Kubernetes versions the location offers
// now, oldest first, without preview minors, and those of them offered
// only under long-term support; it reads past the cache.
func (p *Provider) gaVersions(ctx context.Context, cs *clientSet, location string) (all, ltsOnly []string, err error) {
	resp, err := cs.clusters.ListKubernetesVersions(ctx, location, nil)
	if err != nil {
		return nil, nil, asError(err, fmt.Sprintf("error listing the Kubernetes versions of region %s", location))
	}
	for _, minor := range resp.Values {
		if minor == nil || (minor.IsPreview != nil && *minor.IsPreview) {
			continue
		}
		lts := longTermSupportOnly(minor)
		for patch := range minor.PatchVersions {
			if v, err := version.ParseKubernetes(patch); err == nil && v.HasPatch() && !slices.Contains(all, v.String()) {
				all = append(all, v.String())
				if lts {
					ltsOnly = append(ltsOnly, v.String())
				}
			}
		}
	}
	version.SortKubernetes(all)
	version.SortKubernetes(ltsOnly)
	return all, ltsOnly, nil
}

// longTermSupportOnly reports whether a minor's support plans name long-
// term support and not the community's.
func longTermSupportOnly(minor *armcontainerservice.KubernetesVersion) bool {
	if minor.Capabilities == nil || len(minor.Capabilities.SupportPlan) == 0 {
		return false
	}
	lts := false
	for _, p := range minor.Capabilities.SupportPlan {
		switch {
		case p == nil:
		case *p == armcontainerservice.KubernetesSupportPlanKubernetesOfficial:
			return false
		case *p == armcontainerservice.KubernetesSupportPlanAKSLongTermSupport:
			lts = true
		}
	}
	return lts
}
