package sqlite

import (
	"context"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// A sqlite store serves one caravan server: its leases are kept in the
// process, by the process's clock.
var _ store.Leaser = (*Store)(nil)

// AcquireLease implements store.Leaser.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	return s.leases.Acquire(name, owner, ttl)
}

// RenewLease implements store.Leaser.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	return s.leases.Renew(l, ttl)
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	s.leases.Release(l)
	return nil
}

// Leases implements store.Leaser.
func (s *Store) Leases(ctx context.Context, prefix string) ([]store.Lease, time.Time, error) {
	out, now := s.leases.List(prefix)
	return out, now, nil
}

// PutLeased implements store.Leaser.
func (s *Store) PutLeased(ctx context.Context, rec store.Record, cond store.Precondition, l store.Lease) error {
	return s.leases.Fenced(ctx, l, func() error { return s.Put(ctx, rec, cond) })
}
