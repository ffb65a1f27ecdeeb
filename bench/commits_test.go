package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

const watchedRun = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/f/updateRuns/r"

// waitClosed waits for ch without moving the fake clock: a watcher that
// polls on the clock never closes it.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not seen while the clock stood still: the watcher waits for time to pass instead of following the feed", what)
	}
}

// TestWallTimeIsBetweenTheCommits times a run that the feed says started
// and completed 3ms apart: the wall time is exactly those 3ms, with no
// polling interval added, however the clock moves afterwards.
func TestWallTimeIsBetweenTheCommits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := feed.New()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	// The id in another case, as ARM ids may come.
	w := watchCommits(ctx, f, clk, []string{strings.ToUpper(watchedRun)})
	r := w.runs[strings.ToLower(watchedRun)]

	clk.Advance(time.Second) // before the start: not counted
	accepted := clk.Now()
	f.Wrote(watchedRun, "e1", feed.Change{RunID: watchedRun, Kind: feed.KindMember, Path: "s/g/m", Old: fleet.NotStarted, New: fleet.Running, Time: accepted})
	f.Wrote(watchedRun, "e1", feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.NotStarted, New: fleet.Running, ETag: "e1", Time: accepted})
	waitClosed(t, r.accepted, "the start")
	clk.Advance(3 * time.Millisecond)
	// A member's completion is not the run's.
	f.Wrote(watchedRun, "e2", feed.Change{RunID: watchedRun, Kind: feed.KindMember, Path: "s/g/m", Old: fleet.Running, New: fleet.Completed, ETag: "e2"})
	// Stamped when the engine decided, before the commit: the end is
	// when the committed write arrives, not the stamp.
	f.Wrote(watchedRun, "e3", feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.Running, New: fleet.Completed, ETag: "e3", Time: accepted.Add(time.Millisecond)})
	waitClosed(t, r.done, "the completion")
	clk.Advance(time.Hour) // after the end: not counted

	got, err := w.wait(ctx, watchedRun)
	if err != nil {
		t.Fatal(err)
	}
	timing := runTiming{started: got.started, ended: got.ended}
	if timing.wall() != 3*time.Millisecond {
		t.Errorf("wall time %v, want exactly 3ms: from the start's commit to the completion's", timing.wall())
	}
	if got.state != fleet.Completed || got.etag != "e3" {
		t.Errorf("ended %s with ETag %q, want Completed with e3", got.state, got.etag)
	}
}

// TestWallTimeIsNeverShorterThanBetweenTheCommits: a start whose change
// reaches the benchmark late (a busy machine) still counts from when the
// engine accepted it, before its write was committed, so the delay is
// not taken out of the wall time.
func TestWallTimeIsNeverShorterThanBetweenTheCommits(t *testing.T) {
	clk := clock.NewFake(time.Unix(100, 0))
	w := &commitWatch{clock: clk, runs: map[string]*runCommits{strings.ToLower(watchedRun): {accepted: make(chan struct{}), done: make(chan struct{})}}}
	accepted := clk.Now()
	clk.Advance(2 * time.Millisecond) // the hand-over is slow
	w.see(feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.NotStarted, New: fleet.Running, Time: accepted})
	clk.Advance(5 * time.Millisecond)
	w.see(feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.Running, New: fleet.Completed, Time: clk.Now().Add(-4 * time.Millisecond)})
	got, err := w.wait(context.Background(), watchedRun)
	if err != nil {
		t.Fatal(err)
	}
	if wall := (runTiming{started: got.started, ended: got.ended}).wall(); wall != 7*time.Millisecond {
		t.Errorf("wall time %v, want 7ms: from the engine's acceptance of the start to the arrival of the committed completion", wall)
	}
	// A stamp from another clock, after the arrival, is not trusted.
	w2 := &commitWatch{clock: clk, runs: map[string]*runCommits{strings.ToLower(watchedRun): {accepted: make(chan struct{}), done: make(chan struct{})}}}
	w2.see(feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.NotStarted, New: fleet.Running, Time: clk.Now().Add(time.Hour)})
	if got := w2.runs[strings.ToLower(watchedRun)].started; !got.Equal(clk.Now()) {
		t.Errorf("a start stamped in the future counted from %v, want its arrival %v", got, clk.Now())
	}
}

// TestWallTimeOfARunThatFailsOrIsLost: a run that ends Failed is over
// (the benchmark then refuses it), and a subscription that fell behind
// says so instead of timing what it did not see.
func TestWallTimeOfARunThatFailsOrIsLost(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := feed.New()
	clk := clock.NewFake(time.Unix(0, 0))
	w := watchCommits(ctx, f, clk, []string{watchedRun, watchedRun + "2"})
	f.Publish(feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.NotStarted, New: fleet.Running})
	f.Publish(feed.Change{RunID: watchedRun, Kind: feed.KindRun, Old: fleet.Running, New: fleet.Failed, ETag: "x"})
	got, err := w.wait(ctx, watchedRun)
	if err != nil || got.state != fleet.Failed {
		t.Errorf("a failed run: %+v, %v; want it ended Failed", got, err)
	}
	w.see(feed.Change{Kind: feed.KindResync, Seq: 7})
	if _, err := w.wait(ctx, watchedRun+"2"); err == nil || !strings.Contains(err.Error(), "fell behind") {
		t.Errorf("after a resync: %v, want an error saying the subscription fell behind", err)
	}
	if _, err := w.wait(ctx, watchedRun+"3"); err == nil {
		t.Error("a run the watcher was not given: no error")
	}
}
