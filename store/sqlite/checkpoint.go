package sqlite

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// checkpointInterval is how often the checkpointer copies the
// write-ahead log into the database while writes come in.
var checkpointInterval = time.Second

func (c *checkpointer) interval() time.Duration { return checkpointInterval }

// checkpointer checkpoints the write-ahead log once a second while there
// are new writes, on a connection of its own: a PASSIVE checkpoint copies
// what no reader needs without taking the write lock, so the store's
// single writer goes on committing meanwhile. In WAL mode with synchronous=NORMAL, a checkpoint is
// what syncs committed writes to disk, so this bounds by time what an
// operating-system crash or power loss can take. Left to SQLite, a
// checkpoint follows the writes at a given size of log: small writes
// would wait long for it, and large ones (an update run's document is
// megabytes) would pay for it at nearly every write.
type checkpointer struct {
	writes atomic.Uint64
	quit   chan struct{}
	done   chan struct{}
	// checkpointed, if set, is called after each complete checkpoint
	// (for tests).
	checkpointed func()
}

func (c *checkpointer) start(db *sql.DB) {
	c.quit, c.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(c.done)
		tick := time.NewTicker(c.interval())
		defer tick.Stop()
		var seen uint64
		for {
			select {
			case <-c.quit:
				return
			case <-tick.C:
			}
			n := c.writes.Load()
			if n == seen {
				continue
			}
			// A checkpoint that fails (or is blocked by a reader) is
			// tried again at the next tick, and SQLite checkpoints by
			// itself once the log is large.
			var busy, frames, copied int
			if err := db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err == nil && busy == 0 && frames == copied {
				seen = n
				if c.checkpointed != nil {
					c.checkpointed()
				}
			}
		}
	}()
}

// wrote records a committed write.
func (c *checkpointer) wrote() { c.writes.Add(1) }

// stop ends the checkpoints; the database's own closing checkpoints the
// rest.
func (c *checkpointer) stop() {
	if c.quit == nil {
		return
	}
	close(c.quit)
	<-c.done
}
