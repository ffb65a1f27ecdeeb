package autoupgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

const testFleet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f"

// fakeRuns chooses from a release the test sets, and keeps runs in the
// store as the API would, counting what it was asked.
type fakeRuns struct {
	st       store.Store
	release  string
	created  int
	started  int
	startErr error
}

func (f *fakeRuns) ChooseFor(_ context.Context, p *fleet.AutoUpgradeProfile) (Choice, error) {
	if f.release == "" {
		return Choice{}, ErrNothingOffered
	}
	return Choice{Release: "NodeImage " + f.release, Versions: []string{f.release},
		Update: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}}}, nil
}

func (f *fakeRuns) GenerateRun(ctx context.Context, p *fleet.AutoUpgradeProfile, ch Choice, name, by string) (*fleet.UpdateRun, error) {
	run := fleet.UpdateRun{ID: testFleet + "/updateRuns/" + name, Name: name, Properties: fleet.UpdateRunProperties{AutoUpgradeProfileID: p.ID}}
	rec, _ := store.NewRecord(store.Runs, run.ID, testFleet, "e", string(fleet.NotStarted), &run)
	if err := f.st.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
		return nil, fleet.PreconditionFailed("exists")
	}
	f.created++
	return &run, nil
}

func (f *fakeRuns) StartGeneratedRun(ctx context.Context, runID string) (*fleet.UpdateRun, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	run, rec, err := store.Load[fleet.UpdateRun](ctx, f.st, store.Runs, runID)
	if err != nil {
		return nil, err
	}
	if rec.State != string(fleet.NotStarted) {
		return nil, fleet.Conflict("update run %s is already running", run.Name)
	}
	rec.State = string(fleet.Running)
	f.started++
	return run, f.st.Put(ctx, rec, store.Precondition{})
}

// newStore is a store holding the test's fleet, which every profile and
// run lives in.
func newStore(t *testing.T) store.Store {
	t.Helper()
	st := memory.New()
	f := fleet.Fleet{ID: testFleet, Name: testFleet[strings.LastIndex(testFleet, "/")+1:], Location: "eastus"}
	rec, err := store.NewRecord(store.Fleets, f.ID, testFleet[:strings.Index(testFleet, "/providers/")], "f0", "", &f)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	return st
}

func putProfile(t *testing.T, st store.Store, name string, disabled bool) string {
	t.Helper()
	p := fleet.AutoUpgradeProfile{ID: testFleet + "/autoUpgradeProfiles/" + name, Name: name,
		Properties: fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelNodeImage, Disabled: disabled}}
	rec, _ := store.NewRecord(store.AutoUpgradeProfiles, p.ID, testFleet, "e0", "", &p)
	if err := st.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func status(t *testing.T, st store.Store, id string) fleet.AutoUpgradeProfileStatus {
	t.Helper()
	p, _, err := store.Load[fleet.AutoUpgradeProfile](context.Background(), st, store.AutoUpgradeProfiles, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Properties.Status == nil {
		return fleet.AutoUpgradeProfileStatus{}
	}
	return *p.Properties.Status
}

func newTriggers(st store.Store, runs *fakeRuns, clk clock.Clock) *Triggers {
	n := 0
	return New(Config{Store: st, Runs: runs, Clock: clk,
		RunName: func(profileID, profile, release string) string { return profile + "-" + release[len("NodeImage "):] },
		NewID:   func() string { n++; return fmt.Sprint("e", n) }})
}

func TestTriggerOncePerRelease(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	clk := clock.NewFake(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	runs := &fakeRuns{st: st, release: "img-1"}
	on := putProfile(t, st, "on", false)
	off := putProfile(t, st, "off", true)
	tr := newTriggers(st, runs, clk)

	// The first look is the baseline: what is offered is not news.
	if err := tr.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if runs.created != 0 || status(t, st, on).ObservedRelease != "NodeImage img-1" || status(t, st, on).LastTriggeredAt != nil {
		t.Fatalf("baseline: created %d, status %+v", runs.created, status(t, st, on))
	}
	// A release: one run, created and started, recorded.
	runs.release = "img-2"
	for range 3 {
		if err := tr.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := status(t, st, on)
	if runs.created != 1 || runs.started != 1 || s.LastTriggerStatus != fleet.TriggerSucceeded || s.LastTriggerUpgradeVersions[0] != "img-2" || !s.LastTriggeredAt.Equal(clk.Now()) {
		t.Fatalf("after a release: created %d started %d, status %+v", runs.created, runs.started, s)
	}
	if s := status(t, st, off); s.LastTriggeredAt != nil || s.ObservedRelease != "" {
		t.Errorf("the disabled profile acted: %+v", s)
	}
	// The next release finds the first run still running: Failed, with
	// why, and no run.
	runs.release = "img-3"
	if err := tr.Check(ctx); err != nil {
		t.Fatal(err)
	}
	s = status(t, st, on)
	if runs.created != 1 || s.LastTriggerStatus != fleet.TriggerFailed || s.LastTriggerError == nil || s.LastTriggerError.Code != "UpdateRunInProgress" {
		t.Fatalf("release during a run: created %d, status %+v", runs.created, s)
	}
	// It does not retry that release.
	if err := tr.Check(ctx); err != nil || runs.created != 1 {
		t.Fatalf("retried a failed release: %v, created %d", err, runs.created)
	}
}

// A check that died after creating the run, before starting it or
// recording the release, is finished by the next one: the same run is
// found, started and recorded, and no second run is made.
func TestTriggerResumesAfterACrash(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	runs := &fakeRuns{st: st, release: "img-1"}
	on := putProfile(t, st, "on", false)
	tr := newTriggers(st, runs, clock.NewFake(time.Now()))
	if err := tr.Check(ctx); err != nil {
		t.Fatal(err)
	}
	runs.release = "img-2"
	runs.startErr = errors.New("killed")
	if err := tr.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// The start failed, which a crash looks like from the store, but
	// the status says Failed; undo that record to stand for the crash
	// that wrote nothing.
	p, rec, _ := store.Load[fleet.AutoUpgradeProfile](ctx, st, store.AutoUpgradeProfiles, on)
	p.Properties.Status = &fleet.AutoUpgradeProfileStatus{ObservedRelease: "NodeImage img-1"}
	rec, _ = store.NewRecord(store.AutoUpgradeProfiles, rec.ID, rec.Parent, "crashed", "", p)
	st.Put(ctx, rec, store.Precondition{})
	runs.startErr = nil
	if err := tr.Check(ctx); err != nil {
		t.Fatal(err)
	}
	s := status(t, st, on)
	if runs.created != 1 || runs.started != 1 || s.LastTriggerStatus != fleet.TriggerSucceeded || s.ObservedRelease != "NodeImage img-2" {
		t.Fatalf("after the crash: created %d started %d, status %+v", runs.created, runs.started, s)
	}
}

// The service checks on the clock's interval, and not before.
func TestTriggerRunsOnTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStore(t)
		clk := clock.NewFake(time.Now())
		runs := &fakeRuns{st: st, release: "img-1"}
		on := putProfile(t, st, "on", false)
		tr := New(Config{Store: st, Runs: runs, Clock: clk, Interval: 5 * time.Second,
			RunName: func(_, profile, release string) string { return profile + "-x" }})
		tr.Start()
		defer tr.Close()
		clk.Advance(4 * time.Second)
		synctest.Wait()
		if status(t, st, on).ObservedRelease != "" {
			t.Fatal("checked before the interval")
		}
		clk.Advance(time.Second)
		synctest.Wait()
		if status(t, st, on).ObservedRelease != "NodeImage img-1" {
			t.Fatal("no check at the interval")
		}
		runs.release = "img-2"
		clk.Advance(5 * time.Second)
		synctest.Wait()
		if runs.started != 1 {
			t.Fatalf("the next interval's check started %d runs", runs.started)
		}
	})
}
