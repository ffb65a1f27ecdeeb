package cli

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caravan-dev/caravan/store/sqlite"
)

func dataDir(ts *testServer) string {
	return filepath.Dir(ts.srv.Store.(*sqlite.Store).Path())
}

// Backups taken while the API writes are consistent copies that pass
// caravan check.
func TestBackupWhileWritingPassesCheck(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"a": "g1", "b": "g2"}, nil)
	var stop atomic.Bool
	progress := make(chan struct{}, 1)
	var wg sync.WaitGroup
	failed := make(chan string, 2)
	for w := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				r := runWith(t, ts.env, "fleet", "create", "-g", "rg", "-n", fmt.Sprintf("w%d-%d", w, i), "-l", "eastus")
				if r.code != 0 {
					failed <- r.stderr
					return
				}
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		})
	}
	dir := t.TempDir()
	var backups []string
	for i := range 3 {
		// Each backup begins after more writes have landed.
		select {
		case <-progress:
		case msg := <-failed:
			t.Fatalf("a write failed during the backups: %s", msg)
		}
		to := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		r := runWith(t, ts.env, "backup", "--data", dataDir(ts), "--to", to).ok(t)
		if !strings.Contains(r.stdout, "Backed up "+filepath.Join(dataDir(ts), sqlite.FileName)+" to "+to) {
			t.Errorf("backup said %q", r.stdout)
		}
		backups = append(backups, to)
	}
	stop.Store(true)
	wg.Wait()
	close(failed)
	for msg := range failed {
		t.Fatalf("a write failed during the backups: %s", msg)
	}
	for _, b := range backups {
		info, err := os.Stat(b)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("backup %s has mode %v, want 0600", b, info.Mode().Perm())
		}
		r := runWith(t, ts.env, "check", "--file", b)
		if r.code != 0 || !strings.Contains(r.stdout, "problems:  none") || !strings.Contains(r.stdout, "2 members") {
			t.Fatalf("check of backup %s: exit %d\n%s%s", b, r.code, r.stdout, r.stderr)
		}
	}
	// A backup never overwrites a file.
	r := runWith(t, ts.env, "backup", "--data", dataDir(ts), "--to", backups[0])
	if r.code != ExitError || !strings.Contains(r.stderr, "the file exists") {
		t.Fatalf("backup onto an existing file: exit %d %s", r.code, r.stderr)
	}
	// The live store checks clean too.
	runWith(t, ts.env, "check", "--data", dataDir(ts)).ok(t)
}

// check names every broken record and exits 6; the database was damaged
// with raw SQL while the server ran.
func TestCheckReportsBrokenRecordsByID(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"a": "", "b": ""}, nil)
	path := ts.srv.Store.(*sqlite.Store).Path()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`UPDATE caravan_records SET body = x'7b2270726f7065727469657322ff' WHERE id LIKE '%/members/a'`,
		`UPDATE caravan_records SET body = CAST('{"name":"b","properties":{"clusterResourceId":"not-an-id"}}' AS BLOB) WHERE id LIKE '%/members/b'`,
		`INSERT INTO caravan_records (id, kind, parent, etag, state, body) VALUES ('/subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/fleets/gone/members/orphan', 'members', '/subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/fleets/gone', 'e', '', CAST('{}' AS BLOB))`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	r := runWith(t, ts.env, "check", "--data", filepath.Dir(path))
	if r.code != ExitCheckFailed {
		t.Fatalf("check of a damaged store: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"member " + "/subscriptions/", "/fleets/f1/members/a: its body is not valid JSON",
		"/fleets/f1/members/b: its body has id \"\"",
		"/fleets/f1/members/b: it is not valid: properties.clusterResourceId",
		"members/orphan: its fleet /subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/fleets/gone does not exist",
		"problems:  7",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output does not say %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "SQLite database "+path+" has 7 problems") {
		t.Errorf("check's error: %q", r.stderr)
	}
}

func TestCheckAndBackupRefuseWhatIsNotACaravanStore(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	r := runWith(t, nil, "check", "--file", empty)
	if r.code != ExitError || !strings.Contains(r.stderr, "the file is empty (0 bytes)") {
		t.Errorf("check of an empty file: exit %d %s", r.code, r.stderr)
	}
	r = runWith(t, nil, "check", "--data", filepath.Join(dir, "nothing-here"))
	if r.code != ExitError || !strings.Contains(r.stderr, "there is no such file") {
		t.Errorf("check of a missing store: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing-here")); !os.IsNotExist(err) {
		t.Errorf("check created the data directory it was pointed at")
	}
	os.Mkdir(filepath.Join(dir, "d"), 0o700)
	os.WriteFile(filepath.Join(dir, "d", sqlite.FileName), nil, 0o600)
	r = runWith(t, nil, "backup", "--data", filepath.Join(dir, "d"), "--to", filepath.Join(dir, "b.db"))
	if r.code != ExitError || !strings.Contains(r.stderr, "not a caravan database") {
		t.Errorf("backup of an empty file: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); !os.IsNotExist(err) {
		t.Errorf("a refused backup left a file behind")
	}
}

func TestBackupOfPostgreSQLSaysHow(t *testing.T) {
	r := runWith(t, map[string]string{"CARAVAN_DB": "postgres://caravan:hunter2@db:5432/caravan"}, "backup", "--to", "x.db")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `pg_dump --format=custom --file=caravan.dump "$CARAVAN_DB"`) || strings.Contains(r.stderr, "hunter2") {
		t.Fatalf("backup with a PostgreSQL store: exit %d %s", r.code, r.stderr)
	}
}
