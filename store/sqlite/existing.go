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
	valid := store.ValidKeys(kind, ids)
	out := make(map[string]bool, len(valid))
	if len(valid) == 0 {
		return out, nil
	}
	list, err := json.Marshal(valid)
	if err != nil {
		return nil, err
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id FROM caravan_records WHERE kind = ?1 AND id IN (SELECT value FROM json_each(?2))`, string(kind), string(list))
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
