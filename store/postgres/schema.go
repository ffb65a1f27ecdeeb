package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/caravan-dev/caravan/store/migrate"
)

//go:embed schema/*.sql
var schemaFiles embed.FS

// migrationLock is the key of the transaction-scoped advisory lock that
// makes servers starting together migrate one at a time ("caravan" in
// ASCII).
const migrationLock int64 = 0x6361726176616e

// migrateSchema brings the database's schema up to date in one
// transaction.
func migrateSchema(ctx context.Context, pool *pgxpool.Pool) error {
	steps, err := migrate.Load(schemaFiles, "schema")
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("error starting the schema migration: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("error waiting for other servers to finish migrating the schema: %w", err)
	}
	if err := migrate.Apply(ctx, migrationTx{tx}, steps); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("error committing the schema migration: %w", err)
	}
	return nil
}

// migrationTx adapts a pgx transaction to migrate.Tx.
type migrationTx struct{ tx pgx.Tx }

func (m migrationTx) Version(ctx context.Context) (int, error) {
	const create = `CREATE TABLE IF NOT EXISTS caravan_schema_versions (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := m.tx.Exec(ctx, create); err != nil {
		return 0, err
	}
	var version int
	err := m.tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM caravan_schema_versions`).Scan(&version)
	return version, err
}

func (m migrationTx) Run(ctx context.Context, step migrate.Migration) error {
	if _, err := m.tx.Exec(ctx, step.SQL); err != nil {
		return err
	}
	_, err := m.tx.Exec(ctx, `INSERT INTO caravan_schema_versions (version, name) VALUES ($1, $2)`, step.Version, step.Name)
	return err
}

// SchemaVersion returns the schema version the database records and the
// newest this caravan knows.
func (s *Store) SchemaVersion(ctx context.Context) (have, known int, err error) {
	steps, err := migrate.Load(schemaFiles, "schema")
	if err != nil {
		return 0, 0, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM caravan_schema_versions`).Scan(&have); err != nil {
		return 0, 0, s.fail(err, "reading the schema version")
	}
	return have, len(steps), nil
}
