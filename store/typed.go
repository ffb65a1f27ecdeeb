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

// Load reads a record and decodes its body into a new T.
func Load[T any](ctx context.Context, s Store, kind Kind, id string) (*T, Record, error) {
	rec, err := s.Get(ctx, kind, CanonicalID(id))
	if err != nil {
		return nil, Record{}, err
	}
	v, err := Decode[T](rec)
	return v, rec, err
}

// Decode decodes a record's body into a new T.
func Decode[T any](rec Record) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(rec.Body, v); err != nil {
		return nil, fmt.Errorf("error decoding stored %s %s: %w", rec.Kind, rec.ID, err)
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
