package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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
var (
	_ store.Claimer     = (*Store)(nil)
	_ store.PartClaimer = (*Store)(nil)
)

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
	err := s.batch.do(ctx, func(ctx context.Context, tx *txn) (err error) {
		next, err = claimIn(ctx, tx, cluster, run, epoch, live)
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

// claimIn claims cluster for run at epoch in the transaction tx (canonical
// ids): the rule of store.Claimer's ClaimCluster.
func claimIn(ctx context.Context, tx *txn, cluster, run string, epoch int64, live []string) (store.Claim, error) {
	cur := store.Claim{Cluster: cluster}
	var since int64
	err := tx.QueryRowContext(ctx, `SELECT run, epoch, since FROM caravan_upgrade_claims WHERE cluster = ?`, cluster).Scan(&cur.Run, &cur.Epoch, &since)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return store.Claim{}, err
	}
	cur.Since = time.Unix(0, since).UTC()
	next := store.Claim{Cluster: cluster, Run: run, Epoch: epoch, Since: time.Now().UTC()}
	switch {
	case found && cur.Run == run && cur.Epoch > epoch:
		return store.Claim{}, store.ErrLeaseLost
	case found && cur.Run == run:
		next.Since = cur.Since
	case found:
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM caravan_records WHERE id = ? AND kind = ?`, cur.Run, string(store.Runs)).Scan(&state)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return store.Claim{}, err
		}
		if err == nil && stateIn(state, live) {
			return store.Claim{}, &store.ClaimedError{Holder: cur}
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO caravan_upgrade_claims (cluster, run, epoch, since) VALUES (?, ?, ?, ?)
	ON CONFLICT (cluster) DO UPDATE SET run = excluded.run, epoch = excluded.epoch, since = excluded.since`,
		cluster, run, epoch, next.Since.UnixNano())
	return next, err
}

// LiveClaims implements store.PartClaimer: one query, the clusters and the
// live states given as JSON arrays.
func (s *Store) LiveClaims(ctx context.Context, clusters []string, live []string) (map[string]store.Claim, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	out := map[string]store.Claim{}
	if len(clusters) == 0 {
		return out, nil
	}
	ids := make([]string, len(clusters))
	for i, c := range clusters {
		ids[i] = store.CanonicalID(c)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	states, err := json.Marshal(live)
	if err != nil {
		return nil, err
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT c.cluster, c.run, c.epoch, c.since FROM caravan_upgrade_claims c
		JOIN caravan_records r ON r.id = c.run AND r.kind = ?3
		WHERE c.cluster IN (SELECT value FROM json_each(?1)) AND r.state IN (SELECT value FROM json_each(?2))`,
		string(list), string(states), string(store.Runs))
	if err != nil {
		return nil, s.fail(err, "reading the claims on %d clusters", len(ids))
	}
	defer rows.Close()
	for rows.Next() {
		var c store.Claim
		var since int64
		if err := rows.Scan(&c.Cluster, &c.Run, &c.Epoch, &since); err != nil {
			return nil, s.fail(err, "reading the claims on %d clusters", len(ids))
		}
		c.Since = time.Unix(0, since).UTC()
		out[c.Cluster] = c
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, "reading the claims on %d clusters", len(ids))
	}
	return out, nil
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
