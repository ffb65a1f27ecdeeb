package migrate

import (
	"context"
	"fmt"
)

// Tx is the part of an open database transaction that Apply uses; each
// store adapts its own driver's transaction to it.
type Tx interface {
	// Version creates the schema-version table if there is none and
	// returns the newest version recorded in it, 0 for a new database.
	Version(ctx context.Context) (int, error)
	// Run runs m's statements and records m in the schema-version table.
	Run(ctx context.Context, m Migration) error
}

// TooNewError refuses a database whose schema a newer caravan wrote.
type TooNewError struct {
	// Version is the schema version recorded in the database.
	Version int
	// Known is the newest version this binary carries.
	Known int
}

func (e *TooNewError) Error() string {
	return fmt.Sprintf("the database schema is version %d but this caravan knows up to %d; upgrade caravan or point it at another database", e.Version, e.Known)
}

// Apply runs, in order, the steps of steps (as returned by Load) newer
// than the database's version. The caller owns the transaction: it commits
// when Apply returns nil and rolls back otherwise, so a failed step leaves
// the schema as it was. It returns a *TooNewError when the database is
// newer than every step.
func Apply(ctx context.Context, tx Tx, steps []Migration) error {
	for i, m := range steps {
		if m.Version != i+1 {
			return fmt.Errorf("schema migration %q is numbered %d where %d belongs", m.Name, m.Version, i+1)
		}
	}
	current, err := tx.Version(ctx)
	if err != nil {
		return fmt.Errorf("error reading the schema version: %w", err)
	}
	known := len(steps)
	if current > known {
		return &TooNewError{Version: current, Known: known}
	}
	for _, m := range steps[current:] {
		if err := tx.Run(ctx, m); err != nil {
			return fmt.Errorf("error migrating the schema to version %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}
