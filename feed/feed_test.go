package feed_test

import (
	"context"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

const fleetA = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/a"

func change(run string, to fleet.State) feed.Change {
	return feed.Change{RunID: fleetA + "/updateRuns/" + run, FleetID: fleetA, Kind: feed.KindRun, Name: run, New: to}
}

func next(t *testing.T, s *feed.Subscription) feed.Change {
	t.Helper()
	select {
	case c, ok := <-s.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change arrived")
	}
	return feed.Change{}
}

func TestSubscriptionsGetWhatTheirFilterMatchesInOrder(t *testing.T) {
	f := feed.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := f.Subscribe(ctx, feed.Filter{})
	one := f.Subscribe(ctx, feed.Filter{RunID: fleetA + "/updateRuns/R1"}) // ids compare case-insensitively
	other := f.Subscribe(ctx, feed.Filter{FleetID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/b"})
	f.Publish(change("r1", fleet.Running), change("r2", fleet.Running), change("r1", fleet.Completed))
	for i, want := range []string{"r1", "r2", "r1"} {
		c := next(t, all)
		if c.RunName() != want || c.Seq != uint64(i+1) {
			t.Fatalf("change %d: run %s seq %d, want %s seq %d", i, c.RunName(), c.Seq, want, i+1)
		}
	}
	if c := next(t, one); c.New != fleet.Running || c.Seq != 1 {
		t.Fatalf("first change of r1: %+v", c)
	}
	if c := next(t, one); c.New != fleet.Completed || c.Seq != 3 {
		t.Fatalf("second change of r1: %+v", c)
	}
	select {
	case c := <-other.C:
		t.Fatalf("fleet b's subscription got %+v", c)
	default:
	}
	if f.Seq() != 3 {
		t.Fatalf("Seq %d, want 3", f.Seq())
	}
}

func TestASlowSubscriberGetsResyncAndNeverBlocksThePublisher(t *testing.T) {
	f := feed.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := f.Subscribe(ctx, feed.Filter{Buffer: 4})
	done := make(chan struct{})
	go func() {
		for range 10000 {
			f.Publish(change("r", fleet.Running))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a subscriber that reads nothing")
	}
	// The subscriber reads on: it meets a resync marker where changes
	// were lost, and reaches the end (the last change, or a marker that
	// stands for it).
	f.Publish(change("r", fleet.Completed))
	last := f.Seq()
	sawResync := false
	for {
		c := next(t, slow)
		if c.Kind == feed.KindResync {
			sawResync = true
			if c.Seq == last {
				break
			}
		}
		if c.New == fleet.Completed {
			break
		}
	}
	if !sawResync {
		t.Fatal("no resync marker after 10,000 changes into a buffer of 4")
	}
	// Caught up, it gets the next change itself.
	f.Publish(change("r", fleet.Stopped))
	if c := next(t, slow); c.New != fleet.Stopped || c.Seq != last+1 {
		t.Fatalf("after catching up: %+v", c)
	}
}

func TestASubscriptionEndsWithItsContext(t *testing.T) {
	f := feed.New()
	ctx, cancel := context.WithCancel(context.Background())
	s := f.Subscribe(ctx, feed.Filter{})
	cancel()
	select {
	case _, ok := <-s.C:
		if ok {
			t.Fatal("a change arrived on a cancelled subscription")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("C was not closed when the context ended")
	}
	f.Publish(change("r", fleet.Running)) // no subscriber left; must not block or panic
	var nilFeed *feed.Feed
	nilFeed.Publish(change("r", fleet.Running))
}

func TestCallerDefaultsToTheEngine(t *testing.T) {
	if c := feed.CallerFrom(context.Background()); c != feed.Engine {
		t.Fatalf("caller %+v, want the engine", c)
	}
	ctx := feed.WithCaller(context.Background(), feed.Caller{Name: "ci", Role: "operator"})
	if c := feed.CallerFrom(ctx); c.Name != "ci" || c.Role != "operator" {
		t.Fatalf("caller %+v", c)
	}
}
