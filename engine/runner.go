package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// tick asks a runner to look at its run again.
type tick struct{}

// command is a start, stop or skip sent by a caller.
type command struct {
	apply   func(*runState) error
	ifMatch string
	reply   chan commandResult
	// claim is decided once: the runner takes the command, or the caller
	// gives up on it, whichever comes first. A command given up on is
	// never applied, so the caller can say so.
	claim  *atomic.Int32
	caller feed.Caller // who sent it, for the feed
}

// The outcomes of a command's claim.
const (
	claimWaiting int32 = iota
	claimTaken
	claimAbandoned
)

// take reports whether the runner may apply the command: the caller has
// not given up on it.
func (c command) take() bool { return c.claim.CompareAndSwap(claimWaiting, claimTaken) }

// abandon reports whether the caller gave up before the runner took the
// command, which then is never applied.
func (c command) abandon() bool { return c.claim.CompareAndSwap(claimWaiting, claimAbandoned) }

type commandResult struct {
	run *fleet.UpdateRun
	err error
}

// runner drives one run: it applies events in batches, persists the run,
// then performs the side effects, in that order.
type runner struct {
	e        *Engine
	id       string
	fleetID  string
	rs       *runState
	mb       *mailbox
	timer    clock.Timer
	timerAt  time.Time
	done     chan struct{}
	mu       sync.Mutex // guards isActive for Active()
	isActive bool
	// saveErr is the store's last error while the runner retries a save
	// of the run, nil otherwise. Commands for the run are refused at once
	// meanwhile: the runner takes none until the save goes through.
	saveErr atomic.Pointer[error]
	// trouble holds the members a cloud that does not answer holds up.
	trouble map[mkey]cloudTrouble
	// ended holds, by member, the cluster its provider read after its
	// operation succeeded: the read that verifies the member, in place
	// of another Describe.
	ended map[mkey]endRead
	// hold is the run's lease under Ownership (see ownership.go).
	hold   atomic.Pointer[hold]
	claims runClaims     // clusters to release (see claims.go)
	seen   feed.Snapshot // the run's states as last written
	seenOf *runState     // the run state seen was taken of
	caller feed.Caller   // whose command is being applied
}

// storeFailed is the answer to a command the store did not let the runner
// apply.
func (r *runner) storeFailed(err error) error {
	return unavailable(storeRetryAfter, "update run %s cannot be changed now: its store does not answer (%v); nothing was changed", runName(r.id), err)
}

// saveTryTimeout bounds one call to the store from a runner (saving the
// run, reading a member), so that a store that does not answer at all is
// retried and reported like one that fails.
const saveTryTimeout = 30 * time.Second

// storeRetryAfter is the wait suggested to a caller refused because the
// store does not answer.
const storeRetryAfter = 5 * time.Second

func newRunner(e *Engine, rs *runState) *runner {
	f, _, _, _ := fleet.ParseFleetChildID(rs.run.ID)
	r := &runner{e: e, id: rs.id, fleetID: store.CanonicalID(f.ID()), rs: rs, mb: newMailbox(), done: make(chan struct{}), trouble: map[mkey]cloudTrouble{}, ended: map[mkey]endRead{}, caller: feed.Engine}
	r.resetSeen()
	return r
}

func (r *runner) active() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.isActive
}

func (r *runner) loop() {
	defer r.e.wg.Done()
	defer close(r.done)
	defer r.e.locks.releaseRun(r.id)
	defer func() {
		if r.timer != nil {
			r.timer.Stop()
		}
	}()
	r.tidyClaims()
	r.rs.now = r.e.cfg.Clock.Now()
	effs := r.rs.resumeEffects(r.locks())
	if r.advance(effs, true) == lost {
		r.retireOnLoss()
		return
	}
	for {
		if !r.rs.active() && len(r.rs.inspecting) == 0 {
			r.endClaims()
			if r.e.retire(r) {
				return
			}
		}
		select {
		case <-r.mb.signal:
		case <-r.e.ctx.Done():
			return
		}
		if !r.handle(r.mb.drain()) {
			r.retireOnLoss()
			return
		}
	}
}

// handle applies a batch of events. Commands are applied one by one, each
// persisted before its reply, so an If-Match sees every earlier change.
func (r *runner) handle(events []any) bool {
	var effs []effect
	for i, ev := range events {
		r.rs.now = r.e.cfg.Clock.Now()
		switch ev := ev.(type) {
		case tick:
		case leaseLost:
			r.refuseCommands(events[i:])
			return false
		case checkStored:
			if r.changedElsewhere() {
				r.refuseCommands(events[i:])
				r.takeUpAgain()
				return false
			}
		case inspected:
			if ev.ahead {
				effs = append(effs, r.rs.onReadAhead(ev)...)
				continue
			}
			effs = append(effs, r.rs.onInspected(ev, r.locks())...)
			r.onInspectedTrouble(ev)
		case reported:
			r.onReported(ev)
		case beginFailed:
			r.rs.onBeginFailed(ev, r.locks())
		case finished:
			if ev.err == nil && ev.end != nil {
				r.ended[ev.k] = endRead{opID: ev.opID, cluster: ev.end}
			}
			r.rs.onFinished(ev, r.locks())
		case selectedImages:
			r.rs.onSelected(ev)
		case gateApproved:
			r.rs.onGateApproved(ev)
		case gateSyncFailed:
			r.rs.onGateSyncFailed(ev)
		case command:
			// What came before the command is saved first; a caller that
			// gives up meanwhile has its command dropped unapplied.
			switch r.advance(effs, true) {
			case lost:
				r.refuseCommands(events[i:])
				return false
			case aborted:
				if ev.take() {
					ev.reply <- commandResult{err: errShuttingDown()}
				}
				return true
			}
			effs = nil
			if !ev.take() {
				continue
			}
			if !r.runCommand(ev) {
				r.refuseCommands(events[i+1:])
				return false
			}
		}
	}
	r.showTrouble()
	return r.advance(effs, false) != lost
}

// refuseCommands answers the commands among events that the runner will
// not apply because it lets go of a run another writer changed: the
// caller reads the run again and decides.
func (r *runner) refuseCommands(events []any) {
	for _, ev := range events {
		if c, ok := ev.(command); ok && c.take() {
			c.reply <- commandResult{err: errLost(r.rs)}
		}
	}
}

func errLost(rs *runState) error {
	return fleet.Conflict("update run %s was changed by another writer; try again", rs.name())
}

func (r *runner) runCommand(c command) bool {
	ctx, cancel := context.WithTimeout(r.e.ctx, r.e.cfg.CommandTimeout)
	defer cancel()
	// The change must be saved before it is answered: a store that does
	// not answer now refuses the command before it changes anything,
	// rather than holding the caller until it is back.
	if _, err := r.e.cfg.Store.Get(ctx, store.Runs, r.id); err != nil && !errors.Is(err, store.ErrNotFound) {
		c.reply <- commandResult{err: r.storeFailed(err)}
		return true
	}
	if !r.rs.active() && len(r.rs.inspecting) == 0 {
		// Nothing drives the run: read it afresh, as the API may have
		// changed it since.
		rs, err := r.e.load(ctx, r.id)
		if err != nil {
			c.reply <- commandResult{err: err}
			return true
		}
		r.rs = rs
		r.resetSeen()
	}
	r.rs.now = r.e.cfg.Clock.Now()
	if c.ifMatch != "" && c.ifMatch != "*" && c.ifMatch != r.rs.etag {
		c.reply <- commandResult{err: fleet.PreconditionFailed("update run %s has ETag %s, not %s", r.rs.name(), r.rs.etag, c.ifMatch)}
		return true
	}
	if err := c.apply(r.rs); err != nil {
		c.reply <- commandResult{err: err}
		return true
	}
	r.caller = c.caller
	o := r.advance(nil, true)
	r.caller = feed.Engine
	switch o {
	case lost:
		c.reply <- commandResult{err: errLost(r.rs)}
		return false
	case aborted:
		c.reply <- commandResult{err: errShuttingDown()}
		return true
	}
	run, err := r.snapshot()
	c.reply <- commandResult{run: run, err: err}
	return true
}

// outcome is how an advance ended.
type outcome int

const (
	// advanced: the run was persisted (if it changed) and its effects
	// performed.
	advanced outcome = iota
	// aborted: the engine is closing and the change was not persisted,
	// so nothing was done; the next engine redoes it from the store.
	aborted
	// lost: another writer changed the run; this runner must let go.
	lost
)

// advance steps the run, persists it if it changed, then performs the
// effects, in that order. Unless force is set, a change whose only
// effects are inspections (reads of clusters) is written with the next
// change instead: every inspection comes back as an event, which writes
// the run before anything it leads to is done in the cloud, so nothing
// is begun on the strength of an unwritten change. Commands force the
// write, so that their reply shows what is stored.
func (r *runner) advance(effs []effect, force bool) outcome {
	r.rs.now = r.e.cfg.Clock.Now()
	more, wake := r.rs.step(r.locks())
	effs = append(effs, more...)
	if r.rs.dirty && (force || !onlyInspections(effs)) {
		if err := r.persist(); err != nil {
			if !errors.Is(err, store.ErrPreconditionFailed) {
				return aborted
			}
			r.e.log.Error("update run changed underneath the engine; leaving it", "run", r.id, "error", err)
			return lost
		}
	}
	r.letGo()
	r.mu.Lock()
	r.isActive = r.rs.active()
	r.mu.Unlock()
	r.performAll(effs)
	r.setTimer(wake)
	return advanced
}

// onlyInspections reports whether effs are inspections, at least one.
func onlyInspections(effs []effect) bool {
	for _, ef := range effs {
		if ef.kind != effectInspect && ef.kind != effectReadAhead {
			return false
		}
	}
	return len(effs) > 0
}

// persist writes the run, retrying while the store fails and the engine
// runs.
func (r *runner) persist() error {
	etag := r.e.cfg.NewID()
	r.rs.run.ETag = etag
	rec := store.Record{Kind: store.Runs, ID: r.id, Parent: r.fleetID, ETag: etag, State: string(r.rs.status().Status.State)}
	// A store that keeps records in parts gets the parts that changed,
	// fenced by the run's lease when servers share runs; another gets the
	// whole document.
	parted := r.partsWritable()
	var pw partedWrite
	var err error
	if parted {
		pw, err = r.rs.encodeParts(rec)
		if err == nil {
			r.rs.checkParts(pw)
			pw.w.Release, pw.w.ReleaseEpoch = r.releaseWithWrite()
		}
	} else {
		rec.Body, err = r.rs.encode()
	}
	if err != nil {
		r.rs.run.ETag = r.rs.etag
		return err
	}
	for delay := 100 * time.Millisecond; ; delay = min(delay*2, 10*time.Second) {
		ctx, cancel := context.WithTimeout(r.e.ctx, saveTryTimeout)
		if parted {
			err = r.writeParts(ctx, pw.w, store.Precondition{IfMatch: r.rs.etag})
		} else {
			err = r.write(ctx, rec, store.Precondition{IfMatch: r.rs.etag})
		}
		cancel()
		if err == nil || errors.Is(err, store.ErrPreconditionFailed) {
			break
		}
		r.e.log.Warn("cannot save update run; retrying", "run", r.id, "error", err, "retry_in", delay)
		r.saveErr.Store(&err)
		if !r.sleep(delay) {
			r.saveErr.Store(nil)
			return fmt.Errorf("engine closed while saving update run %s: %w", r.id, err)
		}
	}
	r.saveErr.Store(nil)
	if err != nil {
		r.rs.run.ETag = r.rs.etag
		return err
	}
	r.rs.etag = etag
	r.rs.dirty = false
	r.claims.written = parted && len(pw.w.Release) > 0
	written := len(rec.Body)
	if parted {
		r.rs.wrote(pw)
		written = pw.bytes
		rec = pw.w.Record
	}
	r.e.written.Add(int64(written))
	r.e.writes.Add(1)
	r.published(etag, r.caller)
	if r.e.cfg.Persisted != nil {
		r.e.cfg.Persisted(rec)
	}
	return nil
}

func (r *runner) sleep(d time.Duration) bool {
	ch := make(chan struct{})
	t := r.e.cfg.Clock.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-r.e.ctx.Done():
		t.Stop()
		return false
	}
}

func (r *runner) snapshot() (*fleet.UpdateRun, error) {
	body, err := r.rs.encode()
	if err != nil {
		return nil, err
	}
	if r.partsWritable() {
		// The groups' encodings speed up writes of the whole document;
		// a run written in parts would keep them only for the next reply.
		r.rs.groupJSON = nil
	}
	return store.Decode[fleet.UpdateRun](store.Record{Kind: store.Runs, ID: r.id, Body: body})
}

func (r *runner) setTimer(at time.Time) {
	if at.IsZero() || at.Equal(r.timerAt) {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timerAt = at
	r.timer = r.e.cfg.Clock.AfterFunc(at.Sub(r.rs.now), func() { r.mb.post(tick{}) })
}

// retireOnLoss removes the runner of a run another writer changed. No
// event reaches the runner once it is removed; the commands that did are
// answered.
func (r *runner) retireOnLoss() {
	r.e.mu.Lock()
	delete(r.e.runners, r.id)
	r.e.mu.Unlock()
	r.refuseCommands(r.mb.drain())
}

// performAll starts the side effects: upgrades to begin first, as they
// are on the run's critical path, then the inspections, together (see
// inspectAll), then the reads ahead of members' turns, which wait until
// the upgrades begun here have been sent, so as not to hold them up.
func (r *runner) performAll(effs []effect) {
	var inspect, ahead []effect
	var begun sync.WaitGroup
	for _, ef := range effs {
		switch ef.kind {
		case effectInspect:
			inspect = append(inspect, ef)
		case effectReadAhead:
			ahead = append(ahead, ef)
		default:
			r.perform(ef, &begun)
		}
	}
	r.inspectAll(inspect)
	if len(ahead) == 0 {
		return
	}
	sent := make(chan struct{})
	go func() {
		begun.Wait()
		close(sent)
	}()
	for _, ef := range ahead {
		r.readAhead(ef, sent)
	}
}

// perform starts one side effect; its result comes back as an event. An
// upgrade is counted in begun until the provider has sent (or refused)
// its first request.
func (r *runner) perform(ef effect, begun *sync.WaitGroup) {
	ctx := r.e.ctx
	p := r.e.cfg.Provider
	switch ef.kind {
	case effectBegin:
		op := ef.op
		k, opID, mb := ef.k, op.ID, r.mb
		// A provider may keep Report as long as it remembers the
		// operation (the AKS provider: for its result retention, an
		// hour after the end), so it holds the mailbox and the member
		// only: not the runner, its run, or the read in op.Basis.
		op.Report = func(err error) { mb.post(reported{k: k, opID: opID, err: err}) }
		var end atomic.Pointer[cluster.Cluster]
		op.End = func(c *cluster.Cluster) { end.Store(c) }
		begun.Add(1)
		r.e.goEffect(func() {
			defer begun.Done()
			// Only the run's owner begins an upgrade: one that lost
			// its lease leaves it to the next owner, which finds it
			// recorded as begun and begins or re-attaches to it.
			if !r.held() {
				r.mb.post(leaseLost{})
				return
			}
			// A cluster claimed at the member's turn, at this epoch,
			// is not claimed again.
			if !ef.claimed || ef.claimEpoch != r.epoch() {
				if ev := r.claimBeforeBegin(ctx, k, op); ev != nil {
					r.mb.post(ev)
					return
				}
			}
			err := p.Upgrade(ctx, op, func(err error) {
				read := end.Load()
				r.mb.post(finished{k: k, opID: op.ID, err: err, end: read})
				if r.e.cfg.Changed != nil && (err != nil || read == nil) {
					r.e.cfg.Changed(op.ClusterID)
				}
			})
			if err != nil && ctx.Err() == nil {
				r.mb.post(beginFailed{k: k, opID: op.ID, err: err})
			}
		})
	case effectGate:
		g := ef.gate
		r.e.goEffect(func() {
			if err := r.syncGate(ctx, g); err != nil {
				if ctx.Err() == nil {
					r.e.log.Warn("cannot write gate; will try again", "run", r.id, "gate", g.ID, "error", err)
				}
				r.mb.post(gateSyncFailed{id: g.ID})
			}
		})
	case effectSelect:
		var ids []string
		r.rs.each(func(_ mkey, m *fleet.MemberStatus) { ids = append(ids, m.ClusterResourceID) })
		r.e.goEffect(func() { r.mb.post(selectedImages{clusters: describeAll(ctx, p, ids)}) })
	}
}

// endRead is the cluster a provider read after an operation succeeded.
type endRead struct {
	opID    string
	cluster *cluster.Cluster
}

// describeAll reads clusters, several at a time, and returns those that
// could be read.
func describeAll(ctx context.Context, p cluster.Provider, ids []string) []*cluster.Cluster {
	out := make([]*cluster.Cluster, len(ids))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if c, err := p.Describe(ctx, id); err == nil {
				out[i] = c
			}
		}()
	}
	wg.Wait()
	var got []*cluster.Cluster
	for _, c := range out {
		if c != nil {
			got = append(got, c)
		}
	}
	return got
}
