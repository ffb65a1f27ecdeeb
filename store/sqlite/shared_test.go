package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// GetShared and ListShared serve a run kept in parts as Get and List do, checked when it is
// what this store wrote or what it read and checked; bytes in the
// database that are not JSON are served unchecked, for the caller to
// refuse, and a body changed in the database under the same ETag is read
// again, never served from what was kept.
func TestSharedReadsAreCheckedOnlyWhenKnownGood(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	s := open(t, path)
	const fleet = "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f1"
	const id = fleet + "/updateruns/r1"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Put(ctx, store.Record{Kind: store.Fleets, ID: fleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "f", Body: []byte(`{}`)}, store.Precondition{}))
	run := store.Record{Kind: store.Runs, ID: id, Parent: fleet, ETag: "e0", State: "Running", Body: []byte(`{"name":"r1"}`)}
	must(s.Put(ctx, run, store.Precondition{}))
	run.ETag = "e1"
	run.Body = append(append([]byte(`{"name":"r1","members":`), store.PartsRef("m")...), '}')
	must(s.PutParts(ctx, store.PartedWrite{Record: run, Reset: true, Parts: []store.Part{
		{Key: "m/0", Body: []byte(`{"n":0}`)}, {Key: "m/1", Body: []byte(`{"n":1}`)},
	}}, store.Precondition{IfMatch: "e0"}))
	const whole = `{"name":"r1","members":[{"n":0},{"n":1}]}`

	want := func(label string, wantBody string, wantChecked bool) {
		t.Helper()
		for range 2 {
			rec, checked, err := s.GetShared(ctx, store.Runs, id)
			must(err)
			if string(rec.Body) != wantBody || checked != wantChecked {
				t.Fatalf("%s: GetShared = %s, checked %v; want %s, checked %v", label, rec.Body, checked, wantBody, wantChecked)
			}
		}
		page, listed, err := s.ListShared(ctx, store.ListOptions{Kind: store.Runs})
		must(err)
		if len(page.Records) != 1 || string(page.Records[0].Body) != wantBody || listed[0] != wantChecked {
			t.Fatalf("%s: ListShared = %+v, checked %v; want %s, checked %v", label, page.Records, listed, wantBody, wantChecked)
		}
		got, err := s.Get(ctx, store.Runs, id)
		must(err)
		if string(got.Body) != wantBody {
			t.Fatalf("%s: Get = %s, want %s", label, got.Body, wantBody)
		}
		got.Body[0] = 'X' // Get's body is the caller's
		page, err = s.List(ctx, store.ListOptions{Kind: store.Runs})
		must(err)
		page.Records[0].Body[0] = 'X' // and so is List's
	}
	want("as written", whole, true)
	s.Close()

	// Read from the database afresh, then with a part garbled.
	s = open(t, path)
	want("read back", whole, true)
	s.Close()
	db, err := sql.Open("sqlite", path)
	must(err)
	_, err = db.Exec(`UPDATE caravan_record_parts SET body = ? WHERE key = 'm/1'`, []byte("\xff not json"))
	must(err)
	db.Close()
	s = open(t, path)
	want("a part garbled", `{"name":"r1","members":[{"n":0},`+"\xff not json"+`]}`, false)

	// A body changed under the store's feet, ETag and all, is read again.
	run.ETag = "e2"
	must(s.PutParts(ctx, store.PartedWrite{Record: run, Reset: true, Parts: []store.Part{{Key: "m/0", Body: []byte(`{"n":0}`)}}}, store.Precondition{IfMatch: "e1"}))
	want("rewritten", `{"name":"r1","members":[{"n":0}]}`, true)
	db, err = sql.Open("sqlite", path)
	must(err)
	defer db.Close()
	_, err = db.Exec(`UPDATE caravan_records SET body = ? WHERE id = ?`, append(append([]byte(`{"name":"changed","members":`), store.PartsRef("m")...), '}'), id)
	must(err)
	want("changed in the database", `{"name":"changed","members":[{"n":0}]}`, true)
	s.Close()
}
