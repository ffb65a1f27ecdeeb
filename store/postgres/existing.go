package postgres

import (
	"context"

	"github.com/caravan-dev/caravan/store"
)

// Existing implements store.Checker: one query whatever the number of
// ids (they go in as one array).
func (s *Store) Existing(ctx context.Context, kind store.Kind, ids []string) (map[string]bool, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	valid := store.ValidKeys(kind, ids)
	if len(valid) == 0 {
		return map[string]bool{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM caravan_records WHERE kind = $1 AND id = ANY($2)`, string(kind), valid)
	if err == nil {
		defer rows.Close()
		var out map[string]bool
		if out, err = store.CollectIDs(rows); err == nil {
			return out, nil
		}
	}
	return nil, s.fail(err, "checking which of %d %s exist", len(valid), kind)
}
