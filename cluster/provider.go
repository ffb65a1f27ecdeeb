package cluster

import (
	"context"
)

// Provider is what the engine needs from a cloud.
//
// Describe must be safe to call at any time and from many goroutines.
//
// Describe's Cluster may carry a Basis: the provider's record of that read.
// The engine decides from a Cluster and then upgrades it; passing the
// Cluster's Basis in the Operation (op.Basis = c.Basis) lets Upgrade begin
// from the read the decision was made on instead of reading the cluster
// again. This holds however long ago the read was (the engine may read
// clusters well ahead of their turn): a provider writes from a basis only
// conditionally on the cluster being as read (AKS: the read's eTag in
// If-Match), and a cluster changed since is read afresh, never
// overwritten. A basis serves any number of Upgrades of its cluster, each
// conditional; one of another cluster is ignored.
//
// Upgrade begins the operation op, or re-attaches to it when an operation
// with op.ID was begun before (by this process or, after a restart, by an
// earlier one): a provider never begins a second operation for an id it
// already began. It returns once the operation is under way; an error
// means the operation did not begin (see Error for how the engine reacts).
// When the operation ends, the provider calls done exactly once, from any
// goroutine, with nil or the reason it failed. done is never called when
// Upgrade returns an error. Cancelling ctx abandons tracking without
// aborting the cloud's operation; a later Upgrade with the same id picks it
// up again. When the operation succeeded and the provider read the cluster
// after its end (as AKS does, to see that nothing is left to do), it calls
// op.End with that read just before done(nil): the engine verifies the
// member with it instead of reading the cluster again.
type Provider interface {
	Describe(ctx context.Context, clusterID string) (*Cluster, error)
	Upgrade(ctx context.Context, op Operation, done func(error)) error
}

// Glancer is a Provider that can also read a cluster without its
// maintenance windows. Glance returns what Describe would, with
// MaintenanceWindows and Basis left empty, in fewer round trips (AKS: the
// managed cluster only, not its maintenance configurations). It serves
// checks that decide from versions and pools alone, such as the preflight
// of a run's start, which would otherwise read every member's windows for
// nothing.
type Glancer interface {
	Glance(ctx context.Context, clusterID string) (*Cluster, error)
}

// Glance reads a cluster through p's Glance when it has one, else through
// Describe.
func Glance(ctx context.Context, p Provider, clusterID string) (*Cluster, error) {
	if g, ok := p.(Glancer); ok {
		return g.Glance(ctx, clusterID)
	}
	return p.Describe(ctx, clusterID)
}

// UpgradeType says which parts of a cluster an operation moves.
type UpgradeType string

// The upgrade types, as the ARM API names them.
const (
	// Full upgrades the control plane, then every node pool to the same
	// Kubernetes version, with node images at the selected image.
	Full UpgradeType = "Full"
	// ControlPlaneOnly upgrades only the control plane.
	ControlPlaneOnly UpgradeType = "ControlPlaneOnly"
	// NodeImageOnly upgrades only the node images of every node pool.
	NodeImageOnly UpgradeType = "NodeImageOnly"
)

// Operation is one upgrade of one cluster.
type Operation struct {
	// ID identifies the operation; the engine records it before calling
	// Upgrade and passes the same id again to re-attach.
	ID        string
	ClusterID string
	Type      UpgradeType
	// KubernetesVersion is the exact target version (Full and
	// ControlPlaneOnly); empty for NodeImageOnly.
	KubernetesVersion string
	// NodeImages says which node images pools end at (Full and
	// NodeImageOnly).
	NodeImages ImageTarget
	// Report, when set, is told how following the operation goes: the
	// error of a look at the cloud that failed while the operation runs
	// (the cloud cannot be reached, or keeps answering with faults), and
	// nil when a look succeeds again after one failed. The provider goes on
	// trying meanwhile. Report must not block.
	Report func(error) `json:"-"`
	// Basis is the Basis of the Cluster the engine decided on, or nil:
	// the provider may begin from that read instead of reading the cluster
	// again (see Provider). It is never used with Resume.
	Basis any `json:"-"`
	// End, when set, is given the cluster as the provider read it from
	// the cloud after the operation ended successfully, just before done
	// is called with nil. It is only ever a read made after the end, never
	// an earlier or cached one, so it shows what the operation left; a
	// provider that has no such read does not call End. It must not block.
	End func(*Cluster) `json:"-"`
	// Resume is set when the engine re-attaches, after a restart, to an
	// operation it recorded as begun. The provider then waits for an
	// operation in progress on the cluster (most likely this one) instead
	// of reporting Busy, and reports a failure rather than beginning again
	// a step that ended in failure.
	Resume bool
}

// ImageTarget is the node image each pool should end at. With Latest, every
// pool takes the newest image its region offers for its family when the
// upgrade runs. Otherwise Versions maps an image family to the exact image
// version for pools of that family; pools of a family with no entry keep
// their image.
type ImageTarget struct {
	Latest   bool              `json:"latest,omitempty"`
	Versions map[string]string `json:"versions,omitempty"`
}

// For returns the image a pool of the given family should end at, and
// false when the pool's image is left alone. latest is the newest image the
// pool's region offers for its family.
func (t ImageTarget) For(family, latest string) (string, bool) {
	if t.Latest {
		return latest, latest != ""
	}
	v, ok := t.Versions[family]
	return v, ok
}
