package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// Claims on clusters are rows of caravan_upgrade_claims, so that they
// outlive the process as they do on PostgreSQL: a server that starts
// again resumes its runs with the clusters their begun upgrades hold
// still claimed, and no other run takes one meanwhile. A claim is taken
// in one write transaction (SQLite has one writer at a time), reading the
// holder's run state from caravan_records.
var _ store.Claimer = (*Store)(nil)

// ClaimCluster implements store.Claimer.
func (s *Store) ClaimCluster(ctx context.Context, cluster, run string, epoch int64, live []string) (store.Claim, error) {
	if s.closed.Load() {
		return store.Claim{}, store.ErrClosed
	}
	cluster, run = store.CanonicalID(cluster), store.CanonicalID(run)
	fail := func(err error) (store.Claim, error) {
		return store.Claim{}, s.fail(err, "claiming cluster %s for update run %s", cluster, run)
	}
	var next store.Claim
	err := s.batch.do(ctx, func(ctx context.Context, tx *txn) error {
		cur := store.Claim{Cluster: cluster}
		var since int64
		err := tx.QueryRowContext(ctx, `SELECT run, epoch, since FROM caravan_upgrade_claims WHERE cluster = ?`, cluster).Scan(&cur.Run, &cur.Epoch, &since)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cur.Since = time.Unix(0, since).UTC()
		next = store.Claim{Cluster: cluster, Run: run, Epoch: epoch, Since: time.Now().UTC()}
		switch {
		case found && cur.Run == run && cur.Epoch > epoch:
			return store.ErrLeaseLost
		case found && cur.Run == run:
			next.Since = cur.Since
		case found:
			var state string
			err := tx.QueryRowContext(ctx, `SELECT state FROM caravan_records WHERE id = ? AND kind = ?`, cur.Run, string(store.Runs)).Scan(&state)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err == nil && stateIn(state, live) {
				return &store.ClaimedError{Holder: cur}
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO caravan_upgrade_claims (cluster, run, epoch, since) VALUES (?, ?, ?, ?)
		ON CONFLICT (cluster) DO UPDATE SET run = excluded.run, epoch = excluded.epoch, since = excluded.since`,
			cluster, run, epoch, next.Since.UnixNano())
		return err
	}, func(err error) error { return err })
	var claimed *store.ClaimedError
	switch {
	case err == nil:
		return next, nil
	case errors.Is(err, store.ErrLeaseLost) || errors.As(err, &claimed):
		return store.Claim{}, err
	}
	return fail(err)
}

func stateIn(state string, states []string) bool {
	for _, s := range states {
		if s == state {
			return true
		}
	}
	return false
}

// releaseClaim deletes a cluster's claim by a run at an epoch or older.
const releaseClaim = `DELETE FROM caravan_upgrade_claims WHERE cluster = ? AND run = ? AND epoch <= ?`

// ReleaseClaim implements store.Claimer.
func (s *Store) ReleaseClaim(ctx context.Context, cluster, run string, epoch int64) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	fail := func(err error) error {
		return s.fail(err, "releasing the claim of update run %s on cluster %s", run, cluster)
	}
	return s.batch.do(ctx, func(ctx context.Context, tx *txn) error {
		if _, err := tx.ExecContext(ctx, releaseClaim, store.CanonicalID(cluster), store.CanonicalID(run), epoch); err != nil {
			return fail(err)
		}
		return nil
	}, fail)
}

// ReleaseClaims implements store.Claimer.
func (s *Store) ReleaseClaims(ctx context.Context, run string, epoch int64) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := s.writer.ExecContext(ctx, `DELETE FROM caravan_upgrade_claims WHERE run = ? AND epoch <= ?`, store.CanonicalID(run), epoch); err != nil {
		return s.fail(err, "releasing the claims of update run %s", run)
	}
	return nil
}

// Claims implements store.Claimer.
func (s *Store) Claims(ctx context.Context, run string) ([]store.Claim, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT cluster, run, epoch, since FROM caravan_upgrade_claims
		WHERE ?1 = '' OR run = ?1 ORDER BY cluster`, store.CanonicalID(run))
	if err != nil {
		return nil, s.fail(err, "listing claims on clusters")
	}
	defer rows.Close()
	var out []store.Claim
	for rows.Next() {
		var c store.Claim
		var since int64
		if err := rows.Scan(&c.Cluster, &c.Run, &c.Epoch, &since); err != nil {
			return nil, s.fail(err, "listing claims on clusters")
		}
		c.Since = time.Unix(0, since).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, "listing claims on clusters")
	}
	return out, nil
}
