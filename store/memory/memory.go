// Package memory is a Store held in process memory: fast, and gone when
// the process ends. Tests and benchmarks use it; caravan serve does not.
package memory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu      sync.RWMutex
	records map[string]store.Record // by ID
	ids     []string                // sorted
	closed  bool
	store.LocalLeases
	store.LocalClaims
	// parts holds, by record ID and key, the parts of records kept in
	// parts; Get and List assemble them.
	parts map[string]map[string][]byte
}

// New returns an empty store.
func New() *Store {
	s := &Store{records: map[string]store.Record{}}
	s.LocalClaims.Runs = s.run
	return s
}

// NewWithClock returns an empty store whose leases expire by c, so that
// several engines on one fake clock can share it.
func NewWithClock(c clock.Clock) *Store {
	s := New()
	s.LocalLeases.Now = c.Now
	s.LocalClaims.Now = c.Now
	return s
}

func clone(r store.Record) store.Record {
	r.Body = slices.Clone(r.Body)
	return r
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, kind store.Kind, id string) (store.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.Record{}, store.ErrClosed
	}
	if err := errors.Join(store.CheckKey("kind", string(kind)), store.CheckKey("id", id)); err != nil {
		return store.Record{}, err
	}
	r, ok := s.records[id]
	if !ok || r.Kind != kind {
		return store.Record{}, store.ErrNotFound
	}
	return s.assembled(r)
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, o store.ListOptions) (store.Page, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.Page{}, store.ErrClosed
	}
	if err := store.CheckList(o); err != nil {
		return store.Page{}, err
	}
	start := 0
	if o.After != "" {
		start, _ = slices.BinarySearch(s.ids, o.After)
		if start < len(s.ids) && s.ids[start] == o.After {
			start++
		}
	}
	var page store.Page
	for _, id := range s.ids[start:] {
		r := s.records[id]
		if r.Kind != o.Kind ||
			(o.Parent != "" && r.Parent != o.Parent) ||
			(o.ParentPrefix != "" && !strings.HasPrefix(r.Parent, o.ParentPrefix)) ||
			(len(o.States) > 0 && !slices.Contains(o.States, r.State)) {
			continue
		}
		if o.Limit > 0 && len(page.Records) == o.Limit {
			page.Next = page.Records[len(page.Records)-1].ID
			break
		}
		r, err := s.assembled(r)
		if err != nil {
			return store.Page{}, err
		}
		page.Records = append(page.Records, r)
	}
	return page, nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, rec store.Record, cond store.Precondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if err := store.CheckRecord(rec); err != nil {
		return err
	}
	old, exists := s.records[rec.ID]
	if exists && old.Kind != rec.Kind {
		exists = false
	}
	if pk := store.ParentKind(rec.Kind); pk != "" {
		if p, ok := s.records[rec.Parent]; !ok || p.Kind != pk {
			return store.ErrParentNotFound
		}
	}
	if !store.Check(cond, exists, old.ETag) {
		return store.ErrPreconditionFailed
	}
	if _, present := s.records[rec.ID]; !present {
		i, _ := slices.BinarySearch(s.ids, rec.ID)
		s.ids = slices.Insert(s.ids, i, rec.ID)
	}
	s.records[rec.ID] = clone(rec)
	return nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, kind store.Kind, id string, cond store.Precondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if err := errors.Join(store.CheckKey("kind", string(kind)), store.CheckKey("id", id)); err != nil {
		return err
	}
	old, exists := s.records[id]
	if !exists || old.Kind != kind {
		return store.ErrNotFound
	}
	if !store.Check(cond, true, old.ETag) {
		return store.ErrPreconditionFailed
	}
	s.remove(id)
	// Children sort right after their parent's id, under its prefix.
	prefix := id + "/"
	i, _ := slices.BinarySearch(s.ids, prefix)
	for i < len(s.ids) && strings.HasPrefix(s.ids[i], prefix) {
		if strings.HasPrefix(s.records[s.ids[i]].Parent, id) {
			s.remove(s.ids[i])
			continue
		}
		i++
	}
	return nil
}

func (s *Store) remove(id string) {
	delete(s.records, id)
	delete(s.parts, id)
	if i, found := slices.BinarySearch(s.ids, id); found {
		s.ids = slices.Delete(s.ids, i, i+1)
	}
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// String names the store for messages.
func (s *Store) String() string { return "the in-memory store" }

// Existing implements store.Checker.
func (s *Store) Existing(ctx context.Context, kind store.Kind, ids []string) (map[string]bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	out := map[string]bool{}
	for _, id := range store.ValidKeys(kind, ids) {
		if r, ok := s.records[id]; ok && r.Kind == kind {
			out[id] = true
		}
	}
	return out, nil
}
