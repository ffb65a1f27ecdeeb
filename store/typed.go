package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// CanonicalID is the form of an ARM id that stores key on: lower case,
// without a trailing slash.
func CanonicalID(id string) string { return strings.ToLower(strings.TrimRight(id, "/")) }

// Load reads a record and decodes its body into a new T. A body that does
// not decode is a *CorruptError naming the record and s. The record is
// read with GetShared: its Body may be the store's, and must not be
// changed.
func Load[T any](ctx context.Context, s Store, kind Kind, id string) (*T, Record, error) {
	rec, _, err := GetShared(ctx, s, kind, CanonicalID(id))
	if err != nil {
		return nil, Record{}, err
	}
	v, err := Decode[T](rec)
	return v, rec, Blame(err, s)
}

// Decode decodes a record's body into a new T. A body that does not
// decode is a *CorruptError naming the record (Blame names the store).
func Decode[T any](rec Record) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(rec.Body, v); err != nil {
		return nil, &CorruptError{Kind: rec.Kind, ID: rec.ID, Err: err}
	}
	return v, nil
}

// NewRecord encodes v as the body of a record.
func NewRecord(kind Kind, id, parent, etag, state string, v any) (Record, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Record{}, fmt.Errorf("error encoding %s %s: %w", kind, id, err)
	}
	return Record{Kind: kind, ID: CanonicalID(id), Parent: CanonicalID(parent), ETag: etag, State: state, Body: body}, nil
}
