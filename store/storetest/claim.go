package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/store"
)

// liveStates are the states of a run whose claims hold.
var liveStates = []string{"Running", "Pending", "Stopping"}

// runClaims is the section of the suite on claims on clusters, for stores
// that are store.Claimers; reopen is the Harness's Reopen.
func runClaims(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	ctx := context.Background()
	claimer := func(t *testing.T) (store.Store, store.Claimer) {
		s := open(t)
		c, ok := s.(store.Claimer)
		if !ok {
			t.Skip("the store has no claims on clusters")
		}
		putFleets(t, s, "f1")
		return s, c
	}
	// runIn writes a run in state, and returns its id.
	runIn := func(t *testing.T, s store.Store, name, state string) string {
		t.Helper()
		rec := childRec(store.Runs, "f1", name, "e-"+state)
		rec.State = state
		must(t, s.Put(ctx, rec, store.Precondition{}))
		return rec.ID
	}
	const (
		x = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.ContainerService/managedClusters/X"
		y = "/subscriptions/sub-1/resourcegroups/rg-1/providers/microsoft.containerservice/managedclusters/y"
	)
	claim := func(c store.Claimer, cluster, run string, epoch int64) (store.Claim, error) {
		return c.ClaimCluster(ctx, cluster, run, epoch, liveStates)
	}
	holder := func(t *testing.T, err error) string {
		t.Helper()
		var ce *store.ClaimedError
		if !errors.Is(err, store.ErrClusterClaimed) || !errors.As(err, &ce) {
			t.Fatalf("got error %v, want a *store.ClaimedError", err)
		}
		return ce.Holder.Run
	}

	t.Run("ClaimIsExclusive", func(t *testing.T) {
		s, c := claimer(t)
		a, b := runIn(t, s, "a", "Running"), runIn(t, s, "b", "Running")
		got, err := claim(c, x, a, 1)
		must(t, err)
		if got.Cluster != store.CanonicalID(x) || got.Run != a || got.Epoch != 1 || got.Since.IsZero() {
			t.Fatalf("claimed %+v", got)
		}
		_, err = claim(c, x, b, 7)
		if h := holder(t, err); h != a {
			t.Fatalf("the refusal names %s as the holder, want %s", h, a)
		}
		again, err := claim(c, store.CanonicalID(x), a, 1)
		must(t, err)
		if !again.Since.Equal(got.Since) {
			t.Fatalf("claiming again moved the claim's start from %s to %s", got.Since, again.Since)
		}
		_, err = claim(c, y, b, 1)
		must(t, err)
		all, err := c.Claims(ctx, "")
		must(t, err)
		if len(all) != 2 || all[0].Cluster != store.CanonicalID(x) || all[0].Run != a || all[1].Cluster != y || all[1].Run != b {
			t.Fatalf("claims %+v, want x by a and y by b", all)
		}
		mine, err := c.Claims(ctx, b)
		must(t, err)
		if len(mine) != 1 || mine[0].Cluster != y {
			t.Fatalf("claims of b %+v, want y", mine)
		}
	})

	t.Run("ReleaseFreesTheCluster", func(t *testing.T) {
		s, c := claimer(t)
		a, b := runIn(t, s, "a", "Running"), runIn(t, s, "b", "Running")
		_, err := claim(c, x, a, 1)
		must(t, err)
		must(t, c.ReleaseClaim(ctx, x, b, 9)) // not b's: nothing happens
		holder(t, second(claim(c, x, b, 1)))
		must(t, c.ReleaseClaim(ctx, x, a, 1))
		_, err = claim(c, x, b, 1)
		must(t, err)
		must(t, c.ReleaseClaim(ctx, x, b, 1))
		must(t, c.ReleaseClaim(ctx, x, b, 1)) // twice is fine
		left, err := c.Claims(ctx, "")
		must(t, err)
		if len(left) != 0 {
			t.Fatalf("claims %+v after releasing, want none", left)
		}
	})

	t.Run("ReleaseClaimsOfARun", func(t *testing.T) {
		s, c := claimer(t)
		a, b := runIn(t, s, "a", "Running"), runIn(t, s, "b", "Running")
		_, err := claim(c, x, a, 2)
		must(t, err)
		_, err = claim(c, y, a, 2)
		must(t, err)
		must(t, c.ReleaseClaims(ctx, a, 1)) // an older epoch releases nothing
		holder(t, second(claim(c, y, b, 1)))
		must(t, c.ReleaseClaims(ctx, a, 2))
		for _, cl := range []string{x, y} {
			_, err = claim(c, cl, b, 1)
			must(t, err)
		}
	})

	t.Run("ReleasedByTheRunsPartedWrite", func(t *testing.T) {
		s, c := claimer(t)
		ps, ok := s.(store.PartStore)
		if !ok {
			t.Skip("the store does not keep records in parts")
		}
		a, b := runIn(t, s, "a", "Running"), runIn(t, s, "b", "Running")
		_, err := claim(c, x, a, 2)
		must(t, err)
		_, err = claim(c, y, b, 1)
		must(t, err)
		rec := childRec(store.Runs, "f1", "a", "e2")
		rec.State = "Running"
		write := func(etag, ifMatch string, epoch int64) error {
			rec.ETag = etag
			return ps.PutParts(ctx, store.PartedWrite{Record: rec, Release: []string{x, y}, ReleaseEpoch: epoch}, store.Precondition{IfMatch: ifMatch})
		}
		// A write refused by its precondition releases nothing.
		if err := write("e2", "stale", 2); !errors.Is(err, store.ErrPreconditionFailed) {
			t.Fatalf("a write with a stale ETag: %v, want ErrPreconditionFailed", err)
		}
		holder(t, second(claim(c, x, b, 1)))
		// One at an older epoch than the claim's releases nothing either.
		must(t, write("e2", "e-Running", 1))
		holder(t, second(claim(c, x, b, 1)))
		// At the claim's epoch it releases the run's claim, and only the
		// run's: y stays b's.
		must(t, write("e3", "e2", 2))
		left, err := c.Claims(ctx, "")
		must(t, err)
		if len(left) != 1 || left[0].Cluster != y || left[0].Run != b {
			t.Fatalf("claims %+v after the write, want only y by b", left)
		}
	})

	t.Run("NewEpochTakesTheRunsClaim", func(t *testing.T) {
		s, c := claimer(t)
		a := runIn(t, s, "a", "Running")
		_, err := claim(c, x, a, 1)
		must(t, err)
		// The run's next owner re-attaches: the claim is its, under the
		// newer epoch, and the server that lost the run is fenced off.
		got, err := claim(c, x, a, 2)
		must(t, err)
		if got.Epoch != 2 {
			t.Fatalf("claimed again at epoch %d, want 2", got.Epoch)
		}
		_, err = claim(c, x, a, 1)
		wantErr(t, err, store.ErrLeaseLost)
		must(t, c.ReleaseClaim(ctx, x, a, 1))
		mine, err := c.Claims(ctx, a)
		must(t, err)
		if len(mine) != 1 || mine[0].Epoch != 2 {
			t.Fatalf("a release at an older epoch left %+v, want the claim at epoch 2", mine)
		}
	})

	t.Run("OutlivesItsServerWhileTheRunIsLive", func(t *testing.T) {
		s, c := claimer(t)
		b := runIn(t, s, "b", "Running")
		for _, state := range liveStates {
			a := runIn(t, s, "a", state)
			_, err := claim(c, x, a, 1)
			must(t, err)
			// Nothing renews a claim: it holds as long as its run is
			// live, whatever became of the server that took it.
			if h := holder(t, second(claim(c, x, b, 5))); h != a {
				t.Fatalf("the holder is %s, want %s (%s)", h, a, state)
			}
		}
	})

	t.Run("FreedWhenItsRunIsNoLongerLive", func(t *testing.T) {
		for _, end := range []string{"Completed", "Failed", "Stopped", "deleted"} {
			t.Run(end, func(t *testing.T) {
				s, c := claimer(t)
				a, b := runIn(t, s, "a", "Running"), runIn(t, s, "b", "Running")
				_, err := claim(c, x, a, 3)
				must(t, err)
				if end == "deleted" {
					must(t, s.Delete(ctx, store.Runs, a, store.Precondition{}))
				} else {
					runIn(t, s, "a", end)
				}
				got, err := claim(c, x, b, 1)
				must(t, err)
				if got.Run != b || got.Epoch != 1 {
					t.Fatalf("claimed %+v, want b's at epoch 1", got)
				}
				holder(t, second(claim(c, x, a, 9)))
			})
		}
	})

	// A server that starts again finds the clusters its runs' begun
	// upgrades hold still claimed.
	t.Run("SurvivesReopen", func(t *testing.T) {
		if reopen == nil {
			t.Skip("the store keeps nothing across a reopen")
		}
		s, c := claimer(t)
		a, b := runIn(t, s, "a", "Running"), runIn(t, s, "b", "Running")
		got, err := claim(c, x, a, 1)
		must(t, err)
		s = reopen(t, s)
		t.Cleanup(func() { s.Close() })
		c = s.(store.Claimer)
		if h := holder(t, second(claim(c, x, b, 1))); h != a {
			t.Fatalf("after reopening, the holder is %s, want %s", h, a)
		}
		mine, err := c.Claims(ctx, a)
		must(t, err)
		if len(mine) != 1 || mine[0].Epoch != 1 || !mine[0].Since.Equal(got.Since) {
			t.Fatalf("after reopening, a's claims %+v, want %+v", mine, got)
		}
	})

	t.Run("OneWinnerAmongMany", func(t *testing.T) {
		s, c := claimer(t)
		const n = 8
		runs := make([]string, n)
		for i := range runs {
			runs[i] = runIn(t, s, fmt.Sprintf("r%d", i), "Running")
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = claim(c, x, runs[i], 1)
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrClusterClaimed):
				t.Fatalf("run %d: %v", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d runs claimed the cluster at once, want 1", won)
		}
	})
}

func second[T any](_ T, err error) error { return err }
