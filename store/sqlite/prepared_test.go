package sqlite

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"
	"time"
)

func openHandle(t *testing.T) *handle {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "h.db"), url.Values{}))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // as the writer
	h := newHandle(db)
	t.Cleanup(func() { h.Close() })
	if _, err := h.ExecContext(context.Background(), `CREATE TABLE t (a INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *handle) kept() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.stmts)
}

func TestHandleKeepsStatementsPrepared(t *testing.T) {
	h := openHandle(t)
	ctx := context.Background()
	before := h.kept()
	for i := range 3 {
		if _, err := h.ExecContext(ctx, `INSERT INTO t (a) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.kept(); got != before+1 {
		t.Fatalf("after one text run three times the handle keeps %d statements, want %d", got, before+1)
	}
	var n int
	if err := h.QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("counted %d rows (error %v), want 3", n, err)
	}
	// A statement kept across a change of the schema still answers for
	// the table as it is now.
	if _, err := h.ExecContext(ctx, `ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	rows, err := h.QueryContext(ctx, `SELECT * FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	rows.Close()
	if len(cols) != 2 {
		t.Fatalf("SELECT * after ALTER TABLE gave columns %v, want a and b", cols)
	}
}

// The writer has one connection, which a transaction holds: a statement
// the handle has not prepared yet must run in the transaction without
// waiting for a second connection, and be prepared once it ends.
func TestTransactionRunsUnpreparedTextWithoutWaiting(t *testing.T) {
	h := openHandle(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const q = `INSERT INTO t (a) VALUES (?1)`
	for round := range 2 {
		tx, err := h.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, q, round); err != nil {
			t.Fatalf("round %d: %v (a transaction waited for a connection it holds)", round, err)
		}
		missed := len(tx.missed)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		h.background.Wait()
		if st, _ := h.lookup(q); st == nil {
			t.Fatalf("round %d: the text the transaction ran is not prepared after it ended", round)
		}
		if want := 1 - round; missed != want {
			t.Fatalf("round %d: the transaction ran %d texts unprepared, want %d", round, missed, want)
		}
	}
	var n int
	if err := h.QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("counted %d rows (error %v), want 2", n, err)
	}
}
