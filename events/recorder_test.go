package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
)

const runID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/f/updateRuns/r"

func run(state, member fleet.State) *fleet.UpdateRun {
	return &fleet.UpdateRun{ID: runID, Name: "r", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{
		Status: fleet.UpdateStatus{State: state},
		Stages: []fleet.StageStatus{{Name: "s", Status: fleet.UpdateStatus{State: state}, Groups: []fleet.GroupStatus{{
			Name: "g", Status: fleet.UpdateStatus{State: state}, Members: []fleet.MemberStatus{{Name: "m", Status: fleet.UpdateStatus{State: member}}},
		}}}},
	}}}
}

func put(t *testing.T, s store.Store, r *fleet.UpdateRun, etag string) {
	t.Helper()
	// The run lives in a stored fleet.
	if err := s.Put(context.Background(), store.Record{Kind: store.Fleets, ID: "/f", ETag: "f", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	rec, err := store.NewRecord(store.Runs, store.CanonicalID(r.ID), "/f", etag, string(r.Properties.Status.Status.State), r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

type recorded struct {
	typ, prev  string
	reconciled bool
	caller     string
}

func list(t *testing.T, r *events.Recorder) []recorded {
	t.Helper()
	evs, err := r.List(context.Background(), runID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	for _, e := range evs {
		var ce events.CloudEvent
		if err := json.Unmarshal(e.Body, &ce); err != nil {
			t.Fatal(err)
		}
		out = append(out, recorded{ce.Type, ce.Data.PreviousState, ce.Data.Reconciled, ce.Data.Caller.Name})
	}
	return out
}

// A server killed between writing a run and recording its events records
// what changed at its next start, once, and then goes on from the feed
// without repeating it.
func TestTheRecorderCatchesUpWithChangesItMissed(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "caravan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clk := clock.NewFake(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	start := func(f *feed.Feed) (*events.Recorder, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := events.Start(ctx, events.Config{Log: s, Store: s, Feed: f, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		return r, cancel
	}

	// Running, with events recorded as it went.
	f := feed.New()
	rec, stop := start(f)
	put(t, s, run(fleet.Running, fleet.Running), "e1")
	changes, _ := feed.Diff(feed.Take(run(fleet.NotStarted, fleet.NotStarted)), run(fleet.Running, fleet.Running), feed.Change{Time: clk.Now(), Caller: feed.Caller{Name: "ops", Role: "operator"}, ETag: "e1"})
	f.Publish(changes...)
	rec.WaitFor(context.Background(), f.Seq())
	stop()
	<-rec.Done()
	if got := list(t, rec); len(got) != 4 || got[0] != (recorded{"dev.caravan.updaterun.running", "NotStarted", false, "ops"}) || got[3].typ != "dev.caravan.updaterun.member.running" {
		t.Fatalf("events while running: %+v", got)
	}

	// The run completes while nothing records its events.
	put(t, s, run(fleet.Completed, fleet.Completed), "e2")

	f = feed.New()
	rec, stop = start(f)
	defer stop()
	got := list(t, rec)
	want := []recorded{
		{"dev.caravan.updaterun.member.completed", "Running", true, "engine"},
		{"dev.caravan.updaterun.group.completed", "Running", true, "engine"},
		{"dev.caravan.updaterun.stage.completed", "Running", true, "engine"},
		{"dev.caravan.updaterun.completed", "Running", true, "engine"},
	}
	if len(got) != 8 || fmt.Sprint(got[4:]) != fmt.Sprint(want) {
		t.Fatalf("events after the restart: %+v", got)
	}
	// The feed's changes of that version, arriving late, are not
	// recorded twice; those of the next version are.
	late, _ := feed.Diff(feed.Take(run(fleet.Running, fleet.Running)), run(fleet.Completed, fleet.Completed), feed.Change{Time: clk.Now(), ETag: "e2"})
	f.Publish(late...)
	f.Publish(feed.Change{RunID: runID, Kind: feed.KindRun, Name: "r", Old: fleet.Completed, New: feed.Deleted, Time: clk.Now()})
	rec.WaitFor(context.Background(), f.Seq())
	got = list(t, rec)
	if len(got) != 9 || got[8].typ != "dev.caravan.updaterun.deleted" {
		t.Fatalf("events after the late changes and a deletion: %+v", got)
	}
	if _, ok, _ := s.EventCursor(context.Background(), store.CanonicalID(runID)); ok {
		t.Fatal("a deleted run keeps its event cursor")
	}
}

func TestEventsArePrunedAfterTheRetention(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "caravan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clk := clock.NewFake(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	f := feed.New()
	ctx, cancel := context.WithCancel(context.Background())
	rec, err := events.Start(ctx, events.Config{Log: s, Store: s, Feed: f, Clock: clk, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.Publish(feed.Change{RunID: runID, Kind: feed.KindRun, Name: "r", New: feed.Created, Time: clk.Now(), ETag: "e1"})
	rec.WaitFor(context.Background(), f.Seq())
	cancel()
	<-rec.Done()
	clk.Advance(2 * time.Hour)
	// A recorder starting prunes what is older than the retention.
	rec, err = events.Start(context.Background(), events.Config{Log: s, Store: s, Feed: feed.New(), Clock: clk, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := list(t, rec); len(got) != 0 {
		t.Fatalf("events older than the retention: %+v", got)
	}
}

func TestTypesAndSequence(t *testing.T) {
	for _, tc := range []struct {
		k     feed.Kind
		state string
		want  string
	}{
		{feed.KindRun, "Completed", "dev.caravan.updaterun.completed"},
		{feed.KindMember, "Failed", "dev.caravan.updaterun.member.failed"},
		{feed.KindWait, "Running", "dev.caravan.updaterun.wait.running"},
		{feed.KindRun, string(feed.Created), "dev.caravan.updaterun.created"},
	} {
		if got := events.Type(tc.k, tc.state); got != tc.want {
			t.Errorf("Type(%s, %s) = %s, want %s", tc.k, tc.state, got, tc.want)
		}
	}
	if got := string(events.WithSequence([]byte(`{"id":"a"}`), 42)); got != `{"sequence":"42","id":"a"}` {
		t.Errorf("WithSequence: %s", got)
	}
	if got := string(events.WithSequence([]byte(`{}`), 7)); got != `{"sequence":"7"}` {
		t.Errorf("WithSequence of an empty object: %s", got)
	}
}

// A write's changes may reach the event log in two batches; a server
// killed between them records the rest at its next start.
func TestTheRecorderCompletesAWriteRecordedInPart(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "caravan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clk := clock.NewFake(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	f := feed.New()
	ctx, cancel := context.WithCancel(context.Background())
	rec, err := events.Start(ctx, events.Config{Log: s, Store: s, Feed: f, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, run(fleet.Running, fleet.Running), "e1")
	changes, _ := feed.Diff(feed.Take(run(fleet.NotStarted, fleet.NotStarted)), run(fleet.Running, fleet.Running), feed.Change{Time: clk.Now(), Caller: feed.Engine, ETag: "e1"})
	f.Publish(changes[:2]...) // the run and its stage; the group and member not yet
	rec.WaitFor(context.Background(), f.Seq())
	cancel()
	<-rec.Done()

	rec, err = events.Start(context.Background(), events.Config{Log: s, Store: s, Feed: feed.New(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	got := list(t, rec)
	want := []recorded{
		{"dev.caravan.updaterun.running", "NotStarted", false, "engine"},
		{"dev.caravan.updaterun.stage.running", "NotStarted", false, "engine"},
		{"dev.caravan.updaterun.group.running", "NotStarted", true, "engine"},
		{"dev.caravan.updaterun.member.running", "NotStarted", true, "engine"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n got %+v\nwant %+v", got, want)
	}
}

func TestAGateEventNamesItsPlaceAndResource(t *testing.T) {
	gate := "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/f/gates/6f1c0c1e-0000-5000-8000-000000000001"
	for _, tc := range []struct{ path, subject string }{
		{"canary/beforeGates/0", "stages/canary/beforeGates/0"},
		{"canary/west/afterGates/1", "stages/canary/groups/west/afterGates/1"},
	} {
		c := feed.Change{RunID: runID, Kind: feed.KindGate, Name: "change board", Path: tc.path, Old: fleet.NotStarted, New: fleet.Pending, GateID: gate}
		ev := events.FromChange("id", c, false)
		if ev.Type != "dev.caravan.updaterun.gate.pending" || ev.Subject != tc.subject || ev.Data.GateID != gate || ev.Data.Name != "change board" {
			t.Errorf("gate %s: type %q, subject %q, gateId %q, name %q; want dev.caravan.updaterun.gate.pending, %s, the gate's id and its name",
				tc.path, ev.Type, ev.Subject, ev.Data.GateID, ev.Data.Name, tc.subject)
		}
	}
}
