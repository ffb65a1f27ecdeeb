package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/caravan-dev/caravan/store/migrate"
)

// BackupResult describes a backup Backup took.
type BackupResult struct {
	// Records is how many records the copy holds.
	Records int
	// Bytes is the copy's size.
	Bytes int64
}

// Backup copies the caravan database at from into a new file at to (mode
// 0600) with VACUUM INTO: a consistent snapshot, taken in one read
// transaction, while caravan may be serving and writing to from. It
// refuses a from that is not a caravan database and a to that exists, and
// checks the copy's integrity before it returns. The copy is compacted and
// needs no -wal file next to it.
func Backup(ctx context.Context, from, to string) (BackupResult, error) {
	src, err := filepath.Abs(from)
	if err != nil {
		return BackupResult{}, err
	}
	dst, err := filepath.Abs(to)
	if err != nil {
		return BackupResult{}, err
	}
	if _, err := os.Stat(src); err != nil {
		return BackupResult{}, fmt.Errorf("error backing up SQLite database %s: %w", src, err)
	}
	if err := checkMarker(ctx, src); err != nil {
		return BackupResult{}, err
	}
	// VACUUM INTO writes only into a file that is missing or empty: make
	// it, empty and private, refusing to overwrite anything.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return BackupResult{}, fmt.Errorf("error backing up to %s: the file exists; backups never overwrite a file, so give a new name", dst)
		}
		return BackupResult{}, fmt.Errorf("error backing up to %s: %w", dst, err)
	}
	f.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(dst)
		}
	}()
	db, err := sql.Open("sqlite", dsn(src, url.Values{"mode": {"ro"}}))
	if err != nil {
		return BackupResult{}, fmt.Errorf("error backing up SQLite database %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return BackupResult{}, fmt.Errorf("error backing up SQLite database %s to %s: %w", src, dst, err)
	}
	// Read the copy back.
	cp, err := sql.Open("sqlite", dsn(dst, url.Values{"mode": {"ro"}}))
	if err != nil {
		return BackupResult{}, fmt.Errorf("error reading the backup %s: %w", dst, err)
	}
	defer cp.Close()
	problems, err := integrity(ctx, cp)
	if err != nil {
		return BackupResult{}, fmt.Errorf("error checking the backup %s: %w", dst, err)
	}
	if len(problems) > 0 {
		return BackupResult{}, fmt.Errorf("the backup %s fails SQLite's integrity check: %s", dst, strings.Join(problems, "; "))
	}
	var res BackupResult
	if err := cp.QueryRowContext(ctx, `SELECT COUNT(*) FROM caravan_records`).Scan(&res.Records); err != nil {
		return BackupResult{}, fmt.Errorf("error reading the backup %s: %w", dst, err)
	}
	info, err := os.Stat(dst)
	if err != nil {
		return BackupResult{}, err
	}
	res.Bytes = info.Size()
	done = true
	return res, nil
}

// integrity runs SQLite's integrity check and returns the problems it
// reports, none for a sound database.
func integrity(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

// Integrity runs SQLite's integrity check over the whole file (reading
// every page) and returns the problems it finds, none for a sound
// database.
func (s *Store) Integrity(ctx context.Context) ([]string, error) {
	problems, err := integrity(ctx, s.reader.DB)
	if err != nil {
		return nil, s.fail(err, "checking the integrity of %s", s.path)
	}
	return problems, nil
}

// SchemaVersion returns the schema version the database records and the
// newest this caravan knows.
func (s *Store) SchemaVersion(ctx context.Context) (have, known int, err error) {
	steps, err := migrate.Load(schemaFiles, "schema")
	if err != nil {
		return 0, 0, err
	}
	if err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM caravan_schema_versions`).Scan(&have); err != nil {
		return 0, 0, s.fail(err, "reading the schema version of %s", s.path)
	}
	return have, len(steps), nil
}
