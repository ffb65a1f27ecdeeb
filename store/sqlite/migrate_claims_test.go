package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// Claims taken before the claims table was rebuilt as one tree are there
// after: the migration keeps every row.
func TestClaimsOutliveTheirTablesRebuild(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caravan.db")
	open(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// The database as version 4 left it, with a claim in it.
	for _, q := range []string{
		`DROP TABLE caravan_upgrade_claims`,
		`CREATE TABLE caravan_upgrade_claims (cluster TEXT NOT NULL PRIMARY KEY, run TEXT NOT NULL, epoch INTEGER NOT NULL, since INTEGER NOT NULL) STRICT`,
		`CREATE INDEX caravan_upgrade_claims_by_run ON caravan_upgrade_claims (run, cluster)`,
		`INSERT INTO caravan_upgrade_claims VALUES ('/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/managedclusters/c', '/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f/updateruns/r', 3, 42)`,
		`DELETE FROM caravan_schema_versions WHERE version > 4`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	s := open(t, path)
	defer s.Close()
	claims, err := s.Claims(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 || claims[0].Epoch != 3 || claims[0].Since.UnixNano() != 42 || claims[0].Run != "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f/updateruns/r" {
		t.Fatalf("claims after the migration: %+v, want the one taken before it", claims)
	}
	s.Close()
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var indexes int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_index_list('caravan_upgrade_claims')`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 1 {
		t.Errorf("the claims table has %d indexes, want its primary key's only", indexes)
	}
}
