package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/caravan-dev/caravan/store"
)

const columns = `id, kind, parent, etag, state, body`

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, kind store.Kind, id string) (store.Record, error) {
	rec, err := s.row(ctx, kind, id)
	if err != nil || !store.HasParts(rec.Body) {
		return rec, err
	}
	rec, _, err = s.assemble(ctx, rec)
	if err != nil {
		return store.Record{}, err
	}
	// The document may be the caches'; the caller may change its copy.
	rec.Body = slices.Clone(rec.Body)
	return rec, nil
}

// GetShared implements store.SharedReader.
func (s *Store) GetShared(ctx context.Context, kind store.Kind, id string) (store.Record, bool, error) {
	rec, err := s.row(ctx, kind, id)
	if err != nil {
		return store.Record{}, false, err
	}
	return s.assemble(ctx, rec)
}

// row reads a record's row, its body as stored.
func (s *Store) row(ctx context.Context, kind store.Kind, id string) (store.Record, error) {
	if s.closed.Load() {
		return store.Record{}, store.ErrClosed
	}
	if err := errors.Join(store.CheckKey("kind", string(kind)), store.CheckKey("id", id)); err != nil {
		return store.Record{}, err
	}
	row := s.pool.QueryRow(ctx, `SELECT `+columns+` FROM caravan_records WHERE id = $1 AND kind = $2`, id, string(kind))
	rec, err := scanRecord(row)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Record{}, store.ErrNotFound
	case err != nil:
		return store.Record{}, s.fail(err, "reading %s %s", kind, id)
	}
	return rec, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, o store.ListOptions) (store.Page, error) {
	page, _, err := s.list(ctx, o, false)
	return page, err
}

// ListShared implements store.SharedLister.
func (s *Store) ListShared(ctx context.Context, o store.ListOptions) (store.Page, []bool, error) {
	return s.list(ctx, o, true)
}

// list reads a page of records; with share, the bodies of records kept
// in parts may be the caches'.
func (s *Store) list(ctx context.Context, o store.ListOptions, share bool) (store.Page, []bool, error) {
	if s.closed.Load() {
		return store.Page{}, nil, store.ErrClosed
	}
	if err := store.CheckList(o); err != nil {
		return store.Page{}, nil, err
	}
	query, args := listQuery(o)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return store.Page{}, nil, s.fail(err, "listing %s", o.Kind)
	}
	defer rows.Close()
	page, err := store.ReadPage(o.Limit, rows.Next, func() (store.Record, error) { return scanRecord(rows) })
	if err != nil {
		return store.Page{}, nil, s.fail(err, "listing %s", o.Kind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Page{}, nil, s.fail(err, "listing %s", o.Kind)
	}
	return s.assemblePage(ctx, page, share)
}

// listQuery selects o's records in id order, one more than the limit so
// that List knows whether another page follows.
func listQuery(o store.ListOptions) (string, []any) {
	var q strings.Builder
	args := []any{string(o.Kind)}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	q.WriteString(`SELECT ` + columns + ` FROM caravan_records WHERE kind = $1`)
	if o.Parent != "" {
		q.WriteString(` AND parent = ` + arg(o.Parent))
	}
	if o.ParentPrefix != "" {
		q.WriteString(` AND starts_with(parent, ` + arg(o.ParentPrefix) + `)`)
	}
	if len(o.States) > 0 {
		q.WriteString(` AND state = ANY(` + arg(o.States) + `)`)
	}
	if o.After != "" {
		q.WriteString(` AND id > ` + arg(o.After))
	}
	q.WriteString(` ORDER BY id`)
	if o.Limit > 0 {
		q.WriteString(` LIMIT ` + arg(o.Limit+1))
	}
	return q.String(), args
}

func scanRecord(row pgx.Row) (store.Record, error) {
	var rec store.Record
	var kind string
	if err := row.Scan(&rec.ID, &kind, &rec.Parent, &rec.ETag, &rec.State, &rec.Body); err != nil {
		return store.Record{}, err
	}
	rec.Kind = store.Kind(kind)
	return rec, nil
}

// The statements a write is made of. Each changes a row only if it is
// still what the precondition was checked against, so that of several
// servers writing at once each write either applies to the version it
// checked or changes nothing and looks again. Each also changes a row
// only while the record's parent exists ($7, or $9, is the parent's kind,
// empty for a kind whose parent is not stored), and takes a key-share lock
// on the parent's row to check it (the weakest lock: it holds up a delete
// or FOR UPDATE, not an update of the parent). A Delete, which locks the
// row it removes FOR UPDATE before removing its descendants, waits for
// the statement to commit and then removes what it wrote, or the
// statement waits for the Delete and finds no parent.
const (
	parentExists7 = `EXISTS (SELECT 1 FROM caravan_records p WHERE p.id = $3::text AND p.kind = $7::text FOR KEY SHARE)`
	parentExists9 = `EXISTS (SELECT 1 FROM caravan_records p WHERE p.id = $3::text AND p.kind = $9::text FOR KEY SHARE)`
	upsert        = `INSERT INTO caravan_records (` + columns + `) SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bytea
		WHERE $7::text = '' OR ` + parentExists7 + `
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, parent = excluded.parent,
		etag = excluded.etag, state = excluded.state, body = excluded.body`
	insertIfAbsent = `INSERT INTO caravan_records (` + columns + `) SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bytea
		WHERE $7::text = '' OR ` + parentExists7 + `
		ON CONFLICT (id) DO NOTHING`
	replaceIfUnchanged = `UPDATE caravan_records SET kind = $2, parent = $3, etag = $4, state = $5, body = $6
		WHERE id = $1 AND kind = $7 AND etag = $8 AND ($9::text = '' OR ` + parentExists9 + `)`
	current   = `SELECT kind, etag FROM caravan_records WHERE id = $1`
	parentRow = `SELECT 1 FROM caravan_records WHERE id = $1 AND kind = $2`
)

// querier is what a write runs on: the pool, or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, rec store.Record, cond store.Precondition) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return s.put(ctx, s.pool, rec, cond)
}

// put writes a record on q.
func (s *Store) put(ctx context.Context, q querier, rec store.Record, cond store.Precondition) error {
	if err := store.CheckRecord(rec); err != nil {
		return err
	}
	parentKind := string(store.ParentKind(rec.Kind))
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	args := []any{rec.ID, string(rec.Kind), rec.Parent, rec.ETag, rec.State, body}
	exec := func(query string, more ...any) (bool, error) {
		tag, err := q.Exec(ctx, query, append(args, more...)...)
		if err != nil {
			return false, s.fail(err, "writing %s %s", rec.Kind, rec.ID)
		}
		return tag.RowsAffected() == 1, nil
	}

	err := store.PutIf(ctx, rec.Kind, cond, store.Writes{
		Upsert:         func() (bool, error) { return exec(upsert, parentKind) },
		InsertIfAbsent: func() (bool, error) { return exec(insertIfAbsent, parentKind) },
		ReplaceIfUnchanged: func(kind, etag string) (bool, error) {
			return exec(replaceIfUnchanged, kind, etag, parentKind)
		},
		ParentExists: func() (bool, error) {
			var one int
			err := q.QueryRow(ctx, parentRow, rec.Parent, parentKind).Scan(&one)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return false, nil
			case err != nil:
				return false, s.fail(err, "reading the parent of %s %s", rec.Kind, rec.ID)
			}
			return true, nil
		},
		Current: func() (string, string, bool, error) {
			var kind, etag string
			err := q.QueryRow(ctx, current, rec.ID).Scan(&kind, &etag)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return "", "", false, nil
			case err != nil:
				return "", "", false, s.fail(err, "reading %s %s", rec.Kind, rec.ID)
			}
			return kind, etag, true, nil
		},
	})
	if err != nil && err == ctx.Err() {
		return s.fail(err, "writing %s %s", rec.Kind, rec.ID)
	}
	return err
}

// Delete implements store.Store: it removes the record and, in the same
// transaction, every record below it by Parent.
func (s *Store) Delete(ctx context.Context, kind store.Kind, id string, cond store.Precondition) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := errors.Join(store.CheckKey("kind", string(kind)), store.CheckKey("id", id)); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var gotKind, etag string
	err = tx.QueryRow(ctx, current+` FOR UPDATE`, id).Scan(&gotKind, &etag)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return s.fail(err, "deleting %s %s", kind, id)
	case gotKind != string(kind):
		return store.ErrNotFound
	case !store.Check(cond, true, etag):
		return store.ErrPreconditionFailed
	}
	const doomed = `WITH RECURSIVE doomed(id) AS (
			SELECT $1::text COLLATE "C"
			UNION
			SELECT r.id FROM caravan_records r JOIN doomed d ON r.parent = d.id
		)`
	// Lock the descendants first: a write of a grandchild holds a
	// key-share lock on its parent (a child) until it commits, so once
	// every child is locked here, each such write has either committed,
	// and the delete below (a new statement, seeing it) removes it, or
	// waits for this transaction and then finds no parent.
	if _, err := tx.Exec(ctx, doomed+` SELECT 1 FROM caravan_records r WHERE r.id IN (SELECT id FROM doomed) FOR UPDATE OF r`, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if _, err := tx.Exec(ctx, doomed+` DELETE FROM caravan_record_parts WHERE id IN (SELECT id FROM doomed)`, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if _, err := tx.Exec(ctx, doomed+` DELETE FROM caravan_records WHERE id IN (SELECT id FROM doomed)`, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	return nil
}
