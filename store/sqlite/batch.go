package sqlite

import (
	"context"
	"slices"
	"sync"

	"github.com/caravan-dev/caravan/workers"
)

// Group commit. SQLite commits one write transaction at a time, and a
// commit costs about as much as a small write: locking, appending its
// pages to the log, unlocking. Many update runs, the event recorder and
// the API write at once, each a few hundred bytes; committed one by one
// they queue on the single writer and pay for a commit each. So the
// frequent writes (a run's changed parts, a record, a claim, a batch of
// events) are queued, and whatever is queued when the writer is free is
// run in one transaction, each write in a savepoint of its own:
//
//   - a write that fails (a precondition, a parent gone) is rolled back to
//     its savepoint and fails alone, with its own error; the others stand;
//   - every write is still checked against what the writes before it left,
//     in order, as when they were separate transactions;
//   - a caller learns its write succeeded only once the transaction holding
//     it has committed; if the commit fails, every write in it fails.
//
// A write whose context ends while it is queued is withdrawn and reports
// the context's error; one whose turn has come runs to its end, since
// interrupting a statement would abort the whole transaction, the other
// callers' writes with it.

// maxBatch bounds the writes committed together.
const maxBatch = 64

// batcher queues writes for the writer and commits them in groups.
type batcher struct {
	h *handle
	// workers runs drain on a kept goroutine, whose stack has room for
	// SQLite's already (nil: a new goroutine each time).
	workers *workers.Pool

	mu    sync.Mutex
	queue []*queued
	busy  bool // a goroutine is committing the queue
	// groups counts the transactions committed or tried. For tests:
	// onQueue, if set, is told how many writes wait after one is queued,
	// and onTake how many were taken for a transaction.
	groups  int
	onQueue func(waiting int)
	onTake  func(taken int)
}

// queued is one caller's write.
type queued struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *txn) error
	wrap func(error) error // says what failed when the transaction did
	// committed, if set, runs once the write is committed, before its
	// caller hears of it.
	committed func()
	err       error
	done      chan struct{}
}

// do runs fn in a write transaction, perhaps with other callers' writes,
// and returns its error, or the error of beginning or committing the
// transaction passed through wrap.
func (b *batcher) do(ctx context.Context, fn func(ctx context.Context, tx *txn) error, wrap func(error) error) error {
	return b.doCommitted(ctx, fn, wrap, nil)
}

// doCommitted is do, with committed run as soon as the transaction that
// holds fn's write is committed (not when it fails), on the goroutine
// that committed it: what the caller keeps of the write in memory is
// brought up to date before any other write begins, and at once after
// readers can see it.
func (b *batcher) doCommitted(ctx context.Context, fn func(ctx context.Context, tx *txn) error, wrap func(error) error, committed func()) error {
	if err := ctx.Err(); err != nil {
		return wrap(err)
	}
	q := &queued{ctx: ctx, fn: fn, wrap: wrap, committed: committed, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, q)
	start := !b.busy
	b.busy = true
	if b.onQueue != nil {
		b.onQueue(len(b.queue))
	}
	b.mu.Unlock()
	if start {
		b.workers.Go(b.drain)
	}
	select {
	case <-q.done:
		return q.err
	case <-ctx.Done():
		if b.withdraw(q) {
			return wrap(ctx.Err())
		}
		<-q.done
		return q.err
	}
}

// withdraw removes q from the queue, reporting whether it was still
// there.
func (b *batcher) withdraw(q *queued) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.Index(b.queue, q)
	if i < 0 {
		return false
	}
	b.queue = slices.Delete(b.queue, i, i+1)
	return true
}

// drain commits the queue, group by group, until it is empty.
func (b *batcher) drain() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.busy = false
			b.mu.Unlock()
			return
		}
		group := slices.Clone(b.queue[:n])
		b.queue = slices.Delete(b.queue, 0, n)
		b.groups++
		if b.onTake != nil {
			b.onTake(n)
		}
		b.mu.Unlock()
		b.commit(group)
		for _, q := range group {
			if q.err == nil && q.committed != nil {
				q.committed()
			}
			close(q.done)
		}
	}
}

// commit runs a group of writes in one transaction and sets each one's
// error.
func (b *batcher) commit(group []*queued) {
	ctx := context.Background()
	fail := func(err error) {
		for _, q := range group {
			if q.err == nil {
				q.err = q.wrap(err)
			}
		}
	}
	tx, err := b.h.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	alone := len(group) == 1
	for _, q := range group {
		wctx := context.WithoutCancel(q.ctx)
		if alone {
			if q.err = q.fn(wctx, tx); q.err != nil {
				tx.Rollback()
				return
			}
			break
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT write`); err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		q.err = q.fn(wctx, tx)
		if q.err != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
				tx.Rollback()
				fail(err)
				return
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE write`); err != nil {
			tx.Rollback()
			fail(err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(err)
	}
}
