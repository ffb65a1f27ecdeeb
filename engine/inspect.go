package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/store"
)

// Inspections. A member is inspected at its turn (is it still in the
// fleet, and what does its cluster show) and once its upgrade ended (the
// same two questions, for verification). The cluster is usually in hand
// by then: read ahead of the turn (readahead.go), or read by the provider
// at the operation's end. What is left is the membership, a read of the
// store, and at the turn the claim on the cluster (claims.go), a write.
// The inspections a step asks for together (a stage's first wave, several
// slots freed at once) are answered together: one read of the store says
// which of their members are still in the fleet, their claims are taken
// meanwhile, and those whose cluster was in hand come back to the runner
// as one batch, so that their beginnings are written in one write. A
// member whose cluster must be read comes back on its own when its read
// is done, so that a slow cloud holds up no other.

// inspection is one member's inspection under way.
type inspection struct {
	ev        inspected
	name      string
	memberID  string // canonical store id
	clusterID string
	// claim: claim the cluster in the store before reading it (at the
	// member's turn, in a store with claims); checkClaim instead: read who
	// holds it, and claim it in the write that begins the upgrade (see
	// claimsInWrite).
	claim      bool
	checkClaim bool
	// read is the cluster in hand (read ahead, or at the operation's end)
	// and readErr the error of a read ahead that failed; with neither,
	// describe reads the cluster.
	read     *cluster.Cluster
	readErr  error
	describe bool
	// observed: read is the provider's read at the operation's end, news
	// to the rest of the server (Config.Observed) as a read made here is.
	observed bool
	// final: the claim decided the event (another run holds the
	// cluster, or the store failed); the membership does not matter.
	final bool
	// ready: the read (and claim) of an inspection that describes are
	// done (guarded by the batch's lock).
	ready bool
}

// newInspection prepares ef's inspection from the runner's state.
func (r *runner) newInspection(ef effect) *inspection {
	m := r.rs.member(ef.k)
	verifying := r.rs.verifying[ef.k]
	in := &inspection{
		ev:        inspected{k: ef.k},
		name:      m.Name,
		memberID:  store.CanonicalID(r.fleetID + "/members/" + m.Name),
		clusterID: m.ClusterResourceID,
		read:      ef.read,
		readErr:   ef.readErr,
	}
	// The cluster is claimed in the store at the member's turn, or, on a
	// store where the server is alone, checked free then and claimed in
	// the write that begins the upgrade; either way the upgrade begins
	// without a write of its own first. The run holds the claim still
	// while the upgrade is verified.
	if r.e.claimer() != nil && !verifying {
		in.checkClaim = r.claimsInWrite()
		in.claim = !in.checkClaim
	}
	// A member whose upgrade just succeeded is verified with the read its
	// provider made after the operation's end, when it made one.
	end, ok := r.ended[ef.k]
	delete(r.ended, ef.k)
	if in.read == nil && in.readErr == nil && ok && verifying && end.opID == m.OperationID {
		in.read, in.observed = end.cluster, true
	}
	in.describe = in.read == nil && in.readErr == nil
	return in
}

// work claims and reads the cluster, as the inspection needs.
func (in *inspection) work(ctx context.Context, r *runner) (lost bool) {
	if in.claim {
		holder, err := r.claim(ctx, in.clusterID)
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			return true
		case err != nil:
			in.ev.err = fmt.Errorf("cannot claim the cluster in the store: %w", err)
			in.final = true
			return false
		case holder != "":
			in.ev.claimedBy, in.ev.claimRetry = holder, r.e.claimRetry()
			in.final = true
			return false
		}
		in.ev.claimed, in.ev.claimEpoch = true, r.epoch()
	}
	if in.describe {
		in.read, in.readErr = r.e.cfg.Provider.Describe(ctx, in.clusterID)
		in.observed = in.read != nil
	}
	if in.observed && r.e.cfg.Observed != nil {
		r.e.cfg.Observed(in.read)
	}
	return false
}

// event is the inspection's result, given the store's answers on
// membership and, for an inspection that checks its claim, on who holds
// the clusters.
func (in *inspection) event(a *answers) inspected {
	ev := in.ev
	holder, held := a.holders[store.CanonicalID(in.clusterID)]
	switch {
	case in.final:
	case a.err != nil:
		ev.err = fmt.Errorf("error reading member %s: %w", in.name, a.err)
	case in.checkClaim && a.claimsErr != nil:
		ev.err = fmt.Errorf("cannot read the claim on the cluster in the store: %w", a.claimsErr)
	case in.checkClaim && held && holder.Run != a.run:
		ev.claimedBy, ev.claimRetry = holder.Run, a.claimRetry
	case !a.present[in.memberID]:
		ev.gone = true
	default:
		ev.cluster, ev.err = in.read, in.readErr
		ev.claimInWrite = in.checkClaim
	}
	return ev
}

// answers are the store's answers to a batch of inspections.
type answers struct {
	present    map[string]bool // members still in the fleet
	err        error
	holders    map[string]store.Claim // live claims, by canonical cluster
	claimsErr  error
	run        string // the run's canonical id
	claimRetry time.Duration
}

// inspectAll performs inspections: the membership of all their members in
// one read of the store, the reads of clusters not in hand at once.
func (r *runner) inspectAll(effs []effect) {
	if len(effs) == 0 {
		return
	}
	ins := make([]*inspection, len(effs))
	ids := make([]string, len(effs))
	for i, ef := range effs {
		ins[i] = r.newInspection(ef)
		ids[i] = ins[i].memberID
	}
	ctx, mb := r.e.ctx, r.mb
	r.e.goEffect(func() {
		var (
			mu      sync.Mutex
			checked bool
			a       = &answers{run: store.CanonicalID(r.id), claimRetry: r.e.claimRetry()}
		)
		var wg, claims sync.WaitGroup
		var lost atomic.Bool
		for _, in := range ins {
			if !in.describe {
				if in.claim {
					// A claim is a write to the store: the batch waits
					// for it.
					claims.Add(1)
					go func() {
						defer claims.Done()
						if in.work(ctx, r) {
							lost.Store(true)
						}
					}()
				}
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if in.work(ctx, r) {
					mb.post(leaseLost{})
					return
				}
				mu.Lock()
				if !checked {
					in.ready = true // posted with the batch
					mu.Unlock()
					return
				}
				mu.Unlock()
				mb.post(in.event(a))
			}()
		}
		sctx, cancel := context.WithTimeout(ctx, saveTryTimeout)
		present, err := store.Existing(sctx, r.e.cfg.Store, store.Members, ids)
		var holders map[string]store.Claim
		var claimsErr error
		if clusters := checkedClusters(ins); len(clusters) > 0 {
			holders, claimsErr = r.e.cfg.Store.(store.PartClaimer).LiveClaims(sctx, clusters, activeStates)
		}
		cancel()
		claims.Wait()
		if lost.Load() {
			mb.post(leaseLost{})
		}
		mu.Lock()
		checked = true
		a.present, a.err, a.holders, a.claimsErr = present, err, holders, claimsErr
		batch := make([]any, 0, len(ins))
		for _, in := range ins {
			if !in.describe || in.ready {
				batch = append(batch, in.event(a))
			}
		}
		mu.Unlock()
		mb.post(batch...)
		for _, in := range ins {
			if !in.describe && in.observed && r.e.cfg.Observed != nil {
				r.e.cfg.Observed(in.read)
			}
		}
		wg.Wait()
	})
}

// checkedClusters returns the clusters of the inspections that check who
// holds them.
func checkedClusters(ins []*inspection) []string {
	var out []string
	for _, in := range ins {
		if in.checkClaim {
			out = append(out, in.clusterID)
		}
	}
	return out
}

// readAhead reads a member's cluster ahead of its turn, once after is
// closed. It claims nothing and checks no membership: both are done at
// the turn.
func (r *runner) readAhead(ef effect, after <-chan struct{}) {
	id := r.rs.member(ef.k).ClusterResourceID
	ctx, mb := r.e.ctx, r.mb
	r.e.goEffect(func() {
		select {
		case <-after:
		case <-ctx.Done():
			mb.post(inspected{k: ef.k, ahead: true, err: ctx.Err()})
			return
		}
		c, err := r.e.cfg.Provider.Describe(ctx, id)
		if c != nil && r.e.cfg.Observed != nil {
			r.e.cfg.Observed(c)
		}
		mb.post(inspected{k: ef.k, ahead: true, cluster: c, err: err})
	})
}
