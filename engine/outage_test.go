package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// outage is a store that can stop answering: while down, every call fails
// at once (refused) or, when hang is set, waits until its context ends
// (a database that does not answer at all).
type outage struct {
	store.Store
	down, hang atomic.Bool
}

var errDown = errors.New("connection refused")

func (o *outage) fail(ctx context.Context) error {
	if o.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return errDown
}

func (o *outage) Get(ctx context.Context, k store.Kind, id string) (store.Record, error) {
	if o.down.Load() {
		return store.Record{}, o.fail(ctx)
	}
	return o.Store.Get(ctx, k, id)
}

func (o *outage) Put(ctx context.Context, rec store.Record, c store.Precondition) error {
	if o.down.Load() {
		return o.fail(ctx)
	}
	return o.Store.Put(ctx, rec, c)
}

func (o *outage) List(ctx context.Context, opts store.ListOptions) (store.Page, error) {
	if o.down.Load() {
		return store.Page{}, o.fail(ctx)
	}
	return o.Store.List(ctx, opts)
}

// withOutage restarts the env's engine on a store that can go down.
func withOutage(e *env) *outage {
	e.eng.Close()
	o := &outage{Store: e.store}
	e.store = o
	e.startEngine()
	e.t.Cleanup(func() { e.eng.Close() })
	return o
}

// TestCommandsFailFastWhileTheStoreIsDown: a stop sent while the store
// does not answer is refused within the command timeout with a
// retry-after, and changes nothing; once the store is back, it works.
func TestCommandsFailFastWhileTheStoreIsDown(t *testing.T) {
	for _, hang := range []bool{false, true} {
		name := map[bool]string{false: "refused", true: "hanging"}[hang]
		t.Run(name, func(t *testing.T) {
			test(t, func(e *env) {
				o := withOutage(e)
				e.member("a", "", "eastus", "1.30.4")
				e.member("b", "", "eastus", "1.30.4")
				id := e.createRun("r", nil, full("1.31.2"))
				e.start(id)
				e.wantUpgrading("a")

				// An idle runner: the stop finds the store silent.
				o.hang.Store(hang)
				o.down.Store(true)
				start := time.Now()
				_, err := e.eng.StopRun(context.Background(), id, "")
				wantUnavailable(t, err)
				if took := time.Since(start); took > engine.DefaultCommandTimeout {
					t.Fatalf("the stop took %s, more than the command timeout", took)
				}

				// A runner saving the run: refused at once once a try
				// has failed, within the command timeout before.
				e.cloud.Finish(e.cloud.InFlight()[0], nil)
				e.settle()
				start = time.Now()
				_, err = e.eng.StopRun(context.Background(), id, "")
				wantUnavailable(t, err)
				if took := time.Since(start); (!hang && took != 0) || took > engine.DefaultCommandTimeout {
					t.Fatalf("the stop took %s while the runner was saving the run", took)
				}

				o.down.Store(false)
				time.Sleep(time.Minute) // in the bubble: the hanging tries at the store time out
				e.advance(time.Minute)  // the runner's next try at the save
				if got := e.runState(id); got == fleet.Stopping || got == fleet.Stopped {
					t.Fatalf("run is %s after refused stops: a refused stop must change nothing", got)
				}
				if _, err := e.eng.StopRun(context.Background(), id, ""); err != nil {
					t.Fatalf("stop once the store is back: %v", err)
				}
				e.settle()
				if got := e.runState(id); got != fleet.Stopping && got != fleet.Stopped {
					t.Fatalf("run is %s after a stop, want Stopping or Stopped", got)
				}
			})
		})
	}
}

func wantUnavailable(t *testing.T, err error) {
	t.Helper()
	var ue *engine.UnavailableError
	if !errors.As(err, &ue) || ue.RetryAfter() <= 0 {
		t.Fatalf("got %v, want an UnavailableError with a retry-after", err)
	}
}
