package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// Ownership shares the update runs of one store among several servers.
// A run is driven only by the server holding its lease (store.Leaser):
// every server scans for active runs whose lease is free or expired and
// takes at most its fair share of them per scan, renews the leases it
// holds, lets go of a run whose lease it lost (without writing), and
// hands its leases back when it closes. Every write of a run is fenced
// by the lease's epoch, in the store's transaction, and an upgrade is
// begun only while the lease is held by the server's own conservative
// reckoning.
//
// A run lost to another owner is taken over once its lease expires: at
// most TTL after the owner's last renewal, plus one Interval for a scan
// to see it, plus the time to read the run.
type Ownership struct {
	// Leaser is the store's lease capability; the Config's Store must be
	// the same store.
	Leaser store.Leaser
	// Owner names this server among those sharing the store; it must be
	// unique to the process (a host name and a random suffix).
	Owner string
	// TTL is how long a lease lasts unless renewed (default
	// DefaultLeaseTTL).
	TTL time.Duration
	// Interval is how often leases are renewed and the store scanned for
	// runs without an owner (default TTL/3).
	Interval time.Duration
}

// DefaultLeaseTTL is a lease's time to live unless configured.
const DefaultLeaseTTL = 6 * time.Second

// leaseMargin is taken off a lease's time to live when the engine reckons
// by its own clock until when it holds it, for the time a request to the
// store spends before the store stamps the lease, and clock rate drift.
func leaseMargin(ttl time.Duration) time.Duration { return ttl / 5 }

// hold is a runner's lease and the local time until which the runner
// counts on it.
type hold struct {
	lease store.Lease
	until time.Time
}

// leaseLost tells a runner that its lease passed to another server.
type leaseLost struct{}

func (o *Ownership) defaults() error {
	if o.Leaser == nil || o.Owner == "" {
		return errors.New("engine ownership needs the store's leases and an owner name")
	}
	if o.TTL <= 0 {
		o.TTL = DefaultLeaseTTL
	}
	if o.Interval <= 0 {
		o.Interval = o.TTL / 3
	}
	if o.Interval >= o.TTL {
		return fmt.Errorf("the lease renewal interval %s (--lease-interval) must be shorter than the lease's time to live %s (--lease-ttl)", o.Interval, o.TTL)
	}
	return nil
}

// held reports whether the runner may act on its run now: it runs alone
// (no ownership) or holds an unexpired lease by its own reckoning.
func (r *runner) held() bool {
	if r.e.own == nil {
		return true
	}
	h := r.hold.Load()
	return h != nil && r.e.cfg.Clock.Now().Before(h.until)
}

// write is the runner's write of its run: under ownership, fenced by its
// lease in the store's transaction. A lease lost reads as a run changed
// by another writer, which the runner lets go of.
func (r *runner) write(ctx context.Context, rec store.Record, cond store.Precondition) error {
	if r.e.own == nil {
		return r.e.cfg.Store.Put(ctx, rec, cond)
	}
	h := r.hold.Load()
	if h == nil || !r.held() {
		return fmt.Errorf("%w: %w", store.ErrPreconditionFailed, store.ErrLeaseLost)
	}
	err := r.e.own.Leaser.PutLeased(ctx, rec, cond, h.lease)
	if errors.Is(err, store.ErrLeaseLost) {
		return fmt.Errorf("%w: %w", store.ErrPreconditionFailed, err)
	}
	return err
}

// partsWritable reports whether the runner writes its run in parts: the
// store keeps records in parts and, under ownership, fences such writes
// by a lease.
func (r *runner) partsWritable() bool {
	if _, ok := r.e.cfg.Store.(store.PartStore); !ok {
		return false
	}
	if r.e.own == nil {
		return true
	}
	_, ok := r.e.own.Leaser.(store.PartLeaser)
	return ok
}

// writeParts is write for a run kept in parts; the caller checked
// partsWritable.
func (r *runner) writeParts(ctx context.Context, w store.PartedWrite, cond store.Precondition) error {
	if r.e.own == nil {
		return r.e.cfg.Store.(store.PartStore).PutParts(ctx, w, cond)
	}
	h := r.hold.Load()
	if h == nil || !r.held() {
		return fmt.Errorf("%w: %w", store.ErrPreconditionFailed, store.ErrLeaseLost)
	}
	err := r.e.own.Leaser.(store.PartLeaser).PutPartsLeased(ctx, w, cond, h.lease)
	if errors.Is(err, store.ErrLeaseLost) {
		return fmt.Errorf("%w: %w", store.ErrPreconditionFailed, err)
	}
	return err
}

// acquire takes a run's lease for this server.
func (e *Engine) acquire(ctx context.Context, run string) (*hold, error) {
	start := e.cfg.Clock.Now()
	l, err := e.own.Leaser.AcquireLease(ctx, run, e.own.Owner, e.own.TTL)
	if err != nil {
		return nil, err
	}
	return &hold{lease: l, until: start.Add(e.own.TTL - leaseMargin(e.own.TTL))}, nil
}

// owned starts a runner for a run whose lease this server holds, unless
// it has one; a run whose document does not decode is marked Failed, as
// Start does, and its lease handed back.
func (e *Engine) owned(ctx context.Context, rec store.Record, h *hold) {
	_, err := e.runnerWith(ctx, rec.ID, h)
	if err == nil {
		return
	}
	defer e.release(h.lease)
	var ce *store.CorruptError
	if !errors.As(err, &ce) {
		e.log.Error("cannot drive update run", "run", rec.ID, "error", err)
		return
	}
	e.cfg.Damage.Report(ce)
	e.log.Error("update run does not decode; marking it Failed", "run", rec.ID, "error", ce)
	if err := e.markUnreadable(ctx, rec, ce); err != nil {
		e.log.Error("cannot mark unreadable update run", "run", rec.ID, "error", err)
	}
}

// release hands a lease back, briefly trying.
func (e *Engine) release(l store.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := e.own.Leaser.ReleaseLease(ctx, l); err != nil {
		e.log.Warn("cannot hand back the lease of an update run; it expires by itself", "run", l.Name, "error", err)
	}
}

// Driving is how many runs this engine drives now.
func (e *Engine) Driving() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, r := range e.runners {
		if r.active() {
			n++
		}
	}
	return n
}

// own is the loop of a server sharing its store: renew, then scan, every
// interval, until the engine closes.
func (e *Engine) ownLoop() {
	defer e.wg.Done()
	for {
		e.renew()
		e.ownPresence()
		if err := e.scan(); err != nil && e.ctx.Err() == nil {
			e.log.Warn("cannot look for update runs to drive", "error", err)
		}
		// A little jitter keeps servers started together from scanning
		// in step.
		wait := e.own.Interval - time.Duration(rand.Int64N(int64(e.own.Interval/4)+1))
		ch := make(chan struct{})
		t := e.cfg.Clock.AfterFunc(wait, func() { close(ch) })
		select {
		case <-e.ctx.Done():
			t.Stop()
			return
		case <-ch:
		}
	}
}

// ownPresence keeps this server's presence lease, by which servers count
// each other to share the runs.
func (e *Engine) ownPresence() {
	ctx, cancel := context.WithTimeout(e.ctx, e.own.Interval)
	defer cancel()
	l, err := e.own.Leaser.AcquireLease(ctx, store.PresencePrefix+e.own.Owner, e.own.Owner, e.own.TTL)
	if err == nil {
		e.presence.Store(&l)
	}
}

// renew renews the lease of every runner; a runner whose lease passed on
// is told to let go.
func (e *Engine) renew() {
	e.mu.Lock()
	var rs []*runner
	for _, r := range e.runners {
		if r.hold.Load() != nil {
			rs = append(rs, r)
		}
	}
	e.mu.Unlock()
	for _, r := range rs {
		h := r.hold.Load()
		ctx, cancel := context.WithTimeout(e.ctx, e.own.Interval)
		start := e.cfg.Clock.Now()
		l, err := e.own.Leaser.RenewLease(ctx, h.lease, e.own.TTL)
		cancel()
		switch {
		case err == nil:
			r.hold.CompareAndSwap(h, &hold{lease: l, until: start.Add(e.own.TTL - leaseMargin(e.own.TTL))})
			r.mb.post(checkStored{})
		case errors.Is(err, store.ErrLeaseLost):
			e.log.Warn("lost the lease of an update run to another server; letting go of it", "run", r.id)
			r.mb.post(leaseLost{})
		default:
			// The store does not answer: the lease runs out by the
			// runner's own reckoning, and it begins nothing after.
			e.log.Warn("cannot renew the lease of an update run", "run", r.id, "error", err)
		}
	}
}

// scan takes this server's share of the active runs no live server
// drives.
func (e *Engine) scan() error {
	ctx, cancel := context.WithTimeout(e.ctx, 4*e.own.Interval)
	defer cancel()
	var active []string
	recs := map[string]store.Record{}
	opts := store.ListOptions{Kind: store.Runs, States: activeStates, Limit: 500}
	for {
		page, err := e.cfg.Store.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("error listing active update runs: %w", err)
		}
		for _, rec := range page.Records {
			active = append(active, rec.ID)
			recs[rec.ID] = rec
		}
		if page.Next == "" {
			break
		}
		opts.After = page.Next
	}
	leases, _, err := e.own.Leaser.Leases(ctx, "")
	if err != nil {
		return err
	}
	owner := map[string]string{}
	servers := map[string]bool{e.own.Owner: true}
	for _, l := range leases {
		owner[l.Name] = l.Owner
		if len(l.Name) > len(store.PresencePrefix) && l.Name[:len(store.PresencePrefix)] == store.PresencePrefix {
			servers[l.Owner] = true
		}
	}
	share := (len(active) + len(servers) - 1) / len(servers)
	e.mu.Lock()
	mine := 0
	for _, r := range e.runners {
		if r.hold.Load() != nil {
			mine++
		}
	}
	var again, free []string
	for _, id := range active {
		if r := e.runners[id]; r != nil {
			continue
		}
		switch owner[id] {
		case "":
			free = append(free, id)
		case e.own.Owner:
			// Held here, with no runner: it let go after another
			// server changed the run through the store; drive it again.
			again = append(again, id)
		}
	}
	e.mu.Unlock()
	rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	for i, id := range append(again, free...) {
		if i >= len(again) && mine >= share {
			break
		}
		h, err := e.acquire(ctx, id)
		if errors.Is(err, store.ErrLeaseHeld) {
			continue
		}
		if err != nil {
			return err
		}
		if i >= len(again) {
			mine++
		}
		e.owned(ctx, recs[id], h)
	}
	return nil
}

// activeStates are the states of a run that something drives.
var activeStates = []string{string(fleet.Running), string(fleet.Pending), string(fleet.Stopping)}

// releaseAll hands back the leases of the runners left when the engine
// closed.
func (e *Engine) releaseAll() {
	e.mu.Lock()
	var ls []store.Lease
	for _, r := range e.runners {
		if h := r.hold.Load(); h != nil {
			ls = append(ls, h.lease)
		}
	}
	e.mu.Unlock()
	for _, l := range ls {
		e.release(l)
	}
	if p := e.presence.Load(); p != nil {
		e.release(*p)
	}
}

// commandElsewhere applies a command to a run another server drives:
// through the store, with compare-and-set on the run's ETag. The owner's
// next write then fails its own compare-and-set; it lets go of the run and
// takes it up again from the store on its next scan, with the command
// applied. No upgrade is begun here.
func (e *Engine) commandElsewhere(ctx context.Context, id, ifMatch string, apply func(*runState) error) (*fleet.UpdateRun, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CommandTimeout)
	defer cancel()
	rs, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	rs.now = e.cfg.Clock.Now()
	if ifMatch != "" && ifMatch != "*" && ifMatch != rs.etag {
		return nil, fleet.PreconditionFailed("update run %s has ETag %s, not %s", rs.name(), rs.etag, ifMatch)
	}
	before := feed.Take(rs.run)
	if err := apply(rs); err != nil {
		return nil, err
	}
	rs.deriveAll()
	etag := e.cfg.NewID()
	rs.run.ETag = etag
	body, err := rs.encode()
	if err != nil {
		return nil, err
	}
	f, _, _, _ := fleet.ParseFleetChildID(rs.run.ID)
	rec := store.Record{Kind: store.Runs, ID: rs.id, Parent: store.CanonicalID(f.ID()), ETag: etag, State: string(rs.status().Status.State), Body: body}
	err = e.cfg.Store.Put(ctx, rec, store.Precondition{IfMatch: rs.etag})
	if errors.Is(err, store.ErrPreconditionFailed) {
		return nil, errLost(rs)
	}
	if err != nil {
		return nil, unavailable(storeRetryAfter, "update run %s cannot be changed now: its store does not answer (%v); nothing was changed", rs.name(), err)
	}
	// The owner reads the run afresh and publishes nothing of what it
	// finds changed: the transitions the command made are published here,
	// for this server's events and webhooks.
	if e.cfg.Feed != nil {
		changes, _ := feed.Diff(before, rs.run, feed.Change{RunID: rs.run.ID, Time: rs.now, Caller: feed.CallerFrom(ctx), ETag: etag})
		e.cfg.Feed.Wrote(rs.run.ID, etag, changes...)
	}
	if e.cfg.Persisted != nil {
		e.cfg.Persisted(rec)
	}
	return store.Decode[fleet.UpdateRun](rec)
}

// checkStored asks a runner to compare its run's ETag with the stored
// one: a command applied through another server changed the run, and
// the owner takes it up again from the store at once rather than at its
// next write.
type checkStored struct{}

// changedElsewhere reports whether the stored run is no longer the one
// the runner last wrote; a store that does not answer says nothing.
func (r *runner) changedElsewhere() bool {
	ctx, cancel := context.WithTimeout(r.e.ctx, r.e.own.Interval)
	defer cancel()
	rec, err := r.e.cfg.Store.Get(ctx, store.Runs, r.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true
	case err != nil:
		return false
	}
	if rec.ETag == r.rs.etag {
		return false
	}
	r.e.log.Info("update run changed through another server; reading it again", "run", r.id)
	return true
}

// takeUpAgain starts, once r has retired, a runner for r's run read
// afresh from the store, holding r's lease.
func (r *runner) takeUpAgain() {
	h := r.hold.Load()
	if h == nil {
		return
	}
	r.e.wg.Add(1)
	go func() {
		defer r.e.wg.Done()
		select {
		case <-r.done:
		case <-r.e.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(r.e.ctx, saveTryTimeout)
		defer cancel()
		if _, err := r.e.runnerWith(ctx, r.id, h); err != nil {
			// The next scan takes it up, or marks it unreadable.
			r.e.log.Warn("cannot read update run again", "run", r.id, "error", err)
		}
	}()
}

// commandUnowned prepares a command on a server sharing its store: a run
// this server drives, or whose lease it can take, is commanded through
// its runner as usual (done is false; h is the lease taken, for the
// runner the command starts, posted with it so that the runner cannot
// retire in between); a run another server drives is commanded through
// the store.
func (e *Engine) commandUnowned(ctx context.Context, id, ifMatch string, apply func(*runState) error) (h *hold, run *fleet.UpdateRun, err error, done bool) {
	key := store.CanonicalID(id)
	e.mu.Lock()
	r := e.runners[key]
	e.mu.Unlock()
	if r != nil {
		return nil, nil, nil, false
	}
	lctx, cancel := context.WithTimeout(ctx, e.cfg.CommandTimeout)
	h, err = e.acquire(lctx, key)
	cancel()
	switch {
	case errors.Is(err, store.ErrLeaseHeld):
		run, err := e.commandElsewhere(ctx, key, ifMatch, apply)
		return nil, run, err, true
	case err != nil:
		return nil, nil, unavailable(storeRetryAfter, "update run %s cannot be changed now: its store does not answer (%v); nothing was changed", runName(key), err), true
	}
	return h, nil, nil, false
}
