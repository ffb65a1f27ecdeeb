package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/caravan-dev/caravan/store"
)

var (
	_ store.Leaser     = (*Store)(nil)
	_ store.PartLeaser = (*Store)(nil)
)

// Leases are rows of caravan_leases; every comparison with the time is
// made with the database's now(), so servers whose clocks differ agree.
const (
	acquireLease = `INSERT INTO caravan_leases AS l (name, owner, epoch, expires)
		VALUES ($1, $2, 1, now() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET
			epoch = CASE WHEN l.owner = excluded.owner AND l.expires > now() THEN l.epoch ELSE l.epoch + 1 END,
			owner = excluded.owner,
			expires = excluded.expires
		WHERE l.owner = excluded.owner OR l.expires <= now()
		RETURNING epoch, expires`
	renewLease = `UPDATE caravan_leases SET expires = now() + $4::bigint * interval '1 microsecond'
		WHERE name = $1 AND owner = $2 AND epoch = $3 AND expires > now()
		RETURNING expires`
	releaseLease = `UPDATE caravan_leases SET owner = '', expires = now()
		WHERE name = $1 AND owner = $2 AND epoch = $3`
	listLeases = `SELECT name, owner, epoch, expires, now() FROM caravan_leases
		WHERE starts_with(name, $1) AND expires > now() ORDER BY name`
	// holdLease locks the lease row against a takeover until the fenced
	// write commits.
	holdLease = `SELECT 1 FROM caravan_leases
		WHERE name = $1 AND owner = $2 AND epoch = $3 AND expires > now() FOR SHARE`
)

// AcquireLease implements store.Leaser.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if s.closed.Load() {
		return store.Lease{}, store.ErrClosed
	}
	l := store.Lease{Name: name, Owner: owner}
	err := s.pool.QueryRow(ctx, acquireLease, name, owner, ttl.Microseconds()).Scan(&l.Epoch, &l.Expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Lease{}, store.ErrLeaseHeld
	case err != nil:
		return store.Lease{}, s.fail(err, "acquiring the lease on %s", name)
	}
	return l, nil
}

// RenewLease implements store.Leaser.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	if s.closed.Load() {
		return store.Lease{}, store.ErrClosed
	}
	err := s.pool.QueryRow(ctx, renewLease, l.Name, l.Owner, l.Epoch, ttl.Microseconds()).Scan(&l.Expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Lease{}, store.ErrLeaseLost
	case err != nil:
		return store.Lease{}, s.fail(err, "renewing the lease on %s", l.Name)
	}
	return l, nil
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := s.pool.Exec(ctx, releaseLease, l.Name, l.Owner, l.Epoch); err != nil {
		return s.fail(err, "releasing the lease on %s", l.Name)
	}
	return nil
}

// Leases implements store.Leaser.
func (s *Store) Leases(ctx context.Context, prefix string) ([]store.Lease, time.Time, error) {
	if s.closed.Load() {
		return nil, time.Time{}, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, listLeases, prefix)
	if err != nil {
		return nil, time.Time{}, s.fail(err, "listing leases")
	}
	defer rows.Close()
	var out []store.Lease
	var now time.Time
	for rows.Next() {
		var l store.Lease
		if err := rows.Scan(&l.Name, &l.Owner, &l.Epoch, &l.Expires, &now); err != nil {
			return nil, time.Time{}, s.fail(err, "listing leases")
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, s.fail(err, "listing leases")
	}
	if now.IsZero() {
		if err := s.pool.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
			return nil, time.Time{}, s.fail(err, "reading the database's clock")
		}
	}
	return out, now, nil
}

// PutLeased implements store.Leaser: the lease's row is locked, shared,
// for the transaction, so no server takes the lease over between the
// check and the commit.
func (s *Store) PutLeased(ctx context.Context, rec store.Record, cond store.Precondition, l store.Lease) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail(err, "writing %s %s", rec.Kind, rec.ID)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := s.holdLease(ctx, tx, l); err != nil {
		return err
	}
	if err := s.put(ctx, tx, rec, cond); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(err, "writing %s %s", rec.Kind, rec.ID)
	}
	return nil
}

// PutPartsLeased implements store.PartLeaser, holding the lease's row as
// PutLeased does.
func (s *Store) PutPartsLeased(ctx context.Context, w store.PartedWrite, cond store.Precondition, l store.Lease) error {
	return s.putParts(ctx, w, cond, &l)
}

// holdLease locks l's row, shared, in tx if l is still held; else it
// returns store.ErrLeaseLost.
func (s *Store) holdLease(ctx context.Context, tx pgx.Tx, l store.Lease) error {
	var one int
	err := tx.QueryRow(ctx, holdLease, l.Name, l.Owner, l.Epoch).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrLeaseLost
	case err != nil:
		return s.fail(err, "checking the lease on %s", l.Name)
	}
	return nil
}
