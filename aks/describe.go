package aks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/caravan-dev/caravan/cluster"
)

// observation is one look at a cluster: the resource as ARM returned it
// (the base of a control plane update) and caravan's view of it with what
// its region offers.
type observation struct {
	raw     armcontainerservice.ManagedCluster
	cluster *cluster.Cluster
	// failed reports the cluster or one of its pools in provisioning
	// state Failed: the last operation on it failed.
	failed bool
}

// Describe implements cluster.Provider.
func (p *Provider) Describe(ctx context.Context, clusterID string) (*cluster.Cluster, error) {
	id, err := parseClusterID(clusterID)
	if err != nil {
		return nil, err
	}
	obs, err := p.observe(ctx, id, cachedOffers)
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
	cachedOffers
	// freshImages: as cachedOffers, but the newest images are read anew,
	// as an upgrade in flight needs them.
	freshImages
)

// observe reads the cluster and, unless told otherwise, what its region
// offers.
func (p *Provider) observe(ctx context.Context, id clusterID, offers offerUse) (*observation, error) {
	cs, err := p.clients(id.subscription)
	if err != nil {
		return nil, err
	}
	resp, err := cs.clusters.Get(ctx, id.resourceGroup, id.name, nil)
	if err != nil {
		return nil, asError(err, fmt.Sprintf("error getting cluster %s", id.name))
	}
	c := toCluster(id, resp.ManagedCluster)
	if offers != noOffers {
		if c.Region == "" {
			return nil, cluster.Errorf(cluster.Transient, "MissingLocation", "cluster %s has no location in its ARM resource; try again", id.name)
		}
		if c.AvailableVersions, err = p.regionVersions(ctx, cs, c.Region); err != nil {
			return nil, err
		}
		for i := range c.NodePools {
			pool := &c.NodePools[i]
			if pool.LatestNodeImageVersion, err = p.latestImage(ctx, cs, id, c.Region, pool.Name, pool.NodeImageVersion, offers == freshImages); err != nil {
				if cluster.ReasonOf(err) == cluster.NotFound {
					continue // the pool went away since the cluster was read
				}
				return nil, err
			}
		}
	}
	return &observation{raw: resp.ManagedCluster, cluster: c, failed: failedIn(resp.ManagedCluster)}, nil
}

// toCluster converts the ARM resource; exact versions come from the
// current* fields, which hold the patch even when the spec names a minor.
func toCluster(id clusterID, mc armcontainerservice.ManagedCluster) *cluster.Cluster {
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
		if ap.Mode != nil {
			pool.Mode = string(*ap.Mode)
		}
		if ap.OSType != nil {
			pool.OSType = string(*ap.OSType)
		}
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
func failedIn(mc armcontainerservice.ManagedCluster) bool {
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
