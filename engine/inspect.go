package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

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
	// member's turn, in a store with claims).
	claim bool
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
		// The cluster is claimed in the store at the member's turn, at
		// the same time as its membership is read, so that the upgrade
		// begins without another write first; the run holds the claim
		// still while the upgrade is verified.
		claim:   r.e.claimer() != nil && !verifying,
		read:    ef.read,
		readErr: ef.readErr,
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
			in.ev.storeErr = fmt.Errorf("cannot claim its cluster: %w", err)
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

// event is the inspection's result, given the store's answer on
// membership.
func (in *inspection) event(present map[string]bool, storeErr error) inspected {
	ev := in.ev
	switch {
	case in.final:
	case storeErr != nil:
		ev.storeErr = fmt.Errorf("cannot read member %s: %w", in.name, storeErr)
	case !present[in.memberID]:
		ev.gone = true
	default:
		ev.cluster, ev.err = in.read, in.readErr
	}
	return ev
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
			mu       sync.Mutex
			checked  bool
			present  map[string]bool
			storeErr error
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
				mb.post(in.event(present, storeErr))
			}()
		}
		sctx, cancel := context.WithTimeout(ctx, saveTryTimeout)
		p, err := store.Existing(sctx, r.e.cfg.Store, store.Members, ids)
		cancel()
		claims.Wait()
		if lost.Load() {
			// The run passed to another server: nothing of the batch is
			// for this runner.
			mb.post(leaseLost{})
			return
		}
		mu.Lock()
		checked, present, storeErr = true, p, err
		batch := make([]any, 0, len(ins))
		for _, in := range ins {
			if !in.describe || in.ready {
				batch = append(batch, in.event(present, storeErr))
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
