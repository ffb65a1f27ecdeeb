package memory

import (
	"context"

	"github.com/caravan-dev/caravan/store"
)

// A memory store serves one caravan server: its claims on clusters are kept
// in the process (store.LocalClaims), as everything else it holds.
var _ store.Claimer = (*Store)(nil)

// run reads a run's record, for LocalClaims to tell whether a claim's run
// is still live.
func (s *Store) run(ctx context.Context, id string) (store.Record, error) {
	return s.Get(ctx, store.Runs, id)
}
