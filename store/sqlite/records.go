package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

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
	row := s.reader.QueryRowContext(ctx, `SELECT `+columns+` FROM caravan_records WHERE id = ?1 AND kind = ?2`, id, string(kind))
	rec, err := scanRecord(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
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
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return store.Page{}, nil, s.fail(err, "listing %s", o.Kind)
	}
	defer rows.Close()
	page, err := store.ReadPage(o.Limit, rows.Next, func() (store.Record, error) { return scanRecord(rows) })
	if err != nil {
		return store.Page{}, nil, s.fail(err, "listing %s", o.Kind)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, nil, s.fail(err, "listing %s", o.Kind)
	}
	rows.Close()
	return s.assemblePage(ctx, page, share)
}

// listQuery selects o's records in id order, one more than the limit so
// that List knows whether another page follows.
func listQuery(o store.ListOptions) (string, []any) {
	var q strings.Builder
	args := []any{string(o.Kind)}
	q.WriteString(`SELECT ` + columns + ` FROM caravan_records`)
	if len(o.States) > 0 {
		// Few records are in the states asked for (the active runs among
		// every run kept): find them by state and sort them, rather than
		// read every record of the kind in id order.
		q.WriteString(` INDEXED BY caravan_records_by_state`)
	}
	q.WriteString(` WHERE kind = ?`)
	if o.Parent != "" {
		q.WriteString(` AND parent = ?`)
		args = append(args, o.Parent)
	}
	if o.ParentPrefix != "" {
		q.WriteString(` AND substr(parent, 1, length(?)) = ?`)
		args = append(args, o.ParentPrefix, o.ParentPrefix)
	}
	if len(o.States) > 0 {
		q.WriteString(` AND state IN (?` + strings.Repeat(`, ?`, len(o.States)-1) + `)`)
		for _, st := range o.States {
			args = append(args, st)
		}
	}
	if o.After != "" {
		q.WriteString(` AND id > ?`)
		args = append(args, o.After)
	}
	q.WriteString(` ORDER BY id`)
	if o.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, o.Limit+1)
	}
	return q.String(), args
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (store.Record, error) {
	var rec store.Record
	var kind string
	if err := row.Scan(&rec.ID, &kind, &rec.Parent, &rec.ETag, &rec.State, &rec.Body); err != nil {
		return store.Record{}, err
	}
	rec.Kind = store.Kind(kind)
	return rec, nil
}

// The statements a write is made of. Each changes a row only if it is
// still what the precondition was checked against, so a write that loses
// a race changes nothing and looks again; and only while the record's
// parent exists (?7, or ?9, is the parent's kind, empty for a kind whose
// parent is not stored). SQLite runs one writing statement or transaction
// at a time, so a statement sees a parent either before a Delete's
// transaction, which then removes what it wrote, or after, when the
// parent is gone.
const (
	upsert = `INSERT INTO caravan_records (` + columns + `) SELECT ?1, ?2, ?3, ?4, ?5, ?6
		WHERE ?7 = '' OR ` + parentExists7 + `
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, parent = excluded.parent,
		etag = excluded.etag, state = excluded.state, body = excluded.body`
	insertIfAbsent = `INSERT INTO caravan_records (` + columns + `) SELECT ?1, ?2, ?3, ?4, ?5, ?6
		WHERE ?7 = '' OR ` + parentExists7 + `
		ON CONFLICT (id) DO NOTHING`
	replaceIfUnchanged = `UPDATE caravan_records SET kind = ?2, parent = ?3, etag = ?4, state = ?5, body = ?6
		WHERE id = ?1 AND kind = ?7 AND etag = ?8 AND (?9 = '' OR ` + parentExists9 + `)`
	// sameIndexed is the write of a record whose kind, parent and state
	// stay as stored: most writes (a run's summary, a cluster's
	// observation) change only its ETag and body. SQLite rewrites an
	// index's entry whenever an UPDATE assigns one of its columns, even to
	// the value it had, so the general statements above cost three index
	// pages more per write; this one leaves the indexes alone. ?7 is the
	// ETag the row must have, or '' for none. A row with its parent
	// unchanged needs no check of the parent: a parent's Delete takes its
	// children with it.
	sameIndexed = `UPDATE caravan_records SET etag = ?4, body = ?6
		WHERE id = ?1 AND kind = ?2 AND parent = ?3 AND state = ?5 AND (?7 = '' OR etag = ?7)`
	current       = `SELECT kind, etag FROM caravan_records WHERE id = ?1`
	parentExists7 = `EXISTS (SELECT 1 FROM caravan_records p WHERE p.id = ?3 AND p.kind = ?7)`
	parentExists9 = `EXISTS (SELECT 1 FROM caravan_records p WHERE p.id = ?3 AND p.kind = ?9)`
	parentRow     = `SELECT 1 FROM caravan_records WHERE id = ?1 AND kind = ?2`
)

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, rec store.Record, cond store.Precondition) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := store.CheckRecord(rec); err != nil {
		return err
	}
	parentKind := string(store.ParentKind(rec.Kind))
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	args := []any{rec.ID, string(rec.Kind), rec.Parent, rec.ETag, rec.State, body}
	return s.batch.do(ctx, func(ctx context.Context, tx *txn) error {
		exec := func(query string, more ...any) (bool, error) {
			res, err := tx.ExecContext(ctx, query, append(args, more...)...)
			if err != nil {
				return false, s.fail(err, "writing %s %s", rec.Kind, rec.ID)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return false, s.fail(err, "writing %s %s", rec.Kind, rec.ID)
			}
			s.checkpoints.wrote()
			return n == 1, nil
		}

		return store.PutIf(ctx, rec.Kind, cond, store.Writes{
			Upsert: func() (bool, error) {
				if done, err := exec(sameIndexed, ""); done || err != nil {
					return done, err
				}
				return exec(upsert, parentKind)
			},
			InsertIfAbsent: func() (bool, error) { return exec(insertIfAbsent, parentKind) },
			ReplaceIfUnchanged: func(kind, etag string) (bool, error) {
				if kind == string(rec.Kind) {
					if done, err := exec(sameIndexed, etag); done || err != nil {
						return done, err
					}
				}
				return exec(replaceIfUnchanged, kind, etag, parentKind)
			},
			ParentExists: func() (bool, error) {
				var one int
				err := tx.QueryRowContext(ctx, parentRow, rec.Parent, parentKind).Scan(&one)
				switch {
				case errors.Is(err, sql.ErrNoRows):
					return false, nil
				case err != nil:
					return false, s.fail(err, "reading the parent of %s %s", rec.Kind, rec.ID)
				}
				return true, nil
			},
			Current: func() (string, string, bool, error) {
				var kind, etag string
				err := tx.QueryRowContext(ctx, current, rec.ID).Scan(&kind, &etag)
				switch {
				case errors.Is(err, sql.ErrNoRows):
					return "", "", false, nil
				case err != nil:
					return "", "", false, s.fail(err, "reading %s %s", rec.Kind, rec.ID)
				}
				return kind, etag, true, nil
			},
		})
	}, func(err error) error { return s.fail(err, "writing %s %s", rec.Kind, rec.ID) })
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
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	defer tx.Rollback()
	var gotKind, etag string
	err = tx.QueryRowContext(ctx, current, id).Scan(&gotKind, &etag)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return s.fail(err, "deleting %s %s", kind, id)
	case gotKind != string(kind):
		return store.ErrNotFound
	case !store.Check(cond, true, etag):
		return store.ErrPreconditionFailed
	}
	const cascade = `WITH RECURSIVE doomed(id) AS (
			SELECT ?1
			UNION
			SELECT r.id FROM caravan_records r JOIN doomed d ON r.parent = d.id
		)
		DELETE FROM caravan_records WHERE id IN (SELECT id FROM doomed)`
	if _, err := tx.ExecContext(ctx, deleteParts, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if _, err := tx.ExecContext(ctx, cascade, id); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	if err := tx.Commit(); err != nil {
		return s.fail(err, "deleting %s %s", kind, id)
	}
	s.checkpoints.wrote()
	return nil
}
