package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/caravan-dev/caravan/store"
)

var _ store.Claimer = (*Store)(nil)

// Claims on clusters are rows of caravan_upgrade_claims. Taking one is a
// single INSERT ... ON CONFLICT DO UPDATE: the row of a claimed cluster is
// locked while the statement decides, so of two servers claiming one
// cluster at once exactly one wins, and the holder's liveness is read from
// its run's record in the same statement.
const (
	claimCluster = `INSERT INTO caravan_upgrade_claims AS c (cluster, run, epoch, since)
		VALUES ($1, $2, $3, now())
		ON CONFLICT (cluster) DO UPDATE SET
			since = CASE WHEN c.run = excluded.run THEN c.since ELSE excluded.since END,
			run = excluded.run,
			epoch = excluded.epoch
		WHERE (c.run = excluded.run AND c.epoch <= excluded.epoch)
			OR (c.run <> excluded.run AND NOT EXISTS (
				SELECT 1 FROM caravan_records r
				WHERE r.id = c.run AND r.kind = $4 AND r.state = ANY($5::text[])))
		RETURNING epoch, since`
	claimHolder   = `SELECT run, epoch, since FROM caravan_upgrade_claims WHERE cluster = $1`
	releaseClaim  = `DELETE FROM caravan_upgrade_claims WHERE cluster = $1 AND run = $2 AND epoch <= $3`
	releaseClaims = `DELETE FROM caravan_upgrade_claims WHERE run = $1 AND epoch <= $2`
	listClaims    = `SELECT cluster, run, epoch, since FROM caravan_upgrade_claims
		WHERE $1 = '' OR run = $1 ORDER BY cluster`
)

// ClaimCluster implements store.Claimer.
func (s *Store) ClaimCluster(ctx context.Context, cluster, run string, epoch int64, live []string) (store.Claim, error) {
	if s.closed.Load() {
		return store.Claim{}, store.ErrClosed
	}
	cluster, run = store.CanonicalID(cluster), store.CanonicalID(run)
	if live == nil {
		live = []string{}
	}
	// A claim released between the refusal and the look at its holder
	// is tried again; a few rounds settle any race.
	for range 3 {
		c := store.Claim{Cluster: cluster, Run: run, Epoch: epoch}
		err := s.pool.QueryRow(ctx, claimCluster, cluster, run, epoch, string(store.Runs), live).Scan(&c.Epoch, &c.Since)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Claim{}, s.fail(err, "claiming cluster %s for update run %s", cluster, run)
		}
		h := store.Claim{Cluster: cluster}
		err = s.pool.QueryRow(ctx, claimHolder, cluster).Scan(&h.Run, &h.Epoch, &h.Since)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			continue
		case err != nil:
			return store.Claim{}, s.fail(err, "reading the claim on cluster %s", cluster)
		case h.Run == run && h.Epoch > epoch:
			return store.Claim{}, store.ErrLeaseLost
		case h.Run == run:
			// Moved to an older epoch meanwhile: cannot happen, as epochs
			// only grow; try again all the same.
			continue
		}
		return store.Claim{}, &store.ClaimedError{Holder: h}
	}
	return store.Claim{}, s.fail(errors.New("the claim kept changing hands"), "claiming cluster %s for update run %s", cluster, run)
}

// ReleaseClaim implements store.Claimer.
func (s *Store) ReleaseClaim(ctx context.Context, cluster, run string, epoch int64) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := s.pool.Exec(ctx, releaseClaim, store.CanonicalID(cluster), store.CanonicalID(run), epoch); err != nil {
		return s.fail(err, "releasing the claim of update run %s on cluster %s", run, cluster)
	}
	return nil
}

// ReleaseClaims implements store.Claimer.
func (s *Store) ReleaseClaims(ctx context.Context, run string, epoch int64) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := s.pool.Exec(ctx, releaseClaims, store.CanonicalID(run), epoch); err != nil {
		return s.fail(err, "releasing the claims of update run %s", run)
	}
	return nil
}

// Claims implements store.Claimer.
func (s *Store) Claims(ctx context.Context, run string) ([]store.Claim, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, listClaims, store.CanonicalID(run))
	if err != nil {
		return nil, s.fail(err, "listing claims on clusters")
	}
	defer rows.Close()
	var out []store.Claim
	for rows.Next() {
		var c store.Claim
		if err := rows.Scan(&c.Cluster, &c.Run, &c.Epoch, &c.Since); err != nil {
			return nil, s.fail(err, "listing claims on clusters")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, "listing claims on clusters")
	}
	return out, nil
}
