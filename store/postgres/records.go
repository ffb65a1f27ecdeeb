package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/caravan-dev/caravan/store"
)

const columns = `id, kind, parent, etag, state, body`

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, kind store.Kind, id string) (store.Record, error) {
	if s.closed.Load() {
		return store.Record{}, store.ErrClosed
	}
	row := s.pool.QueryRow(ctx, `SELECT `+columns+` FROM caravan_records WHERE id = $1 AND kind = $2`, id, string(kind))
	rec, err := scanRecord(row)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Record{}, store.ErrNotFound
	case err != nil:
		return store.Record{}, s.fail(err, "reading %s %s", kind, id)
	}
	return s.assemble(ctx, rec)
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, o store.ListOptions) (store.Page, error) {
	if s.closed.Load() {
		return store.Page{}, store.ErrClosed
	}
	query, args := listQuery(o)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return store.Page{}, s.fail(err, "listing %s", o.Kind)
	}
	defer rows.Close()
	page, err := store.ReadPage(o.Limit, rows.Next, func() (store.Record, error) { return scanRecord(rows) })
	if err != nil {
		return store.Page{}, s.fail(err, "listing %s", o.Kind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Page{}, s.fail(err, "listing %s", o.Kind)
	}
	return s.assemblePage(ctx, page)
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
// checked or changes nothing and looks again.
const (
	upsert = `INSERT INTO caravan_records (` + columns + `) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, parent = excluded.parent,
		etag = excluded.etag, state = excluded.state, body = excluded.body`
	insertIfAbsent = `INSERT INTO caravan_records (` + columns + `) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO NOTHING`
	replaceIfUnchanged = `UPDATE caravan_records SET kind = $2, parent = $3, etag = $4, state = $5, body = $6
		WHERE id = $1 AND kind = $7 AND etag = $8`
	current = `SELECT kind, etag FROM caravan_records WHERE id = $1`
)

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, rec store.Record, cond store.Precondition) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	args := []any{rec.ID, string(rec.Kind), rec.Parent, rec.ETag, rec.State, body}
	exec := func(query string, more ...any) (bool, error) {
		tag, err := s.pool.Exec(ctx, query, append(args, more...)...)
		if err != nil {
			return false, s.fail(err, "writing %s %s", rec.Kind, rec.ID)
		}
		return tag.RowsAffected() == 1, nil
	}

	err := store.PutIf(ctx, rec.Kind, cond, store.Writes{
		Upsert:         func() (bool, error) { return exec(upsert) },
		InsertIfAbsent: func() (bool, error) { return exec(insertIfAbsent) },
		ReplaceIfUnchanged: func(kind, etag string) (bool, error) {
			return exec(replaceIfUnchanged, kind, etag)
		},
		Current: func() (string, string, bool, error) {
			var kind, etag string
			err := s.pool.QueryRow(ctx, current, rec.ID).Scan(&kind, &etag)
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
	const cascade = `WITH RECURSIVE doomed(id) AS (
			SELECT $1::text COLLATE "C"
			UNION
			SELECT r.id FROM caravan_records r JOIN doomed d ON r.parent = d.id
		)
		DELETE FROM caravan_records WHERE id IN (SELECT id FROM doomed)`
	if _, err := tx.Exec(ctx, deleteParts, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if _, err := tx.Exec(ctx, cascade, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	return nil
}
