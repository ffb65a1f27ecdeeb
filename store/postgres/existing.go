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
	out, err := store.QueryExisting(kind, ids, func(valid []string) (store.IDRows, func(), error) {
		rows, err := s.pool.Query(ctx, `SELECT id FROM caravan_records WHERE kind = $1 AND id = ANY($2)`, string(kind), valid)
		if err != nil {
			return nil, nil, err
		}
		return rows, rows.Close, nil
	})
	if err != nil {
		return nil, s.fail(err, "checking which of %d %s exist", len(ids), kind)
	}
	return out, nil
}
