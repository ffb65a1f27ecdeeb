package aks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/caravan-dev/caravan/cluster"
)

// tracker follows one operation to its end and tells every caller that
// attached to it, once each.
type tracker struct {
	op cluster.Operation
	id clusterID

	started  chan struct{} // closed when the synchronous part ended
	startErr error         // why the operation did not begin, if it did not

	// Guarded by Provider.mu.
	waiters    []func(error)
	ends       []func(*cluster.Cluster) // the End of each caller attached that has one
	reports    []func(error)            // the Report of each caller attached
	finished   bool
	err        error
	finishedAt time.Time
}

// start is what the synchronous part of Upgrade leaves to the tracker.
type start struct {
	target target
	// lro is the first step, begun; nil when there is none to follow.
	lro  lro
	step step
	// waitFirst: an operation is in progress on the cluster (Resume), so
	// the tracker waits for it before converging.
	waitFirst bool
	// finishNow: nothing to do but report result.
	finishNow bool
	result    error
}

// Upgrade implements cluster.Provider. It observes the cluster, checks the
// target and begins the first step that is not at target before it
// returns, so errors of beginning are returned; a goroutine follows the
// rest and calls done once. A second Upgrade with an id in flight attaches
// to it and begins nothing.
func (p *Provider) Upgrade(ctx context.Context, op cluster.Operation, done func(error)) error {
	if err := checkOperation(op); err != nil {
		return err
	}
	id, err := parseClusterID(op.ClusterID)
	if err != nil {
		return err
	}
	if done == nil {
		done = func(error) {}
	}
	// The basis serves the first write only; the tracker, remembered for
	// ResultRetention after the end, does not keep the read.
	basis := op.Basis
	op.Basis = nil
	t, err := p.reserve(ctx, op, id, done)
	if err != nil || t == nil {
		return err // attached to an operation in flight, or refused
	}
	st, err := p.begin1(ctx, t, basis)
	if err != nil {
		p.mu.Lock()
		delete(p.trackers, op.ID)
		if p.active[id.key()] == t {
			delete(p.active, id.key())
		}
		t.startErr = err
		p.mu.Unlock()
		close(t.started)
		p.wg.Done()
		return err
	}
	close(t.started)
	p.workers.Go(func() { p.track(t, st) })
	return nil
}

// reserve registers a tracker for op, or attaches done to the tracker of
// the same id and returns nil.
func (p *Provider) reserve(ctx context.Context, op cluster.Operation, id clusterID, done func(error)) (*tracker, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, cluster.Errorf(cluster.Transient, "ProviderClosed", "the AKS provider is shutting down; operation %s on cluster %s did not begin", op.ID, id.name)
		}
		p.pruneLocked()
		existing := p.trackers[op.ID]
		if existing == nil {
			if other := p.active[id.key()]; other != nil {
				p.mu.Unlock()
				return nil, cluster.Errorf(cluster.Busy, "OperationInProgress", "operation %s is in progress on cluster %s; operation %s waits for it to end", other.op.ID, id.name, op.ID)
			}
			t := &tracker{op: op, id: id, started: make(chan struct{}), waiters: []func(error){done}}
			if op.Report != nil {
				t.reports = []func(error){op.Report}
			}
			if op.End != nil {
				t.ends = []func(*cluster.Cluster){op.End}
				t.op.End = nil // called from ends, and forgotten once called
			}
			p.trackers[op.ID] = t
			p.active[id.key()] = t
			p.wg.Add(1)
			p.mu.Unlock()
			return t, nil
		}
		p.mu.Unlock()

		select {
		case <-existing.started:
		case <-ctx.Done():
			return nil, asError(ctx.Err(), fmt.Sprintf("error waiting for operation %s on cluster %s to begin", op.ID, id.name))
		}
		if existing.startErr != nil {
			return nil, existing.startErr
		}
		p.mu.Lock()
		if p.trackers[op.ID] != existing {
			p.mu.Unlock()
			continue // abandoned in the meantime; look again
		}
		if existing.finished {
			err := existing.err
			p.mu.Unlock()
			go done(err)
			return nil, nil
		}
		existing.waiters = append(existing.waiters, done)
		if op.Report != nil {
			existing.reports = append(existing.reports, op.Report)
		}
		if op.End != nil {
			existing.ends = append(existing.ends, op.End)
		}
		p.mu.Unlock()
		return nil, nil
	}
}

// pruneLocked forgets finished operations older than the retention. They
// are kept in the order they finished, so it looks only at those it
// forgets and the first it keeps.
func (p *Provider) pruneLocked() {
	cutoff := p.cfg.Now().Add(-p.cfg.ResultRetention)
	n := 0
	for _, t := range p.finished {
		if !t.finishedAt.Before(cutoff) {
			break
		}
		if p.trackers[t.op.ID] == t {
			delete(p.trackers, t.op.ID)
		}
		n++
	}
	if n > 0 {
		clear(p.finished[:n])
		p.finished = p.finished[n:]
	}
}

// begin1 is the synchronous part of Upgrade. When the operation carried
// the basis of a Describe of its cluster, that read is the base of the
// first step if the step is a managed cluster PUT, which then carries the
// read's eTag: a cluster changed since refuses it (412) and is read again.
// Everything else (a first step on a pool: its POST or PUT cannot be made
// conditional on the cluster's eTag), and every Resume, starts from a
// fresh read.
func (p *Provider) begin1(ctx context.Context, t *tracker, basis any) (start, error) {
	var obs *observation
	if recent := basisOf(basis, t.id); recent != nil && !t.op.Resume {
		if tgt, s, ok := conditionalFirst(recent, t.op); ok {
			l, after, err := p.write(ctx, t.id, recent, tgt, s, cachedOffers)
			if err == nil {
				return start{target: tgt, lro: l, step: s}, nil
			}
			if !preconditionFailed(err) {
				return start{}, err
			}
			obs = after // the read that settled the refused write
		}
	}
	if obs == nil {
		var err error
		if obs, err = p.observe(ctx, t.id, cachedOffers); err != nil {
			return start{}, err
		}
	}
	c := obs.cluster
	tgt, err := resolveTarget(c, t.op)
	if err != nil {
		return start{}, err
	}
	if c.Busy {
		if !t.op.Resume {
			return start{}, cluster.Errorf(cluster.Busy, "OperationInProgress", "cluster %s is %s: another operation is in progress on it; the upgrade waits until it ends", c.Name, c.ProvisioningState)
		}
		return start{target: tgt, waitFirst: true}, nil
	}
	s, ok := nextStep(c, tgt)
	if !ok {
		return start{target: tgt, finishNow: true}, nil
	}
	if t.op.Resume && obs.failed {
		return start{target: tgt, finishNow: true, result: resumedFailure(c, s)}, nil
	}
	if err := checkOffers(c, tgt); err != nil {
		return start{}, err
	}
	l, _, err := p.write(ctx, t.id, obs, tgt, s, tgt.offersNeeded())
	if err != nil {
		return start{}, err
	}
	return start{target: tgt, lro: l, step: s}, nil
}

// conditionalFirst returns the first step of op on a reused observation
// when that step is a managed cluster PUT that can carry the read's eTag,
// and everything the fresh path would check before it passes. Any other
// outcome (a busy cluster, nothing to do, a target not offered, a step on
// a pool) is left to a fresh read.
func conditionalFirst(obs *observation, op cluster.Operation) (target, step, bool) {
	c := obs.cluster
	if obs.etag == "" || c.Busy {
		return target{}, step{}, false
	}
	tgt, err := resolveTarget(c, op)
	if err != nil {
		return target{}, step{}, false
	}
	s, ok := nextStep(c, tgt)
	if !ok || !s.onCluster() || checkOffers(c, tgt) != nil {
		return target{}, step{}, false
	}
	return tgt, s, true
}

// track follows the operation to its end in the provider's lifetime.
func (p *Provider) track(t *tracker, st start) {
	defer p.wg.Done()
	end, err := p.converge(p.withReporter(p.life, t), t, st)
	if p.life.Err() != nil {
		// Closing: the cloud's operation goes on; a later Upgrade with
		// the same id picks it up.
		p.abandon(t)
		return
	}
	p.finish(t, err, end)
}

// converge waits for the step under way, then observes the cluster and
// begins the next step, until the cluster is at target or a step fails.
// On success it returns the observation that found the cluster at target,
// made after the last step ended: the read that showed the step's
// operation ended (see following), decoding only what the provider uses.
// It returns nil with success when no step was needed.
func (p *Provider) converge(ctx context.Context, t *tracker, st start) (*observation, error) {
	if st.finishNow {
		return nil, st.result
	}
	cur, curStep := st.lro, st.step
	// unobserved: the cluster ran an operation whose end was not seen
	// by following it, so a Failed state is that operation's outcome.
	unobserved := st.waitFirst
	var last *step // the step that just succeeded
	retry := p.newInterval()
	conflicts := 0 // 409s in a row on a cluster that looks idle
	// seen is a read made since the last step ended, with the offers the
	// target needs, to decide from; nil when the cluster is to be read.
	var seen *observation
	for {
		if cur != nil {
			end, err := cur.wait(ctx, st.target)
			var lost *lostError
			switch {
			case err == nil:
				s := curStep
				last, seen = &s, end
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case errors.As(err, &lost):
				unobserved, last = true, nil
				if lw, ok := cur.(*lostWrite); ok {
					// The write's answer was lost: what the cluster shows
					// now is its outcome, unless it showed that before.
					unobserved = !lw.failedBefore
				}
			default:
				return nil, err
			}
			cur = nil
		}
		obs := seen
		seen = nil
		if obs == nil {
			var err error
			if obs, err = p.observe(ctx, t.id, st.target.offersNeeded()); err != nil {
				if err := settleLook(ctx, err); err != nil {
					return nil, err
				}
				if err := sleep(ctx, retry.after(nil)); err != nil {
					return nil, err
				}
				continue
			}
			lookSucceeded(ctx)
		}
		if obs.cluster.Busy {
			idle, err := p.waitIdle(ctx, t.id, st.target.offersNeeded())
			if err != nil {
				return nil, err
			}
			unobserved, seen = true, idle
			continue
		}
		s, ok := nextStep(obs.cluster, st.target)
		if !ok {
			return obs, nil
		}
		if unobserved && obs.failed {
			return nil, resumedFailure(obs.cluster, s)
		}
		if last != nil && *last == s {
			return nil, notConverged(obs.cluster, s)
		}
		l, _, err := p.write(ctx, t.id, obs, st.target, s, st.target.offersNeeded())
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			switch reason(err) {
			case cluster.Busy:
				// Another operation began in between: wait for it, then
				// look again; its outcome is not this operation's. A
				// cluster that keeps refusing while idle is reported.
				if conflicts++; conflicts > maxConflicts {
					return nil, err
				}
				if _, err := p.waitIdle(ctx, t.id, noOffers); err != nil {
					return nil, err
				}
				if err := sleep(ctx, retry.after(nil)); err != nil {
					return nil, err
				}
				continue
			case cluster.Transient:
				lookFailed(ctx, err)
				if err := sleep(ctx, retry.after(nil)); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		unobserved, last, conflicts = false, nil, 0
		retry = p.newInterval()
		cur, curStep = l, s
	}
}

// maxConflicts is how many times in a row a step may be refused with 409
// while the cluster looks idle before the refusal ends the operation.
const maxConflicts = 5

// finish records the outcome and calls every waiter once, after giving
// those that asked for it the read that found the cluster at target.
func (p *Provider) finish(t *tracker, err error, end *observation) {
	p.mu.Lock()
	t.finished, t.err, t.finishedAt = true, err, p.cfg.Now()
	// What is kept of a finished operation for ResultRetention, to answer
	// an Upgrade that asks for it again: its id and its result, not its
	// operation, reports or callbacks.
	kept := &tracker{op: cluster.Operation{ID: t.op.ID}, id: t.id, started: t.started, finished: true, err: err, finishedAt: t.finishedAt}
	if p.trackers[t.op.ID] == t {
		p.trackers[t.op.ID] = kept
	}
	p.finished = append(p.finished, kept)
	waiters, ends := t.waiters, t.ends
	t.waiters, t.ends = nil, nil
	if p.active[t.id.key()] == t {
		delete(p.active, t.id.key())
	}
	p.mu.Unlock()
	if err == nil && end != nil {
		for _, e := range ends {
			c := *end.cluster
			c.NodePools = slices.Clone(c.NodePools)
			c.AvailableVersions = slices.Clone(c.AvailableVersions)
			e(&c)
		}
	}
	for _, w := range waiters {
		w(err)
	}
}

// abandon forgets an operation whose tracking stopped with the provider.
func (p *Provider) abandon(t *tracker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trackers[t.op.ID] == t {
		delete(p.trackers, t.op.ID)
	}
	if p.active[t.id.key()] == t {
		delete(p.active, t.id.key())
	}
	t.waiters, t.ends = nil, nil
}

// resumedFailure reports an operation found ended in Failed state when
// re-attaching: the step s is not done and the cluster says the last
// operation on it failed.
func resumedFailure(c *cluster.Cluster, s step) error {
	return cluster.Errorf(cluster.Failed, "ProvisioningStateFailed",
		"cluster %s is in provisioning state Failed and the %s is not done: the operation on it failed; look at the cluster's activity log for the cause, then start the upgrade again", c.Name, s)
}

// notConverged reports a step that succeeded without taking effect.
func notConverged(c *cluster.Cluster, s step) error {
	if s.image != "" {
		return cluster.Errorf(cluster.Failed, "NodeImageVersionNotApplied",
			"the %s of cluster %s succeeded but the pool's node image did not change: pinning a node image version needs an AKS API version in which nodeImageVersion is writable (a preview version on Azure); set Config.NodeImageAPIVersion (%s)", s, c.Name, EnvNodeImageAPIVersion)
	}
	return cluster.Errorf(cluster.Failed, "UpgradeNotApplied", "the %s of cluster %s succeeded but the cluster did not change", s, c.Name)
}
