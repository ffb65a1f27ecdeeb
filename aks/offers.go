package aks

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/version"
)

// offerCache remembers what regions offer for a short time, so a fleet of
// clusters in one region costs one lookup per TTL.
type offerCache[V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]offerEntry[V]
}

type offerEntry[V any] struct {
	value   V
	expires time.Time
}

func newOfferCache[V any](ttl time.Duration, now func() time.Time) *offerCache[V] {
	return &offerCache[V]{ttl: ttl, now: now, entries: map[string]offerEntry[V]{}}
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
	key := regionKey(location)
	if v, ok := p.versions.get(key); ok {
		return v, nil
	}
	resp, err := cs.clusters.ListKubernetesVersions(ctx, location, nil)
	if err != nil {
		return nil, asError(err, fmt.Sprintf("error listing the Kubernetes versions of region %s", location))
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
	p.versions.put(key, out)
	return out, nil
}

// latestImage returns the newest node image the pool's region offers for
// the pool's image family, from the pool's upgrade profile.
func (p *Provider) latestImage(ctx context.Context, cs *clientSet, id clusterID, location, pool, current string) (string, error) {
	family := version.ImageFamily(current)
	key := regionKey(location) + "|" + family
	if family != "" {
		if v, ok := p.images.get(key); ok {
			return v, nil
		}
	}
	resp, err := cs.pools.GetUpgradeProfile(ctx, id.resourceGroup, id.name, pool, nil)
	if err != nil {
		return "", asError(err, fmt.Sprintf("error getting the upgrade profile of node pool %s of cluster %s", pool, id.name))
	}
	latest := ""
	if resp.Properties != nil && resp.Properties.LatestNodeImageVersion != nil {
		latest = *resp.Properties.LatestNodeImageVersion
	}
	if f := version.ImageFamily(latest); f != "" && f == family {
		p.images.put(key, latest)
	}
	return latest, nil
}
