package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/migrate"
	"github.com/caravan-dev/caravan/store/sqlite"
	"github.com/caravan-dev/caravan/store/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store {
			return open(t, filepath.Join(t.TempDir(), "caravan.db"))
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			path := s.(*sqlite.Store).Path()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, path)
		},
	})
}

func TestOpenCreatesPrivateDirectoryAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "nested", "caravan.db")
	s := open(t, path)
	defer s.Close()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700 | os.ModeDir, path: 0o600} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, info.Mode(), want)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caravan.db")
	open(t, path).Close()

	// A newer caravan has moved the schema on.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO caravan_schema_versions (version, name) VALUES (99, 'future')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database whose schema is newer than this caravan knows")
	}
	var tooNew *migrate.TooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 99 {
		t.Fatalf("got %v, want a migrate.TooNewError for version 99", err)
	}
	for _, want := range []string{path, fmt.Sprintf("the database schema is version 99 but this caravan knows up to %d", schemaSteps(t)), "upgrade caravan or point it at another database"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
}

func TestOpenMigratesOnceAndRecordsVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caravan.db")
	open(t, path).Close()
	open(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, version int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM caravan_schema_versions`).Scan(&n, &version); err != nil {
		t.Fatal(err)
	}
	if want := schemaSteps(t); n != want || version != want {
		t.Fatalf("after opening twice, %d versions recorded up to %d, want %d up to %d", n, version, want, want)
	}
}

func TestOpenRefusesWhatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("opened a text file as a database")
	} else if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name the file", err)
	}
}

func TestOpenRefusesEmptyPath(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), ""); err == nil {
		t.Fatal("opened a database with no path")
	}
}

// A 10,000-member fleet with a run document of a few megabytes: the sizes
// caravan's engine writes and pages through.
func TestLargeRunAndTenThousandMembers(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "caravan.db"))
	defer s.Close()

	fleet := "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f"
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: fleet, Parent: "/subscriptions/s/resourcegroups/g", ETag: "1", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	run := store.Record{Kind: store.Runs, ID: fleet + "/updateruns/r", Parent: fleet, ETag: "1", State: "Running"}
	run.Body = bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16)
	if err := s.Put(ctx, run, store.Precondition{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	next := run
	next.ETag, next.Body = "2", bytes.Repeat([]byte("fedcba9876543210"), 2<<20/16)
	if err := s.Put(ctx, next, store.Precondition{IfMatch: "1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, store.Runs, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != "2" || !bytes.Equal(got.Body, next.Body) {
		t.Fatalf("the 2 MB run came back with etag %s and %d bytes", got.ETag, len(got.Body))
	}

	const members = 10000
	for i := range members {
		rec := store.Record{Kind: store.Members, ID: fmt.Sprintf("%s/members/m-%05d", fleet, i), Parent: fleet, ETag: "1", Body: []byte(`{"properties":{}}`)}
		if err := s.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
			t.Fatal(err)
		}
	}
	after, seen, pages := "", 0, 0
	for {
		page, err := s.List(ctx, store.ListOptions{Kind: store.Members, Parent: fleet, Limit: 100, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range page.Records {
			if want := fmt.Sprintf("%s/members/m-%05d", fleet, seen); rec.ID != want {
				t.Fatalf("record %d is %s, want %s", seen, rec.ID, want)
			}
			seen++
		}
		pages++
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if seen != members || pages != members/100 {
		t.Fatalf("paged through %d members in %d pages, want %d in %d", seen, pages, members, members/100)
	}

	// Deleting the fleet takes its members and its run with it.
	if err := s.Delete(ctx, store.Fleets, fleet, store.Precondition{IfMatch: "1"}); err != nil {
		t.Fatal(err)
	}
	page, err := s.List(ctx, store.ListOptions{Kind: store.Members, Parent: fleet, Limit: 1})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("after deleting the fleet, listing members gave %d records (error %v)", len(page.Records), err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "caravan.db"))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := store.Record{Kind: store.Fleets, ID: "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f", Body: []byte(`{}`)}
	if err := s.Put(ctx, rec, store.Precondition{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a canceled context returned %v, want context.Canceled", err)
	}
	if _, err := s.Get(ctx, store.Fleets, rec.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a canceled context returned %v, want context.Canceled", err)
	}
}

func TestEmptyBody(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "caravan.db"))
	defer s.Close()
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: "/f", ETag: "e"}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for i, body := range [][]byte{nil, {}, {0xff, 0x00}} {
		rec := store.Record{Kind: store.Runs, ID: fmt.Sprintf("/f/updateruns/r%d", i), Parent: "/f", ETag: "e", Body: body}
		if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, store.Runs, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, body) {
			t.Fatalf("stored body %q, got back %q", body, got.Body)
		}
	}
}

func TestEventLogConformance(t *testing.T) {
	storetest.RunEventLog(t, func(t *testing.T) store.EventLog {
		s := open(t, filepath.Join(t.TempDir(), "caravan.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// schemaSteps is how many schema migrations this caravan carries.
func schemaSteps(t testing.TB) int {
	files, err := filepath.Glob("schema/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema migrations found: %v", err)
	}
	return len(files)
}
