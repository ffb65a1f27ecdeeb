package e2e

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/maintenance"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// TestMaintenanceWindowHoldsAMemberAgainstTheSimulatedCloud runs the
// engine and the AKS provider against the simulated cloud, all on one
// fake clock. A member whose cluster's window is closed waits Pending
// with the next opening while its group-mates upgrade, and upgrades once
// the window opens; the cloud's record shows every upgrade inside its
// cluster's window.
func TestMaintenanceWindowHoldsAMemberAgainstTheSimulatedCloud(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	cloud := simcloud.New(simcloud.Options{Now: clk.Now})
	srv := httptest.NewServer(cloud)
	t.Cleanup(func() { srv.Close(); cloud.Close() })

	daily := func(start string) maintenance.Window {
		return maintenance.Window{Schedule: maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}}, DurationHours: 4, StartTime: start}
	}
	windows := map[string]maintenance.Window{
		"a": daily("15:00"), // closed at t0, opens in six hours
		"d": daily("08:00"), // open at t0
	}
	seed := &simcloud.Seed{}
	for _, n := range []string{"a", "b", "c", "d"} {
		spec := simcloud.ClusterSpec{Name: n, ResourceGroup: "rg-win", Region: "eastus", KubernetesVersion: "1.30",
			Tags: map[string]string{simcloud.TagUpgradeSeconds: "0"}}
		if w, ok := windows[n]; ok {
			spec.MaintenanceWindows = map[string]maintenance.Window{maintenance.AutoUpgradeSchedule: w}
		}
		seed.Clusters = append(seed.Clusters, spec)
	}
	ids, err := cloud.CreateClusters(seed)
	if err != nil {
		t.Fatal(err)
	}

	provider, err := aks.New(aks.Config{
		Endpoint:   srv.URL,
		Credential: aks.StaticToken("t"),
		Now:        clk.Now,
		Retry:      aks.Retry{Delay: 5 * time.Millisecond, MaxDelay: time.Second},
		Poll:       aks.Poll{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Close() })
	st := memory.New()
	persisted := make(chan struct{}, 1)
	eng, err := engine.New(engine.Config{
		Store: st, Provider: provider, Clock: clk, RecheckInterval: time.Minute,
		Persisted: func(store.Record) {
			select {
			case persisted <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)

	ref := fleet.FleetRef{Subscription: "sub-win", ResourceGroup: "rg", Fleet: "f"}
	frec, err := store.NewRecord(store.Fleets, ref.ID(), "/subscriptions/"+ref.Subscription+"/resourceGroups/"+ref.ResourceGroup, "f1", "", fleet.Fleet{ID: ref.ID(), Name: ref.Fleet, Type: fleet.TypeFleet, Location: "eastus"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, frec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	var members []fleet.Member
	for i, n := range []string{"a", "b", "c", "d"} {
		m := fleet.Member{ID: ref.Child("members", n), Name: n, Type: fleet.TypeMember,
			Properties: fleet.MemberProperties{ClusterResourceID: ids[i], Group: "g"}}
		rec, err := store.NewRecord(store.Members, m.ID, ref.ID(), "m1", "", m)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	strategy := &fleet.RunStrategy{Stages: []fleet.Stage{{Name: "s", Groups: []fleet.Group{{Name: "g"}}}}}
	status, err := fleet.NewRunStatus(strategy, members)
	if err != nil {
		t.Fatal(err)
	}
	run := fleet.UpdateRun{ID: ref.Child("updateRuns", "r"), Name: "r", Type: fleet.TypeUpdateRun, ETag: "r1",
		Properties: fleet.UpdateRunProperties{ProvisioningState: fleet.ProvisioningSucceeded, Strategy: strategy,
			ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.31"}},
			Status:               status}}
	rec, err := store.NewRecord(store.Runs, run.ID, ref.ID(), "r1", string(fleet.NotStarted), run)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.StartRun(ctx, run.ID, ""); err != nil {
		t.Fatal(err)
	}

	states := func() (map[string]fleet.MemberStatus, fleet.State) {
		r, _, err := store.Load[fleet.UpdateRun](ctx, st, store.Runs, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]fleet.MemberStatus{}
		for _, g := range r.Properties.Status.Stages[0].Groups {
			for _, m := range g.Members {
				out[m.Name] = m
			}
		}
		return out, r.Properties.Status.Status.State
	}
	// waitFor waits, on the engine's writes, until cond holds.
	waitFor := func(what string, cond func(map[string]fleet.MemberStatus, fleet.State) bool) map[string]fleet.MemberStatus {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			ms, s := states()
			if cond(ms, s) {
				return ms
			}
			select {
			case <-persisted:
			case <-deadline:
				t.Fatalf("%s did not happen: run %s, members %+v", what, s, ms)
			}
		}
	}
	ms := waitFor("group-mates completing", func(ms map[string]fleet.MemberStatus, _ fleet.State) bool {
		return ms["b"].Status.State == fleet.Completed && ms["c"].Status.State == fleet.Completed && ms["d"].Status.State == fleet.Completed
	})
	a := ms["a"]
	if a.Status.State != fleet.Pending || !strings.Contains(a.Message, "waiting for it to open at 2026-01-05T15:00:00Z") {
		t.Fatalf("member a is %s: %q; want Pending until 2026-01-05T15:00:00Z", a.Status.State, a.Message)
	}
	if got := cloud.Operations(simcloud.OperationFilter{Cluster: ids[0]}); len(got) != 0 {
		t.Fatalf("the cloud began %d operations on a outside its window: %+v", len(got), got)
	}

	clk.Set(time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC))
	waitFor("the run completing", func(ms map[string]fleet.MemberStatus, s fleet.State) bool { return s == fleet.Completed })

	for i, n := range []string{"a", "b", "c", "d"} {
		ops := cloud.Operations(simcloud.OperationFilter{Cluster: ids[i]})
		if len(ops) == 0 {
			t.Errorf("cluster %s was not upgraded", n)
		}
		for _, op := range ops {
			if w, ok := windows[n]; ok && !w.Open(op.Start) {
				t.Errorf("cluster %s: %s began at %s, outside its window", n, op.Kind, op.Start.Format(time.RFC3339))
			}
		}
	}
}
