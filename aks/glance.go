package aks

import (
	"context"

	"github.com/caravan-dev/caravan/cluster"
)

var _ cluster.Glancer = (*Provider)(nil)

// Glance reads a cluster as Describe does but without its maintenance
// configurations: one GET of the managed cluster (with the region's
// offers from their cache). Its Cluster has no MaintenanceWindows and no
// Basis: it is for checks, not for an upgrade to begin from.
func (p *Provider) Glance(ctx context.Context, clusterID string) (*cluster.Cluster, error) {
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
