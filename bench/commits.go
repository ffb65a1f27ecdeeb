package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

// commitBuffer is how many unread changes the benchmark's subscription
// holds before the feed drops them: enough for every change of the
// largest scenario, so that it never falls behind.
const commitBuffer = 1 << 22

// commitWatch follows the server's feed and notes, for each run it was
// given, when the write that accepted its start and the write that ended
// it were committed. The engine stamps a write's changes with the time it
// made them, just before the store commits the write, and publishes them
// right after the commit. A run's start is the stamp of the change that
// took it out of NotStarted (at or before that write's commit); its end
// is the moment the change that ended it arrives here (at or after that
// write's commit, late by the hand-over from the feed to this goroutine).
// So a wall time is never shorter than the time between the two commits,
// and nothing is polled: no polling interval is added to or hidden from
// it.
type commitWatch struct {
	clock clock.Clock
	mu    sync.Mutex
	runs  map[string]*runCommits // by lower-case run id
	// lost says the subscription fell behind and changes were dropped.
	lost error
}

// runCommits is what the feed told of one run.
type runCommits struct {
	// accepted is closed once the run left NotStarted (its start was
	// committed); done once it reached a state it stays in.
	accepted, done chan struct{}
	// started is when the engine accepted the start, ended when the
	// write that ended it arrived; state is the state it ended in, etag
	// the ETag that write gave it.
	started, ended time.Time
	state          fleet.State
	etag           string
}

// ended reports whether a run in state s has stopped moving.
func ended(s fleet.State) bool {
	return s == fleet.Completed || s == fleet.Failed || s == fleet.Stopped || s == fleet.Skipped
}

// watchCommits subscribes to f for the runs with the given ids until ctx
// ends. Subscribe before the runs start, so that no change is missed.
func watchCommits(ctx context.Context, f *feed.Feed, c clock.Clock, ids []string) *commitWatch {
	w := &commitWatch{clock: c, runs: map[string]*runCommits{}}
	for _, id := range ids {
		w.runs[strings.ToLower(id)] = &runCommits{accepted: make(chan struct{}), done: make(chan struct{})}
	}
	sub := f.Subscribe(ctx, feed.Filter{Buffer: commitBuffer})
	go func() {
		for ch := range sub.C {
			w.see(ch)
		}
	}()
	return w
}

// see notes a change at the moment it arrives.
func (w *commitWatch) see(c feed.Change) {
	at := w.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.Kind == feed.KindResync {
		if w.lost == nil {
			w.lost = fmt.Errorf("the benchmark's subscription to the server's feed fell behind and lost changes up to number %d, so the runs' times are unknown; the machine is too busy, try again when it is quieter", c.Seq)
			for _, r := range w.runs {
				closeOnce(r.accepted)
				closeOnce(r.done)
			}
		}
		return
	}
	if c.Kind != feed.KindRun || w.lost != nil {
		return
	}
	r := w.runs[strings.ToLower(c.RunID)]
	if r == nil {
		return
	}
	if r.started.IsZero() && c.Old == fleet.NotStarted && c.New != fleet.NotStarted {
		r.started = at
		if !c.Time.IsZero() && !c.Time.After(at) {
			r.started = c.Time
		}
		close(r.accepted)
	}
	if r.ended.IsZero() && !r.started.IsZero() && ended(c.New) {
		r.ended, r.state, r.etag = at, c.New, c.ETag
		close(r.done)
	}
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// wait returns what the feed told of the run once it has ended.
func (w *commitWatch) wait(ctx context.Context, id string) (runCommits, error) {
	w.mu.Lock()
	r := w.runs[strings.ToLower(id)]
	w.mu.Unlock()
	if r == nil {
		return runCommits{}, fmt.Errorf("update run %s is not one the benchmark follows", id)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return runCommits{}, fmt.Errorf("stopped before update run %s ended: %w", id, ctx.Err())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lost != nil {
		return runCommits{}, w.lost
	}
	return *r, nil
}
