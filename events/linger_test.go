package events_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// countAppends is an event log that counts its transactions.
type countAppends struct {
	store.EventLog
	mu      sync.Mutex
	appends []int // events per AppendEvents
}

func (c *countAppends) AppendEvents(ctx context.Context, b *store.EventBatch) error {
	c.mu.Lock()
	c.appends = append(c.appends, len(b.Events))
	c.mu.Unlock()
	return c.EventLog.AppendEvents(ctx, b)
}

func (c *countAppends) calls() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.appends...)
}

// With a Linger, changes that come one after another within it are
// written in one transaction of the event log, once it has passed.
func TestChangesWithinTheLingerShareATransaction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "caravan.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		log := &countAppends{EventLog: s}
		clk := clock.NewFake(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
		f := feed.New()
		ctx, cancel := context.WithCancel(context.Background())
		defer func() { cancel(); synctest.Wait() }()
		rec, err := events.Start(ctx, events.Config{Log: log, Store: s, Feed: f, Clock: clk, Linger: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		before := len(log.calls())
		steps := []*fleet.UpdateRun{run(fleet.NotStarted, fleet.NotStarted), run(fleet.Running, fleet.Running), run(fleet.Running, fleet.Completed)}
		for i := 1; i < len(steps); i++ {
			changes, _ := feed.Diff(feed.Take(steps[i-1]), steps[i], feed.Change{Time: clk.Now(), ETag: "e"})
			f.Publish(changes...)
			synctest.Wait()
			if got := log.calls()[before:]; len(got) != 0 {
				t.Fatalf("events written before the linger passed: %v", got)
			}
		}
		clk.Advance(10 * time.Millisecond)
		rec.WaitFor(context.Background(), f.Seq())
		got := log.calls()[before:]
		if len(got) != 1 || got[0] != 5 {
			t.Fatalf("events per transaction: %v, want [5]: both writes' changes in one", got)
		}
		if evs := list(t, rec); len(evs) != 5 {
			t.Fatalf("recorded %d events, want 5", len(evs))
		}
	})
}
