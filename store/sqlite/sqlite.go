package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/workers"
)

// FileName is the name the database file has in a data directory:
// Open(ctx, filepath.Join(dir, FileName)).
const FileName = "caravan.db"

// Store is a store.Store in a SQLite file.
type Store struct {
	path   string
	writer *handle // one connection: SQLite has one writer at a time
	reader *handle // a few query-only connections
	// checkpointDB is the connection the checkpoints run on, so that
	// they never hold the writer's.
	checkpointDB *sql.DB
	// batch commits the frequent writes in groups (see batch.go).
	batch batcher

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	checkpoints checkpointer
	store.LocalLeases
	// assembled keeps the documents of records kept in parts.
	assembled store.AssembledCache
	// parts keeps the parts of the records this store last wrote in
	// parts.
	parts store.PartsCache
}

var _ store.Store = (*Store)(nil)

const (
	// busyTimeoutMillis is how long a connection waits for a lock another
	// connection or process holds before it reports the database busy.
	busyTimeoutMillis = 10000
	// readConns caps the read pool.
	readConns = 4
	// walSizeLimit is what the write-ahead log is truncated to after a
	// checkpoint, so that one large burst does not keep a large file. It
	// is also how large the log grows before a write checkpoints it
	// (SQLite's wal_autocheckpoint, in 4 KiB pages); the checkpointer
	// does it every second while writes come in (see checkpoint.go).
	walSizeLimit = 64 << 20
)

// Open opens the caravan database at path and brings its schema up to
// date. When there is no file at path it creates one (mode 0600, and its
// directory with mode 0700). A file that is there must be a caravan
// database: Open refuses an empty file, one that is not SQLite, and
// another application's database, with an error wrapping ErrNotCaravan
// that says what to do, and never changes such a file. It also refuses a
// database whose schema is newer than this caravan knows (see
// migrate.TooNewError).
func Open(ctx context.Context, path string) (*Store, error) { return open(ctx, path, true) }

// OpenExisting is Open for a database that must already exist: where
// there is no file it creates none and returns an error wrapping
// fs.ErrNotExist.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, false)
}

func open(ctx context.Context, path string, mayCreate bool) (*Store, error) {
	if path == "" {
		return nil, errors.New("error opening SQLite database: no file path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("error opening SQLite database %s: %w", path, err)
	}
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		if !mayCreate {
			return nil, fmt.Errorf("error opening SQLite database %s: %w: there is no such file; give the path of caravan's database (caravan.db in the --data directory)", abs, fs.ErrNotExist)
		}
		if err := create(ctx, abs); err != nil {
			return nil, err
		}
	}
	if err := checkMarker(ctx, abs); err != nil {
		return nil, err
	}
	s := &Store{path: abs}
	writer, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_journal_mode": {"WAL"},
		"_txlock":       {"immediate"},
		"_pragma": {
			fmt.Sprintf("journal_size_limit(%d)", walSizeLimit),
			fmt.Sprintf("wal_autocheckpoint(%d)", walSizeLimit/4096),
		},
	}))
	if err != nil {
		return nil, fmt.Errorf("error opening SQLite database %s: %w", abs, err)
	}
	s.writer = newHandle(writer)
	s.batch.h = s.writer
	s.batch.workers = workers.New(time.Second, 1) // one drains at a time
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)
	if err := migrateSchema(ctx, s.writer.DB); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("error opening SQLite database %s: %w", abs, err)
	}
	reader, err := sql.Open("sqlite", dsn(abs, url.Values{"_query_only": {"1"}}))
	if err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("error opening SQLite database %s: %w", abs, err)
	}
	s.reader = newHandle(reader)
	s.reader.SetMaxOpenConns(readConns)
	s.reader.SetMaxIdleConns(readConns)
	s.checkpointDB, err = sql.Open("sqlite", dsn(abs, url.Values{}))
	if err != nil {
		s.writer.Close()
		s.reader.Close()
		return nil, fmt.Errorf("error opening SQLite database %s: %w", abs, err)
	}
	s.checkpointDB.SetMaxOpenConns(1)
	s.checkpointDB.SetMaxIdleConns(1)
	s.checkpoints.start(s.checkpointDB)
	return s, nil
}

// dsn is a file: URI for the driver: every connection gets the busy
// timeout and synchronous=NORMAL, plus the given parameters.
func dsn(path string, params url.Values) string {
	params.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	params.Set("_synchronous", "NORMAL")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: params.Encode()}
	if u.Path[0] != '/' { // a Windows drive letter
		u.Path = "/" + u.Path
	}
	return u.String()
}

// Path returns the database file's absolute path.
func (s *Store) Path() string { return s.path }

// Close closes the database; it is safe to call twice. Work in progress
// finishes first; later calls return store.ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.checkpoints.stop()
		s.batch.workers.Close()
		s.closeErr = errors.Join(s.checkpointDB.Close(), s.reader.Close(), s.writer.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("error closing SQLite database %s: %w", s.path, s.closeErr)
		}
	})
	return s.closeErr
}

// fail wraps a database error with what was being done, or reports
// store.ErrClosed when the store was closed under the operation.
func (s *Store) fail(err error, format string, args ...any) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("error "+format+": %w", append(args, err)...)
}

// String names the store for messages: "SQLite database PATH".
func (s *Store) String() string { return "SQLite database " + s.path }
