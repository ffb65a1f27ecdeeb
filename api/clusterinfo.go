package api

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// clusterCache remembers what the provider last reported of each member's
// cluster, so member responses can carry it without a cloud call per
// member listed.
type clusterCache struct {
	p     cluster.Provider
	clock clock.Clock
	ttl   time.Duration
	mu    sync.Mutex
	seen  map[string]fleet.ClusterInfo
	// Clusters to read again in the background, and the readers.
	queued  map[string]string // lower-cased id → id
	wake    chan struct{}
	stop    chan struct{}
	started bool
	wg      sync.WaitGroup
}

// refreshers is how many clusters are read again at once in the
// background.
const refreshers = 4

func newClusterCache(p cluster.Provider, c clock.Clock) *clusterCache {
	return &clusterCache{
		p: p, clock: c, ttl: 30 * time.Second,
		seen:   map[string]fleet.ClusterInfo{},
		queued: map[string]string{},
		wake:   make(chan struct{}, refreshers),
		stop:   make(chan struct{}),
	}
}

// refreshDelay is how long after a change a cluster is read again: long
// enough to stay out of the way of the upgrades that start as one ends,
// short enough for a member list to catch up at once to a person.
const refreshDelay = time.Second

// changed marks what is known of a cluster as out of date and reads it
// again in the background shortly, so that members listed after an
// upgrade show where the upgrade left their clusters.
func (c *clusterCache) changed(id string) {
	if c.p == nil {
		return
	}
	c.clock.AfterFunc(refreshDelay, func() { c.enqueue(id) })
}

func (c *clusterCache) enqueue(id string) {
	c.mu.Lock()
	select {
	case <-c.stop:
		c.mu.Unlock()
		return
	default:
	}
	c.queued[strings.ToLower(id)] = id
	if !c.started {
		c.started = true
		for range refreshers {
			c.wg.Add(1)
			go c.refresh()
		}
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// refresh reads queued clusters until the cache is closed.
func (c *clusterCache) refresh() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		var id string
		for k, v := range c.queued {
			id = v
			delete(c.queued, k)
			break
		}
		c.mu.Unlock()
		if id == "" {
			select {
			case <-c.wake:
				continue
			case <-c.stop:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if cl, err := c.p.Describe(ctx, id); err == nil {
			c.remember(id, cl)
		}
		cancel()
	}
}

// close stops the background readers.
func (c *clusterCache) close() {
	c.mu.Lock()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// check asks the provider whether a cluster exists: a missing cluster is a
// 400, an unreachable cloud a 503.
func (c *clusterCache) check(ctx context.Context, id string) error {
	if c.p == nil {
		return nil
	}
	cl, err := c.p.Describe(ctx, id)
	switch {
	case err == nil:
		c.remember(id, cl)
		return nil
	case cluster.ReasonOf(err) == cluster.NotFound:
		return fleet.Invalid("properties.clusterResourceId", "cluster %s does not exist or caravan cannot see it: %v; create the cluster first, or check the id and the credentials caravan uses", id, err)
	case cluster.ReasonOf(err) == cluster.Rejected:
		return fleet.Invalid("properties.clusterResourceId", "cluster %s cannot be read: %v", id, err)
	}
	return unavailable("cannot reach the cloud to check cluster " + id + ": " + err.Error())
}

// info returns the cluster's last observed state; fresh reads it from the
// provider first when the cached state is older than the cache's TTL.
func (c *clusterCache) info(ctx context.Context, id string, fresh bool) *fleet.ClusterInfo {
	key := strings.ToLower(id)
	c.mu.Lock()
	info, ok := c.seen[key]
	c.mu.Unlock()
	stale := !ok || info.ObservedAt == nil || c.clock.Now().Sub(*info.ObservedAt) > c.ttl
	if fresh && stale && c.p != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		cl, err := c.p.Describe(ctx, id)
		if err == nil {
			return c.remember(id, cl)
		}
		if !ok {
			now := c.clock.Now().UTC()
			return &fleet.ClusterInfo{Error: err.Error(), ObservedAt: &now}
		}
	}
	if !ok {
		return nil
	}
	return &info
}

// remember records a cluster's observed state.
func (c *clusterCache) remember(id string, cl *cluster.Cluster) *fleet.ClusterInfo {
	now := c.clock.Now().UTC()
	info := fleet.ClusterInfo{
		Region:            cl.Region,
		KubernetesVersion: cl.KubernetesVersion,
		ProvisioningState: cl.ProvisioningState,
		ObservedAt:        &now,
	}
	for _, p := range cl.NodePools {
		info.NodePools = append(info.NodePools, fleet.PoolInfo{Name: p.Name, KubernetesVersion: p.KubernetesVersion, NodeImageVersion: p.NodeImageVersion})
		if p.NodeImageVersion != "" && !slices.Contains(info.NodeImageVersions, p.NodeImageVersion) {
			info.NodeImageVersions = append(info.NodeImageVersions, p.NodeImageVersion)
		}
	}
	slices.Sort(info.NodeImageVersions)
	slices.SortFunc(info.NodePools, func(a, b fleet.PoolInfo) int { return strings.Compare(a.Name, b.Name) })
	c.mu.Lock()
	c.seen[strings.ToLower(id)] = info
	c.mu.Unlock()
	return &info
}

func unavailable(msg string) error {
	return &unavailableError{msg}
}

type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }

// ClusterObserved records what the engine saw of a cluster, for member
// responses.
func (a *API) ClusterObserved(c *cluster.Cluster) { a.clusters.remember(c.ID, c) }

// ClusterChanged tells the API a cluster has changed (an upgrade ended),
// so member responses read it again.
func (a *API) ClusterChanged(id string) { a.clusters.changed(id) }

// Close stops the API's background work.
func (a *API) Close() { a.clusters.close() }
