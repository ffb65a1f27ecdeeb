package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/caravan-dev/caravan/store"
)

// Store is a store.Store in a PostgreSQL database.
type Store struct {
	pool  *pgxpool.Pool
	where string // host:port/database, for messages; never the password

	closed    atomic.Bool
	closeOnce sync.Once

	// assembled keeps the documents of records kept in parts.
	assembled store.AssembledCache
	// parts keeps the parts of the records this store last wrote in
	// parts.
	parts store.PartsCache
}

var _ store.Store = (*Store)(nil)

// Open connects to the PostgreSQL database dsn names (a postgres:// URL or
// key=value string, as libpq reads them) and brings its schema up to date.
// It refuses a database whose schema is newer than this caravan knows (see
// migrate.TooNewError).
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("error reading the PostgreSQL connection string: %w", err)
	}
	s := &Store{where: fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("error connecting to PostgreSQL at %s: %w", s.where, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("error connecting to PostgreSQL at %s: %w", s.where, err)
	}
	if err := migrateSchema(ctx, s.pool); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("error preparing PostgreSQL database %s: %w", s.where, err)
	}
	return s, nil
}

// Close closes the connections; it is safe to call twice. Work in
// progress finishes first; later calls return store.ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}

// fail wraps a database error with what was being done, or reports
// store.ErrClosed when the store was closed under the operation.
func (s *Store) fail(err error, format string, args ...any) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("error "+format+" in PostgreSQL database %s: %w", append(append(args, s.where), err)...)
}

// String names the store for messages: "PostgreSQL database
// HOST:PORT/NAME", without the user or password.
func (s *Store) String() string { return "PostgreSQL database " + s.where }
