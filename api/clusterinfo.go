package api

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// clusterCache holds what the provider last reported of each member's
// cluster, so member responses carry it without a cloud call per member
// listed. Observations are kept in the store beside the member's claim on
// its cluster, so they outlast a restart; one older than the TTL is read
// again (in the background for lists, at once for a single GET), and a
// read that fails is recorded on the observation, so a deleted cluster
// reads as not found rather than as it last looked.
type clusterCache struct {
	p     cluster.Provider
	st    store.Store
	newID func() string
	clock clock.Clock
	ttl   time.Duration
	mu    sync.Mutex
	seen  map[string]*observed // by fleet.ClusterKey
	// Clusters to read again in the background, observations to write,
	// and the goroutines that do both.
	queued  map[string]string // key → id
	dirty   map[string]string // key → id
	wake    chan struct{}
	flush   chan struct{}
	stop    chan struct{}
	started bool
	wg      sync.WaitGroup
}

// observed is one cluster's entry.
type observed struct {
	info fleet.ClusterInfo
	// checked is when the provider was last asked, successfully or not.
	checked time.Time
	// loaded: the store has been consulted for this cluster.
	loaded bool
	// queued is when the entry was last queued for the store.
	queued time.Time
	// cluster is the last successful read of the cluster, without its
	// maintenance windows and basis, and at is when it was made: what a
	// preflight may decide from (see recent). Kept in memory only.
	cluster *cluster.Cluster
	at      time.Time
}

// refreshers is how many clusters are read again at once in the
// background.
const refreshers = 4

func newClusterCache(p cluster.Provider, st store.Store, newID func() string, c clock.Clock) *clusterCache {
	return &clusterCache{
		p: p, st: st, newID: newID, clock: c, ttl: 30 * time.Second,
		seen:   map[string]*observed{},
		queued: map[string]string{},
		dirty:  map[string]string{},
		wake:   make(chan struct{}, refreshers),
		flush:  make(chan struct{}, 1),
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
	c.queued[fleet.ClusterKey(id)] = id
	c.startLocked()
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// startLocked starts the background readers and the writer once.
func (c *clusterCache) startLocked() {
	if c.started {
		return
	}
	c.started = true
	if c.p != nil {
		for range refreshers {
			c.wg.Add(1)
			go c.refresh()
		}
	}
	c.wg.Add(1)
	go c.write()
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
		c.read(ctx, id)
		cancel()
	}
}

// read asks the provider for a cluster and records the answer, or the
// failure.
func (c *clusterCache) read(ctx context.Context, id string) *fleet.ClusterInfo {
	cl, err := cluster.Glance(ctx, c.p, id)
	if err == nil {
		return c.remember(id, cl)
	}
	select {
	case <-c.stop:
		// An abandoned read says nothing of the cluster.
		return nil
	default:
	}
	return c.failed(id, err)
}

// write stores changed observations until the cache is closed, and once
// more on the way out.
func (c *clusterCache) write() {
	defer c.wg.Done()
	for {
		select {
		case <-c.flush:
			c.writeDirty()
		case <-c.stop:
			c.writeDirty()
			return
		}
	}
}

func (c *clusterCache) writeDirty() {
	if c.st == nil {
		return
	}
	c.mu.Lock()
	batch := c.dirty
	c.dirty = map[string]string{}
	infos := map[string]fleet.ClusterInfo{}
	for k := range batch {
		if e := c.seen[k]; e != nil {
			infos[k] = e.info
		}
	}
	c.mu.Unlock()
	// The writes go out together, so that a store that commits
	// concurrent writes in one transaction (SQLite's group commit) does.
	sem := make(chan struct{}, observationWriters)
	var wg sync.WaitGroup
	for k, id := range batch {
		info, ok := infos[k]
		if !ok {
			continue
		}
		body, err := json.Marshal(info)
		if err != nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// A write that fails is made again at the cluster's next
			// observation.
			_ = c.st.Put(ctx, store.Record{Kind: store.ClusterObservations, ID: observationID(id), Parent: claimID(id), ETag: c.newID(), Body: body}, store.Precondition{})
		})
	}
	wg.Wait()
}

// observationWriters bounds the observations written at once.
const observationWriters = 16

// observationID is the store id of a cluster's observation.
func observationID(clusterID string) string {
	return "/clusterobservations" + fleet.ClusterKey(clusterID)
}

// close stops the background readers and writes what is left.
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
	cl, err := cluster.Glance(ctx, c.p, id)
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

// entry returns a cluster's entry, loading a stored observation the first
// time; nil when nothing is known of it.
func (c *clusterCache) entry(ctx context.Context, id string) *observed {
	key := fleet.ClusterKey(id)
	c.mu.Lock()
	e := c.seen[key]
	c.mu.Unlock()
	if e != nil && e.loaded {
		return e
	}
	var stored *fleet.ClusterInfo
	if c.st != nil {
		if rec, err := c.st.Get(ctx, store.ClusterObservations, observationID(id)); err == nil {
			stored, _ = store.Decode[fleet.ClusterInfo](rec)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.seen[key]; e == nil {
		if stored == nil {
			return nil
		}
		e = &observed{info: *stored}
		c.seen[key] = e
	}
	e.loaded = true
	return e
}

// info returns the cluster's last observed state. When that is older than
// the TTL it is read again: at once when fresh is set, else in the
// background while the old state is returned.
func (c *clusterCache) info(ctx context.Context, id string, fresh bool) *fleet.ClusterInfo {
	e := c.entry(ctx, id)
	now := c.clock.Now()
	var out *fleet.ClusterInfo
	stale := true
	if e != nil {
		c.mu.Lock()
		info := e.info
		last := e.checked
		if last.IsZero() && info.ObservedAt != nil {
			last = *info.ObservedAt
		}
		stale = now.Sub(last) > c.ttl
		c.mu.Unlock()
		out = &info
	}
	if !stale || c.p == nil {
		return out
	}
	if !fresh {
		c.enqueue(id)
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if got := c.read(ctx, id); got != nil {
		return got
	}
	return out
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
	c.record(id, info, now, func(old fleet.ClusterInfo) bool { return !sameCluster(old, info) })
	kept := *cl
	kept.Basis, kept.MaintenanceWindows = nil, nil
	kept.NodePools, kept.AvailableVersions = slices.Clone(cl.NodePools), slices.Clone(cl.AvailableVersions)
	c.mu.Lock()
	if e := c.seen[fleet.ClusterKey(id)]; e != nil {
		e.cluster, e.at = &kept, now
	}
	c.mu.Unlock()
	return &info
}

// recent returns the cluster as last read, when that read succeeded at
// most maxAge ago and no read failed since; nil otherwise. The caller
// must not change it.
func (c *clusterCache) recent(id string, maxAge time.Duration) *cluster.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.seen[fleet.ClusterKey(id)]
	if e == nil || e.cluster == nil || c.clock.Now().Sub(e.at) > maxAge {
		return nil
	}
	return e.cluster
}

// failed records that a cluster could not be read: what was last seen
// stays, with the error beside it; a missing cluster says so.
func (c *clusterCache) failed(id string, err error) *fleet.ClusterInfo {
	now := c.clock.Now().UTC()
	msg := err.Error()
	switch cluster.ReasonOf(err) {
	case cluster.NotFound:
		msg = "not found: the cluster was deleted, or caravan's credentials cannot see it (" + msg + "); delete the member, or fix the credentials"
	case cluster.Transient, cluster.Unavailable:
		msg = "cannot reach the cloud: " + msg
	}
	c.mu.Lock()
	var info fleet.ClusterInfo
	if e := c.seen[fleet.ClusterKey(id)]; e != nil {
		info = e.info
		e.cluster = nil
	}
	c.mu.Unlock()
	info.Error = msg
	c.record(id, info, now, func(old fleet.ClusterInfo) bool { return old.Error != msg })
	return &info
}

// record keeps info as the cluster's state, and queues it for the store
// when write says it differs from what was kept, or when it was last
// queued longer than the TTL ago.
func (c *clusterCache) record(id string, info fleet.ClusterInfo, now time.Time, write func(old fleet.ClusterInfo) bool) {
	key := fleet.ClusterKey(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.seen[key]
	if e == nil {
		e = &observed{loaded: c.st == nil}
		c.seen[key] = e
	}
	// Write when something changed, and otherwise now and then, so the
	// stored time of observation stays close.
	changed := write(e.info) || now.Sub(e.queued) > c.ttl
	e.info, e.checked = info, now
	if !changed {
		return
	}
	e.queued = now
	select {
	case <-c.stop:
		return
	default:
	}
	c.dirty[key] = id
	c.startLocked()
	select {
	case c.flush <- struct{}{}:
	default:
	}
}

func sameCluster(a, b fleet.ClusterInfo) bool {
	return a.Region == b.Region && a.KubernetesVersion == b.KubernetesVersion && a.ProvisioningState == b.ProvisioningState &&
		a.Error == b.Error && slices.Equal(a.NodeImageVersions, b.NodeImageVersions) && slices.Equal(a.NodePools, b.NodePools)
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
