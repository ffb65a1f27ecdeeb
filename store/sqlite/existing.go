package sqlite

import (
	"context"
	"encoding/json"

	"github.com/caravan-dev/caravan/store"
)

// Existing implements store.Checker: one query, on the reader, whatever
// the number of ids (they go in as one JSON array).
func (s *Store) Existing(ctx context.Context, kind store.Kind, ids []string) (map[string]bool, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	out, err := store.QueryExisting(kind, ids, func(valid []string) (store.IDRows, func(), error) {
		list, err := json.Marshal(valid)
		if err != nil {
			return nil, nil, err
		}
		rows, err := s.reader.QueryContext(ctx, `SELECT id FROM caravan_records WHERE kind = ?1 AND id IN (SELECT value FROM json_each(?2))`, string(kind), string(list))
		if err != nil {
			return nil, nil, err
		}
		return rows, func() { rows.Close() }, nil
	})
	if err != nil {
		return nil, s.fail(err, "checking which of %d %s exist", len(ids), kind)
	}
	return out, nil
}
