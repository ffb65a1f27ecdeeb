package aks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/maintenance"
)

// observation is one look at a cluster: the resource as ARM returned it
// (the base of an update) and caravan's view of it with what its region
// offers.
type observation struct {
	body    []byte
	cluster *cluster.Cluster
	// failed reports the cluster or one of its pools in provisioning
	// state Failed: the last operation on it failed.
	failed bool
	// canceled reports the cluster or one of its pools in provisioning
	// state Canceled: the last operation on it was canceled.
	canceled bool
	// etag is the managed cluster's eTag as read.
	etag string
	// reused marks a read that Describe made and an Upgrade took over
	// through its basis: a write based on it carries etag in If-Match.
	reused bool
}

// basis is what Describe hands out as cluster.Cluster.Basis: its read of
// the cluster, which an Upgrade of the same cluster given it back in
// cluster.Operation.Basis takes as the base of its first write instead of
// reading the cluster again. That write carries the read's eTag in
// If-Match, so a cluster changed since (by anyone, however long ago the
// read was) refuses it with 412 and is read afresh.
type basis struct {
	key string // the cluster's, as clusterID.key
	obs *observation
}

// newBasis returns the basis of an observation: a copy with its own
// cluster value, since the caller of Describe owns the one returned.
func newBasis(id clusterID, o *observation) *basis {
	c := *o.cluster
	c.NodePools = slices.Clone(c.NodePools)
	c.AvailableVersions = slices.Clone(c.AvailableVersions)
	out := *o
	out.cluster, out.reused = &c, true
	return &basis{key: id.key(), obs: &out}
}

// basisOf returns the observation a basis holds when it is of the
// cluster id, nil otherwise (none given, another provider's, another
// cluster's).
func basisOf(v any, id clusterID) *observation {
	b, ok := v.(*basis)
	if !ok || b == nil || b.key != id.key() || b.obs.etag == "" {
		return nil
	}
	return b.obs
}

// pool returns a node pool as the cluster's agentPoolProfiles show it,
// which hold the same properties as the agent pool resource: the step was
// chosen from this observation, so the update starts from it too.
func (o *observation) pool(name string) (armcontainerservice.AgentPool, bool) {
	var v struct {
		Properties struct {
			AgentPoolProfiles []json.RawMessage `json:"agentPoolProfiles"`
		} `json:"properties"`
	}
	if json.Unmarshal(o.body, &v) != nil {
		return armcontainerservice.AgentPool{}, false
	}
	for _, raw := range v.Properties.AgentPoolProfiles {
		var named struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &named) != nil || !strings.EqualFold(named.Name, name) {
			continue
		}
		var props armcontainerservice.ManagedClusterAgentPoolProfileProperties
		if json.Unmarshal(raw, &props) != nil {
			return armcontainerservice.AgentPool{}, false
		}
		return armcontainerservice.AgentPool{Name: &named.Name, Properties: &props}, true
	}
	return armcontainerservice.AgentPool{}, false
}

// Describe implements cluster.Provider.
func (p *Provider) Describe(ctx context.Context, clusterID string) (*cluster.Cluster, error) {
	id, err := parseClusterID(clusterID)
	if err != nil {
		return nil, err
	}
	// The cluster and its maintenance configurations at once: two
	// round trips in the time of one.
	var windows map[string]maintenance.Window
	var werr error
	listed := make(chan struct{})
	p.workers.Go(func() {
		defer close(listed)
		windows, werr = p.windows(ctx, id)
	})
	obs, err := p.observe(ctx, id, cachedOffers)
	<-listed
	if err != nil {
		return nil, err
	}
	if werr != nil {
		return nil, werr
	}
	c := obs.cluster
	c.Basis = newBasis(id, obs)
	c.MaintenanceWindows = windows
	return c, nil
}

// DescribeReleases reads a cluster with what its region offers now, past
// the offer cache: the GA Kubernetes versions and the newest node image
// of each pool's family. Auto-upgrade watches releases through it.
func (p *Provider) DescribeReleases(ctx context.Context, clusterID string) (*cluster.Cluster, error) {
	id, err := parseClusterID(clusterID)
	if err != nil {
		return nil, err
	}
	obs, err := p.observe(ctx, id, freshOffers)
	if err != nil {
		return nil, err
	}
	return obs.cluster, nil
}

// offerUse says what observe reads of the region's offers.
type offerUse int

const (
	// noOffers: the cluster only.
	noOffers offerUse = iota
	// cachedOffers: versions and newest images, from the cache when fresh.
	// An upgrade in flight reads them so too: the image a step gives a
	// pool is the region's newest when the step runs, and an image
	// published since the cache was filled is the next upgrade's.
	cachedOffers
	// latestImages: the newest images only, as cachedOffers reads them.
	// What an upgrade under way needs after each step: its version was
	// checked against the region's before it began.
	latestImages
	// freshOffers: versions and newest images read now, past the cache,
	// with preview minors left out: what auto-upgrade watches.
	freshOffers
)

// observe reads the cluster and, unless told otherwise, what its region
// offers.
func (p *Provider) observe(ctx context.Context, id clusterID, offers offerUse) (*observation, error) {
	cs, err := p.clients(id.subscription)
	if err != nil {
		return nil, err
	}
	obs, err := p.read(ctx, cs, id)
	if err != nil {
		return nil, err
	}
	if err := p.addOffers(ctx, cs, id, obs, offers); err != nil {
		return nil, err
	}
	return obs, nil
}

// read reads the cluster alone: one GET of the managed cluster.
func (p *Provider) read(ctx context.Context, cs *clientSet, id clusterID) (*observation, error) {
	body, mc, err := p.getCluster(ctx, cs, id)
	if err != nil {
		return nil, asError(err, fmt.Sprintf("error getting cluster %s", id.name))
	}
	return &observation{body: body, cluster: toCluster(id, mc), failed: failedIn(mc), canceled: canceledIn(mc), etag: deref(mc.ETag)}, nil
}

// addOffers completes an observation with what the cluster's region
// offers, as offers says.
func (p *Provider) addOffers(ctx context.Context, cs *clientSet, id clusterID, obs *observation, offers offerUse) error {
	if offers == noOffers {
		return nil
	}
	c := obs.cluster
	if c.Region == "" {
		return cluster.Errorf(cluster.Transient, "MissingLocation", "cluster %s has no location in its ARM resource; try again", id.name)
	}
	var err error
	switch offers {
	case cachedOffers:
		if c.AvailableVersions, err = p.regionVersions(ctx, cs, c.Region); err != nil {
			return err
		}
	case freshOffers:
		if c.AvailableVersions, c.LongTermSupportOnly, err = p.gaVersions(ctx, cs, c.Region); err != nil {
			return err
		}
	}
	for i := range c.NodePools {
		pool := &c.NodePools[i]
		if pool.LatestNodeImageVersion, err = p.latestImage(ctx, cs, id, c.Region, pool.Name, pool.NodeImageVersion, offers == freshOffers); err != nil {
			if cluster.ReasonOf(err) == cluster.NotFound {
				continue // the pool went away since the cluster was read
			}
			return err
		}
	}
	return nil
}

// toCluster converts the ARM resource; exact versions come from the
// current* fields, which hold the patch even when the spec names a minor.
func toCluster(id clusterID, mc clusterSummary) *cluster.Cluster {
	c := &cluster.Cluster{ID: id.raw, Name: id.name, Region: deref(mc.Location)}
	if mc.Name != nil {
		c.Name = *mc.Name
	}
	props := mc.Properties
	if props == nil {
		return c
	}
	c.KubernetesVersion = first(props.CurrentKubernetesVersion, props.KubernetesVersion)
	c.ProvisioningState = deref(props.ProvisioningState)
	c.Busy = !terminal(c.ProvisioningState)
	for _, ap := range props.AgentPoolProfiles {
		if ap == nil || ap.Name == nil {
			continue
		}
		pool := cluster.NodePool{
			Name:              *ap.Name,
			KubernetesVersion: first(ap.CurrentOrchestratorVersion, ap.OrchestratorVersion),
			NodeImageVersion:  deref(ap.NodeImageVersion),
		}
		if pool.KubernetesVersion == "" {
			pool.KubernetesVersion = c.KubernetesVersion
		}
		pool.Mode = deref(ap.Mode)
		pool.OSType = deref(ap.OSType)
		if ap.Count != nil {
			pool.Count = int(*ap.Count)
		}
		if !terminal(deref(ap.ProvisioningState)) {
			c.Busy = true
		}
		c.NodePools = append(c.NodePools, pool)
	}
	slices.SortFunc(c.NodePools, func(a, b cluster.NodePool) int { return strings.Compare(a.Name, b.Name) })
	return c
}

// failedIn reports whether the cluster or one of its pools is Failed.
func failedIn(mc clusterSummary) bool {
	if mc.Properties == nil {
		return false
	}
	if failedState(deref(mc.Properties.ProvisioningState)) {
		return true
	}
	for _, ap := range mc.Properties.AgentPoolProfiles {
		if ap != nil && failedState(deref(ap.ProvisioningState)) {
			return true
		}
	}
	return false
}

// canceledIn reports whether the cluster or one of its pools is Canceled.
func canceledIn(mc clusterSummary) bool {
	if mc.Properties == nil {
		return false
	}
	if canceledState(deref(mc.Properties.ProvisioningState)) {
		return true
	}
	for _, ap := range mc.Properties.AgentPoolProfiles {
		if ap != nil && canceledState(deref(ap.ProvisioningState)) {
			return true
		}
	}
	return false
}

// canceledState reports whether a provisioning state is Canceled.
func canceledState(state string) bool {
	return strings.EqualFold(state, "Canceled") || strings.EqualFold(state, "Cancelled")
}

// terminal reports whether a provisioning state ends an operation. An
// empty state (a resource that never reported one) counts as terminal.
func terminal(state string) bool {
	switch strings.ToLower(state) {
	case "", "succeeded", "failed", "canceled", "cancelled":
		return true
	}
	return false
}

// failedState reports whether a provisioning state is Failed.
func failedState(state string) bool { return strings.EqualFold(state, "Failed") }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func first(ss ...*string) string {
	for _, s := range ss {
		if s != nil && *s != "" {
			return *s
		}
	}
	return ""
}
