package store

import (
	"context"
	"errors"
)

// Checker is a store that tells which of many records exist in one read,
// without reading their bodies: the engine checks the membership of a
// wave of members at once. The stores of this module implement it beside
// Store.
type Checker interface {
	// Existing returns the ids among ids of records of kind that exist.
	// An id that is not a valid key does not exist.
	Existing(ctx context.Context, kind Kind, ids []string) (map[string]bool, error)
}

// Existing reports which of ids name records of kind in s: through s's
// Existing when s is a Checker, else one Get per id.
func Existing(ctx context.Context, s Store, kind Kind, ids []string) (map[string]bool, error) {
	if c, ok := s.(Checker); ok {
		return c.Existing(ctx, kind, ids)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		_, err := s.Get(ctx, kind, id)
		switch {
		case err == nil:
			out[id] = true
		case errors.Is(err, ErrNotFound) || isInvalidKey(err):
		default:
			return nil, err
		}
	}
	return out, nil
}

// ValidKeys returns the ids that are valid keys, for a Checker's query.
func ValidKeys(kind Kind, ids []string) []string {
	if CheckKey("kind", string(kind)) != nil {
		return nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if CheckKey("id", id) == nil {
			out = append(out, id)
		}
	}
	return out
}

func isInvalidKey(err error) bool {
	var ik *InvalidKeyError
	return errors.As(err, &ik)
}

// IDRows are the rows of a query of ids, as database/sql and pgx give
// them.
type IDRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// QueryExisting is what the database stores' Existing share: ids that are
// not valid keys exist nowhere and are not asked for; query is asked for
// the others in one read (not at all when none is left), and the ids its
// rows give are collected. done closes the rows query returned.
func QueryExisting(kind Kind, ids []string, query func(valid []string) (rows IDRows, done func(), err error)) (map[string]bool, error) {
	valid := ValidKeys(kind, ids)
	if len(valid) == 0 {
		return map[string]bool{}, nil
	}
	rows, done, err := query(valid)
	if err != nil {
		return nil, err
	}
	defer done()
	return collectIDs(rows)
}

// collectIDs reads the ids of an Existing query.
func collectIDs(rows IDRows) (map[string]bool, error) {
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
