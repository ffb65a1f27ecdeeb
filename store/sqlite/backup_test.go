package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// A backup taken while a writer adds members holds a consistent prefix of
// its writes: every member it holds has its fleet, and the copy is a
// marked caravan database that opens.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, sqlite.FileName))
	defer s.Close()
	fleet := "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f"
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: fleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "1", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	progress := make(chan struct{}, 1)
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			rec := store.Record{Kind: store.Members, ID: fmt.Sprintf("%s/members/m-%06d", fleet, i), Parent: fleet, ETag: "1", Body: []byte(`{"properties":{}}`)}
			if err := s.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
				t.Error(err)
				return
			}
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	})
	counts := make([]int, 3)
	for i := range counts {
		<-progress
		to := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		res, err := sqlite.Backup(ctx, s.Path(), to)
		if err != nil {
			t.Fatal(err)
		}
		counts[i] = res.Records
		if id := applicationID(t, to); id != sqlite.ApplicationID {
			t.Errorf("backup has application_id 0x%08x", id)
		}
	}
	stop.Store(true)
	wg.Wait()
	for i, n := range counts {
		copy, err := sqlite.OpenExisting(ctx, filepath.Join(dir, fmt.Sprintf("backup-%d.db", i)))
		if err != nil {
			t.Fatal(err)
		}
		page, err := copy.List(ctx, store.ListOptions{Kind: store.Members, Parent: fleet})
		copy.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Members are written in order, so a consistent copy holds the
		// first n-1 of them, none missing.
		if len(page.Records) != n-1 {
			t.Fatalf("backup %d counts %d records but lists %d members", i, n, len(page.Records))
		}
		for j, rec := range page.Records {
			if want := fmt.Sprintf("%s/members/m-%06d", fleet, j); rec.ID != want {
				t.Fatalf("backup %d holds %s where %s belongs: not a prefix of the writes", i, rec.ID, want)
			}
		}
		if i > 0 && n < counts[i-1] {
			t.Fatalf("a later backup holds fewer records (%d) than an earlier one (%d)", n, counts[i-1])
		}
	}
}
