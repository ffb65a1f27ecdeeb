package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// TestWritesAreCheckpointed checks that a write is copied from the log
// into the database by the store's checkpointer, without waiting for the
// log to grow.
func TestWritesAreCheckpointed(t *testing.T) {
	was := checkpointInterval
	checkpointInterval = 10 * time.Millisecond
	defer func() { checkpointInterval = was }()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{}, 16)
	s.checkpoints.stop()
	s.checkpoints.checkpointed = func() { done <- struct{}{} }
	s.checkpoints.start(s.checkpointDB)
	rec := store.Record{Kind: store.Fleets, ID: "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f", Parent: "/subscriptions/s/resourcegroups/g", ETag: "1", Body: []byte(`{}`)}
	if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no checkpoint within 10s of a write")
	}
	var busy, frames, copied int
	if err := s.writer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil || frames != copied {
		t.Errorf("after the checkpoint the log has %d frames, %d copied (error %v); want all copied", frames, copied, err)
	}
}
