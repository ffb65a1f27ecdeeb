package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// watchedCloud is the fake cloud, noting every upgrade it refused because
// the cluster was busy with another: what two runs upgrading one cluster
// at once would run into.
type watchedCloud struct {
	*fake.Provider
	mu      sync.Mutex
	refused []string
}

func (w *watchedCloud) Upgrade(ctx context.Context, op cluster.Operation, done func(error)) error {
	err := w.Provider.Upgrade(ctx, op, done)
	if err != nil && cluster.ReasonOf(err) == cluster.Busy {
		w.mu.Lock()
		w.refused = append(w.refused, op.ClusterID)
		w.mu.Unlock()
	}
	return err
}

func (w *watchedCloud) wantNoneRefused(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.refused) != 0 {
		t.Fatalf("upgrades were begun on clusters another run was upgrading: %v", w.refused)
	}
}

// sharedEngine is a server on the shared store, driving the cloud
// through p.
func (e *env) sharedEngine(s *cutOff, owner string, p cluster.Provider) *engine.Engine {
	e.t.Helper()
	eng, err := engine.New(engine.Config{
		Store:           s,
		Provider:        p,
		Clock:           e.clock,
		RecheckInterval: time.Minute,
		NewID:           func() string { return fmt.Sprintf("id%04d", e.ids.Add(1)) },
		Ownership:       &engine.Ownership{Leaser: s, Owner: owner, TTL: 6 * time.Second, Interval: 2 * time.Second},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := eng.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(eng.Close)
	return eng
}

func (e *env) wantWaitingFor(id, member, holder string) {
	e.t.Helper()
	m := e.memberStatus(id, member)
	if m.Status.State != fleet.Pending || !strings.Contains(m.Message, "waiting for update run "+holder) {
		e.t.Fatalf("member %s of %s is %s (%q), want Pending, waiting for update run %s", member, id, m.Status.State, m.Message, holder)
	}
}

// Two runs of one fleet, driven by two servers on one store, want the
// same clusters: each cluster is upgraded by one run at a time, the other
// waiting for it, and nothing is begun on a cluster another run upgrades.
func TestTwoServersNeverUpgradeOneClusterAtOnce(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		cloud := &watchedCloud{Provider: e.cloud}
		e.member("a1", "canary", "eastus", "1.30.4")
		e.member("a2", "canary", "eastus", "1.30.4")
		r1 := e.createRun("r1", stages("first:canary"), full("1.31.2"))
		r2 := e.createRun("r2", stages("first:canary"), full("1.31.2"))
		engA := e.sharedEngine(&cutOff{Store: shared}, "server-a", cloud)
		engB := e.sharedEngine(&cutOff{Store: shared}, "server-b", cloud)
		if _, err := engA.StartRun(context.Background(), r1, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantUpgrading("a1")
		if _, err := engB.StartRun(context.Background(), r2, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		if !engA.Active(r1) || !engB.Active(r2) || engA.Active(r2) || engB.Active(r1) {
			t.Fatal("want r1 driven by server A and r2 by server B")
		}
		// r2 waits for a1 and moves on to a2.
		e.wantWaitingFor(r2, "a1", "r1")
		e.wantUpgrading("a1", "a2")
		cloud.wantNoneRefused(t)

		claims, err := shared.Claims(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 2 || claims[0].Run != store.CanonicalID(r1) || claims[1].Run != store.CanonicalID(r2) {
			t.Fatalf("claims %+v, want a1 by r1 and a2 by r2", claims)
		}

		// a1 done: r1 wants a2, which r2 holds.
		e.finish("a1", nil)
		e.advance(time.Second)
		e.wantState(r1, "a1", fleet.Completed)
		e.wantWaitingFor(r1, "a2", "r2")
		e.wantUpgrading("a2")
		e.finish("a2", nil)
		e.wantState(r2, "a2", fleet.Completed)
		// Each finds the other's cluster free at its next check (one
		// lease interval), and already at the target.
		e.advance(3 * time.Second)
		e.wantRun(r1, fleet.Completed)
		e.wantRun(r2, fleet.Completed)
		cloud.wantNoneRefused(t)
		if n := len(e.cloud.Began()); n != 2 {
			t.Fatalf("%d upgrades begun, want 2 (one per cluster)", n)
		}
		claims, err = shared.Claims(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 0 {
			t.Fatalf("claims %+v left after both runs ended, want none", claims)
		}
	})
}

// The claim of a run whose server stopped answering outlives the server's
// lease: the upgrade it began is still in flight. Another run waits until
// the run's new owner re-attaches to the upgrade and it ends.
func TestClaimOutlivesTheOwnerThatDied(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		cloud := &watchedCloud{Provider: e.cloud}
		e.member("a1", "canary", "eastus", "1.30.4")
		r1 := e.createRun("r1", stages("first:canary"), full("1.31.2"))
		r2 := e.createRun("r2", stages("first:canary"), full("1.31.2"))
		a := &cutOff{Store: shared}
		engA := e.sharedEngine(a, "server-a", cloud)
		engB := e.sharedEngine(&cutOff{Store: shared}, "server-b", cloud)
		if _, err := engA.StartRun(context.Background(), r1, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantUpgrading("a1")
		if _, err := engB.StartRun(context.Background(), r2, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantWaitingFor(r2, "a1", "r1")

		// Server A stops answering: its lease runs out and server B
		// takes r1 over; r2 goes on waiting all along.
		a.cut.Store(true)
		for step := 0; !engB.Active(r1); step++ {
			if step > 20 {
				t.Fatal("server B did not take r1 over within 20s")
			}
			e.advance(time.Second)
			e.wantWaitingFor(r2, "a1", "r1")
		}
		// The clock moves a second at a time, so that the live servers
		// renew their leases as they would.
		for range 10 {
			e.advance(time.Second)
			e.wantWaitingFor(r2, "a1", "r1")
		}
		e.wantUpgrading("a1")
		cloud.wantNoneRefused(t)
		claims, err := shared.Claims(context.Background(), r1)
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 1 || claims[0].Epoch < 2 {
			t.Fatalf("r1's claims %+v, want a1's, taken again at the new owner's epoch", claims)
		}

		e.finish("a1", nil)
		for step := 0; e.runState(r1) != fleet.Completed || e.runState(r2) != fleet.Completed; step++ {
			if step > 5 {
				t.Fatalf("5s after a1's upgrade ended, r1 is %s and r2 %s; want both Completed", e.runState(r1), e.runState(r2))
			}
			e.advance(time.Second)
		}
		e.wantState(r2, "a1", fleet.Skipped)
		cloud.wantNoneRefused(t)
		if n := len(e.cloud.Began()); n != 1 {
			t.Fatalf("%d upgrades begun, want 1", n)
		}
	})
}

// A server alone on its store finds, as it starts, the claims its runs
// took before it stopped: a cluster claimed by a run still in progress is
// not upgraded by another run until that run ends, even if nothing in
// this process holds it.
func TestStoredClaimHoldsOffAnotherRun(t *testing.T) {
	test(t, func(e *env) {
		mem := e.store.(*memory.Store)
		e.member("a1", "canary", "eastus", "1.30.4")
		r0 := e.createRun("r0", stages("first:canary"), full("1.31.2"))
		r1 := e.createRun("r1", stages("first:canary"), full("1.31.2"))
		setRunState(t, mem, r0, fleet.Running)
		if _, err := mem.ClaimCluster(context.Background(), clusterID("a1"), r0, 0, []string{"Running", "Pending", "Stopping"}); err != nil {
			t.Fatal(err)
		}
		e.start(r1)
		e.wantUpgrading()
		m := e.memberStatus(r1, "a1")
		if m.Status.State != fleet.Pending || !strings.Contains(m.Message, "waiting for update run r0, which is upgrading this cluster") {
			t.Fatalf("member a1 of r1 is %s (%q), want Pending, held off by r0's claim", m.Status.State, m.Message)
		}
		// r0 ends: its claim lapses, and r1 upgrades a1 at its next check.
		setRunState(t, mem, r0, fleet.Completed)
		e.advance(time.Minute)
		e.wantUpgrading("a1")
		e.finish("a1", nil)
		e.wantRun(r1, fleet.Completed)
		claims, err := mem.Claims(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 0 {
			t.Fatalf("claims %+v after r1 ended, want none", claims)
		}
	})
}

// setRunState changes the state the store records for a run.
func setRunState(t *testing.T, s store.Store, id string, state fleet.State) {
	t.Helper()
	rec, err := s.Get(context.Background(), store.Runs, store.CanonicalID(id))
	if err != nil {
		t.Fatal(err)
	}
	rec.State = string(state)
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// releaseCounter is a memory store that counts the claims released by
// ReleaseClaim.
type releaseCounter struct {
	*memory.Store
	released atomic.Int64
}

func (r *releaseCounter) ReleaseClaim(ctx context.Context, cluster, run string, epoch int64) error {
	r.released.Add(1)
	return r.Store.ReleaseClaim(ctx, cluster, run, epoch)
}

// The write that records a member's end releases its cluster's claim in
// the same transaction: the claim is gone as soon as the end is stored,
// and no separate release follows.
func TestTheEndsWriteReleasesTheClaim(t *testing.T) {
	test(t, func(e *env) {
		w := &releaseCounter{Store: memory.NewWithClock(e.clock)}
		e.eng.Close()
		e.store = w
		putFleet(t, w, e.fleet)
		e.startEngine()
		e.member("a1", "canary", "eastus", "1.30.4")
		e.member("a2", "canary", "eastus", "1.30.4")
		r := e.createRun("r", stages("first:canary"), full("1.31.2"))
		e.start(r)
		e.wantUpgrading("a1")
		held := func() []string {
			claims, err := w.Claims(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range claims {
				out = append(out, c.Cluster[strings.LastIndex(c.Cluster, "/")+1:])
			}
			return out
		}
		if got := held(); !slices.Equal(got, []string{"a1"}) {
			t.Fatalf("claims on %v while a1 upgrades, want a1", got)
		}
		e.finish("a1", nil)
		e.wantState(r, "a1", fleet.Completed)
		e.wantUpgrading("a2")
		if got := held(); !slices.Equal(got, []string{"a2"}) {
			t.Fatalf("claims on %v after a1's end was written and a2 began, want only a2", got)
		}
		e.finish("a2", nil)
		e.wantRun(r, fleet.Completed)
		if got := held(); len(got) != 0 {
			t.Fatalf("claims on %v after the run, want none", got)
		}
		if n := w.released.Load(); n != 0 {
			t.Fatalf("%d claims were released apart from the writes that recorded their ends, want none", n)
		}
	})
}
