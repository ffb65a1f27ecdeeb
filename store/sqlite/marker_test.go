package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// Every file that is not a caravan database is refused, named, with what
// to do, and left byte for byte as it was.
func TestOpenRefusesFilesThatAreNotCaravanDatabases(t *testing.T) {
	otherApp := func(t *testing.T, path string, appID int) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)`, `INSERT INTO notes (text) VALUES ('keep me')`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if appID != 0 {
			if _, err := db.Exec(`PRAGMA application_id = 1234`); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, tc := range map[string]struct {
		make func(t *testing.T, path string)
		says []string
	}{
		"empty file": {func(t *testing.T, path string) { os.WriteFile(path, nil, 0o600) }, []string{"the file is empty (0 bytes)", "restore the file from a backup", "move the file away"}},
		"garbage": {func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Repeat([]byte("garbage\x00\xff"), 1000), 0o600)
		}, []string{"not a SQLite database", "restore"}},
		"another application's database":                {func(t *testing.T, path string) { otherApp(t, path, 1234) }, []string{"another application (application_id 0x000004d2)"}},
		"an unmarked database without caravan's tables": {func(t *testing.T, path string) { otherApp(t, path, 0) }, []string{"without caravan's marker or tables"}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), sqlite.FileName)
			tc.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := sqlite.Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatal("opened it as a caravan store")
			}
			if !errors.Is(err, sqlite.ErrNotCaravan) {
				t.Errorf("error %v does not wrap sqlite.ErrNotCaravan", err)
			}
			for _, want := range append(tc.says, path, "not a caravan database") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("refusing the file changed it (%d bytes before, %d after)", len(before), len(after))
			}
		})
	}
}

// A new database carries the marker; no temporary file is left behind.
func TestOpenCreatesAMarkedDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, sqlite.FileName)
	open(t, path).Close()
	if id := applicationID(t, path); id != sqlite.ApplicationID {
		t.Fatalf("new database has application_id 0x%08x, want 0x%08x", id, sqlite.ApplicationID)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".creating-") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	// It opens again, and keeps what was written.
	s := open(t, path)
	defer s.Close()
	rec := store.Record{Kind: store.Fleets, ID: "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f", ETag: "1", Body: []byte(`{}`)}
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// A caravan database from before the marker opens, and gets it.
func TestOpenMarksAnOlderCaravanDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	open(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA application_id = 0`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	open(t, path).Close()
	if id := applicationID(t, path); id != sqlite.ApplicationID {
		t.Fatalf("after opening, application_id is 0x%08x, want 0x%08x", id, sqlite.ApplicationID)
	}
}

func TestOpenExistingCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", sqlite.FileName)
	s, err := sqlite.OpenExisting(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database that does not exist")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want fs.ErrNotExist naming %s", err, path)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenExisting created %s", filepath.Dir(path))
	}
}

func applicationID(t *testing.T, path string) uint32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 72 {
		t.Fatalf("reading %s: %v (%d bytes)", path, err, len(data))
	}
	return uint32(data[68])<<24 | uint32(data[69])<<16 | uint32(data[70])<<8 | uint32(data[71])
}
