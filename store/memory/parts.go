package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/caravan-dev/caravan/store"
)

var _ store.PartStore = (*Store)(nil)

// PutParts implements store.PartStore.
func (s *Store) PutParts(ctx context.Context, w store.PartedWrite, cond store.Precondition) error {
	if err := store.CheckPartedWrite(w, cond); err != nil {
		return err
	}
	if err := s.putParts(w, cond); err != nil {
		return err
	}
	// After the write, outside the store's lock: claims take it to read
	// the holder's run.
	for _, c := range w.Release {
		s.LocalClaims.ReleaseClaim(ctx, c, w.Record.ID, w.ReleaseEpoch)
	}
	return nil
}

func (s *Store) putParts(w store.PartedWrite, cond store.Precondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	old, exists := s.records[w.Record.ID]
	if !exists || old.Kind != w.Record.Kind || !store.Check(cond, true, old.ETag) {
		return store.ErrPreconditionFailed
	}
	if s.parts == nil {
		s.parts = map[string]map[string][]byte{}
	}
	parts := s.parts[w.Record.ID]
	if parts == nil || w.Reset {
		parts = map[string][]byte{}
		s.parts[w.Record.ID] = parts
	}
	for _, p := range w.Parts {
		parts[p.Key] = slices.Clone(p.Body)
	}
	s.records[w.Record.ID] = clone(w.Record)
	return nil
}

// assembled returns a copy of r with its parts in its body.
func (s *Store) assembled(r store.Record) (store.Record, error) {
	r = clone(r)
	if !store.HasParts(r.Body) {
		return r, nil
	}
	byKey := s.parts[r.ID]
	parts := make([]store.Part, 0, len(byKey))
	for k, b := range byKey {
		parts = append(parts, store.Part{Key: k, Body: b})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Key < parts[j].Key })
	body, err := store.Assemble(r.Body, parts)
	if err != nil {
		return store.Record{}, &store.CorruptError{Kind: r.Kind, ID: r.ID, Err: fmt.Errorf("its parts do not assemble: %w", err)}
	}
	r.Body = slices.Clone(body)
	return r, nil
}
