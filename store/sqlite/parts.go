package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/caravan-dev/caravan/store"
)

var _ store.PartStore = (*Store)(nil)

// PutParts implements store.PartStore: the record's row and its changed
// parts in one transaction, the record's ETag checked by the update.
func (s *Store) PutParts(ctx context.Context, w store.PartedWrite, cond store.Precondition) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := errors.Join(store.CheckRecord(w.Record), store.CheckPartedWrite(w, cond)); err != nil {
		return err
	}
	rec := w.Record
	fail := func(err error) error { return s.fail(err, "writing %s %s", rec.Kind, rec.ID) }
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	// The parts kept in memory follow the write as soon as it is
	// committed: a read that finds the new row then assembles it from
	// them, rather than from the database.
	committed := func() {
		s.checkpoints.wrote()
		s.parts.Wrote(w, cond.IfMatch)
	}
	err := s.batch.doCommitted(ctx, func(ctx context.Context, tx *txn) error {
		// The summary's write leaves the indexes alone when the run's
		// parent and state are as stored (see sameIndexed), as they are
		// at every write but those that change the run's state.
		updated := func(query string, args ...any) (bool, error) {
			res, err := tx.ExecContext(ctx, query, args...)
			if err != nil {
				return false, fail(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return false, fail(err)
			}
			return n == 1, nil
		}
		done, err := updated(sameIndexed, rec.ID, string(rec.Kind), rec.Parent, rec.ETag, rec.State, body, cond.IfMatch)
		if err == nil && !done {
			done, err = updated(`UPDATE caravan_records SET parent = ?2, etag = ?3, state = ?4, body = ?5
			WHERE id = ?1 AND kind = ?6 AND etag = ?7`, rec.ID, rec.Parent, rec.ETag, rec.State, body, string(rec.Kind), cond.IfMatch)
		}
		switch {
		case err != nil:
			return err
		case !done:
			return store.ErrPreconditionFailed
		}
		if w.Reset {
			if _, err := tx.ExecContext(ctx, `DELETE FROM caravan_record_parts WHERE id = ?1`, rec.ID); err != nil {
				return fail(err)
			}
		}
		for _, p := range w.Parts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO caravan_record_parts (id, key, body) VALUES (?1, ?2, ?3)
			ON CONFLICT (id, key) DO UPDATE SET body = excluded.body`, rec.ID, p.Key, p.Body); err != nil {
				return fail(err)
			}
		}
		for _, c := range w.Release {
			if _, err := tx.ExecContext(ctx, releaseClaim, store.CanonicalID(c), store.CanonicalID(rec.ID), w.ReleaseEpoch); err != nil {
				return fail(err)
			}
		}
		return nil
	}, fail, committed)
	if err != nil {
		s.parts.Drop(rec.ID)
		return err
	}
	return nil
}

// assemble returns rec with its parts in its body, when it has any, and
// whether the body is known to be a JSON object: from the parts kept of
// this store's last write, or the document kept of the last read, when
// the record is as they were, else read with its parts in one read
// transaction (which may find a newer version of the record). The body of
// a record kept in parts is shared with the caches: callers that hand it
// out copy it.
func (s *Store) assemble(ctx context.Context, rec store.Record) (store.Record, bool, error) {
	rec, found, checked, err := store.KeptDocument(ctx, rec, &s.parts, &s.assembled, s.row, s.String())
	if found || err != nil {
		return rec, checked, err
	}
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Record{}, false, s.fail(err, "reading %s %s", rec.Kind, rec.ID)
	}
	defer tx.Rollback()
	cur, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM caravan_records WHERE id = ?1 AND kind = ?2`, rec.ID, string(rec.Kind)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Record{}, false, store.ErrNotFound
	case err != nil:
		return store.Record{}, false, s.fail(err, "reading %s %s", rec.Kind, rec.ID)
	}
	rows, err := tx.QueryContext(ctx, `SELECT key, body FROM caravan_record_parts WHERE id = ?1 ORDER BY key`, rec.ID)
	if err != nil {
		return store.Record{}, false, s.fail(err, "reading the parts of %s %s", rec.Kind, rec.ID)
	}
	defer rows.Close()
	var parts []store.Part
	for rows.Next() {
		var p store.Part
		if err := rows.Scan(&p.Key, &p.Body); err != nil {
			return store.Record{}, false, s.fail(err, "reading the parts of %s %s", rec.Kind, rec.ID)
		}
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return store.Record{}, false, s.fail(err, "reading the parts of %s %s", rec.Kind, rec.ID)
	}
	return store.AssembleRead(cur, parts, &s.assembled, s.String())
}

// assemblePage assembles the records of a page kept in parts, and says
// which bodies are known to be JSON objects. Without share, it copies the
// bodies the caches keep.
func (s *Store) assemblePage(ctx context.Context, page store.Page, share bool) (store.Page, []bool, error) {
	return store.AssemblePage(ctx, page, share, s.assemble)
}

// deleteParts removes the parts of the records a Delete removes (the
// records with the given id or below it); it runs in the Delete's
// transaction before the records go.
const deleteParts = `WITH RECURSIVE doomed(id) AS (
		SELECT ?1
		UNION
		SELECT r.id FROM caravan_records r JOIN doomed d ON r.parent = d.id
	)
	DELETE FROM caravan_record_parts WHERE id IN (SELECT id FROM doomed)`
