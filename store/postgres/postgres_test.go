package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/migrate"
	"github.com/caravan-dev/caravan/store/postgres"
	"github.com/caravan-dev/caravan/store/postgres/pgtest"
	"github.com/caravan-dev/caravan/store/storetest"
	"github.com/caravan-dev/caravan/store/verify"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	dsns := map[store.Store]string{}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store {
			dsn := pgtest.Start(t)
			s := open(t, dsn)
			mu.Lock()
			defer mu.Unlock()
			dsns[s] = dsn
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			mu.Lock()
			dsn := dsns[s]
			mu.Unlock()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, dsn)
		},
	})
}

// Two caravan servers on one database: compare-and-set holds across them.
func TestServersShareOneDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Start(t)
	servers := []*postgres.Store{open(t, dsn), open(t, dsn)}
	for _, s := range servers {
		defer s.Close()
	}
	id := "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/counter"
	if err := servers[0].Put(ctx, store.Record{Kind: store.Fleets, ID: id, ETag: "0", Body: []byte(`{}`)}, store.Precondition{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			s := servers[w%len(servers)]
			for done := 0; done < each; {
				cur, err := s.Get(ctx, store.Fleets, id)
				if err != nil {
					errs <- err
					return
				}
				var n int
				fmt.Sscan(cur.ETag, &n)
				next := cur
				next.ETag = fmt.Sprint(n + 1)
				switch err := s.Put(ctx, next, store.Precondition{IfMatch: cur.ETag}); {
				case err == nil:
					done++
				case !errors.Is(err, store.ErrPreconditionFailed):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := servers[1].Get(ctx, store.Fleets, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != fmt.Sprint(workers*each) {
		t.Fatalf("after %d compare-and-sets from two servers the counter is %s", workers*each, got.ETag)
	}
}

// Servers starting together on a new database migrate it once.
func TestServersStartingTogetherMigrateOnce(t *testing.T) {
	dsn := pgtest.Start(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT COUNT(*) FROM caravan_schema_versions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := schemaSteps(t); n != want {
		t.Fatalf("%d schema versions recorded, want %d", n, want)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := pgtest.Start(t)
	open(t, dsn).Close()
	conn := connect(t, dsn)
	if _, err := conn.Exec(context.Background(), `INSERT INTO caravan_schema_versions (version, name) VALUES (99, 'future')`); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(context.Background(), dsn)
	if err == nil {
		s.Close()
		t.Fatal("opened a database whose schema is newer than this caravan knows")
	}
	var tooNew *migrate.TooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 99 {
		t.Fatalf("got %v, want a migrate.TooNewError for version 99", err)
	}
	for _, want := range []string{fmt.Sprintf("the database schema is version 99 but this caravan knows up to %d", schemaSteps(t)), "upgrade caravan or point it at another database"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
}

func TestOpenReportsUnreachableServer(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://caravan:secret-pw@127.0.0.1:1/caravan?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("opened a database on a port nothing listens on")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1/caravan") || strings.Contains(err.Error(), "secret-pw") {
		t.Fatalf("error %q should name the server and hide the password", err)
	}
}

// Bodies are bytes, not JSON: escapes and invalid UTF-8 come back as they
// went in.
func TestBodiesRoundTripByteForByte(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.Start(t))
	defer s.Close()
	bodies := [][]byte{
		[]byte(`{"a":"\u0000","b":"\ud800"}`),
		{0xff, 0x00, 0xfe},
		{},
		nil,
		bytes.Repeat([]byte(`{"member":"m-0000","state":"Completed"},`), 80000),
	}
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: "/f", ETag: "e"}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for i, body := range bodies {
		rec := store.Record{Kind: store.Runs, ID: fmt.Sprintf("/f/updateruns/r%d", i), Parent: "/f", ETag: "e", Body: body}
		if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, store.Runs, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, body) {
			t.Fatalf("body %d: stored %d bytes, got back %d different ones", i, len(body), len(got.Body))
		}
	}
}

func TestCanceledContext(t *testing.T) {
	s := open(t, pgtest.Start(t))
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

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// caravan check's verification reads a PostgreSQL store: its schema
// version, and a member left without its fleet by a write from outside
// caravan.
func TestVerifyFindsOrphans(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Start(t)
	s := open(t, dsn)
	defer s.Close()
	fleetID := "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f"
	body := `{"id":"` + fleetID + `","name":"f","location":"eastus","properties":{}}`
	if err := s.Put(ctx, store.Record{Kind: store.Fleets, ID: fleetID, Parent: "/subscriptions/s/resourcegroups/g", ETag: "e", Body: []byte(body)}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Store(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Known < 1 || rep.Schema != rep.Known || len(rep.Problems) != 0 || rep.Records[store.Fleets] != 1 {
		t.Fatalf("a sound store reports %+v", rep)
	}
	orphan := "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/gone/members/m"
	if _, err := connect(t, dsn).Exec(ctx, `INSERT INTO caravan_records (id, kind, parent, etag, state, body) VALUES ($1, 'members', $2, 'e', '', $3)`,
		orphan, "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/gone", []byte(`{"id":"`+orphan+`","name":"m","properties":{"clusterResourceId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c"}}`)); err != nil {
		t.Fatal(err)
	}
	rep, err = verify.Store(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].ID != orphan || !strings.Contains(rep.Problems[0].What, "fleets/gone does not exist") {
		t.Fatalf("problems %v; want the orphan member named", rep.Problems)
	}
}

func TestEventLogConformance(t *testing.T) {
	storetest.RunEventLog(t, func(t *testing.T) store.EventLog {
		s := open(t, pgtest.Start(t))
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
