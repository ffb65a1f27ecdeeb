package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/caravan-dev/caravan/store"
)

// framesOf returns how many pages f's writes added to the write-ahead
// log, which begins empty.
func framesOf(t *testing.T, s *Store, f func()) int {
	t.Helper()
	ctx := context.Background()
	if _, err := s.checkpointDB.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	f()
	var busy, frames, copied int
	if err := s.checkpointDB.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	return frames
}

// A write that keeps a record's kind, parent and state (a run's summary,
// a cluster's observation: most writes) changes the record's page and no
// index's: SQLite would rewrite the entry of every index on a column the
// statement assigns, even to the value it had. One that changes its state
// moves it in the index of states.
func TestWritesThatKeepIndexedColumnsLeaveTheIndexesAlone(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const group = "/subscriptions/s/resourcegroups/g"
	fleet := func(i int) string {
		return fmt.Sprintf("%s/providers/microsoft.containerservice/fleets/f%03d", group, i)
	}
	// Enough records that the table and each index span several pages.
	for i := range 300 {
		must(s.Put(ctx, store.Record{Kind: store.Fleets, ID: fleet(i), Parent: group, ETag: "e0", State: "Succeeded", Body: []byte(`{"pad":"` + fmt.Sprintf("%0200d", i) + `"}`)}, store.Precondition{}))
	}
	rec := store.Record{Kind: store.Fleets, ID: fleet(150), Parent: group, ETag: "e1", State: "Succeeded", Body: []byte(`{"n":1}`)}
	if n := framesOf(t, s, func() { must(s.Put(ctx, rec, store.Precondition{})) }); n != 1 {
		t.Errorf("a write keeping kind, parent and state added %d pages to the log, want 1 (the record's)", n)
	}
	rec.ETag, rec.Body = "e2", []byte(`{"n":2}`)
	if n := framesOf(t, s, func() { must(s.Put(ctx, rec, store.Precondition{IfMatch: "e1"})) }); n != 1 {
		t.Errorf("a conditional write keeping kind, parent and state added %d pages to the log, want 1", n)
	}
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: fleet(150), Parent: group, ETag: "e3", State: "Succeeded", Body: []byte(`{}`)}, store.Precondition{IfMatch: "e1"}); err != store.ErrPreconditionFailed {
		t.Errorf("a write at a stale ETag: %v, want ErrPreconditionFailed", err)
	}
	rec.ETag, rec.State = "e3", "Deleting"
	if n := framesOf(t, s, func() { must(s.Put(ctx, rec, store.Precondition{IfMatch: "e2"})) }); n < 2 {
		t.Errorf("a write changing the state added %d pages to the log, want the index of states too", n)
	}
	got, err := s.Get(ctx, store.Fleets, fleet(150))
	must(err)
	if got.ETag != "e3" || got.State != "Deleting" || string(got.Body) != `{"n":2}` {
		t.Errorf("stored %+v, want the last write", got)
	}

	// A run's summary and a changed part, keeping its parent and state.
	run := store.Record{Kind: store.Runs, ID: fleet(7) + "/updateruns/r", Parent: fleet(7), ETag: "r0", State: "Running", Body: []byte(`{}`)}
	must(s.Put(ctx, run, store.Precondition{}))
	run.ETag, run.Body = "r1", append(append([]byte(`{"members":`), store.PartsRef("m")...), '}')
	must(s.PutParts(ctx, store.PartedWrite{Record: run, Reset: true, Parts: []store.Part{{Key: "m/0", Body: []byte(`{"n":0}`)}}}, store.Precondition{IfMatch: "r0"}))
	run.ETag = "r2"
	write := store.PartedWrite{Record: run, Parts: []store.Part{{Key: "m/0", Body: []byte(`{"n":1}`)}}}
	if n := framesOf(t, s, func() { must(s.PutParts(ctx, write, store.Precondition{IfMatch: "r1"})) }); n != 2 {
		t.Errorf("a write in parts keeping the run's parent and state added %d pages to the log, want 2 (the summary's and the part's)", n)
	}
	run.ETag, run.State = "r3", "Completed"
	write = store.PartedWrite{Record: run, Parts: []store.Part{{Key: "m/0", Body: []byte(`{"n":2}`)}}}
	must(s.PutParts(ctx, write, store.Precondition{IfMatch: "r2"}))
	page, err := s.List(ctx, store.ListOptions{Kind: store.Runs, States: []string{"Completed"}})
	must(err)
	if len(page.Records) != 1 || page.Records[0].ETag != "r3" {
		t.Errorf("runs listed as Completed: %+v, want the run, moved in the index of states", page.Records)
	}
	if err := s.PutParts(ctx, write, store.Precondition{IfMatch: "r2"}); err != store.ErrPreconditionFailed {
		t.Errorf("a write in parts at a stale ETag: %v, want ErrPreconditionFailed", err)
	}
}
