package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/workers"
)

// Config is what an Engine works with.
type Config struct {
	Store    store.Store
	Provider cluster.Provider
	// Clock defaults to the system clock.
	Clock clock.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// RecheckInterval is how long a Pending member waits before its
	// cluster is checked again (default 30s). A member waiting for
	// another run's cluster is checked as soon as that run lets go.
	RecheckInterval time.Duration
	// CommandTimeout bounds how long a start, stop or skip waits for its
	// run's runner to take it and for the store to answer; past it the
	// command is refused, unapplied, with an UnavailableError (default
	// DefaultCommandTimeout).
	CommandTimeout time.Duration
	// NewID makes operation ids and ETags (default: random).
	NewID func() string
	// Persisted, if set, is called after every write of a run, with the
	// record written (on a store.PartStore, its Body is the summary the
	// store assembles with the run's parts). It must not block.
	Persisted func(store.Record)
	// Observed, if set, is told what the engine reads of each cluster it
	// checks. It must not block.
	Observed func(*cluster.Cluster)
	// Changed, if set, is told the id of each cluster whose upgrade
	// operation ended (well or not), since its state has moved, unless
	// the provider read the cluster as the operation succeeded: that read
	// verifies the member and goes to Observed. It must not block.
	Changed func(clusterID string)
	// Damage, if set, is told of every stored run found not to decode.
	Damage *store.Damage
	// Feed, if set, is told every transition of a run's nodes after the
	// write that made it (see package feed).
	Feed Publisher
	// Ownership, if set, shares the store's runs with other servers
	// through leases (see Ownership); else this engine drives them all.
	Ownership *Ownership
}

// Engine executes update runs. Create it with New, call Start to resume
// the runs that were active, and Close to stop.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	locks  *clusterLocks
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // runners and the effects they started
	// effects runs the effects on kept goroutines (see goEffect).
	effects *workers.Pool
	mu      sync.Mutex
	runners map[string]*runner
	closed  bool
	// own is the Config's Ownership, nil when the engine drives every
	// run; presence is this server's presence lease under it.
	own      *Ownership
	presence atomic.Pointer[store.Lease]

	// writes and written count the writes of runs and the bytes they
	// handed to the store.
	writes, written atomic.Int64
}

// Writes returns how many writes of runs the engine made and how many
// bytes they handed to the store (documents, or summaries and the parts
// that changed).
func (e *Engine) Writes() (writes, bytes int64) { return e.writes.Load(), e.written.Load() }

// New returns an engine; nothing runs until Start.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Provider == nil {
		return nil, errors.New("engine needs a store and a cluster provider")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RecheckInterval <= 0 {
		cfg.RecheckInterval = 30 * time.Second
	}
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.Ownership != nil {
		own := *cfg.Ownership
		if err := own.defaults(); err != nil {
			return nil, err
		}
		cfg.Ownership = &own
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel, runners: map[string]*runner{}, own: cfg.Ownership, effects: workers.New(effectIdle, effectWorkers)}
	e.locks = newClusterLocks(e.poke)
	return e, nil
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start resumes every run that was Running, Pending or Stopping, and
// re-attaches to the upgrades they recorded as begun. A run whose stored
// document does not decode is marked Failed with an error saying so (see
// markUnreadable) and reported to Config.Damage. It first ends the gate
// resources of runs that are not active whose gates the run ended. Under
// Ownership, it then starts sharing the runs with the other servers
// instead of resuming them all itself.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.settleGates(ctx); err != nil {
		// A gate left Pending is written when its run is driven again.
		e.log.Warn("cannot settle the gates of stopped runs", "error", err)
	}
	if e.own != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.closed {
			return errShuttingDown()
		}
		e.wg.Add(1)
		go e.ownLoop()
		return nil
	}
	opts := store.ListOptions{Kind: store.Runs, States: activeStates, Limit: 500}
	for {
		page, err := e.cfg.Store.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("error listing active update runs: %w", err)
		}
		for _, rec := range page.Records {
			e.resume(ctx, rec)
		}
		if page.Next == "" {
			return nil
		}
		opts.After = page.Next
	}
}

// Close stops every runner. Upgrades in flight are not aborted; a new
// engine on the same store re-attaches to them. Close is safe to call
// twice.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.effects.Close()
	if e.own != nil {
		e.releaseAll()
	}
}

// StartRun starts or resumes a run. ifMatch, if set, must be the run's
// current ETag.
func (e *Engine) StartRun(ctx context.Context, id, ifMatch string) (*fleet.UpdateRun, error) {
	return e.command(ctx, id, ifMatch, func(rs *runState) error { return rs.start() })
}

// StopRun stops a run.
func (e *Engine) StopRun(ctx context.Context, id, ifMatch string) (*fleet.UpdateRun, error) {
	return e.command(ctx, id, ifMatch, func(rs *runState) error { return rs.stop() })
}

// SkipRun skips members, groups, stages or waits of a run.
func (e *Engine) SkipRun(ctx context.Context, id string, targets []fleet.SkipTarget, ifMatch string) (*fleet.UpdateRun, error) {
	return e.command(ctx, id, ifMatch, func(rs *runState) error { return rs.skip(targets) })
}

// GateCompleted tells the run's runner, if it has one, that one of its
// gates was completed through its resource; a run without a runner (not
// running) finds out when it starts.
func (e *Engine) GateCompleted(runID, gateID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.runners[store.CanonicalID(runID)]; r != nil {
		r.mb.post(gateApproved{id: store.CanonicalID(gateID)})
	}
}

// Active reports whether the engine is driving the run.
func (e *Engine) Active(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.runners[store.CanonicalID(id)]
	return r != nil && r.active()
}

// command hands a command to the run's runner and waits for its answer.
// A command the runner has not taken within the command timeout, or that
// finds the runner retrying a save, is given up and refused: such a
// command is never applied. Once taken, the answer is awaited.
func (e *Engine) command(ctx context.Context, id, ifMatch string, apply func(*runState) error) (*fleet.UpdateRun, error) {
	var h *hold
	if e.own != nil {
		var run *fleet.UpdateRun
		var err error
		var done bool
		if h, run, err, done = e.commandUnowned(ctx, id, ifMatch, apply); done {
			return run, err
		}
	}
	reply := make(chan commandResult, 1)
	c := command{apply: apply, ifMatch: ifMatch, reply: reply, claim: new(atomic.Int32), caller: feed.CallerFrom(ctx)}
	r, err := e.runnerWith(ctx, id, h, c)
	if err != nil {
		if h != nil {
			e.release(h.lease)
		}
		return nil, err
	}
	if p := r.saveErr.Load(); p != nil && c.abandon() {
		return nil, r.storeFailed(*p)
	}
	// The caller's patience is measured in real time, as the store's
	// answers are: it bounds waiting on I/O, not the run's schedule.
	timeout := time.NewTimer(e.cfg.CommandTimeout)
	defer timeout.Stop()
	expired := timeout.C
	for {
		select {
		case res := <-reply:
			return res.run, res.err
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.done:
			// The runner may have answered just before it retired.
			select {
			case res := <-reply:
				return res.run, res.err
			default:
			}
			return nil, errShuttingDown()
		case <-expired:
			expired = nil
			if c.abandon() {
				if p := r.saveErr.Load(); p != nil {
					return nil, r.storeFailed(*p)
				}
				return nil, unavailable(storeRetryAfter, "update run %s is busy: the engine did not take the request within %s; nothing was changed", runName(r.id), e.cfg.CommandTimeout)
			}
			// Taken: the answer follows.
		}
	}
}

// runnerFor returns the run's runner, starting one if there is none, and
// posts the events to it; posting under the engine's lock means a runner
// never retires with an event unread.
func (e *Engine) runnerFor(ctx context.Context, id string, events ...any) (*runner, error) {
	return e.runnerWith(ctx, id, nil, events...)
}

// runnerWith is runnerFor that gives a runner it starts the lease h.
func (e *Engine) runnerWith(ctx context.Context, id string, h *hold, events ...any) (*runner, error) {
	key := store.CanonicalID(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errShuttingDown()
	}
	r := e.runners[key]
	if r == nil {
		rs, err := e.load(ctx, key)
		if err != nil {
			return nil, err
		}
		r = newRunner(e, rs)
		r.hold.Store(h)
		e.runners[key] = r
		e.wg.Add(1)
		go r.loop()
	}
	for _, ev := range events {
		r.mb.post(ev)
	}
	return r, nil
}

// load reads a run from the store and prepares it for execution.
func (e *Engine) load(ctx context.Context, id string) (*runState, error) {
	run, rec, err := store.Load[fleet.UpdateRun](ctx, e.cfg.Store, store.Runs, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fleet.NotFound("update run %s not found", runName(id))
	}
	if err != nil {
		e.cfg.Damage.Report(err)
		return nil, fmt.Errorf("error reading update run %s: %w", id, err)
	}
	if st := run.Properties.Status; st != nil && st.Status.Error != nil && st.Status.Error.Code == CodeStoredRunUnreadable {
		return nil, fleet.Conflict("update run %s was marked Failed because caravan could not read it from the store, and cannot be started, stopped or skipped; delete it and create a new update run", runName(id))
	}
	rs, err := newRunState(run, rec.ETag, e.cfg.NewID, e.cfg.RecheckInterval)
	if err != nil {
		// The document decodes but is not a run the engine can drive
		// (no status tree, versions that do not parse): as unreadable as
		// one that does not decode.
		err = &store.CorruptError{Store: store.Name(e.cfg.Store), Kind: store.Runs, ID: rec.ID, Err: err}
		e.cfg.Damage.Report(err)
		return nil, fmt.Errorf("error reading update run %s: %w", id, err)
	}
	return rs, nil
}

// poke wakes a run's runner, if it has one.
func (e *Engine) poke(run string) {
	e.mu.Lock()
	r := e.runners[run]
	e.mu.Unlock()
	if r != nil {
		r.mb.post(tick{})
	}
}

// retire removes an idle runner, unless an event arrived meanwhile.
func (e *Engine) retire(r *runner) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !r.mb.empty() {
		return false
	}
	delete(e.runners, r.id)
	if h := r.hold.Load(); h != nil {
		go e.release(h.lease)
	}
	return true
}

// goEffect runs f in a goroutine the engine waits for on Close. The
// goroutines are kept between effects: an effect reads the store and
// calls the provider, deep enough that a fresh goroutine's stack would be
// grown and copied several times for each.
func (e *Engine) goEffect(f func()) {
	e.wg.Add(1)
	e.effects.Go(func() {
		defer e.wg.Done()
		f()
	})
}

// A goroutine that ran an effect is kept for the next for effectIdle, and
// at most effectWorkers run effects on kept goroutines (the effects of a
// few busy runs at once); beyond them, effects run on goroutines of their
// own (see workers).
const (
	effectIdle    = time.Second
	effectWorkers = 64
)
