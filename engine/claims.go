package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// Two runs never upgrade one cluster at the same time. Within a server the
// engine's cluster locks (locks.go) say which run has which cluster, and
// wake the runs waiting for one; across the servers sharing a store, the
// store's claims (store.Claimer) do: a run claims a member's cluster at
// the member's turn, while it checks the member (inspect.go), and begins
// the upgrade on that claim; an upgrade begun otherwise (re-attached to
// after a restart or takeover) claims it right before. The claim also
// keeps an upgrade in flight across a restart of a server alone on its
// store. The run releases the claim once the member's end is written: in that write's
// transaction when the run is kept in parts in the store that holds the
// claims (store.PartedWrite's Release), else right after it. A claim outlives
// the server that took it for as long as the run is live: the run's next
// owner claims it again under its own lease epoch as it re-attaches to the
// upgrades in flight. The decisions stay pure: the pure code acquires and
// releases through a locker, and the runner applies the releases to the
// store after the write that records them.

// runClaims is a runner's record of the clusters its run let go of that
// are still to be released, in the store and then in the engine's locks,
// once the run as it is now is written.
type runClaims struct {
	releasing map[string]string // canonical cluster id → cluster id
	// written: the last write of the run released the claims of
	// releasing in the store, in its transaction (store.PartedWrite's
	// Release); only the engine's locks are left to release.
	written bool
}

// releaseWithWrite returns the clusters whose claims the run's next write
// releases in its transaction, and the epoch: those it let go of, when
// the store the run is written to is the one that holds the claims.
func (r *runner) releaseWithWrite() ([]string, int64) {
	c := r.e.claimer()
	if c == nil || len(r.claims.releasing) == 0 {
		return nil, 0
	}
	if r.e.own != nil && any(r.e.own.Leaser) != any(c) {
		return nil, 0
	}
	ids := make([]string, 0, len(r.claims.releasing))
	for _, id := range r.claims.releasing {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, r.epoch()
}

// runLocks is the locker a runner hands its run's pure code: acquiring is
// the engine's cluster locks; releasing waits for the next write.
type runLocks struct{ r *runner }

func (l runLocks) acquire(clusterID, run string) (string, bool) {
	delete(l.r.claims.releasing, strings.ToLower(clusterID))
	return l.r.e.locks.acquire(clusterID, run)
}

func (l runLocks) release(clusterID, run string) {
	if l.r.claims.releasing == nil {
		l.r.claims.releasing = map[string]string{}
	}
	l.r.claims.releasing[strings.ToLower(clusterID)] = clusterID
}

// locks is the locker for the runner's run.
func (r *runner) locks() locker { return runLocks{r} }

// claimer is the store's claims on clusters, nil for a store without them.
func (e *Engine) claimer() store.Claimer {
	c, _ := e.cfg.Store.(store.Claimer)
	return c
}

// epoch is the run's lease epoch under Ownership, 0 without it.
func (r *runner) epoch() int64 {
	if h := r.hold.Load(); h != nil {
		return h.lease.Epoch
	}
	return 0
}

// claimRetry is how long a member whose cluster another run claims waits
// before it is checked again: such a run may be driven by another server,
// which cannot wake this one when it lets go.
func (e *Engine) claimRetry() time.Duration {
	if e.own != nil {
		return min(e.own.Interval, e.cfg.RecheckInterval)
	}
	return e.cfg.RecheckInterval
}

// claim claims a cluster for the runner's run in the store. It returns
// the run holding it when another does, or an error (wrapping
// store.ErrLeaseLost when the run passed to another server).
func (r *runner) claim(ctx context.Context, clusterID string) (holder string, err error) {
	c := r.e.claimer()
	if c == nil {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, saveTryTimeout)
	defer cancel()
	_, err = c.ClaimCluster(ctx, clusterID, r.id, r.epoch(), activeStates)
	var ce *store.ClaimedError
	if errors.As(err, &ce) {
		return ce.Holder.Run, nil
	}
	return "", err
}

// claimBeforeBegin claims the cluster right before its upgrade is begun,
// for a beginning whose check did not claim it at this lease epoch: one
// re-attached to after a restart or a takeover passes the claim to this
// server's epoch. It returns the
// event to post instead of beginning, if any.
func (r *runner) claimBeforeBegin(ctx context.Context, k mkey, op cluster.Operation) any {
	holder, err := r.claim(ctx, op.ClusterID)
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		return leaseLost{}
	case err != nil:
		return beginFailed{k: k, opID: op.ID, err: cluster.Errorf(cluster.Transient, "ClaimUnavailable", "cannot claim cluster %s in the store before upgrading it: %v", op.ClusterID, err)}
	case holder != "":
		return beginFailed{k: k, opID: op.ID, err: cluster.Errorf(cluster.Busy, "ClusterClaimed", "update run %s is upgrading cluster %s", runName(holder), op.ClusterID)}
	}
	return nil
}

// letGo releases the clusters the run let go of, once the run is written
// as it is: in the store (unless the write did), then in the engine's
// locks, waking the runs of this server waiting for them.
func (r *runner) letGo() {
	if len(r.claims.releasing) == 0 || r.rs.dirty {
		return
	}
	clusters := r.claims.releasing
	r.claims.releasing = nil
	written := r.claims.written
	r.claims.written = false
	c := r.e.claimer()
	if c == nil || written {
		for _, id := range clusters {
			r.e.locks.release(id, r.id)
		}
		return
	}
	epoch := r.epoch()
	r.e.goEffect(func() {
		for _, id := range clusters {
			ctx, cancel := context.WithTimeout(r.e.ctx, saveTryTimeout)
			err := c.ReleaseClaim(ctx, id, r.id, epoch)
			cancel()
			if err != nil && r.e.ctx.Err() == nil {
				r.e.log.Warn("cannot release the claim on a cluster; it is released when the run ends or its next owner takes it up", "run", r.id, "cluster", id, "error", err)
			}
			r.e.locks.release(id, r.id)
		}
	})
}

// endClaims releases every claim of a run that ended.
func (r *runner) endClaims() {
	c := r.e.claimer()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.e.ctx, saveTryTimeout)
	defer cancel()
	if err := c.ReleaseClaims(ctx, r.id, r.epoch()); err != nil && r.e.ctx.Err() == nil {
		r.e.log.Warn("cannot release the claims of an ended update run; they lapse as it is no longer in progress", "run", r.id, "error", err)
	}
}

// tidyClaims releases, as a runner takes up its run, the claims the run
// holds on clusters it is not upgrading: ones a server that lost the run
// took before it could begin, or released only in its memory.
func (r *runner) tidyClaims() {
	c := r.e.claimer()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.e.ctx, saveTryTimeout)
	defer cancel()
	held, err := c.Claims(ctx, r.id)
	if err != nil || len(held) == 0 {
		return
	}
	upgrading := map[string]bool{}
	r.rs.each(func(_ mkey, m *fleet.MemberStatus) {
		if m.Status.State == fleet.Running {
			upgrading[store.CanonicalID(m.ClusterResourceID)] = true
		}
	})
	for _, cl := range held {
		if !upgrading[cl.Cluster] {
			if err := c.ReleaseClaim(ctx, cl.Cluster, r.id, r.epoch()); err != nil {
				return
			}
		}
	}
}

// claimMessage is a Pending member's message while another run holds its
// cluster.
func claimMessage(holder string) string {
	return fmt.Sprintf("waiting for update run %s, which is upgrading this cluster", runName(holder))
}
