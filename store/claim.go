package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Claim is an update run's hold on a cluster while the run upgrades it:
// two runs never upgrade one cluster at the same time. (It is not the
// ClusterClaims record, which makes a cluster a member of one fleet.)
// Epoch is the run's lease epoch when it last claimed the cluster (0 for
// a server that drives every run alone).
type Claim struct {
	Cluster string // canonical cluster resource id
	Run     string // canonical update run id
	Epoch   int64
	Since   time.Time // when the run first claimed it, by the store's clock
}

// Claimer keeps the claims on clusters where every server sharing the
// store sees them, and where a server that starts again finds them: rows
// of the database on PostgreSQL and SQLite, the process's memory for the
// memory store.
//
// The rule for taking a claim: a cluster is free when nobody claims it;
// it stays the run's until the run releases it, or the run is no longer
// live. A run is live while its record exists in one of the states the
// caller names live (the states in which an upgrade of the run may be in
// flight: Running, Pending, Stopping). Neither the expiry of the run's
// lease nor the death of the server that drove it frees a claim: an
// upgrade it began may still be going on in the cloud, and the claim
// passes to the run's next owner, which re-attaches to it. That owner
// claims again under its own, newer epoch; from then on a claim at an
// older epoch, from a server that lost the run, is refused.
type Claimer interface {
	// ClaimCluster claims cluster for run at epoch, atomically: it
	// succeeds if the cluster is free, held by a run that is not live
	// (by live), or already run's at an epoch not newer than epoch, and
	// returns the claim held. A cluster another live run holds is a
	// *ClaimedError (errors.Is ErrClusterClaimed) naming the holder; a
	// claim run holds at a newer epoch is ErrLeaseLost.
	ClaimCluster(ctx context.Context, cluster, run string, epoch int64, live []string) (Claim, error)
	// ReleaseClaim ends run's claim on cluster if the run holds it at an
	// epoch not newer than epoch; otherwise it does nothing.
	ReleaseClaim(ctx context.Context, cluster, run string, epoch int64) error
	// ReleaseClaims ends every claim run holds at an epoch not newer than
	// epoch, when the run ends.
	ReleaseClaims(ctx context.Context, run string, epoch int64) error
	// Claims returns the claims run holds ("" for every run's), in
	// cluster order.
	Claims(ctx context.Context, run string) ([]Claim, error)
}

// ErrClusterClaimed is the error, for errors.Is, of a claim on a cluster
// another live run holds.
var ErrClusterClaimed = errors.New("the cluster is claimed by another update run")

// ClaimedError is a refused claim: Holder is the claim held.
type ClaimedError struct {
	Holder Claim
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("cluster %s is being upgraded by update run %s", e.Holder.Cluster, e.Holder.Run)
}

// Is makes a ClaimedError match ErrClusterClaimed.
func (e *ClaimedError) Is(target error) bool { return target == ErrClusterClaimed }

// liveState reports whether state is among live.
func liveState(state string, live []string) bool {
	for _, s := range live {
		if s == state {
			return true
		}
	}
	return false
}
