package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// runLeases is the lease section of the suite, for stores that are
// store.Leasers.
func runLeases(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	leaser := func(t *testing.T) (store.Store, store.Leaser) {
		s := open(t)
		l, ok := s.(store.Leaser)
		if !ok {
			t.Skip("the store has no leases")
		}
		return s, l
	}
	run := childRec(store.Runs, "f1", "run-1", "e1").ID

	t.Run("AcquireIsExclusive", func(t *testing.T) {
		_, s := leaser(t)
		a, err := s.AcquireLease(ctx, run, "server-a", time.Hour)
		must(t, err)
		if a.Name != run || a.Owner != "server-a" || a.Epoch < 1 {
			t.Fatalf("acquired %+v", a)
		}
		_, err = s.AcquireLease(ctx, run, "server-b", time.Hour)
		wantErr(t, err, store.ErrLeaseHeld)
		again, err := s.AcquireLease(ctx, run, "server-a", time.Hour)
		must(t, err)
		if again.Epoch != a.Epoch {
			t.Fatalf("the same owner acquiring again moved the epoch from %d to %d", a.Epoch, again.Epoch)
		}
		other, err := s.AcquireLease(ctx, run+"-other", "server-b", time.Hour)
		must(t, err)
		if other.Owner != "server-b" {
			t.Fatalf("acquired %+v", other)
		}
	})

	t.Run("ExpiryByTheStoresClock", func(t *testing.T) {
		_, s := leaser(t)
		a, err := s.AcquireLease(ctx, run, "server-a", 200*time.Millisecond)
		must(t, err)
		listed, now, err := s.Leases(ctx, "")
		must(t, err)
		if len(listed) != 1 || listed[0].Epoch != a.Epoch || listed[0].Owner != "server-a" {
			t.Fatalf("leases %+v, want server-a's", listed)
		}
		if left := listed[0].Expires.Sub(now); left <= 0 || left > 200*time.Millisecond {
			t.Fatalf("the lease has %s left by the store's clock; want (0, 200ms]", left)
		}
		b := takeOver(t, s, run, "server-b", 10*time.Second)
		if b.Epoch <= a.Epoch {
			t.Fatalf("new owner's epoch %d is not above the old owner's %d", b.Epoch, a.Epoch)
		}
		_, err = s.RenewLease(ctx, a, time.Hour)
		wantErr(t, err, store.ErrLeaseLost)
	})

	t.Run("RenewalKeepsTheLease", func(t *testing.T) {
		_, s := leaser(t)
		a, err := s.AcquireLease(ctx, run, "server-a", 500*time.Millisecond)
		must(t, err)
		r, err := s.RenewLease(ctx, a, time.Hour)
		must(t, err)
		if r.Epoch != a.Epoch || !r.Expires.After(a.Expires) {
			t.Fatalf("renewed %+v from %+v: want the same epoch and a later expiry", r, a)
		}
		listed, now, err := s.Leases(ctx, run)
		must(t, err)
		if len(listed) != 1 || listed[0].Expires.Sub(now) < 59*time.Minute {
			t.Fatalf("leases after renewal %+v at %s", listed, now)
		}
		_, err = s.AcquireLease(ctx, run, "server-b", time.Hour)
		wantErr(t, err, store.ErrLeaseHeld)
		stale := a
		stale.Epoch++
		_, err = s.RenewLease(ctx, stale, time.Hour)
		wantErr(t, err, store.ErrLeaseLost)
	})

	t.Run("FencedWrites", func(t *testing.T) {
		st, s := leaser(t)
		must(t, st.Put(ctx, fleetRec("f1", "e0"), store.Precondition{}))
		rec := childRec(store.Runs, "f1", "run-1", "e1")
		a, err := s.AcquireLease(ctx, rec.ID, "server-a", time.Hour)
		must(t, err)
		must(t, s.PutLeased(ctx, rec, store.Precondition{IfNoneMatch: "*"}, a))
		next := rec
		next.ETag, next.Body = "e2", []byte(`{"v":2}`)
		wantErr(t, s.PutLeased(ctx, next, store.Precondition{IfMatch: "e0"}, a), store.ErrPreconditionFailed)
		must(t, s.ReleaseLease(ctx, a))
		b, err := s.AcquireLease(ctx, rec.ID, "server-b", time.Hour)
		must(t, err)
		// The old owner, unaware, writes: nothing is written.
		wantErr(t, s.PutLeased(ctx, next, store.Precondition{IfMatch: "e1"}, a), store.ErrLeaseLost)
		got, err := st.Get(ctx, store.Runs, rec.ID)
		must(t, err)
		sameRecord(t, got, rec)
		must(t, s.PutLeased(ctx, next, store.Precondition{IfMatch: "e1"}, b))
		got, err = st.Get(ctx, store.Runs, rec.ID)
		must(t, err)
		sameRecord(t, got, next)
	})

	t.Run("HandingBack", func(t *testing.T) {
		_, s := leaser(t)
		a, err := s.AcquireLease(ctx, run, "server-a", time.Hour)
		must(t, err)
		must(t, s.ReleaseLease(ctx, a))
		must(t, s.ReleaseLease(ctx, a)) // twice: nothing more happens
		listed, _, err := s.Leases(ctx, "")
		must(t, err)
		if len(listed) != 0 {
			t.Fatalf("leases after release %+v, want none", listed)
		}
		_, err = s.RenewLease(ctx, a, time.Hour)
		wantErr(t, err, store.ErrLeaseLost)
		b, err := s.AcquireLease(ctx, run, "server-b", time.Hour)
		must(t, err)
		if b.Epoch != a.Epoch+1 {
			t.Fatalf("epoch after hand-back %d, want %d", b.Epoch, a.Epoch+1)
		}
		// A release of a lease that passed on leaves the new owner's.
		must(t, s.ReleaseLease(ctx, a))
		_, err = s.RenewLease(ctx, b, time.Hour)
		must(t, err)
		// The first owner coming back is a new owner too.
		must(t, s.ReleaseLease(ctx, b))
		a2, err := s.AcquireLease(ctx, run, "server-a", time.Hour)
		must(t, err)
		if a2.Epoch != b.Epoch+1 {
			t.Fatalf("epoch of the returning owner %d, want %d", a2.Epoch, b.Epoch+1)
		}
	})

	t.Run("ListByPrefix", func(t *testing.T) {
		_, s := leaser(t)
		for _, name := range []string{store.PresencePrefix + "b", run, store.PresencePrefix + "a"} {
			_, err := s.AcquireLease(ctx, name, "owner-"+name, time.Hour)
			must(t, err)
		}
		listed, _, err := s.Leases(ctx, store.PresencePrefix)
		must(t, err)
		if len(listed) != 2 || listed[0].Name != store.PresencePrefix+"a" || listed[1].Name != store.PresencePrefix+"b" {
			t.Fatalf("leases by prefix %+v", listed)
		}
	})

	t.Run("OwnersRacing", func(t *testing.T) {
		_, s := leaser(t)
		const owners = 8
		var wg sync.WaitGroup
		won := make(chan store.Lease, owners)
		errs := make(chan error, owners)
		for i := range owners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := s.AcquireLease(ctx, run, "server-"+string(rune('a'+i)), time.Hour)
				switch {
				case err == nil:
					won <- l
				case !errors.Is(err, store.ErrLeaseHeld):
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(won)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var winners []store.Lease
		for l := range won {
			winners = append(winners, l)
		}
		if len(winners) != 1 {
			t.Fatalf("%d owners acquired the lease at once: %+v", len(winners), winners)
		}
	})
}

// takeOver acquires name for owner once the lease held by another expires,
// trying again until within.
func takeOver(t *testing.T, s store.Leaser, name, owner string, within time.Duration) store.Lease {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		l, err := s.AcquireLease(context.Background(), name, owner, time.Hour)
		if err == nil {
			return l
		}
		if !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease on %s did not expire within %s", name, within)
		}
		// Each try is a round trip; the store's clock decides.
		time.Sleep(10 * time.Millisecond)
	}
}
