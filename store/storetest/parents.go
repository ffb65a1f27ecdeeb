package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/store"
)

// childNeedsParent: a record whose kind lives in a parent is written only
// while the parent exists, whatever the precondition.
func childNeedsParent(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, cond := range []store.Precondition{{}, {IfNoneMatch: "*"}, {IfMatch: "*"}, {IfMatch: "e"}, {IfNoneMatch: "e"}} {
		for _, kind := range []store.Kind{store.Members, store.Strategies, store.Runs} {
			err := s.Put(ctx, childRec(kind, "nofleet", "c1", "e"), cond)
			if !errors.Is(err, store.ErrParentNotFound) || !errors.Is(err, store.ErrPreconditionFailed) {
				t.Fatalf("writing a %s of a fleet that does not exist with %+v: got %v, want ErrParentNotFound, which is an ErrPreconditionFailed", kind, cond, err)
			}
		}
	}
	// The parent must be of the parent kind: a member is no fleet.
	putFleets(t, s, "f1")
	m := childRec(store.Members, "f1", "m1", "e")
	must(t, s.Put(ctx, m, store.Precondition{IfNoneMatch: "*"}))
	under := store.Record{Kind: store.Runs, ID: m.ID + "/updateruns/r", Parent: m.ID, ETag: "e", Body: []byte(`{}`)}
	wantErr(t, s.Put(ctx, under, store.Precondition{}), store.ErrParentNotFound)
	// Once the fleet is gone, so is every way of writing into it.
	must(t, s.Delete(ctx, store.Fleets, fleetRec("f1", "").ID, store.Precondition{}))
	for _, cond := range []store.Precondition{{}, {IfMatch: "e"}, {IfMatch: "*"}, {IfNoneMatch: "*"}} {
		wantErr(t, s.Put(ctx, m, cond), store.ErrParentNotFound)
	}
	// Fleets have no stored parent and need none.
	must(t, s.Put(ctx, fleetRec("f2", "e"), store.Precondition{IfNoneMatch: "*"}))
}

// deleteRacesChildWrites deletes a fleet while writers create and replace
// its members, strategies and runs with every kind of precondition, over
// many randomised trials, and checks that no child outlives the delete:
// none is readable, none is listed, and none comes back when the fleet is
// created again.
func deleteRacesChildWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed))
	trials := 25
	if testing.Short() {
		trials = 10
	}
	conds := []store.Precondition{{}, {IfNoneMatch: "*"}, {IfMatch: "*"}, {IfMatch: "e"}}
	kinds := []store.Kind{store.Members, store.Strategies, store.Runs}
	for trial := range trials {
		name := fmt.Sprintf("race-%d", trial)
		fleet := fleetRec(name, "e")
		must(t, s.Put(ctx, fleet, store.Precondition{IfNoneMatch: "*"}))
		writers := 2 + rnd.IntN(4)
		// The delete comes after a random number of writes.
		deleteAfter := rnd.IntN(writers * 4)
		var wg sync.WaitGroup
		var mu sync.Mutex
		writes := 0
		deleteNow := make(chan struct{})
		errs := make(chan error, writers+1)
		for w := range writers {
			wseed := rnd.Uint64()
			wg.Go(func() {
				r := rand.New(rand.NewPCG(wseed, uint64(w)))
				for i := 0; ; i++ {
					kind := kinds[r.IntN(len(kinds))]
					rec := childRec(kind, name, fmt.Sprintf("c-%d-%d", w, r.IntN(6)), "e")
					err := s.Put(ctx, rec, conds[r.IntN(len(conds))])
					switch {
					case errors.Is(err, store.ErrParentNotFound):
						return
					case err != nil && !errors.Is(err, store.ErrPreconditionFailed):
						errs <- fmt.Errorf("writing %s: %w", rec.ID, err)
						return
					}
					mu.Lock()
					writes++
					if writes == deleteAfter+1 {
						close(deleteNow)
					}
					mu.Unlock()
				}
			})
		}
		writersDone := make(chan struct{})
		go func() { wg.Wait(); close(writersDone) }()
		if deleteAfter > 0 { // else delete before (or as) the first write lands
			select {
			case <-deleteNow:
			case <-writersDone: // a writer failed; reported below
			}
		}
		if err := s.Delete(ctx, store.Fleets, fleet.ID, store.Precondition{}); err != nil {
			t.Fatalf("trial %d: deleting the fleet: %v", trial, err)
		}
		<-writersDone
		close(errs)
		for err := range errs {
			t.Fatalf("trial %d: %v", trial, err)
		}
		// Nothing of the fleet is left, and re-creating it brings
		// nothing back.
		must(t, s.Put(ctx, fleet, store.Precondition{IfNoneMatch: "*"}))
		for _, kind := range kinds {
			page, err := s.List(ctx, store.ListOptions{Kind: kind, Parent: fleet.ID})
			must(t, err)
			if len(page.Records) > 0 {
				t.Fatalf("trial %d (%d writers, delete after %d writes): %d %s of the deleted fleet survived, such as %s", trial, writers, deleteAfter, len(page.Records), kind, page.Records[0].ID)
			}
			for w := range writers {
				for i := range 6 {
					id := childRec(kind, name, fmt.Sprintf("c-%d-%d", w, i), "").ID
					if _, err := s.Get(ctx, kind, id); !errors.Is(err, store.ErrNotFound) {
						t.Fatalf("trial %d: reading %s after its fleet was deleted: got %v, want ErrNotFound", trial, id, err)
					}
				}
			}
		}
		must(t, s.Delete(ctx, store.Fleets, fleet.ID, store.Precondition{}))
	}
}
