package memory

import (
	"context"

	"github.com/caravan-dev/caravan/store"
)

// A memory store serves one caravan server: its leases are kept in the
// process (store.LocalLeases), by the process's clock.
var (
	_ store.Leaser     = (*Store)(nil)
	_ store.PartLeaser = (*Store)(nil)
)

// PutLeased implements store.Leaser.
func (s *Store) PutLeased(ctx context.Context, rec store.Record, cond store.Precondition, l store.Lease) error {
	return s.Fenced(ctx, l, func() error { return s.Put(ctx, rec, cond) })
}

// PutPartsLeased implements store.PartLeaser.
func (s *Store) PutPartsLeased(ctx context.Context, w store.PartedWrite, cond store.Precondition, l store.Lease) error {
	return s.Fenced(ctx, l, func() error { return s.PutParts(ctx, w, cond) })
}
