package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/caravan-dev/caravan/store/migrate"
)

//go:embed schema/*.sql
var schemaFiles embed.FS

// migrateSchema brings the database's schema up to date, and sets its
// application_id, in one transaction, which BEGIN IMMEDIATE makes the
// only writer.
func migrateSchema(ctx context.Context, db *sql.DB) error {
	steps, err := migrate.Load(schemaFiles, "schema")
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("error starting the schema migration: %w", err)
	}
	defer tx.Rollback()
	if err := migrate.Apply(ctx, migrationTx{tx}, steps); err != nil {
		return err
	}
	// The marker: new files get it, and files from before it get it on
	// their first open.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, int32(ApplicationID))); err != nil {
		return fmt.Errorf("error marking the database as caravan's: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("error committing the schema migration: %w", err)
	}
	return nil
}

// migrationTx adapts a database/sql transaction to migrate.Tx.
type migrationTx struct{ tx *sql.Tx }

func (m migrationTx) Version(ctx context.Context) (int, error) {
	const create = `CREATE TABLE IF NOT EXISTS caravan_schema_versions (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
	)`
	if _, err := m.tx.ExecContext(ctx, create); err != nil {
		return 0, err
	}
	var version int
	err := m.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM caravan_schema_versions`).Scan(&version)
	return version, err
}

func (m migrationTx) Run(ctx context.Context, step migrate.Migration) error {
	if _, err := m.tx.ExecContext(ctx, step.SQL); err != nil {
		return err
	}
	_, err := m.tx.ExecContext(ctx, `INSERT INTO caravan_schema_versions (version, name) VALUES (?, ?)`, step.Version, step.Name)
	return err
}
