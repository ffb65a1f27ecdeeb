package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// cutOff is one server's view of a shared store whose lease calls can be
// cut (a server paused or partitioned from the database while its writes
// still reach it), and which counts the writes that went through.
type cutOff struct {
	*memory.Store
	cut    atomic.Bool
	writes atomic.Int64 // fenced writes that went through after the cut
	parted atomic.Int64 // fenced writes in parts that went through
}

var errCut = errors.New("the database does not answer")

func (c *cutOff) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if c.cut.Load() {
		return store.Lease{}, errCut
	}
	return c.Store.AcquireLease(ctx, name, owner, ttl)
}

func (c *cutOff) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	if c.cut.Load() {
		return store.Lease{}, errCut
	}
	return c.Store.RenewLease(ctx, l, ttl)
}

func (c *cutOff) PutLeased(ctx context.Context, rec store.Record, cond store.Precondition, l store.Lease) error {
	err := c.Store.PutLeased(ctx, rec, cond, l)
	if err == nil && c.cut.Load() {
		c.writes.Add(1)
	}
	return err
}

func (c *cutOff) PutPartsLeased(ctx context.Context, w store.PartedWrite, cond store.Precondition, l store.Lease) error {
	err := c.Store.PutPartsLeased(ctx, w, cond, l)
	if err == nil {
		c.parted.Add(1)
	}
	if err == nil && c.cut.Load() {
		c.writes.Add(1)
	}
	return err
}

func (e *env) ownedEngine(s *cutOff, owner string) *engine.Engine {
	e.t.Helper()
	return e.ownedEngineWith(s, owner, nil)
}

// ownedEngineWith is ownedEngine publishing to f.
func (e *env) ownedEngineWith(s *cutOff, owner string, f *feed.Feed) *engine.Engine {
	e.t.Helper()
	eng, err := engine.New(engine.Config{
		Feed:            f,
		Store:           s,
		Provider:        e.cloud,
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

// A server cut off from the database's leases loses its run to another
// within the lease's time to live and a scan; from then on it writes
// nothing and begins nothing, and the new owner finishes the run without
// beginning any upgrade twice.
func TestOwnerCutOffIsTakenOverAndFenced(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		a := &cutOff{Store: shared}
		b := &cutOff{Store: shared}
		e.member("a1", "canary", "eastus", "1.30.4")
		e.member("a2", "canary", "eastus", "1.30.4")
		e.member("a3", "canary", "eastus", "1.30.4")
		id := e.createRun("r", stages("first:canary"), full("1.31.2"))
		engA := e.ownedEngine(a, "server-a")
		engB := e.ownedEngine(b, "server-b")
		e.settle()
		if _, err := engA.StartRun(context.Background(), id, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantUpgrading("a1")
		if !engA.Active(id) || engB.Active(id) {
			t.Fatalf("server A drives the run: %v, server B: %v; want A only", engA.Active(id), engB.Active(id))
		}
		// B's scans leave a run whose lease is held alone.
		e.advance(5 * time.Second)
		if engB.Active(id) {
			t.Fatal("server B took a run whose lease server A holds")
		}

		a.cut.Store(true)
		var took time.Duration
		for step := 0; !engB.Active(id); step++ {
			if step > 20 {
				t.Fatal("server B did not take the run over within 20s of server A's lease calls failing")
			}
			e.advance(time.Second)
			took += time.Second
		}
		if took > 10*time.Second {
			t.Fatalf("takeover took %s; want at most TTL + one scan interval (8s)", took)
		}
		// The upgrade in flight ends: A hears of it but may not write;
		// B records it and begins the next member.
		e.finish("a1", nil)
		e.wantUpgrading("a2")
		e.finish("a2", nil)
		e.finish("a3", nil)
		e.wantRun(id, fleet.Completed)
		if n := a.writes.Load(); n != 0 {
			t.Fatalf("server A wrote the run %d times after it lost the lease", n)
		}
		if engA.Active(id) {
			t.Fatal("server A still drives the run it lost")
		}
		begun := map[string]int{}
		for _, op := range e.cloud.Began() {
			begun[op.ClusterID]++
		}
		for c, n := range begun {
			if n != 1 {
				t.Fatalf("cluster %s had %d upgrades begun, want 1", c, n)
			}
		}
		if len(begun) != 3 {
			t.Fatalf("%d clusters upgraded, want 3", len(begun))
		}
	})
}

// A command sent to a server that does not drive the run is applied
// through the store; the owner takes the run up again from the store
// with the command applied.
func TestCommandOnAnotherServerGoesThroughTheStore(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		a := &cutOff{Store: shared}
		b := &cutOff{Store: shared}
		e.member("a1", "canary", "eastus", "1.30.4")
		e.member("a2", "canary", "eastus", "1.30.4")
		id := e.createRun("r", stages("first:canary"), full("1.31.2"))
		engA := e.ownedEngine(a, "server-a")
		engB := e.ownedEngine(b, "server-b")
		if _, err := engA.StartRun(context.Background(), id, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantUpgrading("a1")
		run, err := engB.StopRun(context.Background(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		if s := run.Properties.Status.Status.State; s != fleet.Stopping {
			t.Fatalf("stop through server B answered %s, want Stopping", s)
		}
		if engB.Active(id) {
			t.Fatal("server B drives the run after a command; server A holds its lease")
		}
		e.finish("a1", nil)
		for step := 0; e.runState(id) != fleet.Stopped; step++ {
			if step > 10 {
				t.Fatalf("run is %s 10s after the stop, want Stopped", e.runState(id))
			}
			e.advance(time.Second)
		}
		e.wantUpgrading()
		e.wantState(id, "a2", fleet.NotStarted)
	})
}

// A command applied through a server that does not drive the run reaches
// the owner within one renewal interval, though the owner has nothing to
// write meanwhile, and its transitions reach the feed of the server it
// was applied through (whose events and webhooks follow that feed).
func TestCommandOnAnotherServerReachesTheOwnerAndTheFeed(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		e.member("a1", "canary", "eastus", "1.30.4")
		e.member("a2", "canary", "eastus", "1.30.4")
		id := e.createRun("r", stages("first:canary"), full("1.31.2"))
		feedA, feedB := feed.New(), feed.New()
		engA := e.ownedEngineWith(&cutOff{Store: shared}, "server-a", feedA)
		engB := e.ownedEngineWith(&cutOff{Store: shared}, "server-b", feedB)
		if _, err := engA.StartRun(context.Background(), id, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantUpgrading("a1")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		subB := feedB.Subscribe(ctx, feed.Filter{})
		caller := feed.Caller{Name: "alice", Role: "operator"}
		if _, err := engB.StopRun(feed.WithCaller(context.Background(), caller), id, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		var stopping *feed.Change
	read:
		for {
			select {
			case c := <-subB.C:
				if c.Kind == feed.KindRun && c.New == fleet.Stopping {
					stopping = &c
				}
			default:
				break read
			}
		}
		if stopping == nil {
			t.Fatal("server B's feed has no change of the run to Stopping after a stop through it")
		}
		if stopping.Caller.Name != "alice" || stopping.Old != fleet.Running {
			t.Fatalf("the stop's change on server B's feed: %+v; want Running to Stopping by alice", *stopping)
		}
		// One renewal interval: the owner reads the run again, with the
		// stop, while a1's upgrade is still in flight.
		e.advance(2 * time.Second)
		if !engA.Active(id) || engB.Active(id) {
			t.Fatalf("after the stop, server A drives the run: %v, server B: %v; want A only", engA.Active(id), engB.Active(id))
		}
		// The upgrade ends: the owner, which has the stop, records it and
		// stops at once, with no scan to wait for.
		e.finish("a1", nil)
		if got := e.runState(id); got != fleet.Stopped {
			t.Fatalf("run is %s as soon as the upgrade in flight ended, want Stopped", got)
		}
		e.wantUpgrading()
		e.wantState(id, "a2", fleet.NotStarted)
	})
}

// A server that closes hands its runs back at once; the others take them
// at their next scan, each at most its fair share.
func TestClosedServersRunsAreSharedByTheOthers(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		e.member("a1", "canary", "eastus", "1.30.4")
		var ids []string
		for i := range 6 {
			ids = append(ids, e.createRun(fmt.Sprintf("r%d", i), stages("first:canary"), full("1.31.2")))
		}
		engA := e.ownedEngine(&cutOff{Store: shared}, "server-a")
		for _, id := range ids {
			if _, err := engA.StartRun(context.Background(), id, ""); err != nil {
				t.Fatal(err)
			}
		}
		e.settle()
		if n := engA.Driving(); n != 6 {
			t.Fatalf("server A drives %d runs, want the 6 started through it", n)
		}
		engB := e.ownedEngine(&cutOff{Store: shared}, "server-b")
		engC := e.ownedEngine(&cutOff{Store: shared}, "server-c")
		e.advance(3 * time.Second)
		if engB.Driving()+engC.Driving() != 0 {
			t.Fatal("servers B and C took runs server A holds")
		}
		engA.Close()
		leases, _, err := shared.Leases(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leases {
			if l.Owner == "server-a" {
				t.Fatalf("server A closed still holding %s", l.Name)
			}
		}
		e.advance(2 * time.Second)
		b, c := engB.Driving(), engC.Driving()
		if b+c != 6 || b > 3 || c > 3 {
			t.Fatalf("within one scan interval of A's close, B drives %d runs and C %d; want 3 each", b, c)
		}
	})
}

// Under ownership, an active run whose document does not decode is
// marked Failed by the server that takes its lease, as at start.
func TestOwnerMarksUnreadableRunFailed(t *testing.T) {
	test(t, func(e *env) {
		shared := memory.NewWithClock(e.clock)
		putFleet(t, shared, e.fleet)
		id := store.CanonicalID(e.fleet.Child("updateRuns", "garbled"))
		rec := store.Record{Kind: store.Runs, ID: id, Parent: store.CanonicalID(e.fleet.ID()), ETag: "e1", State: "Running", Body: []byte("{\"properties\":\xff")}
		if err := shared.Put(context.Background(), rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		eng := e.ownedEngine(&cutOff{Store: shared}, "server-a")
		e.settle()
		run, got, err := store.Load[fleet.UpdateRun](context.Background(), shared, store.Runs, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != "Failed" || run.Properties.Status.Status.Error == nil || run.Properties.Status.Status.Error.Code != engine.CodeStoredRunUnreadable {
			t.Fatalf("the unreadable run is stored as %s, %+v; want Failed, %s", got.State, run.Properties.Status, engine.CodeStoredRunUnreadable)
		}
		if eng.Driving() != 0 {
			t.Fatal("the server drives the unreadable run")
		}
		leases, _, _ := shared.Leases(context.Background(), id)
		if len(leases) != 0 {
			t.Fatalf("the unreadable run's lease is still held: %+v", leases)
		}
	})
}

// Under ownership a run kept in parts is written in parts, fenced by its
// lease: once written whole, a member's transition writes that member,
// its group and stage and the summary, not the fleet.
func TestOwnerWritesOnlyThePartsThatChanged(t *testing.T) {
	test(t, func(e *env) {
		shared := e.shareStore()
		const members = 200
		for i := range members {
			e.member(fmt.Sprintf("m%03d", i), "canary", "eastus", "1.30.4")
		}
		id := e.createRun("r", stages("first:canary"), full("1.31.2"))
		a := &cutOff{Store: shared}
		eng := e.ownedEngine(a, "server-a")
		if _, err := eng.StartRun(context.Background(), id, ""); err != nil {
			t.Fatal(err)
		}
		e.settle()
		e.wantUpgrading("m000")
		_, whole, err := store.Load[fleet.UpdateRun](context.Background(), shared, store.Runs, id)
		if err != nil {
			t.Fatal(err)
		}
		writes0, bytes0 := eng.Writes()
		parted0 := a.parted.Load()
		e.finish("m000", nil)
		e.wantUpgrading("m001")
		writes, bytes := eng.Writes()
		if writes == writes0 || a.parted.Load()-parted0 != writes-writes0 {
			t.Fatalf("a member's transition made %d writes, %d of them fenced writes in parts; want at least one, all in parts", writes-writes0, a.parted.Load()-parted0)
		}
		per := (bytes - bytes0) / (writes - writes0)
		if per*10 > int64(len(whole.Body)) {
			t.Fatalf("a transition wrote %d bytes per write of a %d-byte run: want a tenth of it at most", per, len(whole.Body))
		}
		t.Logf("%d-byte run: %d bytes per write of a transition", len(whole.Body), per)
		// The engine's tests check each write in parts against the whole
		// document (checkEncoding); the store's reads assemble it.
		if got := e.state(id, "m000"); got != fleet.Completed {
			t.Fatalf("member m000 is %s after its upgrade, want Completed", got)
		}
	})
}
