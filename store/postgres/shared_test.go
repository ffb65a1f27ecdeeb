package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/postgres/pgtest"
)

// GetShared serves a run kept in parts as Get does: checked when this
// server wrote it or read and checked it, never stale when another server
// wrote it since, and unchecked when its bytes in the database are not
// JSON, for the caller to refuse.
func TestGetSharedAcrossServers(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Start(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const fleet = "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f1"
	const id = fleet + "/updateruns/r1"
	must(a.Put(ctx, store.Record{Kind: store.Fleets, ID: fleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "f", Body: []byte(`{}`)}, store.Precondition{}))
	run := store.Record{Kind: store.Runs, ID: id, Parent: fleet, ETag: "e0", State: "Running", Body: []byte(`{"name":"r1"}`)}
	must(a.Put(ctx, run, store.Precondition{}))
	head := append(append([]byte(`{"name":"r1","members":`), store.PartsRef("m")...), '}')
	write := func(from, etag string, reset bool, parts ...store.Part) {
		t.Helper()
		run.ETag, run.Body = etag, head
		must(a.PutParts(ctx, store.PartedWrite{Record: run, Reset: reset, Parts: parts}, store.Precondition{IfMatch: from}))
	}
	want := func(label string, s store.SharedReader, body string, checked bool) {
		t.Helper()
		for range 2 {
			rec, ok, err := s.GetShared(ctx, store.Runs, id)
			must(err)
			if string(rec.Body) != body || ok != checked {
				t.Fatalf("%s: GetShared = %s, checked %v; want %s, checked %v", label, rec.Body, ok, body, checked)
			}
		}
	}
	write("e0", "e1", true, store.Part{Key: "m/0", Body: []byte(`{"n":0}`)})
	want("the writer", a, `{"name":"r1","members":[{"n":0}]}`, true)
	want("another server", b, `{"name":"r1","members":[{"n":0}]}`, true)
	write("e1", "e2", false, store.Part{Key: "m/1", Body: []byte(`{"n":1}`)})
	want("another server after a write", b, `{"name":"r1","members":[{"n":0},{"n":1}]}`, true)

	conn, err := pgx.Connect(ctx, dsn)
	must(err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `UPDATE caravan_record_parts SET body = $1 WHERE key = 'm/1'`, []byte("\xff not json"))
	must(err)
	_, err = conn.Exec(ctx, `UPDATE caravan_records SET etag = 'e3' WHERE id = $1`, id)
	must(err)
	want("a part garbled", b, `{"name":"r1","members":[{"n":0},`+"\xff not json"+`]}`, false)
}
