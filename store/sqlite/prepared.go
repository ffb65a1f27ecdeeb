package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements. SQLite compiles a statement's text before running
// it, and for the short statements this store runs at each member
// transition (read a record, write a run's changed parts, claim a
// cluster) that compilation costs about as much as running them. So each
// handle keeps its statements prepared, by text, and runs them from there:
// database/sql prepares a statement once on each connection that runs it
// and reuses it after, in a transaction too. The methods have the names
// and results of *sql.DB's and *sql.Tx's, so the queries read as they
// would without it.

// maxPrepared bounds the statements one handle keeps. The store's texts
// are a few dozen; a text beyond the bound runs unprepared.
const maxPrepared = 256

// handle is a database handle that keeps its statements prepared.
type handle struct {
	*sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// background counts the preparations begun after transactions.
	background sync.WaitGroup
}

func newHandle(db *sql.DB) *handle { return &handle{DB: db, stmts: map[string]*sql.Stmt{}} }

// prepared returns the statement for query, preparing it the first time;
// nil when the handle keeps no more or it does not prepare (the caller
// then runs the text, which reports the error). No lock is held while
// preparing: that waits for a free connection, which may be held by a
// transaction that looks up its own statements meanwhile.
func (h *handle) prepared(ctx context.Context, query string) *sql.Stmt {
	if st, ok := h.lookup(query); st != nil || !ok {
		return st
	}
	st, err := h.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if had := h.stmts[query]; had != nil {
		st.Close()
		return had
	}
	h.stmts[query] = st
	return st
}

// lookup returns the statement kept for query; ok is false when there is
// none and no room for one.
func (h *handle) lookup(query string) (st *sql.Stmt, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.stmts[query]; st != nil {
		return st, true
	}
	return nil, len(h.stmts) < maxPrepared
}

// ExecContext runs query from its prepared statement.
func (h *handle) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := h.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return h.DB.ExecContext(ctx, query, args...)
}

// QueryContext runs query from its prepared statement.
func (h *handle) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := h.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return h.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query from its prepared statement.
func (h *handle) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := h.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return h.DB.QueryRowContext(ctx, query, args...)
}

// BeginTx begins a transaction that runs the handle's prepared
// statements.
func (h *handle) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := h.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, h: h, ctx: context.WithoutCancel(ctx)}, nil
}

// Close closes the prepared statements, then the database.
func (h *handle) Close() error {
	h.background.Wait()
	h.mu.Lock()
	for q, st := range h.stmts {
		st.Close()
		delete(h.stmts, q)
	}
	h.mu.Unlock()
	return h.DB.Close()
}

// txn is a transaction of a handle: its statements run from the handle's
// prepared ones, on the transaction's connection. A statement the handle
// has not prepared yet runs as text, and is prepared for the handle once
// the transaction ends: preparing it now would wait for a connection,
// and the writer has only the one this transaction holds. It is
// prepared in the background, so that ending a transaction never waits.
type txn struct {
	*sql.Tx
	h      *handle
	ctx    context.Context
	missed []string
}

// stmt returns the handle's statement for query bound to the
// transaction, or nil.
func (t *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	st, room := t.h.lookup(query)
	if st == nil {
		if room {
			t.missed = append(t.missed, query)
		}
		return nil
	}
	return t.Tx.StmtContext(ctx, st)
}

// Commit commits the transaction, then prepares what it ran as text.
func (t *txn) Commit() error {
	err := t.Tx.Commit()
	t.prepareMissed()
	return err
}

// Rollback rolls the transaction back, then prepares what it ran as
// text.
func (t *txn) Rollback() error {
	err := t.Tx.Rollback()
	t.prepareMissed()
	return err
}

func (t *txn) prepareMissed() {
	missed := t.missed
	t.missed = nil
	if len(missed) > 0 {
		t.h.background.Go(func() {
			for _, q := range missed {
				t.h.prepared(t.ctx, q)
			}
		})
	}
}

// ExecContext runs query in the transaction from its prepared statement.
func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction from its prepared statement.
func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction from its prepared
// statement.
func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
