package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// A group's next member is read while the one before it upgrades, so the
// slot its predecessor frees is taken without waiting for a read: here
// the cluster cannot be read at all by the time its turn comes, and it
// begins anyway, on the read made ahead.
func TestFreedSlotBeginsNextMemberOnReadMadeAhead(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		e.member("c", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading("a")
		// The window is the group's concurrency (1): b is read, c not yet.
		if got := [2]int{e.reads.get("b"), e.reads.get("c")}; got != [2]int{1, 0} {
			t.Fatalf("reads of b and c while a upgrades: %v, want [1 0]", got)
		}
		e.wantState(id, "b", fleet.NotStarted)
		e.cloud.FailDescribe(clusterID("b"), cluster.Errorf(cluster.Transient, "", "the cloud does not answer"))
		e.finish("a", nil)
		e.wantState(id, "a", fleet.Completed)
		e.wantUpgrading("b")
		e.wantState(id, "b", fleet.Running)
		if got := e.reads.get("b"); got != 1 {
			t.Fatalf("b was read %d times before it began, want once (ahead)", got)
		}
		if got := e.reads.get("c"); got != 1 {
			t.Fatalf("c was read %d times while b upgrades, want once (ahead)", got)
		}
		e.cloud.FailDescribe(clusterID("b"), nil)
		e.finish("b", nil)
		e.finish("c", nil)
		e.wantRun(id, fleet.Completed)
	})
}

// A read made ahead that is older than the recheck interval when the
// member's turn comes is not trusted: the cluster is read again.
func TestStaleReadAheadIsReadAgain(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		if got := e.reads.get("b"); got != 1 {
			t.Fatalf("b read %d times while a upgrades, want 1", got)
		}
		e.advance(time.Minute + time.Second) // the env's recheck interval
		e.finish("a", nil)
		e.wantUpgrading("b")
		if got := e.reads.get("b"); got != 2 {
			t.Fatalf("b read %d times, want 2: the read made ahead was stale", got)
		}
	})
}

// A read made ahead that failed is not used: the member is read at its
// turn, as without reading ahead.
func TestFailedReadAheadIsReadAtTurn(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		e.cloud.FailDescribe(clusterID("b"), errors.New("no answer"))
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		ahead := e.reads.get("b")
		if ahead == 0 {
			t.Fatal("b was not read ahead while a upgrades")
		}
		e.cloud.FailDescribe(clusterID("b"), nil)
		e.finish("a", nil)
		e.wantUpgrading("b")
		if got := e.reads.get("b"); got != ahead+1 {
			t.Fatalf("b read %d times, want %d: once more at its turn", got, ahead+1)
		}
	})
}

// While a run waits after a stage, the next stage's first members are
// read shortly before the wait ends (not at its start, when the read
// would be stale by then), and begin on that read.
func TestNextStageReadDuringWait(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g1", "eastus", "1.30.4")
		e.member("x", "g2", "eastus", "1.30.4")
		e.member("y", "g2", "eastus", "1.30.4")
		id := e.createRun("r", stages("s1/600:g1;s2:g2"), full("1.31.2"))
		e.start(id)
		e.finish("a", nil)
		if w := e.run(id).Properties.Status.Stages[0].AfterStageWaitStatus.Status.State; w != fleet.Running {
			t.Fatalf("the wait after s1 is %s, want Running", w)
		}
		if got := e.reads.get("x"); got != 0 {
			t.Fatalf("x read %d times at the start of a 600 s wait, want 0", got)
		}
		e.advance(580 * time.Second)
		if got := [2]int{e.reads.get("x"), e.reads.get("y")}; got != [2]int{1, 0} {
			t.Fatalf("reads of x and y 20 s before the wait ends: %v, want [1 0] (the first wave of a group of concurrency 1)", got)
		}
		e.advance(20 * time.Second)
		e.wantUpgrading("x")
		if got := e.reads.get("x"); got != 1 {
			t.Fatalf("x read %d times before it began, want once (ahead)", got)
		}
	})
}

// heldReads holds the reads of some clusters until released.
type heldReads struct {
	cluster.Provider
	held map[string]chan struct{} // by cluster id
}

func (p heldReads) Describe(ctx context.Context, id string) (*cluster.Cluster, error) {
	if ch, ok := p.held[id]; ok {
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return p.Provider.Describe(ctx, id)
}

// Reads ahead wait while members whose turn came are being checked, so
// that they do not compete with those members' checks and PUTs: here a's
// check waits for its read, and b, next in a's group, is read ahead only
// once a has begun.
func TestReadAheadWaitsForTurnsBeingChecked(t *testing.T) {
	test(t, func(e *env) {
		e.eng.Close()
		release := make(chan struct{})
		e.wrap = func(inner cluster.Provider) cluster.Provider {
			return heldReads{Provider: inner, held: map[string]chan struct{}{clusterID("a"): release}}
		}
		e.startEngine()
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading()
		if n := e.reads.get("b"); n != 0 {
			t.Fatalf("b read %d times while a's turn is being checked, want 0", n)
		}
		close(release)
		e.settle()
		e.wantUpgrading("a")
		if n := e.reads.get("b"); n != 1 {
			t.Fatalf("b read %d times once a began, want 1 (ahead)", n)
		}
		e.finish("a", nil)
		e.wantUpgrading("b")
		if n := e.reads.get("b"); n != 1 {
			t.Fatalf("b read %d times before it began, want once (ahead)", n)
		}
	})
}
