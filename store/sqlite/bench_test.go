package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
)

const benchFleet = "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f"

// Rewriting a 2 MB update-run document by compare-and-set, as the engine
// does after each batch of transitions.
func BenchmarkPutRun2MB(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "caravan.db"))
	defer s.Close()
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: benchFleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "1", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		b.Fatal(err)
	}
	rec := store.Record{Kind: store.Runs, ID: benchFleet + "/updateruns/r", Parent: benchFleet, ETag: "0", State: "Running",
		Body: bytes.Repeat([]byte(`{"member":"m-0000","state":"Completed"},`), 2<<20/40)}
	if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec.Body)))
	for i := 0; b.Loop(); i++ {
		next := rec
		next.ETag = fmt.Sprint(i + 1)
		if err := s.Put(ctx, next, store.Precondition{IfMatch: rec.ETag}); err != nil {
			b.Fatal(err)
		}
		rec = next
	}
}

// Reading one 100-member page of a 10,000-member fleet.
func BenchmarkListMembersPage(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "caravan.db"))
	defer s.Close()
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: benchFleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "1", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		rec := store.Record{Kind: store.Members, ID: fmt.Sprintf("%s/members/m-%05d", benchFleet, i), Parent: benchFleet, ETag: "1", Body: []byte(`{"properties":{"clusterResourceId":"/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/managedclusters/c"}}`)}
		if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
			b.Fatal(err)
		}
	}
	after := fmt.Sprintf("%s/members/m-%05d", benchFleet, 5000)
	for b.Loop() {
		page, err := s.List(ctx, store.ListOptions{Kind: store.Members, Parent: benchFleet, After: after, Limit: 100})
		if err != nil || len(page.Records) != 100 {
			b.Fatalf("listed %d members (error %v)", len(page.Records), err)
		}
	}
}

// Reading one member of a 1,000-member fleet, as the engine does at each
// member's turn to check it is still in the fleet.
func BenchmarkGetMember(b *testing.B) {
	ctx := context.Background()
	s := benchMembers(b, 1000)
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ctx, store.Members, fmt.Sprintf("%s/members/m-%05d", benchFleet, i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}

// Reading one member while other records are written all the time, as
// the engine's membership checks run while runs are written: each read
// begins after some write, so it finds its connection's page cache out of
// date.
func BenchmarkGetMemberWhileWriting(b *testing.B) {
	ctx := context.Background()
	s := benchMembers(b, 10000)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rec := store.Record{Kind: store.Members, ID: fmt.Sprintf("%s/members/w-%05d", benchFleet, i%500), Parent: benchFleet, ETag: fmt.Sprint(i), Body: []byte(`{"properties":{}}`)}
			if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ctx, store.Members, fmt.Sprintf("%s/members/m-%05d", benchFleet, (i*7919)%10000)); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done
}

// benchMembers opens a store, closed when the benchmark ends, holding a
// fleet of n members.
func benchMembers(b *testing.B, n int) *sqlite.Store {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "caravan.db"))
	b.Cleanup(func() { s.Close() })
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: benchFleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "1", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		rec := store.Record{Kind: store.Members, ID: fmt.Sprintf("%s/members/m-%05d", benchFleet, i), Parent: benchFleet, ETag: "1", Body: []byte(`{"properties":{"clusterResourceId":"/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/managedclusters/c"}}`)}
		if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// Which of a wave's members are still in the fleet: one member, as when
// a slot frees, and 25, as when a stage begins.
func BenchmarkExisting(b *testing.B) {
	ctx := context.Background()
	s := benchMembers(b, 1000)
	for _, n := range []int{1, 25} {
		b.Run(fmt.Sprintf("%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				ids := make([]string, n)
				for j := range ids {
					ids[j] = fmt.Sprintf("%s/members/m-%05d", benchFleet, (i*n+j)%1000)
				}
				got, err := s.Existing(ctx, store.Members, ids)
				if err != nil || len(got) != n {
					b.Fatalf("Existing: %d of %d, %v", len(got), n, err)
				}
			}
		})
	}
}
