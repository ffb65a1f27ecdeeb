package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// ApplicationID is the SQLite application_id (the 32-bit number at
// offset 68 of the file's header) that marks a file as a caravan
// database: "carv" in ASCII.
const ApplicationID = 0x63617276

// ErrNotCaravan is wrapped by the error Open returns for a file that is
// not a caravan database: empty, not SQLite, or another application's.
var ErrNotCaravan = errors.New("not a caravan database")

// notCaravan says why path is not a caravan database and what to do.
func notCaravan(path, why, todo string) error {
	return fmt.Errorf("error opening SQLite database %s: %w: %s; %s", path, ErrNotCaravan, why, todo)
}

const restoreOrMove = "if it held caravan's data, stop caravan and restore the file from a backup (see docs/operations.md); to start with an empty store instead, move the file away and start caravan again, which creates a new one"

// checkMarker refuses a file at path that is not a caravan database: it
// must carry ApplicationID, or be a caravan database from before the
// marker (with caravan's tables), which migrateSchema then marks. It only
// reads: another application's file is left exactly as it was.
func checkMarker(ctx context.Context, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("error opening SQLite database %s: %w", path, err)
	}
	if info.IsDir() {
		return fmt.Errorf("error opening SQLite database %s: it is a directory; give the database file, or its directory with --data", path)
	}
	if info.Size() == 0 {
		return notCaravan(path, "the file is empty (0 bytes)", restoreOrMove)
	}
	db, err := sql.Open("sqlite", dsn(path, url.Values{"mode": {"ro"}}))
	if err != nil {
		return fmt.Errorf("error opening SQLite database %s: %w", path, err)
	}
	defer db.Close()
	var id int64
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&id); err != nil {
		return notCaravan(path, "the file is not a SQLite database ("+err.Error()+")", restoreOrMove)
	}
	switch uint32(id) {
	case ApplicationID:
		return nil
	case 0:
	default:
		return notCaravan(path, fmt.Sprintf("the file is a SQLite database of another application (application_id 0x%08x)", uint32(id)), "point caravan at its own data directory (--data)")
	}
	// A caravan database written before the marker has caravan's tables.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('caravan_records', 'caravan_schema_versions')`).Scan(&n); err != nil {
		return notCaravan(path, "the file cannot be read as a SQLite database ("+err.Error()+")", restoreOrMove)
	}
	if n != 2 {
		return notCaravan(path, "the file is a SQLite database without caravan's marker or tables", "point caravan at its own data directory (--data), or "+restoreOrMove)
	}
	return nil
}

// create makes a new caravan database at path, and its directory (mode
// 0700) if missing. The database is built in a temporary file next to
// path (mode 0600) and linked into place only once complete, so that a
// crash while creating leaves no file that looks like an empty store.
// If another process created path meanwhile, create leaves it be.
func create(ctx context.Context, path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("error creating the directory %s for the SQLite database: %w", dir, err)
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := path + ".creating-" + hex.EncodeToString(suffix[:])
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("error creating SQLite database %s: %w", path, err)
	}
	f.Close()
	defer os.Remove(tmp)
	db, err := sql.Open("sqlite", dsn(tmp, url.Values{"_txlock": {"immediate"}}))
	if err != nil {
		return fmt.Errorf("error creating SQLite database %s: %w", path, err)
	}
	err = migrateSchema(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("error creating SQLite database %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("error creating SQLite database %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
