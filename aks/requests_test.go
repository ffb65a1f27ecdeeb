package aks_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// requestKind sorts the ARM requests of an upgrade.
func requestKind(c call) string {
	switch {
	case strings.Contains(c.path, "/operations/") || strings.Contains(c.path, "/operationresults/"):
		return "poll"
	case strings.Contains(c.path, "/maintenanceconfigurations"):
		return "maintenance"
	case c.isClusterGet():
		return "get"
	case c.method != http.MethodGet:
		return "write"
	}
	return "offers"
}

// TestRequestsPerUpgrade counts what the simulated cloud serves for one
// member's upgrade, from the engine's read of the cluster to the member's
// verified end, on a one-pool cluster whose region offers are cached (as
// they are for every member but the first in a fleet), with an upgrade
// that ends at the first look after the write. One read decides (the
// cluster and its maintenance configurations), the write begins the
// operation, and one read of the cluster follows it: that read shows the
// operation ended and is the end the engine verifies, so no operation
// status is polled and nothing is read after it. A node image upgrade
// reads the cluster once more before its POST, which cannot be made
// conditional on the decision's read.
//
// before is what the same upgrade cost when the operation was followed
// through its status URL (one poll) and the cluster read again after the
// status said Succeeded.
func TestRequestsPerUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name   string
		update fleet.ManagedClusterUpdate
		gets   int // cluster GETs
		all    int // every request
		before int // every request, before
	}{
		{"Full", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.31.4"}}, 2, 4, 5},
		{"ControlPlaneOnly", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.31.4"}}, 2, 4, 5},
		{"NodeImageOnly", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}}, 3, 5, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec calls
			h := newOnePool(t, 2, rec.wrap)
			// The first member fills the provider's offer caches.
			h.members, h.clusters = h.members[:1], h.clusters[:1]
			first := h.run(t, tc.update)
			if s := first.Properties.Status.Status.State; s != fleet.Completed {
				t.Fatalf("warm-up run ended %s", s)
			}
			h.members, h.clusters = h.all[1:], h.clusterIDs[1:]
			n, conns := rec.count(), h.sim.conns.Load()
			run := h.runNamed(t, "r2", tc.update)
			if s := run.Properties.Status.Status.State; s != fleet.Completed {
				t.Fatalf("run ended %s", s)
			}
			m := run.Properties.Status.Stages[0].Groups[0].Members[0]
			if m.Status.State != fleet.Completed || m.Observed == nil {
				t.Fatalf("member ended %s (%s), observed %v; want Completed after a verified read", m.Status.State, m.Message, m.Observed)
			}
			kinds := map[string]int{}
			for _, c := range rec.since(n) {
				if c.clusterName() != "" && c.clusterName() != strings.ToLower(h.all[1].Name) {
					t.Errorf("%s %s: a request about another cluster", c.method, c.path)
				}
				kinds[requestKind(c)]++
			}
			all := kinds["get"] + kinds["maintenance"] + kinds["write"] + kinds["offers"] + kinds["poll"]
			// Connections are kept between requests: the warm-up left two
			// idle (a Describe reads the cluster and its maintenance
			// configurations at once), enough for this upgrade. A request
			// sent just before a response's connection is back in the pool
			// may still dial one (Go's transport then keeps both).
			if c := h.sim.conns.Load() - conns; c > 1 {
				t.Errorf("the upgrade opened %d new connections, want at most 1: idle ones are kept and reused", c)
			}
			t.Logf("%s: %d requests (before: %d): %d cluster GETs, %d maintenance lists, %d writes, %d offer reads, %d polls of an operation status; %d new connections",
				tc.name, all, tc.before, kinds["get"], kinds["maintenance"], kinds["write"], kinds["offers"], kinds["poll"], h.sim.conns.Load()-conns)
			if all != tc.all || kinds["write"] != 1 || kinds["get"] != tc.gets || kinds["maintenance"] != 1 || kinds["offers"] != 0 || kinds["poll"] != 0 {
				t.Errorf("the upgrade sent %v; want %d requests: one write, %d cluster GETs (the last of them the operation's end), one maintenance list, no offer reads, no polls of an operation status", kinds, tc.all, tc.gets)
			}
		})
	}
}

// onePool is an engine and an AKS provider driving a simulated cloud of
// one-pool clusters whose upgrades end at once.
type onePool struct {
	*lossy
	all        []fleet.Member
	clusterIDs []string
}

func newOnePool(t *testing.T, clusters int, wrap ...func(http.Handler) http.Handler) *onePool {
	t.Helper()
	sim := newSim(t, simcloud.Options{}, wrap...)
	h := &onePool{lossy: &lossy{
		sim:     sim,
		store:   memory.New(),
		fleet:   fleet.FleetRef{Subscription: simcloud.DefaultSubscription, ResourceGroup: "rg-fleet", Fleet: "counted"},
		written: make(chan struct{}, 1),
		front:   sim.srv.URL,
	}}
	p := sim.provider(t, func(c *aks.Config) { c.Poll = aks.Poll{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond} })
	ctx := context.Background()
	frec, err := store.NewRecord(store.Fleets, h.fleet.ID(), "/subscriptions/"+h.fleet.Subscription+"/resourceGroups/"+h.fleet.ResourceGroup, "f1", "", fleet.Fleet{ID: h.fleet.ID(), Name: h.fleet.Fleet, Type: fleet.TypeFleet, Location: simRegion})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.Put(ctx, frec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for i := range clusters {
		name := fmt.Sprintf("counted-%02d", i)
		id, err := sim.cloud.CreateCluster(simcloud.ClusterSpec{
			Name: name, ResourceGroup: simGroup, Region: simRegion, KubernetesVersion: "1.30.9",
			Tags:  map[string]string{simcloud.TagUpgradeSeconds: "0"},
			Pools: []simcloud.PoolSpec{{Name: "system", Mode: "System", OSSKU: simcloud.OSSKUUbuntu, NodeImageVersion: simcloud.FamilyUbuntu2204 + "-" + oldImage}},
		})
		if err != nil {
			t.Fatal(err)
		}
		m := fleet.Member{ID: h.fleet.Child("members", name), Name: name, Type: fleet.TypeMember,
			Properties: fleet.MemberProperties{ClusterResourceID: id}}
		rec, err := store.NewRecord(store.Members, m.ID, h.fleet.ID(), "m1", "", m)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.Put(ctx, rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		h.all = append(h.all, m)
		h.clusterIDs = append(h.clusterIDs, id)
	}
	h.members, h.clusters = h.all, h.clusterIDs
	h.eng, err = engine.New(engine.Config{
		Store: h.store, Provider: p, RecheckInterval: 50 * time.Millisecond,
		Persisted: func(store.Record) {
			select {
			case h.written <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.eng.Close)
	return h
}

// runNamed creates a run named name of every member in one group, starts
// it and waits until it ends.
func (h *onePool) runNamed(t *testing.T, name string, update fleet.ManagedClusterUpdate) *fleet.UpdateRun {
	t.Helper()
	status, err := fleet.NewRunStatus(nil, h.members)
	if err != nil {
		t.Fatal(err)
	}
	run := fleet.UpdateRun{ID: h.fleet.Child("updateRuns", name), Name: name, Type: fleet.TypeUpdateRun,
		Properties: fleet.UpdateRunProperties{ProvisioningState: fleet.ProvisioningSucceeded, ManagedClusterUpdate: update, Status: status}}
	run.ETag = name
	rec, err := store.NewRecord(store.Runs, run.ID, h.fleet.ID(), name, string(fleet.NotStarted), run)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.store.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.StartRun(ctx, run.ID, ""); err != nil {
		t.Fatalf("starting the run: %v", err)
	}
	return h.waitRun(t, run.ID, "end", func(r *fleet.UpdateRun) bool {
		s := r.Properties.Status.Status.State
		return s.Finished() || s == fleet.Failed || s == fleet.Stopped
	})
}
