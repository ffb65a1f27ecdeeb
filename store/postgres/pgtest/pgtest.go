package pgtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The environment variables pgtest reads.
const (
	// DSNEnv names a database to test in instead of a throwaway cluster.
	DSNEnv = "CARAVAN_TEST_POSTGRES_DSN"
	// RequireEnv, set to 1, turns a skip for want of PostgreSQL into a
	// failure.
	RequireEnv = "CARAVAN_REQUIRE_POSTGRES"
	// BinEnv names the directory holding initdb and postgres.
	BinEnv = "CARAVAN_TEST_POSTGRES_BIN"
)

var (
	mainCalled atomic.Bool
	setupOnce  sync.Once
	schemas    atomic.Int64

	// Set once by setup.
	cluster  *server       // nil when DSNEnv names the database
	admin    *pgxpool.Pool // creates and drops the tests' schemas
	baseDSN  string
	runID    string // tells this run's schemas from other runs' on a shared database
	setupErr error
)

// errUnavailable marks a setup failure that means PostgreSQL is not
// installed here, rather than broken.
var errUnavailable = errors.New("PostgreSQL is not available")

// Main runs the tests of a package and then stops the cluster Start
// started, if any, and exits. Call it from TestMain.
func Main(m *testing.M) { MainThen(m, nil) }

// MainThen is Main that calls after, if set, once the tests ran and before
// it exits, for a package's own clean-up.
func MainThen(m *testing.M, after func()) {
	mainCalled.Store(true)
	code := m.Run()
	if after != nil {
		after()
	}
	if err := teardown(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Start returns the connection string of a new, empty schema (it is first
// on the search_path) that is dropped when t ends. It skips t when
// PostgreSQL is not installed, or fails it if CARAVAN_REQUIRE_POSTGRES=1.
func Start(t testing.TB) string {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pgtest.Start needs the package's TestMain to call pgtest.Main, which stops the server after the tests")
	}
	setupOnce.Do(setup)
	if setupErr != nil {
		if errors.Is(setupErr, errUnavailable) && os.Getenv(RequireEnv) != "1" {
			t.Skip(setupErr)
		}
		t.Fatal(setupErr)
	}
	schema := fmt.Sprintf("caravan_test_%s_%d", runID, schemas.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("error creating test schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("error dropping test schema %s: %v", schema, err)
		}
	})
	dsn, err := withSearchPath(baseDSN, schema)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runID = strings.ToLower(rand.Text()[:10])
	baseDSN = os.Getenv(DSNEnv)
	if baseDSN == "" {
		cluster, setupErr = startServer(ctx)
		if setupErr != nil {
			return
		}
		baseDSN = cluster.dsn
	}
	admin, setupErr = pgxpool.New(ctx, baseDSN)
	if setupErr == nil {
		setupErr = admin.Ping(ctx)
	}
	if setupErr != nil {
		setupErr = fmt.Errorf("error connecting to the test PostgreSQL: %w", setupErr)
	}
}

func teardown() error {
	if admin != nil {
		admin.Close()
	}
	if cluster != nil {
		return cluster.stop()
	}
	return nil
}
