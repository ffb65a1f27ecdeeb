package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// DefaultRetention is how long events are kept unless Config says.
const DefaultRetention = 30 * 24 * time.Hour

// Config is what a Recorder works with.
type Config struct {
	Log   store.EventLog
	Store store.Store
	Feed  *feed.Feed
	// Clock defaults to the system clock.
	Clock  clock.Clock
	Logger *slog.Logger
	// Retention is how long events are kept (default DefaultRetention).
	Retention time.Duration
	// NewID makes event ids (default: random, in the order they are made).
	NewID func() string
	// Subscribers, if set, names the webhook subscriptions an event goes
	// to; each gets a delivery in the outbox, written with the event.
	Subscribers func(e *CloudEvent) []string
	// Queued, if set, is called after a write that queued deliveries. It
	// must not block.
	Queued func()
	// Linger, if set, is how long the recorder waits after a change for
	// more to come, to write them in one transaction of the event log
	// rather than one each (see DefaultLinger). Zero writes what has come
	// at once.
	Linger time.Duration
}

// DefaultLinger is the Linger a server uses: short beside what a reader
// of the events (or a webhook's receiver) notices, long enough for a busy
// engine's transitions to share the log's transactions. Each transaction
// that appends events writes the log's last pages and its indexes' again,
// so under a thousand member upgrades a second, 2 ms (about two events a
// transaction) cost SQLite's log about twice the pages 20 ms do.
const DefaultLinger = 20 * time.Millisecond

// Recorder records the feed's changes as events. Start it with Start.
type Recorder struct {
	cfg  Config
	log  *slog.Logger
	done chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced after each write
	seen    uint64        // the feed's sequence recorded so far

	// reconciled holds, by run, the ETag a reconciliation recorded, so
	// that the feed's changes of that version are not recorded twice.
	reconciled map[string]string
}

// Start subscribes to the feed, records what changed in every run since
// its last recorded events, and then records the feed's changes until
// ctx ends. It returns once the first reconciliation is done.
func Start(ctx context.Context, cfg Config) (*Recorder, error) {
	if cfg.Log == nil || cfg.Store == nil || cfg.Feed == nil {
		return nil, errors.New("the event recorder needs an event log, a store and a feed")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.NewID == nil {
		clk := cfg.Clock
		cfg.NewID = func() string { return orderedID(clk.Now()) }
	}
	r := &Recorder{cfg: cfg, log: cfg.Logger, done: make(chan struct{}), changed: make(chan struct{}), reconciled: map[string]string{}}
	sub := cfg.Feed.Subscribe(ctx, feed.Filter{Buffer: 1 << 16})
	if err := r.reconcileAll(ctx); err != nil {
		return nil, err
	}
	r.prune(ctx)
	go r.loop(ctx, sub)
	return r, nil
}

// orderedID is an event id that sorts by the time it was made: 48 bits of
// Unix milliseconds, then 80 random bits, in hex (as UUIDv7 lays them
// out). Stores index events by id; ids that grow with time are added at
// the end of that index instead of all over it, which keeps a write to
// a few pages however many events there are.
func orderedID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

// Done is closed when the recorder has stopped.
func (r *Recorder) Done() <-chan struct{} { return r.done }

func (r *Recorder) loop(ctx context.Context, sub *feed.Subscription) {
	defer close(r.done)
	pruneEvery := min(r.cfg.Retention/10, time.Hour)
	nextPrune := r.cfg.Clock.Now().Add(pruneEvery)
	for c := range sub.C {
		batch := r.gather(c, sub.C)
		r.record(ctx, batch)
		r.mu.Lock()
		r.seen = batch[len(batch)-1].Seq
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
		if now := r.cfg.Clock.Now(); now.After(nextPrune) {
			r.prune(ctx)
			nextPrune = now.Add(pruneEvery)
		}
	}
}

// maxBatch bounds the changes recorded in one transaction.
const maxBatch = 1000

// gather returns the batch that starts with change c: the changes that
// follow it within the Linger (or, without one, those already waiting),
// up to maxBatch. The events of changes not yet written when the server
// stops are recorded at its next start (see reconcile), as any not
// written.
func (r *Recorder) gather(c feed.Change, changes <-chan feed.Change) []feed.Change {
	batch := []feed.Change{c}
	var waited <-chan struct{}
	if r.cfg.Linger > 0 {
		ch := make(chan struct{})
		t := r.cfg.Clock.AfterFunc(r.cfg.Linger, func() { close(ch) })
		defer t.Stop()
		waited = ch
	}
	for len(batch) < maxBatch {
		if waited == nil {
			select {
			case c, ok := <-changes:
				if !ok {
					return batch
				}
				batch = append(batch, c)
				continue
			default:
				return batch
			}
		}
		select {
		case c, ok := <-changes:
			if !ok {
				return batch
			}
			batch = append(batch, c)
		case <-waited:
			waited = nil // take what has come meanwhile, then write
		}
	}
	return batch
}

// record writes a batch of the feed's changes, retrying while the store
// fails; a resync reconciles every run.
func (r *Recorder) record(ctx context.Context, batch []feed.Change) {
	b := &store.EventBatch{Cursors: map[string]string{}}
	resync := false
	for _, c := range batch {
		if c.Kind == feed.KindResync {
			resync = true
			continue
		}
		run := store.CanonicalID(c.RunID)
		if etag, ok := r.reconciled[run]; ok {
			if etag == c.ETag && c.ETag != "" {
				continue // recorded by the reconciliation already
			}
			delete(r.reconciled, run)
		}
		r.add(b, c, false)
	}
	r.write(ctx, b)
	if resync {
		r.log.Warn("the event recorder fell behind the feed; comparing every run with its recorded events")
		if err := r.reconcileAll(ctx); err != nil {
			r.log.Error("cannot reconcile events", "error", err)
		}
	}
}

// add puts a change's event, its deliveries and its run's cursor in b.
func (r *Recorder) add(b *store.EventBatch, c feed.Change, reconciled bool) {
	ce := FromChange(r.cfg.NewID(), c, reconciled)
	body, err := json.Marshal(&ce)
	if err != nil {
		r.log.Error("cannot encode an event", "run", c.RunID, "error", err)
		return
	}
	run := store.CanonicalID(c.RunID)
	b.Events = append(b.Events, store.Event{ID: ce.ID, Run: run, Fleet: store.CanonicalID(c.FleetID), Type: ce.Type, Time: ce.Time, Body: body})
	if r.cfg.Subscribers != nil {
		for _, s := range r.cfg.Subscribers(&ce) {
			b.Deliveries = append(b.Deliveries, store.Delivery{EventID: ce.ID, Subscription: s, NextAttempt: r.cfg.Clock.Now()})
		}
	}
	if c.Kind == feed.KindRun && c.New == feed.Deleted {
		b.Cursors[run] = "" // removes it
	}
}

// write appends a batch, retrying while the store fails and ctx lasts.
func (r *Recorder) write(ctx context.Context, b *store.EventBatch) {
	if len(b.Events) == 0 && len(b.Cursors) == 0 {
		return
	}
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, 10*time.Second) {
		err := r.cfg.Log.AppendEvents(ctx, b)
		if err == nil {
			break
		}
		if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
			return
		}
		r.log.Warn("cannot record events; retrying", "events", len(b.Events), "error", err, "retry_in", delay)
		ch := make(chan struct{})
		t := r.cfg.Clock.AfterFunc(delay, func() { close(ch) })
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-ch:
		}
	}
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if len(b.Deliveries) > 0 && r.cfg.Queued != nil {
		r.cfg.Queued()
	}
}

// WaitFor waits until the changes the feed numbered up to seq are
// recorded, or ctx ends; a server shutting down waits so.
func (r *Recorder) WaitFor(ctx context.Context, seq uint64) {
	for {
		r.mu.Lock()
		seen, ch := r.seen, r.changed
		r.mu.Unlock()
		if seen >= seq {
			return
		}
		select {
		case <-ch:
		case <-r.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Changed returns a channel closed at the next write of events (or
// sooner).
func (r *Recorder) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// List returns up to limit events of a run (an ARM id, any case) after
// sequence after.
func (r *Recorder) List(ctx context.Context, runID string, after int64, limit int) ([]store.Event, error) {
	return r.cfg.Log.ListEvents(ctx, store.CanonicalID(runID), after, limit)
}

// prune deletes the events older than the retention.
func (r *Recorder) prune(ctx context.Context) {
	n, err := r.cfg.Log.PruneEvents(ctx, r.cfg.Clock.Now().Add(-r.cfg.Retention))
	switch {
	case err != nil:
		r.log.Warn("cannot prune old events", "error", err)
	case n > 0:
		r.log.Info("pruned old events", "events", n, "retention", r.cfg.Retention)
	}
}

// reconcileAll compares every run with its recorded events.
func (r *Recorder) reconcileAll(ctx context.Context) error {
	opts := store.ListOptions{Kind: store.Runs, Limit: 100}
	for {
		page, err := r.cfg.Store.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("error listing update runs to record their events: %w", err)
		}
		for _, rec := range page.Records {
			if err := r.reconcile(ctx, rec); err != nil {
				if errors.Is(err, store.ErrCorrupt) {
					// A run that does not decode has no events to
					// read from it; the engine marks it Failed, and
					// that write is recorded.
					r.log.Error("cannot record the events of an update run that does not decode", "run", rec.ID, "error", err)
					continue
				}
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.After = page.Next
	}
}

// reconcile records what changed in a run since its last recorded
// events. The run's cursor is the ETag it had when last reconciled: the
// feed's changes do not move it, as a write's changes may be recorded in
// two batches with a crash between them; a run whose ETag is its
// cursor's has all its events.
func (r *Recorder) reconcile(ctx context.Context, rec store.Record) error {
	etag, found, err := r.cfg.Log.EventCursor(ctx, rec.ID)
	if err != nil {
		return err
	}
	if found && etag == rec.ETag {
		return nil
	}
	run, err := store.Decode[fleet.UpdateRun](rec)
	if err != nil {
		return fmt.Errorf("error reading update run %s to record its events: %w", rec.ID, err)
	}
	last, err := r.lastStates(ctx, rec.ID)
	if err != nil {
		return err
	}
	snap := feed.SnapshotFrom(run, func(k feed.Kind, path string) (fleet.State, bool) {
		s, ok := last[string(k)+" "+path]
		return s, ok
	})
	changes, _ := feed.Diff(snap, run, feed.Change{Time: r.cfg.Clock.Now(), Caller: feed.Engine, ETag: rec.ETag})
	b := &store.EventBatch{Cursors: map[string]string{}}
	for _, c := range changes {
		r.add(b, c, true)
	}
	b.Cursors[rec.ID] = rec.ETag
	r.write(ctx, b)
	r.reconciled[rec.ID] = rec.ETag
	if len(changes) > 0 {
		r.log.Info("recorded the events of changes made while none were recorded", "run", run.Name, "events", len(changes))
	}
	return nil
}

// lastStates reads, from a run's recorded events, the last state of each
// node, by kind and path.
func (r *Recorder) lastStates(ctx context.Context, run string) (map[string]fleet.State, error) {
	out := map[string]fleet.State{}
	var after int64
	for {
		evs, err := r.cfg.Log.ListEvents(ctx, run, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			var ce struct {
				Data struct {
					Kind  string `json:"kind"`
					Path  string `json:"path"`
					State string `json:"state"`
				} `json:"data"`
			}
			if json.Unmarshal(e.Body, &ce) == nil {
				out[ce.Data.Kind+" "+ce.Data.Path] = fleet.State(ce.Data.State)
			}
			after = e.Seq
		}
		if len(evs) < 1000 {
			return out, nil
		}
	}
}
