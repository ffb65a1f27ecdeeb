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
	out := make(map[string]bool, len(valid))
	if len(valid) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM caravan_records WHERE kind = $1 AND id = ANY($2)`, string(kind), valid)
	if err != nil {
		return nil, s.fail(err, "checking which of %d %s exist", len(valid), kind)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.fail(err, "checking which of %d %s exist", len(valid), kind)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, "checking which of %d %s exist", len(valid), kind)
	}
	return out, nil
}
